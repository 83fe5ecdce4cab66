// lfm-bench: throughput of a compiled artifact on a device. Prefill tokens/s
// for one prompt, decode tokens/s per batch size, and for decode the bytes
// each step must stream, the bandwidth that achieves and its share of the
// GPU's peak (the memory roofline that bounds small-batch decode). With
// --profile, then per kernel where the time of a decode step (batch 1 and
// the largest --batch) and of a prefill step goes, and how close each kernel's weight reads come to
// that roofline (Profile.h).
//
//   lfm-bench model.lfma --device cuda --random-weights 0 [--json] [--profile]
//   lfm-bench model.lfma --random-weights 0 --dump-weights out.safetensors
#include <iostream>
#include <thread>
#include <nlohmann/json.hpp>

#include "ArgParser.h"
#include "Bench.h"
#include "DumpWeights.h"
#include "Profile.h"
#include "ProfileReport.h"
#include "ReadBandwidth.h"
#include "Traffic.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "lfm/CudaProbe.h"
#include "lfm/Runtime.h"
#include "lfm/StatusMacros.h"

namespace {

using namespace lfm;
using namespace lfm::tools;

struct Options {
  std::string artifact, weights, dump_weights;
  std::optional<uint64_t> seed;
  DeviceKind device = DeviceKind::kAuto;
  BenchOptions bench;
  int threads = 0;
  bool json = false, help = false;
  bool thread_scaling = true;  // cpu: also time 1 thread
};

ArgParser parser() {
  ArgParser p;
  p.addFlag("help", "Show this help.");
  p.addOption("device", "KIND", "cuda, cpu or auto (default auto).");
  p.addOption("weights", "PATH", "Checkpoint folder or .safetensors file.");
  p.addOption("random-weights", "SEED", "Synthetic weights (the default, seed 0).");
  p.addOption("prompt-len", "N", "Prefill prompt length (default 512).");
  p.addOption("decode-context", "N", "Tokens per sequence before timed decode (default 128).");
  p.addOption("decode-steps", "N", "Timed decode steps per batch size (default 64).");
  p.addOption("batch", "LIST", "Decode batch sizes, comma-separated (default 1,8).");
  p.addOption("warmup", "N", "Untimed decode steps first (default 3).");
  p.addOption("repeats", "N", "Timed prefill runs; the best counts (default 3).");
  p.addOption("threads", "N", "CPU device threads (default all).");
  p.addOption("dump-weights", "FILE",
              "Write the weights as a Hugging Face safetensors checkpoint and exit.");
  p.addFlag("profile",
            "Then time every launch of 8 decode steps (batch 1 and the largest --batch) and one "
            "prefill step "
            "(--prompt-len tokens, at most a step's worth) and report per kernel (cpu: per op) "
            "launches, us and % of the step, and GB/s of the weights read (JSON: \"profile\").");
  p.addFlag("no-thread-scaling",
            "cpu: skip the second run on 1 thread (by default prefill and decode batch 1 are "
            "timed again on 1 thread and the speedup of --threads over it is printed).");
  p.addFlag("json", "Print the results as JSON.");
  return p;
}

absl::StatusOr<Options> parse(int argc, char **argv) {
  ArgParser p = parser();
  LFM_RETURN_IF_ERROR(p.parse(argc, argv));
  Options o;
  o.help = p.has("help");
  if (o.help) return o;
  if (p.positional().size() != 1) return absl::InvalidArgumentError("give one artifact (.lfma)");
  o.artifact = p.positional()[0];
  if (auto v = p.value("device")) {
    LFM_ASSIGN_OR_RETURN(o.device, parseDeviceKind(*v));
  }
  if (auto v = p.value("weights")) o.weights = *v;
  if (auto v = p.value("random-weights")) {
    LFM_ASSIGN_OR_RETURN(uint64_t seed, parseUint(*v, "--random-weights"));
    o.seed = seed;
  }
  if (o.weights.empty() && !o.seed) o.seed = 0;
  auto positive = [&](const char *name, auto *out) -> absl::Status {
    if (auto v = p.value(name)) {
      LFM_ASSIGN_OR_RETURN(int64_t n, parseInt(*v, std::string("--") + name));
      if (n < 0) return absl::InvalidArgumentError(absl::StrCat("--", name, " must be >= 0"));
      *out = static_cast<std::remove_pointer_t<decltype(out)>>(n);
    }
    return absl::OkStatus();
  };
  LFM_RETURN_IF_ERROR(positive("prompt-len", &o.bench.prompt_len));
  LFM_RETURN_IF_ERROR(positive("decode-context", &o.bench.decode_context));
  LFM_RETURN_IF_ERROR(positive("decode-steps", &o.bench.decode_steps));
  LFM_RETURN_IF_ERROR(positive("warmup", &o.bench.warmup));
  LFM_RETURN_IF_ERROR(positive("repeats", &o.bench.repeats));
  LFM_RETURN_IF_ERROR(positive("threads", &o.threads));
  if (o.bench.decode_context < 1) return absl::InvalidArgumentError("--decode-context must be >= 1");
  if (auto v = p.value("batch")) {
    o.bench.batches.clear();
    for (absl::string_view item : absl::StrSplit(*v, ',')) {
      int64_t b = 0;
      if (!absl::SimpleAtoi(item, &b) || b < 1) {
        return absl::InvalidArgumentError(absl::StrCat("--batch: '", item, "' is not a positive count"));
      }
      o.bench.batches.push_back(b);
    }
  }
  if (auto v = p.value("dump-weights")) o.dump_weights = *v;
  o.json = p.has("json");
  o.thread_scaling = !p.has("no-thread-scaling");
  o.bench.profile = p.has("profile");
  return o;
}

int fail(const absl::Status &s) {
  std::cerr << "lfm-bench: error: " << s.message() << "\n";
  return 1;
}

int run(int argc, char **argv) {
  absl::StatusOr<Options> parsed = parse(argc, argv);
  if (!parsed.ok()) return fail(parsed.status());
  const Options &o = *parsed;
  if (o.help) {
    std::cout << "usage: lfm-bench ARTIFACT [options]\n\n" << parser().optionsHelp();
    return 0;
  }
  absl::StatusOr<LoadedModel> model = loadModel({o.artifact, o.weights, o.seed});
  if (!model.ok()) return fail(model.status());
  if (!o.dump_weights.empty()) {
    if (absl::Status s = dumpCheckpoint(model->plan, model->weights, o.dump_weights); !s.ok()) {
      return fail(s);
    }
    std::cerr << "lfm-bench: wrote " << o.dump_weights << "\n";
    return 0;
  }

  absl::StatusOr<CreatedDevice> device = createDevice({o.device, o.threads});
  if (!device.ok()) return fail(device.status());
  if (absl::Status s = bindModelKernels({o.device, o.threads}, *device, model->plan,
                                        model->kernels);
      !s.ok()) {
    return fail(s);
  }
  if (!device->note.empty()) std::cerr << "lfm-bench: " << device->note << "\n";
  const std::string device_name = device->device->name();
  std::string gpu_name;
  double peak = 0;
  if (device_name.rfind("cuda", 0) == 0) {
    if (absl::StatusOr<CudaDeviceInfo> info = probeCudaDevice(); info.ok()) {
      gpu_name = info->name;
      peak = info->peak_bandwidth;
    }
  }

  // On the cpu the roofline is the read bandwidth of the device's threads,
  // measured here (ReadBandwidth.h), and of one thread for the scaling.
  const int threads = o.threads > 0 ? o.threads
                                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  double read_1thread = 0;
  if (device_name == "cpu") {
    peak = measureReadBandwidth(threads);
    read_1thread = threads == 1 ? peak : measureReadBandwidth(1);
  }

  const Plan plan = model->plan;
  int64_t max_batch = 1;
  for (int64_t b : o.bench.batches) max_batch = std::max(max_batch, b);
  const int64_t decode_steps =
      std::max(o.bench.decode_steps, o.bench.profile ? o.bench.profile_steps : 0);
  const int64_t seq_len =
      std::max(o.bench.prompt_len, o.bench.decode_context + o.bench.warmup + decode_steps) + 1;
  absl::StatusOr<std::unique_ptr<Session>> session =
      Session::create(std::move(device->device), plan, std::move(model->weights),
                      {std::max<int64_t>(max_batch, 1), seq_len});
  if (!session.ok()) return fail(session.status());

  nlohmann::json out;
  out["artifact"] = o.artifact;
  out["device"] = device_name;
  out["gpu"] = gpu_name;
  out["dtype"] = dtypeName(plan.dtype);
  out["weight_bytes"] = totalWeightBytes(plan);
  out["peak_bandwidth_gbps"] = peak / 1e9;
  if (device_name == "cpu") {
    out["threads"] = threads;
    out["cpu_read_gbps"] = peak / 1e9;
    out["cpu_read_gbps_1thread"] = read_1thread / 1e9;
  }
  if (!o.json) {
    std::cout << absl::StrFormat("%s on %s%s, %s weights %.1f MB\n", o.artifact, device_name,
                                 gpu_name.empty() ? "" : " (" + gpu_name + ")", dtypeName(plan.dtype),
                                 totalWeightBytes(plan) / 1e6);
    if (device_name == "cpu") {
      std::cout << absl::StrFormat(
          "cpu read bandwidth (STREAM-like sum of 1 GiB): %.1f GB/s on %d thread(s), %.1f GB/s on 1\n",
          peak / 1e9, threads, read_1thread / 1e9);
    }
  }
  double prefill_tps = 0, decode1_tps = 0;
  if (o.bench.prompt_len > 0) {
    absl::StatusOr<PrefillResult> r = benchPrefill(**session, o.bench);
    if (!r.ok()) return fail(r.status());
    prefill_tps = r->tokensPerSecond();
    out["prefill"] = {{"tokens", r->tokens}, {"seconds", r->seconds},
                      {"tokens_per_second", r->tokensPerSecond()}};
    if (!o.json) {
      std::cout << absl::StrFormat("prefill %d tokens: %.1f tokens/s (%.2f ms)\n", r->tokens,
                                   r->tokensPerSecond(), r->seconds * 1e3);
    }
  }
  out["decode"] = nlohmann::json::array();
  for (int64_t batch : o.bench.batches) {
    absl::StatusOr<DecodeResult> r = benchDecode(**session, o.bench, batch);
    if (!r.ok()) return fail(r.status());
    if (batch == 1) decode1_tps = r->tokensPerSecond();
    const double gbps = r->bytesPerSecond() / 1e9;
    const double pct = peak > 0 ? 100.0 * r->bytesPerSecond() / peak : 0;
    out["decode"].push_back({{"batch", batch},
                             {"steps", r->steps},
                             {"context", r->context},
                             {"step_ms", r->stepSeconds() * 1e3},
                             {"tokens_per_second", r->tokensPerSecond()},
                             {"bytes_per_step", r->traffic.total()},
                             {"weight_bytes_per_step", r->traffic.weight_bytes},
                             {"kv_bytes_per_step", r->traffic.kv_bytes},
                             {"conv_bytes_per_step", r->traffic.conv_bytes},
                             {"achieved_gbps", gbps},
                             {"roofline_percent", pct}});
    // Faster than memory allows: the steps did not do the work counted. On
    // the cpu the bound is itself a measurement, once per run on a host
    // whose bandwidth drifts (26-32 GB/s between runs here), and the f32
    // decode step streams at up to 1.2x of a low reading: only far above it
    // is a broken kernel the likelier cause.
    if (pct > (device_name == "cpu" ? 130 : 100)) {
      std::cerr << absl::StrFormat(
          "lfm-bench: warning: decode batch %d moved %.0f GB/s, %.0f%% of the device's peak: the "
          "kernels cannot have read every byte (a broken build or driver?); do not trust it\n",
          batch, gbps, pct);
    }
    if (!o.json) {
      std::cout << absl::StrFormat(
          "decode batch %d (context %.0f): %.1f tokens/s, %.3f ms/step, %.1f MB/step, %.1f GB/s%s\n",
          batch, r->context, r->tokensPerSecond(), r->stepSeconds() * 1e3,
          r->traffic.total() / 1e6, gbps,
          peak > 0 ? absl::StrFormat(" = %.1f%% of %.0f GB/s", pct, peak / 1e9) : "");
    }
  }
  if (o.bench.profile) {
    absl::StatusOr<std::vector<StepProfile>> profiles =
        profileSteps(**session, o.bench, model->kernels);
    if (!profiles.ok()) return fail(profiles.status());
    out["profile"] = profileJson(*profiles, peak);
    if (!o.json) {
      for (const StepProfile &p : *profiles) std::cout << profileTable(p, peak);
    }
  }
  if (device_name == "cpu" && threads > 1 && o.thread_scaling) {
    // The same prefill and decode batch 1 on one thread, on a fresh session.
    session->reset();
    absl::StatusOr<LoadedModel> again = loadModel({o.artifact, o.weights, o.seed});
    if (!again.ok()) return fail(again.status());
    absl::StatusOr<CreatedDevice> one = createDevice({DeviceKind::kCpu, 1});
    if (!one.ok()) return fail(one.status());
    BenchOptions bench = o.bench;
    bench.batches = {1};
    bench.profile = false;
    absl::StatusOr<std::unique_ptr<Session>> single =
        Session::create(std::move(one->device), plan, std::move(again->weights), {1, seq_len});
    if (!single.ok()) return fail(single.status());
    double prefill1 = 0, decode1 = 0;
    if (bench.prompt_len > 0) {
      absl::StatusOr<PrefillResult> r = benchPrefill(**single, bench);
      if (!r.ok()) return fail(r.status());
      prefill1 = r->tokensPerSecond();
    }
    absl::StatusOr<DecodeResult> d = benchDecode(**single, bench, 1);
    if (!d.ok()) return fail(d.status());
    decode1 = d->tokensPerSecond();
    auto ratio = [](double a, double b) { return b > 0 ? a / b : 0.0; };
    out["thread_scaling"] = {{"threads", threads},
                             {"prefill_1thread_tokens_per_second", prefill1},
                             {"prefill_speedup", ratio(prefill_tps, prefill1)},
                             {"decode1_1thread_tokens_per_second", decode1},
                             {"decode1_speedup", ratio(decode1_tps, decode1)},
                             {"read_bandwidth_speedup", ratio(peak, read_1thread)}};
    if (!o.json) {
      std::cout << absl::StrFormat(
          "thread scaling 1 -> %d: prefill %.1f -> %.1f tokens/s (%.2fx), decode batch 1 %.1f -> "
          "%.1f tokens/s (%.2fx), read bandwidth %.2fx\n",
          threads, prefill1, prefill_tps, ratio(prefill_tps, prefill1), decode1, decode1_tps,
          ratio(decode1_tps, decode1), ratio(peak, read_1thread));
    }
  }
  if (o.json) std::cout << out.dump(2) << "\n";
  return 0;
}

}  // namespace

int main(int argc, char **argv) { return run(argc, argv); }
