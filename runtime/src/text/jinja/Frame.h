// A scope of template variables. Each loop iteration, macro call and
// {% with %} gets its own frame over its parent's, so `set` inside a loop
// does not reach past it (jinja2's scoping; namespaces cross it).
#ifndef LFM_TEXT_JINJA_FRAME_H
#define LFM_TEXT_JINJA_FRAME_H

#include <memory>
#include <string>
#include <unordered_map>

#include "text/jinja/Value.h"

namespace lfm::jinja {

struct Frame {
  explicit Frame(std::shared_ptr<Frame> parent_frame = nullptr) : parent(std::move(parent_frame)) {}

  // The variable in this frame or the nearest enclosing one.
  const Value *find(const std::string &name) const {
    for (const Frame *frame = this; frame; frame = frame->parent.get()) {
      auto it = frame->vars.find(name);
      if (it != frame->vars.end()) return &it->second;
    }
    return nullptr;
  }

  std::shared_ptr<Frame> parent;
  std::unordered_map<std::string, Value> vars;
};

using FramePtr = std::shared_ptr<Frame>;

}  // namespace lfm::jinja

#endif  // LFM_TEXT_JINJA_FRAME_H
