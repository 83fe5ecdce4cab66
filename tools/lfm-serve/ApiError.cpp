#include "ApiError.h"

namespace lfm::tools {

nlohmann::json ApiError::toJson() const {
  nlohmann::json e = {{"message", message}, {"type", type}, {"param", nullptr}, {"code", nullptr}};
  if (!param.empty()) e["param"] = param;
  if (!code.empty()) e["code"] = code;
  return {{"error", e}};
}

ApiError badRequest(std::string message, std::string param) {
  ApiError e;
  e.message = std::move(message);
  e.param = std::move(param);
  return e;
}

ApiError fromStatus(const absl::Status &status, std::string param) {
  ApiError e;
  e.message = std::string(status.message());
  e.param = std::move(param);
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kNotFound:
      e.http_status = 400;
      break;
    case absl::StatusCode::kResourceExhausted:
      e.http_status = 429;
      e.type = "rate_limit_error";
      e.code = "queue_full";
      break;
    case absl::StatusCode::kUnavailable:
      e.http_status = 503;
      e.type = "unavailable_error";
      break;
    default:
      e.http_status = 500;
      e.type = "server_error";
      break;
  }
  return e;
}

ApiError forHttpStatus(int http_status) {
  ApiError e;
  e.http_status = http_status;
  switch (http_status) {
    case 404:
      e.message = "no such route";
      e.type = "not_found_error";
      break;
    case 405:
      e.message = "method not allowed";
      break;
    case 413:
      e.message = "the request body is too large";
      e.code = "request_too_large";
      break;
    case 414:
      e.message = "the request URI is too long";
      break;
    case 400:
      e.message = "bad request";
      break;
    default:
      e.message = "HTTP error " + std::to_string(http_status);
      e.type = http_status >= 500 ? "server_error" : "invalid_request_error";
      break;
  }
  return e;
}

std::string dumpJson(const nlohmann::json &j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace lfm::tools
