// The `loop` variable of a {% for %}: index, index0, revindex, revindex0,
// first, last, length, previtem, nextitem, depth, depth0, cycle(...) and
// changed(...), as jinja2's LoopContext has them.
#ifndef LFM_TEXT_JINJA_LOOP_H
#define LFM_TEXT_JINJA_LOOP_H

#include <memory>
#include <optional>
#include <vector>

#include "text/jinja/Value.h"

namespace lfm::jinja {

class LoopContext : public Object, public std::enable_shared_from_this<LoopContext> {
 public:
  // Always made by std::make_shared (its methods hold it).
  explicit LoopContext(std::shared_ptr<const std::vector<Value>> items)
      : items_(std::move(items)) {}

  void setIndex(size_t index) { index_ = index; }
  size_t index() const { return index_; }
  size_t length() const { return items_->size(); }
  // loop.changed()'s memory.
  std::optional<Value> &lastChanged() const { return last_changed_; }

  std::string typeName() const override { return "LoopContext"; }
  std::string repr() const override;
  Value getAttr(std::string_view name) const override;

 private:
  std::shared_ptr<const std::vector<Value>> items_;
  size_t index_ = 0;
  mutable std::optional<Value> last_changed_;
};

}  // namespace lfm::jinja

#endif  // LFM_TEXT_JINJA_LOOP_H
