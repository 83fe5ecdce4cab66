// Builds the tree of a template from its tokens, as jinja2's parser does
// (same precedence, same statement forms). Unknown tags, filters and tests
// are errors here, as in jinja2 (which checks filters and tests when it
// compiles), each naming the template's origin and line:column.
#ifndef LFM_TEXT_JINJA_PARSER_H
#define LFM_TEXT_JINJA_PARSER_H

#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "text/jinja/Ast.h"

namespace lfm::jinja {

absl::StatusOr<std::shared_ptr<const TemplateAst>> parseTemplate(std::string_view source,
                                                                 std::string_view origin);

}  // namespace lfm::jinja

#endif  // LFM_TEXT_JINJA_PARSER_H
