#include "serve/RequestText.h"

#include "lfm/StatusMacros.h"

namespace lfm::serve {

absl::StatusOr<std::string> RequestText::push(int32_t token) {
  if (stops_.stopped()) return std::string();
  LFM_ASSIGN_OR_RETURN(std::string piece, detok_.push(token));
  return stops_.push(piece);
}

std::string RequestText::finish() {
  if (stops_.stopped()) return {};
  std::string out = stops_.push(detok_.flush());
  if (stops_.stopped()) return out;
  return out + stops_.flush();
}

}  // namespace lfm::serve
