// Tests write launches as plans read: the op and its attributes by their
// schema names ("rms_norm", {{"group", 4}}). These turn the names into the
// typed Launch fields, failing the test on a name the schema lacks.
#ifndef LFM_TESTS_RUNTIME_LAUNCHBYNAME_H
#define LFM_TESTS_RUNTIME_LAUNCHBYNAME_H

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "lfm/OpSchema.h"
#include "lfm/Plan.h"

namespace lfm::testing {

inline OpKind opNamed(std::string_view name) {
  std::optional<OpKind> kind = findOp(name);
  if (!kind) ADD_FAILURE() << "the op schema has no op '" << name << "'";
  return kind.value_or(OpKind::kEmbedding);
}

inline void setAttrs(Launch &l, const std::map<std::string, int64_t> &ints,
                     const std::map<std::string, double> &floats) {
  for (const auto &[name, value] : ints) {
    std::optional<IntAttr> attr = findIntAttr(name);
    if (!attr) ADD_FAILURE() << "the op schema has no int attribute '" << name << "'";
    else l.set(*attr, value);
  }
  for (const auto &[name, value] : floats) {
    std::optional<FloatAttr> attr = findFloatAttr(name);
    if (!attr) ADD_FAILURE() << "the op schema has no float attribute '" << name << "'";
    else l.set(*attr, value);
  }
}

}  // namespace lfm::testing

#endif  // LFM_TESTS_RUNTIME_LAUNCHBYNAME_H
