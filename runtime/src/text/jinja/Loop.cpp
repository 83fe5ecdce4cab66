#include "text/jinja/Loop.h"

#include "text/jinja/Operators.h"
#include "text/jinja/Strings.h"

namespace lfm::jinja {
namespace {

class LoopMethod : public Object {
 public:
  LoopMethod(std::shared_ptr<const LoopContext> loop, bool cycle)
      : loop_(std::move(loop)), cycle_(cycle) {}
  std::string typeName() const override { return "method"; }
  bool callable() const override { return true; }
  absl::StatusOr<Value> call(Interpreter &, CallArgs &args) const override {
    if (!args.keyword.empty())
      return absl::InvalidArgumentError(
          cat("loop.", cycle_ ? "cycle" : "changed", "() takes no keyword arguments"));
    if (cycle_) {
      if (args.positional.empty()) return absl::InvalidArgumentError("no items for cycling given");
      return args.positional[loop_->index() % args.positional.size()];
    }
    Value now = Value::tuple(args.positional);
    std::optional<Value> &last = loop_->lastChanged();
    if (last && valuesEqual(*last, now)) return Value::boolean(false);
    last = now;
    return Value::boolean(true);
  }

 private:
  std::shared_ptr<const LoopContext> loop_;
  bool cycle_;
};

}  // namespace

std::string LoopContext::repr() const {
  return cat("<LoopContext ", index_ + 1, "/", length(), ">");
}

Value LoopContext::getAttr(std::string_view name) const {
  int64_t index = static_cast<int64_t>(index_);
  int64_t length = static_cast<int64_t>(items_->size());
  if (name == "index") return Value::integer(index + 1);
  if (name == "index0") return Value::integer(index);
  if (name == "revindex") return Value::integer(length - index);
  if (name == "revindex0") return Value::integer(length - index - 1);
  if (name == "first") return Value::boolean(index == 0);
  if (name == "last") return Value::boolean(index == length - 1);
  if (name == "length") return Value::integer(length);
  if (name == "depth") return Value::integer(1);
  if (name == "depth0") return Value::integer(0);
  if (name == "previtem") {
    if (index == 0) return Value::undefined("there is no previous item");
    return (*items_)[index - 1];
  }
  if (name == "nextitem") {
    if (index + 1 >= length) return Value::undefined("there is no next item");
    return (*items_)[index + 1];
  }
  if (name == "cycle" || name == "changed") {
    return Value::object(std::make_shared<LoopMethod>(shared_from_this(), name == "cycle"));
  }
  return Object::getAttr(name);
}

}  // namespace lfm::jinja
