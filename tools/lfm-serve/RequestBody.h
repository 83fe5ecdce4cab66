// A request body as JSON: its nesting bounded (lfm/JsonNesting.h) before it
// is parsed, since what the handlers do with the value (copy it, render it)
// recurses once per level. Too deep or not JSON: a 400.
#ifndef LFM_TOOLS_LFMSERVE_REQUESTBODY_H
#define LFM_TOOLS_LFMSERVE_REQUESTBODY_H

#include <string_view>
#include <variant>

#include "ApiError.h"
#include "nlohmann/json.hpp"

namespace lfm::tools {

// OpenAI requests nest a few levels; tool schemas a dozen.
inline constexpr int kMaxRequestNesting = 64;

std::variant<nlohmann::json, ApiError> parseRequestBody(std::string_view body);

}  // namespace lfm::tools

#endif  // LFM_TOOLS_LFMSERVE_REQUESTBODY_H
