// Errors in the OpenAI shape: {"error": {"message", "type", "param", "code"}}
// with the HTTP status that goes with them.
#ifndef LFM_TOOLS_LFMSERVE_APIERROR_H
#define LFM_TOOLS_LFMSERVE_APIERROR_H

#include <string>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"

namespace lfm::tools {

struct ApiError {
  int http_status = 400;
  std::string message;
  std::string type = "invalid_request_error";
  std::string param;  // empty: null
  std::string code;   // empty: null

  nlohmann::json toJson() const;
};

ApiError badRequest(std::string message, std::string param = {});
// The type and status an engine or text-layer error maps to:
// InvalidArgument 400, ResourceExhausted 429, Unavailable 503, others 500.
ApiError fromStatus(const absl::Status &status, std::string param = {});
// For httplib's own errors (no route, body too large, ...).
ApiError forHttpStatus(int http_status);

// JSON text that never throws on invalid UTF-8 (replaced by U+FFFD).
std::string dumpJson(const nlohmann::json &j);

}  // namespace lfm::tools

#endif  // LFM_TOOLS_LFMSERVE_APIERROR_H
