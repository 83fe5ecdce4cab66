// The one-shot iterators that jinja2's filters return (map, select,
// selectattr, reject, rejectattr, unique, batch, slice, items are
// generators; reverse of a list is a list_reverseiterator): always true,
// no len(), no indexing, not JSON, and empty once iterated, as in Python.
// The items are computed when the filter runs (Python computes them as
// they are taken).
#ifndef LFM_TEXT_JINJA_ITERATOR_H
#define LFM_TEXT_JINJA_ITERATOR_H

#include <string>
#include <vector>

#include "text/jinja/Value.h"

namespace lfm::jinja {

class IteratorObject : public Object {
 public:
  // type_name: "generator", "list_reverseiterator", ...; function: the
  // generator's function for repr ("sync_do_map").
  IteratorObject(std::string type_name, std::string function, std::vector<Value> items)
      : type_name_(std::move(type_name)),
        function_(std::move(function)),
        items_(std::move(items)) {}

  std::string typeName() const override { return type_name_; }
  std::string repr() const override;
  // The items not taken yet; later calls get none. A generator whose
  // filter failed fails here, when first taken, as Python's does.
  absl::StatusOr<std::vector<Value>> take() const;
  void setError(absl::Status error) { error_ = std::move(error); }
  void release() override { items_.clear(); }

 private:
  std::string type_name_;
  std::string function_;
  mutable std::vector<Value> items_;
  mutable absl::Status error_;
};

Value makeGenerator(std::string function, std::vector<Value> items);
// A generator that raises `error` when iterated.
Value makeFailedGenerator(std::string function, absl::Status error);
const IteratorObject *asIterator(const Value &value);

}  // namespace lfm::jinja

#endif  // LFM_TEXT_JINJA_ITERATOR_H
