// Unknown filters and tests are template errors, found after parsing as
// jinja2 finds them when it compiles: except where jinja2 compiles in a
// "soft" frame (inside an {% if %}'s test and branches, not crossing into
// loops, macros or other blocks, and inside an inline `x if c else y`),
// where they fail only if the render reaches them. Templates use this to
// call filters that some runtimes add (`args | from_json`).
#ifndef LFM_TEXT_JINJA_CHECKNAMES_H
#define LFM_TEXT_JINJA_CHECKNAMES_H

#include "absl/status/status.h"
#include "text/jinja/Ast.h"

namespace lfm::jinja {

absl::Status checkFilterAndTestNames(const TemplateAst &ast);

}  // namespace lfm::jinja

#endif  // LFM_TEXT_JINJA_CHECKNAMES_H
