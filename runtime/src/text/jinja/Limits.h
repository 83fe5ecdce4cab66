// Bounds that keep a hostile chat template from exhausting the process: a
// template or context past them fails with an error instead.
#ifndef LFM_TEXT_JINJA_LIMITS_H
#define LFM_TEXT_JINJA_LIMITS_H

#include <cstddef>
#include <cstdint>

namespace lfm::jinja {

// Template source (real chat templates are a few KiB).
inline constexpr size_t kMaxSourceBytes = size_t{16} << 20;
// Nesting of expressions and blocks in the parsed tree.
inline constexpr int kMaxParseDepth = 200;
// Nested evaluations at run time (expressions, statements, macro calls).
// With kMaxMacroDepth, a render stays within 512 KiB of stack.
inline constexpr int kMaxEvalDepth = 500;
// Nested macro calls.
inline constexpr int kMaxMacroDepth = 50;
// Nesting of list/dict values (context JSON included).
inline constexpr int kMaxValueDepth = 256;
// Rendered output, and any one string a template builds.
inline constexpr size_t kMaxOutputBytes = size_t{64} << 20;
// Loop iterations in one render, all loops together.
inline constexpr int64_t kMaxLoopIterations = int64_t{1} << 22;
// Evaluation steps in one render (each expression and statement is one).
inline constexpr int64_t kMaxSteps = int64_t{1} << 24;
// Bytes of strings and lists built in one render (bounds quadratic
// concatenation).
inline constexpr int64_t kMaxBuiltBytes = int64_t{4} << 30;
// Items of one list a template builds (range(), repetition).
inline constexpr size_t kMaxListItems = size_t{1} << 20;
// jinja2's sandbox caps range() at this many items.
inline constexpr int64_t kMaxRange = 100000;

}  // namespace lfm::jinja

#endif  // LFM_TEXT_JINJA_LIMITS_H
