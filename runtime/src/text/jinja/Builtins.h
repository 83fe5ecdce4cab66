// The global functions every chat template sees: jinja2's range(), dict()
// and namespace(), and transformers' raise_exception() and strftime_now().
#ifndef LFM_TEXT_JINJA_BUILTINS_H
#define LFM_TEXT_JINJA_BUILTINS_H

#include <string_view>

#include "text/jinja/Value.h"

namespace lfm::jinja {

// The global's value, or null when there is none of that name.
const Value *findGlobal(std::string_view name);

// The message raise_exception() reports starts with this.
inline constexpr std::string_view kRaisedPrefix = "raise_exception: ";

}  // namespace lfm::jinja

#endif  // LFM_TEXT_JINJA_BUILTINS_H
