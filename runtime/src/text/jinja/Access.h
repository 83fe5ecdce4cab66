// `obj.name`, `obj[key]` and `obj[a:b:c]` as jinja2's sandboxed
// environment resolves them: an attribute first and then the item for
// `.name` (so `message.role` reads the dict's key and `d.items` the
// method), the item first for `[key]`; a miss is Undefined (an error only
// when used), a lookup on Undefined is an error.
#ifndef LFM_TEXT_JINJA_ACCESS_H
#define LFM_TEXT_JINJA_ACCESS_H

#include <string_view>

#include "absl/status/statusor.h"
#include "text/jinja/Value.h"

namespace lfm::jinja {

absl::StatusOr<Value> getAttr(const Value &object, std::string_view name);
absl::StatusOr<Value> getItem(const Value &object, const Value &key);
// Each bound is None (absent) or an int.
absl::StatusOr<Value> getSlice(const Value &object, const Value &start, const Value &stop,
                               const Value &step);
// Python's slice.indices(): the indexes a slice selects from `length` items.
absl::StatusOr<std::vector<int64_t>> sliceIndexes(int64_t length, const Value &start,
                                                  const Value &stop, const Value &step);

// jinja2's name for a value's type in messages: 'dict object', None.
std::string objectTypeRepr(const Value &value);

}  // namespace lfm::jinja

#endif  // LFM_TEXT_JINJA_ACCESS_H
