// Template errors: each is a status that names the origin and line:column,
// never a crash; hostile templates stop at the render limits.
#include <chrono>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "lfm/ChatTemplate.h"

namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using Json = nlohmann::ordered_json;

constexpr std::string_view kOrigin = "tokenizer_config.json: chat_template";

absl::Status parseError(std::string_view source) {
  absl::StatusOr<lfm::ChatTemplate> parsed = lfm::ChatTemplate::create(source, kOrigin);
  return parsed.ok() ? absl::OkStatus() : parsed.status();
}

absl::Status renderError(std::string_view source, const Json &context = Json::object()) {
  absl::StatusOr<lfm::ChatTemplate> parsed = lfm::ChatTemplate::create(source, kOrigin);
  if (!parsed.ok()) return parsed.status();
  absl::StatusOr<std::string> out = parsed->render(context);
  return out.ok() ? absl::OkStatus() : out.status();
}

std::string message(const absl::Status &status) { return std::string(status.message()); }

TEST(JinjaErrors, UnknownTagNamesOriginLineAndColumn) {
  absl::Status st = parseError("hello\n  {% foo %}");
  EXPECT_TRUE(absl::IsInvalidArgument(st)) << st;
  EXPECT_EQ(message(st), "tokenizer_config.json: chat_template:2:6: unknown tag 'foo'");
  EXPECT_THAT(message(parseError("{% include 'x.jinja' %}")),
              HasSubstr(":1:4: tag 'include' is not supported"));
  EXPECT_THAT(message(parseError("{% if x %}{% endfor %}{% endif %}")),
              HasSubstr(":1:14: unknown tag 'endfor', expected 'elif' or 'else' or 'endif' (the "
                        "innermost open block is 'if')"));
  EXPECT_THAT(message(parseError("{% endif %}")), HasSubstr("unknown tag 'endif'"));
}

TEST(JinjaErrors, UnclosedBlocks) {
  EXPECT_THAT(message(parseError("{% if true %}x")),
              HasSubstr("unexpected end of template, expected 'elif' or 'else' or 'endif'"));
  EXPECT_THAT(
      message(parseError("{% for x in y %}\n{% if x %}\n{% endfor %}")),
      HasSubstr(
          "unexpected tag 'endfor' (a nesting mistake?), expected 'elif' or 'else' or 'endif'"));
  EXPECT_THAT(message(parseError("{% macro m() %}")), HasSubstr("expected 'endmacro'"));
  EXPECT_THAT(message(parseError("{{ x ")), HasSubstr("unexpected end of template"));
  EXPECT_THAT(message(parseError("{# never closed")),
              HasSubstr(":1:1: missing end of comment tag"));
  EXPECT_THAT(message(parseError("{% raw %}x")), HasSubstr("missing end of raw directive"));
}

TEST(JinjaErrors, SyntaxErrors) {
  EXPECT_THAT(message(parseError("{{ 1 + }}")),
              HasSubstr(":1:8: unexpected end of print statement"));
  EXPECT_THAT(message(parseError("{{ (1 }}")), HasSubstr("unexpected '}'"));
  EXPECT_THAT(message(parseError("{{ 'unterminated }}")), HasSubstr("unexpected char '''"));
  EXPECT_THAT(message(parseError("{{ a $ b }}")), HasSubstr("unexpected char '$'"));
  EXPECT_THAT(message(parseError("{% set 1 = 2 %}")), HasSubstr("can't assign"));
  EXPECT_THAT(message(parseError("{% break %}")), HasSubstr("'break' outside of a loop"));
  EXPECT_THAT(message(parseError("{% for x in y recursive %}{% endfor %}")),
              HasSubstr("recursive loops are not supported"));
  EXPECT_THAT(message(parseError("{% macro m(a=1, b) %}{% endmacro %}")),
              HasSubstr("non-default argument follows default"));
  EXPECT_THAT(message(parseError("{{ 99999999999999999999 }}")), HasSubstr("too large"));
}

TEST(JinjaErrors, UnknownFilterAndTestAtParse) {
  EXPECT_EQ(message(parseError("{{ 'a' | nofilter }}")),
            "tokenizer_config.json: chat_template:1:10: no filter named 'nofilter'");
  EXPECT_THAT(message(parseError("{{ 1 is nosuchtest }}")),
              HasSubstr("no test named 'nosuchtest'"));
  EXPECT_THAT(message(parseError(
                  "{% if true %}{% for i in [1] %}{{ i | nofilter }}{% endfor %}{% endif %}")),
              HasSubstr("no filter named 'nofilter'"));
  EXPECT_THAT(message(parseError("{% for i in [1] if i | nofilter %}{% endfor %}")),
              HasSubstr("no filter named 'nofilter'"));
  EXPECT_THAT(message(parseError("{% macro m() %}{{ 1 | nofilter }}{% endmacro %}")),
              HasSubstr("no filter named 'nofilter'"));
}

TEST(JinjaErrors, UnknownFilterInIfFailsOnlyWhenReached) {
  // As jinja2 compiles {% if %} branches and inline ifs: templates guard
  // filters that only some runtimes have (`args | from_json`).
  EXPECT_TRUE(renderError("{% if false %}{{ x | nofilter }}{% endif %}").ok());
  EXPECT_TRUE(
      renderError("{{ 1 | nofilter if false else 2 }}{% set y = 1 | nofilter if false %}").ok());
  EXPECT_THAT(message(renderError("{% if true %}{{ 1 | nofilter }}{% endif %}")),
              HasSubstr(":1:21: no filter named 'nofilter'"));
  EXPECT_THAT(message(renderError("{% if x is nosuchtest %}a{% endif %}")),
              HasSubstr("no test named 'nosuchtest'"));
  EXPECT_THAT(message(renderError("{{ [1] | map('nofilter') | list }}")),
              HasSubstr("no filter named 'nofilter'"));
}

TEST(JinjaErrors, UndefinedUse) {
  EXPECT_THAT(message(renderError("{{ foo() }}")), HasSubstr(":1:4: 'foo' is undefined"));
  EXPECT_THAT(message(renderError("\n{{ foo.bar }}")), HasSubstr(":2:"));
  EXPECT_THAT(message(renderError("{{ foo.bar }}")), HasSubstr("'foo' is undefined"));
  EXPECT_THAT(message(renderError("{{ d.a.b }}", Json{{"d", Json::object()}})),
              HasSubstr("'dict object' has no attribute 'a'"));
  EXPECT_THAT(message(renderError("{{ messages[0]['role'] }}", Json{{"messages", Json::array()}})),
              HasSubstr("list object has no element 0"));
  EXPECT_THAT(message(renderError("{{ x + 1 }}")), HasSubstr("'x' is undefined"));
  EXPECT_THAT(message(renderError("{{ x | tojson }}")),
              HasSubstr("Object of type Undefined is not JSON serializable"));
  EXPECT_THAT(message(renderError("{{ x < 1 }}")), HasSubstr("'x' is undefined"));
}

TEST(JinjaErrors, TypeErrors) {
  EXPECT_THAT(message(renderError("{{ 'a' + 1 }}")),
              HasSubstr("can only concatenate str (not \"int\") to str"));
  EXPECT_THAT(message(renderError("{{ 1 < 'a' }}")),
              HasSubstr("'<' not supported between instances of 'int' and 'str'"));
  EXPECT_THAT(message(renderError("{{ 1 / 0 }}")), HasSubstr("division by zero"));
  EXPECT_THAT(message(renderError("{{ 'abc'() }}")), HasSubstr("'str' object is not callable"));
  EXPECT_THAT(message(renderError("{% for m in 5 %}{% endfor %}")),
              HasSubstr("'int' object is not iterable"));
  EXPECT_THAT(message(renderError("{% for a, b in [[1, 2], [3]] %}{% endfor %}")),
              HasSubstr("not enough values to unpack (expected 2, got 1)"));
  EXPECT_THAT(message(renderError("{{ 'abc'.nomethod() }}")),
              HasSubstr("'str object' has no attribute 'nomethod'"));
  EXPECT_THAT(message(renderError("{{ 'a'.split('') }}")), HasSubstr("empty separator"));
  EXPECT_THAT(message(renderError("{{ [1][::0] }}")), HasSubstr("slice step cannot be zero"));
  EXPECT_THAT(message(renderError("{{ {[1]: 2} }}")), HasSubstr("unhashable type: 'list'"));
  EXPECT_THAT(message(renderError("{{ 9223372036854775807 + 1 }}")), HasSubstr("integer overflow"));
}

TEST(JinjaErrors, SandboxRefusals) {
  EXPECT_THAT(message(renderError("{% set l = [1] %}{{ l.append(2) }}")),
              HasSubstr("access to attribute 'append' of 'list' object is unsafe"));
  EXPECT_THAT(message(renderError("{% set d = {} %}{{ d.update({'a': 1}) }}")),
              HasSubstr("unsafe"));
  EXPECT_THAT(message(renderError("{% set ns = namespace() %}{% set ns._x = 1 %}")),
              HasSubstr("underscore-prefixed"));
  EXPECT_THAT(message(renderError("{% set x = 1 %}{% set x.y = 2 %}")),
              HasSubstr("cannot assign attribute on non-namespace"));
  EXPECT_THAT(message(parseError("{% do x %}")), HasSubstr("unknown tag 'do'"));
}

TEST(JinjaErrors, MacroCalls) {
  EXPECT_THAT(message(renderError("{% macro f(a) %}{{ a }}{% endmacro %}{{ f(1, c=2) }}")),
              HasSubstr("macro 'f' takes no keyword argument 'c'"));
  EXPECT_THAT(message(renderError("{% macro f(a) %}{{ a }}{% endmacro %}{{ f(1, 2) }}")),
              HasSubstr("macro 'f' takes not more than 1 argument(s)"));
}

TEST(JinjaErrors, RaiseException) {
  absl::Status st = renderError(
      "{%- if messages[0].role != 'user' -%}\n  {{ raise_exception('Conversations must start with "
      "a user turn') }}\n{%- endif %}",
      Json{{"messages", {{{"role", "assistant"}}}}});
  EXPECT_TRUE(absl::IsInvalidArgument(st)) << st;
  EXPECT_EQ(message(st),
            "tokenizer_config.json: chat_template:2:6: raise_exception: Conversations must start "
            "with a user turn");
}

TEST(JinjaErrors, DeepRecursionFailsCleanly) {
  absl::Status st = renderError("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}");
  EXPECT_TRUE(absl::IsResourceExhausted(st)) << st;
  EXPECT_THAT(message(st), HasSubstr("macro calls nested deeper than"));
  // Nesting too deep to parse.
  std::string nested = "{{ " + std::string(500, '(') + "1" + std::string(500, ')') + " }}";
  EXPECT_THAT(message(parseError(nested)), HasSubstr("nested deeper than"));
  std::string nots = "{{ " + [] {
    std::string s;
    for (int i = 0; i < 500; ++i) s += "not ";
    return s;
  }() + "1 }}";
  EXPECT_THAT(message(parseError(nots)), HasSubstr("nested deeper than"));
  std::string blocks;
  for (int i = 0; i < 500; ++i) blocks += "{% if true %}";
  EXPECT_THAT(message(parseError(blocks)), HasSubstr("nested deeper than"));
  // Values nested through a namespace in a loop.
  EXPECT_THAT(message(renderError("{% set ns = namespace(v=[]) %}{% for i in range(1000) %}{% set "
                                  "ns.v = [ns.v] %}{% endfor %}")),
              HasSubstr("value nested deeper than"));
}

TEST(JinjaErrors, RunawayOutputFailsCleanly) {
  auto start = std::chrono::steady_clock::now();
  absl::Status st = renderError(
      "{% for i in range(100000) %}{% for j in range(100000) %}{{ 'x' * 1000 }}{% endfor %}{% "
      "endfor %}");
  EXPECT_TRUE(absl::IsResourceExhausted(st)) << st;
  EXPECT_THAT(message(st), HasSubstr("output longer than"));
  EXPECT_THAT(message(renderError("{{ 'x' * 100000000 }}")), HasSubstr("longer than the limit"));
  EXPECT_THAT(message(renderError("{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set "
                                  "ns.s = ns.s ~ ns.s %}{% endfor %}")),
              HasSubstr("string longer than"));
  EXPECT_THAT(message(renderError("{% set ns = namespace(l=[1]) %}{% for i in range(40) %}{% set "
                                  "ns.l = ns.l + ns.l %}{% endfor %}")),
              HasSubstr("longer than the limit"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(60));
}

TEST(JinjaErrors, RunawayWorkFailsCleanly) {
  auto start = std::chrono::steady_clock::now();
  absl::Status loops = renderError(
      "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}");
  EXPECT_TRUE(absl::IsResourceExhausted(loops)) << loops;
  EXPECT_THAT(message(loops), HasSubstr("loop iterations"));
  // Exponential macro calls with no loop: the step budget stops them.
  absl::Status steps = renderError(
      "{% macro f(n) %}{% if n > 0 %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(40) "
      "}}");
  EXPECT_TRUE(absl::IsResourceExhausted(steps)) << steps;
  EXPECT_THAT(message(steps), HasSubstr("steps"));
  EXPECT_THAT(message(renderError("{{ range(1000000) | list }}")), HasSubstr("range too big"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(60));
}

TEST(JinjaErrors, BadContext) {
  absl::StatusOr<lfm::ChatTemplate> parsed = lfm::ChatTemplate::create("x", kOrigin);
  ASSERT_TRUE(parsed.ok());
  EXPECT_THAT(message(parsed->render(nlohmann::json::array()).status()),
              HasSubstr("must be a JSON object"));
  Json deep = Json::array();
  for (int i = 0; i < 1000; ++i) deep = Json::array({deep});
  EXPECT_THAT(message(parsed->render(Json{{"x", deep}}).status()), HasSubstr("nested deeper than"));
  EXPECT_THAT(message(parsed->render(Json{{"x", 18446744073709551615ull}}).status()),
              HasSubstr("out of range"));
}

TEST(JinjaErrors, HostileSourcesNeverCrash) {
  // Truncations and mutations of a real template: every one parses or fails
  // with a located error.
  const std::string source =
      "{%- for m in messages -%}{{- '<|im_start|>' + m['role'] + '\\n' -}}{%- if m.content is "
      "string -%}"
      "{{ m.content | trim }}{%- else -%}{{ m.content | tojson(indent=2) }}{%- endif -%}{%- endfor "
      "-%}";
  Json context = {{"messages", {{{"role", "user"}, {"content", "hi"}}}}};
  for (size_t cut = 0; cut <= source.size(); ++cut) {
    for (const std::string &variant :
         {source.substr(0, cut), source.substr(cut), source.substr(0, cut) + "}}%}#}"}) {
      absl::StatusOr<lfm::ChatTemplate> parsed = lfm::ChatTemplate::create(variant, kOrigin);
      if (!parsed.ok()) {
        EXPECT_THAT(message(parsed.status()), StartsWith(std::string(kOrigin) + ":")) << variant;
        continue;
      }
      absl::StatusOr<std::string> out = parsed->render(context);
      if (!out.ok())
        EXPECT_THAT(message(out.status()), StartsWith(std::string(kOrigin) + ":")) << variant;
    }
  }
}

}  // namespace
