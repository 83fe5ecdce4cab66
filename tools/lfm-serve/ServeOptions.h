// lfm-serve's command line.
#ifndef LFM_TOOLS_LFMSERVE_SERVEOPTIONS_H
#define LFM_TOOLS_LFMSERVE_SERVEOPTIONS_H

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "lfm/Device.h"

namespace lfm::tools {

struct ServeOptions {
  std::string artifact;
  std::string weights;
  std::optional<uint64_t> random_seed;
  std::string tokenizer;
  std::string model_name;  // default: the artifact's file name without .lfma
  std::string host = "127.0.0.1";
  int port = 8080;
  DeviceKind device = DeviceKind::kAuto;
  int threads = 0;
  int64_t slots = 0;        // 0: the artifact's
  int64_t max_seq_len = 0;  // 0: the artifact's
  int64_t max_batch_tokens = 0;  // 0: the plan's limit
  int64_t max_queue = 64;
  std::string api_key;
  int http_threads = 0;  // 0: enough for every slot and queued request
  double shutdown_timeout = 10;
  int64_t max_body_bytes = int64_t{8} << 20;
  double request_timeout = 600;  // seconds a request may run, queued or not; 0: none
  int64_t max_tokens = 0;        // tokens a request may generate; 0: up to --max-seq-len
  bool help = false;
};

absl::StatusOr<ServeOptions> parseServeOptions(int argc, const char *const *argv);
std::string serveHelp();

}  // namespace lfm::tools

#endif  // LFM_TOOLS_LFMSERVE_SERVEOPTIONS_H
