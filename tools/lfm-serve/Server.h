// lfm-serve's HTTP front: the OpenAI routes, /health, /metrics, /tokenize
// and /detokenize over cpp-httplib. Handlers run on httplib's worker
// threads and only submit to the engine and wait on request handles, so
// the engine loop never waits for a client. It listens before the model is
// there: until setModel(), /health is 503 and the API routes say so.
#ifndef LFM_TOOLS_LFMSERVE_SERVER_H
#define LFM_TOOLS_LFMSERVE_SERVER_H

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "Metrics.h"
#include "ServeOptions.h"
#include "absl/status/status.h"
#include "lfm/Engine.h"
#include "lfm/TextModel.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace lfm::tools {

// What the server serves once it is loaded.
struct ServedModel {
  std::unique_ptr<Engine> engine;
  std::optional<TextModel> text;  // none: token-id prompts only
  SamplingOptions sampling;       // the model's defaults
};

class Server {
 public:
  explicit Server(const ServeOptions &options);
  ~Server();

  // Binds the address; the port (picked when options.port is 0) is port().
  absl::Status bind();
  int port() const { return port_; }
  // Serves until stop(). Run it on its own thread.
  void listen();

  // The model is loaded: serve it.
  void setModel(ServedModel model);
  // Stops taking generation requests (503); what runs goes on.
  void beginShutdown();
  // Waits until no generation response is being written, or `deadline`.
  void waitForResponses(std::chrono::steady_clock::time_point deadline);
  void stop();

  Engine *engine() { return ready_.load() ? model_.engine.get() : nullptr; }

 private:
  void routes();
  void generate(const httplib::Request &req, httplib::Response &res, int endpoint);
  void tokenize(const httplib::Request &req, httplib::Response &res);
  void detokenize(const httplib::Request &req, httplib::Response &res);
  void metrics(httplib::Response &res);
  void countResponse(int status);

  ServeOptions options_;
  std::unique_ptr<httplib::Server> http_;
  int port_ = 0;
  std::atomic<bool> ready_{false};
  std::atomic<bool> shutting_down_{false};
  ServedModel model_;  // written once, before ready_

  std::mutex mutex_;
  std::condition_variable responses_done_;
  int64_t responses_in_flight_ = 0;  // generation responses being written
  ServerCounters counters_;
};

}  // namespace lfm::tools

#endif  // LFM_TOOLS_LFMSERVE_SERVER_H
