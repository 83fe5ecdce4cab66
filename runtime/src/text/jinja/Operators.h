// Python's operators on template values: arithmetic (+ - * / // % **, with
// str and list repetition and concatenation), comparison, `in`, unary minus,
// and iteration. Undefined operands raise what jinja2's Undefined raises;
// ints that overflow 64 bits are an error (Python would grow them).
#ifndef LFM_TEXT_JINJA_OPERATORS_H
#define LFM_TEXT_JINJA_OPERATORS_H

#include <vector>

#include "absl/status/statusor.h"
#include "text/jinja/Ast.h"
#include "text/jinja/Value.h"

namespace lfm::jinja {

absl::StatusOr<Value> binaryOp(BinaryOp op, const Value &left, const Value &right);
absl::StatusOr<Value> negate(const Value &operand);
absl::StatusOr<Value> unaryPlus(const Value &operand);

bool valuesEqual(const Value &left, const Value &right);
// <, <=, >, >= (Python's ordering; TypeError across types).
absl::StatusOr<bool> orderValues(CompareOp op, const Value &left, const Value &right);
absl::StatusOr<bool> lessThan(const Value &left, const Value &right);
// `item in container`.
absl::StatusOr<bool> containsValue(const Value &container, const Value &item);
absl::StatusOr<bool> compareOp(CompareOp op, const Value &left, const Value &right);

// The items iterating a value gives: a list's items, a dict's keys, a
// string's characters, nothing for Undefined.
absl::StatusOr<std::vector<Value>> iterate(const Value &value);

std::string_view binaryOpSymbol(BinaryOp op);

}  // namespace lfm::jinja

#endif  // LFM_TEXT_JINJA_OPERATORS_H
