// std::string_view as an argument of absl::StrCat: this abseil's
// string_view is its own type.
#ifndef LFM_TEXT_ABSLVIEW_H
#define LFM_TEXT_ABSLVIEW_H

#include <string_view>

#include "absl/strings/string_view.h"

namespace lfm::text {

inline absl::string_view av(std::string_view s) { return absl::string_view(s.data(), s.size()); }

}  // namespace lfm::text

#endif  // LFM_TEXT_ABSLVIEW_H
