// jinja2's namespace(): the one mutable object, whose attributes
// `{% set ns.attr = ... %}` changes from inside loops. As transformers'
// TemplateNamespace, names starting with '_' are refused.
#ifndef LFM_TEXT_JINJA_NAMESPACE_H
#define LFM_TEXT_JINJA_NAMESPACE_H

#include <string>

#include "text/jinja/Value.h"

namespace lfm::jinja {

class Namespace : public Object {
 public:
  std::string typeName() const override { return "Namespace"; }
  Value getAttr(std::string_view name) const override;
  absl::Status setAttr(const std::string &name, Value value);
  const DictData &attrs() const { return attrs_; }
  void release() override { attrs_ = DictData(); }

 private:
  DictData attrs_;
};

}  // namespace lfm::jinja

#endif  // LFM_TEXT_JINJA_NAMESPACE_H
