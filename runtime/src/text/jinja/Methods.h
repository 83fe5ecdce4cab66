// The methods templates call on str, dict, list and tuple values
// ('a b'.split(), message.get('content'), d.items(), ...), as Python has
// them. Methods that would change a list or dict are refused, as
// transformers' ImmutableSandboxedEnvironment does.
#ifndef LFM_TEXT_JINJA_METHODS_H
#define LFM_TEXT_JINJA_METHODS_H

#include <optional>
#include <string_view>

#include "text/jinja/Value.h"

namespace lfm::jinja {

// The bound method `self.name`; an Undefined that reports the sandbox's
// refusal for a mutating method; none when the type has no such method.
std::optional<Value> methodAttr(const Value &self, std::string_view name);

}  // namespace lfm::jinja

#endif  // LFM_TEXT_JINJA_METHODS_H
