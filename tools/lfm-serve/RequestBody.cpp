#include "RequestBody.h"

#include "absl/strings/str_cat.h"
#include "lfm/JsonNesting.h"

namespace lfm::tools {

std::variant<nlohmann::json, ApiError> parseRequestBody(std::string_view body) {
  if (size_t at = jsonNestingExceeded(body, kMaxRequestNesting); at != std::string_view::npos)
    return badRequest(absl::StrCat("the body nests JSON deeper than ", kMaxRequestNesting,
                                   " levels (at byte ", at, ")"));
  nlohmann::json json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return badRequest("the body is not valid JSON");
  return json;
}

}  // namespace lfm::tools
