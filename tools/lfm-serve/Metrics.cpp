#include "Metrics.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace lfm::tools {
namespace {

void header(std::string &out, const char *name, const char *type, const char *help) {
  absl::StrAppend(&out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
}

void sample(std::string &out, const char *name, double value, const std::string &labels = {}) {
  absl::StrAppend(&out, name, labels.empty() ? "" : "{", labels, labels.empty() ? "" : "}", " ",
                  absl::StrFormat("%.17g", value), "\n");
}

void histogram(std::string &out, const char *name, const char *help, const Histogram &h) {
  header(out, name, "histogram", help);
  const std::string bucket = absl::StrCat(name, "_bucket");
  for (size_t i = 0; i < h.bounds().size(); ++i)
    sample(out, bucket.c_str(), static_cast<double>(h.counts()[i]),
           absl::StrFormat("le=\"%g\"", h.bounds()[i]));
  sample(out, bucket.c_str(), static_cast<double>(h.count()), "le=\"+Inf\"");
  sample(out, absl::StrCat(name, "_sum").c_str(), h.sum());
  sample(out, absl::StrCat(name, "_count").c_str(), static_cast<double>(h.count()));
}

}  // namespace

std::string prometheusText(const EngineStats *engine, const ServerCounters &server) {
  std::string out;
  header(out, "lfm_ready", "gauge", "1 once the model is loaded and requests are served.");
  sample(out, "lfm_ready", server.ready ? 1 : 0);
  header(out, "lfm_http_responses_total", "counter", "HTTP responses, by status code.");
  for (const auto &[status, count] : server.responses_by_status)
    sample(out, "lfm_http_responses_total", static_cast<double>(count),
           absl::StrCat("code=\"", status, "\""));
  if (!engine) return out;
  const EngineStats &s = *engine;
  header(out, "lfm_requests_total", "counter",
         "Finished requests, by outcome (stop, length, cancelled, timeout, error).");
  for (int i = 0; i < kFinishReasons; ++i)
    sample(out, "lfm_requests_total", static_cast<double>(s.finished[static_cast<size_t>(i)]),
           absl::StrCat("outcome=\"", std::string(finishReasonName(static_cast<FinishReason>(i))), "\""));
  header(out, "lfm_requests_rejected_total", "counter",
         "Requests the engine refused (queue full, invalid, shutting down).");
  sample(out, "lfm_requests_rejected_total", static_cast<double>(s.rejected));
  header(out, "lfm_prompt_tokens_total", "counter", "Prompt tokens of admitted requests.");
  sample(out, "lfm_prompt_tokens_total", static_cast<double>(s.prompt_tokens));
  header(out, "lfm_generation_tokens_total", "counter", "Generated tokens.");
  sample(out, "lfm_generation_tokens_total", static_cast<double>(s.generated_tokens));
  header(out, "lfm_steps_total", "counter", "Device steps the engine ran.");
  sample(out, "lfm_steps_total", static_cast<double>(s.steps));
  header(out, "lfm_requests_running", "gauge", "Requests holding a slot.");
  sample(out, "lfm_requests_running", static_cast<double>(s.running));
  header(out, "lfm_requests_waiting", "gauge", "Requests queued for a slot.");
  sample(out, "lfm_requests_waiting", static_cast<double>(s.waiting));
  header(out, "lfm_slots_used", "gauge", "State pool slots held by requests.");
  sample(out, "lfm_slots_used", static_cast<double>(s.slots_used));
  header(out, "lfm_slots_free", "gauge", "Free state pool slots.");
  sample(out, "lfm_slots_free", static_cast<double>(s.slots_free));
  header(out, "lfm_slots_total", "gauge", "State pool slots.");
  sample(out, "lfm_slots_total", static_cast<double>(s.slots_total));
  histogram(out, "lfm_time_to_first_token_seconds",
            "From a request's arrival to its first generated token.", s.time_to_first_token);
  histogram(out, "lfm_inter_token_latency_seconds", "Between a request's generated tokens.",
            s.inter_token_latency);
  histogram(out, "lfm_step_duration_seconds", "One engine step: the device step and sampling.",
            s.step_time);
  return out;
}

}  // namespace lfm::tools
