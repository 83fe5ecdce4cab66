#include "text/jinja/Errors.h"

#include "absl/strings/cord.h"
#include "text/jinja/Strings.h"

namespace lfm::jinja {
namespace {

constexpr std::string_view kLocatedPayload = "lfm.jinja/located";

}  // namespace

absl::Status locatedError(absl::StatusCode code, std::string_view origin, SourcePos pos,
                          std::string_view message) {
  absl::Status status(code, cat(origin, ":", pos.line, ":", pos.column, ": ", message));
  status.SetPayload(av(kLocatedPayload), absl::Cord("1"));
  return status;
}

absl::Status withLocation(const absl::Status &status, std::string_view origin, SourcePos pos) {
  if (status.ok() || status.GetPayload(av(kLocatedPayload)).has_value()) return status;
  return locatedError(status.code(), origin, pos, sv(status.message()));
}

absl::Status undefinedError(const Value &undefined) {
  const std::string &hint = undefined.undefinedHint();
  return absl::InvalidArgumentError(hint.empty() ? std::string("value is undefined") : hint);
}

absl::Status limitError(std::string_view message) {
  return absl::ResourceExhaustedError(av(message));
}

}  // namespace lfm::jinja
