// lfm-serve: an OpenAI-compatible HTTP server over the serving engine. See
// serveHelp() in ServeOptions.cpp for the options.
//
// Startup: bind and listen first (so /health answers 503 while loading),
// then load the model and serve. SIGINT/SIGTERM: stop taking requests, let
// the running ones finish within --shutdown-timeout, exit 0.
#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "Server.h"
#include "ServeOptions.h"
#include "absl/strings/str_cat.h"
#include "lfm/GenerationConfig.h"
#include "lfm/Runtime.h"
#include "lfm/StatusMacros.h"
#include "lfm/TextModel.h"

namespace {

using namespace lfm;

absl::StatusOr<tools::ServedModel> loadServedModel(const tools::ServeOptions &opt) {
  const DeviceOptions device_options{opt.device, opt.threads};
  LFM_ASSIGN_OR_RETURN(CreatedDevice device, createDevice(device_options));
  LFM_ASSIGN_OR_RETURN(LoadedModel model,
                       loadModel({opt.artifact, opt.weights, opt.random_seed}));
  tools::ServedModel served;
  LFM_ASSIGN_OR_RETURN(served.text, loadModelText(model, opt.tokenizer));
  GenerationConfig generation;
  if (served.text) {
    generation = served.text->generation;
  } else if (!model.tokenizer.generation_config_json.empty()) {
    LFM_ASSIGN_OR_RETURN(generation,
                         parseGenerationConfig(model.tokenizer.generation_config_json,
                                               model.tokenizer_origin + ": generation_config.json"));
  }
  served.sampling = generation.sampling();
  const Plan &plan = model.plan;
  std::vector<int32_t> eos;
  if (served.text) {
    eos = served.text->eosIds(plan.config.eos_token_id);
  } else {
    eos = generation.eos_token_ids;
    if (plan.config.eos_token_id >= 0 &&
        std::find(eos.begin(), eos.end(), plan.config.eos_token_id) == eos.end())
      eos.push_back(static_cast<int32_t>(plan.config.eos_token_id));
  }
  LFM_RETURN_IF_ERROR(bindModelKernels(device_options, device, plan, model.kernels));
  if (!device.note.empty()) std::cerr << "lfm-serve: " << device.note << "\n";
  const std::string device_name = device.device->name();
  LFM_ASSIGN_OR_RETURN(std::unique_ptr<Session> session,
                       Session::create(std::move(device.device), plan, std::move(model.weights),
                                       {opt.slots, opt.max_seq_len}));
  const StateShape shape = session->pool().shape();
  EngineOptions engine_options;
  engine_options.max_batch_tokens = opt.max_batch_tokens;
  engine_options.max_queue = opt.max_queue;
  engine_options.tokenizer = served.text ? served.text->tokenizer.get() : nullptr;
  engine_options.eos_ids = eos;
  LFM_ASSIGN_OR_RETURN(served.engine, Engine::create(std::move(session), engine_options));
  std::cerr << "lfm-serve: " << device_name << " device, weights: " << model.weights_origin
            << ", " << shape.slots << " slots x " << shape.max_seq_len << " tokens, "
            << served.engine->maxBatchTokens() << " tokens per step"
            << (served.text ? "" : ", no tokenizer (token-id prompts only)") << "\n";
  if (!served.text && !model.tokenizer_note.empty())
    std::cerr << "lfm-serve: " << model.tokenizer_note << "\n";
  return served;
}

int run(int argc, char **argv) {
  absl::StatusOr<tools::ServeOptions> parsed = tools::parseServeOptions(argc, argv);
  if (!parsed.ok()) {
    std::cerr << "lfm-serve: error: " << parsed.status().message()
              << "\n(see lfm-serve --help)\n";
    return 1;
  }
  const tools::ServeOptions &opt = *parsed;
  if (opt.help) {
    std::cout << tools::serveHelp();
    return 0;
  }

  // Signals go to one thread that waits for them; a client that hangs up
  // mid-write must not kill the process.
  ::signal(SIGPIPE, SIG_IGN);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  tools::Server server(opt);
  if (absl::Status s = server.bind(); !s.ok()) {
    std::cerr << "lfm-serve: error: " << s.message() << "\n";
    return 1;
  }
  std::thread http([&] { server.listen(); });
  std::cerr << "lfm-serve: listening on http://" << opt.host << ":" << server.port()
            << " (loading the model)" << std::endl;

  std::mutex mutex;
  std::condition_variable cv;
  bool stop_requested = false;
  std::thread signals([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    if (server.engine() == nullptr) {
      // Still loading: nothing runs yet, so there is nothing to finish.
      std::cerr << "lfm-serve: stopped while loading" << std::endl;
      std::_Exit(0);
    }
    std::lock_guard<std::mutex> lock(mutex);
    stop_requested = true;
    cv.notify_all();
  });

  absl::StatusOr<tools::ServedModel> model = loadServedModel(opt);
  if (!model.ok()) {
    std::cerr << "lfm-serve: error: " << model.status().message() << "\n";
    server.stop();
    http.join();
    std::_Exit(1);  // the signal thread still waits
  }
  server.setModel(std::move(*model));
  std::cerr << "lfm-serve: ready" << std::endl;

  {
    std::unique_lock<std::mutex> lock(mutex);
    cv.wait(lock, [&] { return stop_requested; });
  }
  signals.join();
  std::cerr << "lfm-serve: shutting down (running requests get " << opt.shutdown_timeout
            << " s)" << std::endl;
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                            std::chrono::duration<double>(opt.shutdown_timeout));
  server.beginShutdown();
  server.engine()->shutdown(deadline);
  // The engine has ended every request; give the responses a moment to be
  // written.
  server.waitForResponses(std::max(deadline, std::chrono::steady_clock::now()) +
                          std::chrono::seconds(2));
  server.stop();
  http.join();
  std::cerr << "lfm-serve: stopped" << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char **argv) { return run(argc, argv); }
