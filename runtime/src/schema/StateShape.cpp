#include "lfm/StateShape.h"

#include <limits>

#include "absl/strings/str_cat.h"

namespace lfm {

absl::Status StateShape::validate() const {
  constexpr int64_t kMax = std::numeric_limits<int32_t>::max();
  if (slots < 1 || slots > kMax || max_seq_len < 1 || max_seq_len > kMax) {
    return absl::InvalidArgumentError(absl::StrCat("state pool: slots (", slots,
                                                   ") and max_seq_len (", max_seq_len,
                                                   ") must be in [1, 2^31)"));
  }
  return absl::OkStatus();
}

}  // namespace lfm
