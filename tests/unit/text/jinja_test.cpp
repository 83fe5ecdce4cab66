// The Jinja that chat templates use, feature by feature, against what
// jinja2 3.1 renders with transformers' environment (trim_blocks,
// lstrip_blocks, loopcontrols, its tojson). Errors and limits are in
// jinja_errors_test.cpp, the goldens in chat_template_golden_test.cpp.
#include <string>

#include <gtest/gtest.h>

#include "lfm/ChatTemplate.h"

namespace {

using Json = nlohmann::ordered_json;

// The render's text, or "ERROR: message".
std::string render(std::string_view source, const Json &context = Json::object()) {
  absl::StatusOr<lfm::ChatTemplate> parsed = lfm::ChatTemplate::create(source, "t");
  if (!parsed.ok()) return "ERROR: " + std::string(parsed.status().message());
  absl::StatusOr<std::string> out = parsed->render(context);
  if (!out.ok()) return "ERROR: " + std::string(out.status().message());
  return *out;
}

TEST(Jinja, TextAndExpressions) {
  EXPECT_EQ(render("Hello {{ name }}!", Json{{"name", "world"}}), "Hello world!");
  EXPECT_EQ(render("{{ 'a' }}{{ \"b\" }}{{ 'c' \"d\" }}"), "abcd");
  EXPECT_EQ(render("{{ 1, 'x' }}"), "(1, 'x')");
  EXPECT_EQ(render("{% print 1, 2 %}"), "12");
}

TEST(Jinja, PythonPrinting) {
  EXPECT_EQ(render("{{ none }}|{{ None }}|{{ true }}|{{ False }}"), "None|None|True|False");
  EXPECT_EQ(render("{{ [1, 'a', none, true, 1.0] }}"), "[1, 'a', None, True, 1.0]");
  EXPECT_EQ(render("{{ {'a': 1, 'b': [2, 'x']} }}"), "{'a': 1, 'b': [2, 'x']}");
  EXPECT_EQ(render("{{ (1,) }}{{ () }}{{ (1, 2) }}"), "(1,)()(1, 2)");
  EXPECT_EQ(render("{{ [\"it's\", 'a\"b', \"x'y\\\"z\"] }}"), "[\"it's\", 'a\"b', 'x\\'y\"z']");
  EXPECT_EQ(render("{{ ['\\n\\t\\x01\\xa0é😀'] }}"), "['\\n\\t\\x01\\xa0é😀']");
  EXPECT_EQ(render("{{ d }}", Json{{"d", {{"z", 1}, {"a", nullptr}}}}), "{'z': 1, 'a': None}");
}

TEST(Jinja, FloatsPrintAsPythonRepr) {
  EXPECT_EQ(
      render("{{ 1.0 }} {{ 0.1 + 0.2 }} {{ 1e16 }} {{ 1e15 }} {{ 1e-4 }} {{ 1e-5 }} {{ -0.0 }}"),
      "1.0 0.30000000000000004 1e+16 1000000000000000.0 0.0001 1e-05 -0.0");
  EXPECT_EQ(render("{{ 123456789012345678.0 }} {{ 2.5e-300 * 1e-300 }} {{ 10 / 4 }} {{ 4 / 2 }}"),
            "1.2345678901234568e+17 0.0 2.5 2.0");
  EXPECT_EQ(render("{{ x }}", Json{{"x", 3.0}}), "3.0");
}

TEST(Jinja, Literals) {
  EXPECT_EQ(render("{{ 'a\\tb\\u00e9\\x41\\101\\'\\\\' }}"), "a\tbéAA'\\");
  EXPECT_EQ(render("{{ 0x1F }} {{ 0o17 }} {{ 0b101 }} {{ 1_000 }} {{ 1.5e3 }} {{ 2E-3 }}"),
            "31 15 5 1000 1500.0 0.002");
  EXPECT_EQ(render("{{ [1, [2, (3,)], {'k': {}}] }}"), "[1, [2, (3,)], {'k': {}}]");
  EXPECT_EQ(render("{{ [1, 2,] }}{{ {'a': 1,} }}"), "[1, 2]{'a': 1}");
}

TEST(Jinja, TrimBlocksAndLstripBlocks) {
  EXPECT_EQ(render("  {% if true %}\n  x\n  {% endif %}\n"), "  x\n");
  EXPECT_EQ(render("a\n  {% if true %}b{% endif %}\nc"), "a\nbc");
  EXPECT_EQ(render("{{ 'a' }}\n{{ 'b' }}\n"),
            "a\nb");  // no trim after }}; one trailing newline goes
  EXPECT_EQ(render("x  {% if true %}y{% endif %}"), "x  y");  // not at a line start
  EXPECT_EQ(render("line\n    {%+ if true %}kept{% endif %}\n"), "line\n    kept");
  EXPECT_EQ(render("{% if true +%}\nx{% endif %}"), "\nx");
}

TEST(Jinja, WhitespaceControl) {
  EXPECT_EQ(render("a\n  {%- if true %} b {% endif -%}  \n c\n"), "a b c");
  EXPECT_EQ(render("{{ 1 }}  {{- ' ' -}}  {{ 2 }}"), "1 2");
  EXPECT_EQ(render("{%- set x = 'a' -%}\n\n   {{- x -}}   \n\n"), "a");
  EXPECT_EQ(render("\r\nA\r\n{% if true %}\r\nB\r\n{% endif %}\r\n"), "\nA\nB\n");
}

TEST(Jinja, CommentsAndRaw) {
  EXPECT_EQ(render("{# comment #}\nx{#- c -#}  y\n  {# c2 #}\nz"), "xy\nz");
  EXPECT_EQ(render("{% raw %}{{ x }}{% endraw %}|{%- raw -%}  {% y %}  {%- endraw %}"),
            "{{ x }}|{% y %}");
}

TEST(Jinja, SetAndScopes) {
  EXPECT_EQ(render("{% set x = 1 %}{% if true %}{% set x = 2 %}{% endif %}{{ x }}"), "2");
  // A loop body's set does not leave the iteration (use a namespace).
  EXPECT_EQ(
      render(
          "{% set x = 1 %}{% for i in [1, 2, 3] %}{% set x = x + i %}{{ x }},{% endfor %}|{{ x }}"),
      "2,3,4,|1");
  EXPECT_EQ(
      render("{% for i in [1, 2] %}{% if i > 1 %}[{{ y }}]{% endif %}{% set y = i %}{% endfor %}"),
      "[]");
  EXPECT_EQ(render("{% set a, b = [1, 2] %}{{ a }}{{ b }}{% set c, d = 'xy' %}{{ d }}{{ c }}"),
            "12yx");
  EXPECT_EQ(render("{% set x %}block {{ 1 + 1 }}{% endset %}[{{ x }}]"), "[block 2]");
  EXPECT_EQ(render("{% set x | upper %}shout{% endset %}{{ x }}"), "SHOUT");
  EXPECT_EQ(render("{% set messages = messages[1:] %}{{ messages | length }}",
                   Json{{"messages", {1, 2, 3}}}),
            "2");
}

TEST(Jinja, Namespace) {
  EXPECT_EQ(
      render("{% set ns = namespace(a=1, s='') %}{% for i in [1, 2] %}{% set ns.a = ns.a + i %}"
             "{% set ns.s = ns.s ~ i %}{% endfor %}{{ ns.a }} {{ ns.s }} {{ ns }}"),
      "4 12 <Namespace {'a': 4, 's': '12'}>");
  EXPECT_EQ(
      render(
          "{% set ns = namespace({'k': 'v'}) %}{{ ns.k }}{{ ns['k'] }}{{ ns.missing is defined }}"),
      "vvFalse");
  EXPECT_EQ(render("{% set ns = namespace() %}{% set ns.self = ns %}{{ ns }}"),
            "<Namespace {'self': <Namespace {...}>}>");
}

TEST(Jinja, ForLoops) {
  EXPECT_EQ(render("{% for x in [1, 2, 3] %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ "
                   "loop.revindex0 }}"
                   "{{ loop.first }}{{ loop.last }}{{ loop.length }};{% endfor %}"),
            "1032TrueFalse3;2121FalseFalse3;3210FalseTrue3;");
  EXPECT_EQ(render("{% for x in 'abc' %}{{ loop.previtem }}-{{ loop.nextitem }}{{ loop.cycle('+', "
                   "'*') }}{% endfor %}"),
            "-b+a-c*b-+");
  EXPECT_EQ(render("{% for x in [1, 2, 3, 4] if x is even %}{{ x }}/{{ loop.length }}{% endfor %}"),
            "2/24/2");
  EXPECT_EQ(render("{% for x in [] %}a{% else %}empty{% endfor %}"), "empty");
  EXPECT_EQ(render("{% for x in [1] if x > 5 %}a{% else %}none{% endfor %}"), "none");
  EXPECT_EQ(render("{% for k, v in {'b': 1, 'a': 2}.items() %}{{ k }}={{ v }};{% endfor %}"),
            "b=1;a=2;");
  EXPECT_EQ(render("{% for k in {'b': 1, 'a': 2} %}{{ k }}{% endfor %}{% for c in 'hé' %}[{{ c "
                   "}}]{% endfor %}"),
            "ba[h][é]");
  EXPECT_EQ(render("{% for x in [1, 2] %}{% for y in [3] %}{{ loop.index }}{{ x }}{% endfor %}{{ "
                   "loop.index }}{% endfor %}"),
            "111122");
  EXPECT_EQ(render("{% for x in undefined_list %}a{% endfor %}done"), "done");
  EXPECT_EQ(render("{% for x in range(5) %}{% if x == 1 %}{% continue %}{% endif %}{{ x }}"
                   "{% if x == 3 %}{% break %}{% endif %}{% endfor %}"),
            "023");
  EXPECT_EQ(
      render("{% for m in messages[::-1] %}{{ m }}{% endfor %}", Json{{"messages", {1, 2, 3}}}),
      "321");
  EXPECT_EQ(render("{% for x in [1] %}{{ loop.changed(x) }}{{ loop.changed(x) }}{{ loop.depth }}{% "
                   "endfor %}"),
            "TrueFalse1");
}

TEST(Jinja, IfElifElse) {
  const char *source =
      "{% if x == 1 %}one{% elif x == 2 %}two{% elif x %}many{% else %}none{% endif %}";
  EXPECT_EQ(render(source, Json{{"x", 1}}), "one");
  EXPECT_EQ(render(source, Json{{"x", 2}}), "two");
  EXPECT_EQ(render(source, Json{{"x", 7}}), "many");
  EXPECT_EQ(render(source, Json{{"x", 0}}), "none");
  EXPECT_EQ(render(source), "none");
}

TEST(Jinja, Macros) {
  EXPECT_EQ(render("{% macro f(a, b=2, c=a) %}{{ a }}-{{ b }}-{{ c }}{% endmacro %}{{ f(1) }}|{{ "
                   "f(1, c=5) }}|{{ f(b=3, a=4) }}"),
            "1-2-1|1-2-5|4-3-4");
  EXPECT_EQ(render("{% macro f(a) %}{{ a }}/{{ varargs }}/{{ kwargs }}{% endmacro %}{{ f(1, 2, 3, "
                   "k='v') }}|{{ f() }}"),
            "1/(2, 3)/{'k': 'v'}|/()/{}");
  EXPECT_EQ(
      render(
          "{% macro m(x) %}[{{ caller() }}{{ x }}]{% endmacro %}{% call m(1) %}inner{% endcall %}"),
      "[inner1]");
  EXPECT_EQ(render("{% macro m() %}{{ caller(2, 3) }}{% endmacro %}{% call(a, b) m() %}{{ a * b "
                   "}}{% endcall %}"),
            "6");
  // Macros see the variables of their scope at call time.
  EXPECT_EQ(render("{% macro m() %}{{ x }}{% endmacro %}{% set x = 5 %}{{ m() }}"), "5");
  EXPECT_EQ(render("{% macro fact(n) %}{{ 1 if n <= 1 else n * fact(n - 1) | int }}{% endmacro "
                   "%}{{ fact(5) }}"),
            "120");
  EXPECT_EQ(render("{% macro m() %}x{% endmacro %}{{ m }}{{ m is callable }}"), "<Macro 'm'>True");
}

TEST(Jinja, FilterWithAndScopeBlocks) {
  EXPECT_EQ(render("{% filter upper %}hello {{ 'x' }}{% endfilter %}"), "HELLO X");
  EXPECT_EQ(render("{% filter replace('a', 'o') | title %}banana{% endfilter %}"), "Bonono");
  EXPECT_EQ(render("{% with a = 1, b = 2 %}{{ a + b }}{% endwith %}[{{ a }}]"), "3[]");
  EXPECT_EQ(render("{% generation %}{% set hidden = 1 %}text{% endgeneration %}[{{ hidden }}]"),
            "text[]");
  EXPECT_EQ(render("{% block body %}in block{% endblock %}"), "in block");
}

TEST(Jinja, Arithmetic) {
  EXPECT_EQ(render("{{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 7 % -3 }} {{ 2 ** 10 }} {{ 2 ** -1 "
                   "}} {{ -2 ** 2 }}"),
            "3 -4 2 -2 1024 0.5 4");
  EXPECT_EQ(render("{{ 5.5 % 2 }} {{ -5.5 // 2 }} {{ 1 + 2 * 3 - 4 / 2 }} {{ true + 1 }}"),
            "1.5 -3.0 5.0 2");
  EXPECT_EQ(render("{{ 'ab' * 3 }}{{ [1] * 2 }}{{ 2 * 'x' }}{{ 'a' * -1 }}"), "ababab[1, 1]xx");
  EXPECT_EQ(render("{{ 'a' + 'b' }}{{ [1] + [2] }}{{ (1,) + (2,) }}"), "ab[1, 2](1, 2)");
  EXPECT_EQ(render("{{ 'x' ~ (1 + 2) }}{{ 'ab' ~ 1 ~ none ~ undefined_name }}"), "x3ab1None");
  EXPECT_EQ(render("{{ '%s-%05.1f|%d%%' % ('a', 2.25, 7) }}{{ '%(k)s' % {'k': 'v'} }}"),
            "a-002.2|7%v");
}

TEST(Jinja, ComparisonsAndLogic) {
  EXPECT_EQ(render("{{ 1 == 1.0 }}{{ true == 1 }}{{ (1, 2) == [1, 2] }}{{ 'a' < 'b' }}{{ [1, 2] < "
                   "[1, 3] }}"),
            "TrueTrueFalseTrueTrue");
  EXPECT_EQ(render("{{ 1 < 2 < 3 }}{{ 3 > 2 > 2 }}{{ 'a' in 'cat' }}{{ 'b' not in 'abc' }}{{ 1 in "
                   "[1.0] }}{{ 'k' in {'k': 1} }}"),
            "TrueFalseTrueFalseTrueTrue");
  EXPECT_EQ(
      render("{{ true and 'x' }}|{{ 0 or [] }}|{{ none or 'y' }}|{{ not 'a' }}|{{ not not 1 }}"),
      "x|[]|y|False|True");
  EXPECT_EQ(
      render("{{ 'a' if false }}|{{ 1 if true else 2 }}|{{ 'x' if none else 'y' if 0 else 'z' }}"),
      "|1|z");
  EXPECT_EQ(render("{{ undefined_name == undefined_name }}{{ undefined_name == none }}{{ "
                   "undefined_name in [1] }}"),
            "TrueFalseFalse");
}

TEST(Jinja, AttributeItemAndSlices) {
  Json context = {{"message", {{"role", "user"}, {"content", "hello"}, {"items", "key"}}},
                  {"list", {1, 2, 3}}};
  EXPECT_EQ(
      render("{{ message.role }} {{ message['content'] }} {{ list[-1] }} {{ list.0 }}", context),
      "user hello 3 1");
  EXPECT_EQ(render("{{ message['items'] }}", context), "key");  // the key wins for [...]
  EXPECT_EQ(render("{{ message.items() | list }}", context),
            "[('role', 'user'), ('content', 'hello'), ('items', 'key')]");  // the method for .name
  EXPECT_EQ(render("{{ list[1:] }}{{ list[::-1] }}{{ list[:-1] }}{{ 'abcdef'[1:5:2] }}{{ "
                   "'héllo'[1] }}{{ 'ab'[5:] }}",
                   context),
            "[2, 3][3, 2, 1][1, 2]bdé");
  EXPECT_EQ(
      render("{{ message.missing }}|{{ message.missing is defined }}|{{ list[7] is defined }}",
             context),
      "|False|False");
  EXPECT_EQ(render("{{ none.attr is defined }}{{ 5['x'] is defined }}"), "FalseFalse");
}

TEST(Jinja, StringMethods) {
  EXPECT_EQ(render("{{ ' a b '.split() }}{{ 'a,b,,c'.split(',') }}{{ 'a b c'.split(' ', 1) }}{{ 'a "
                   "b c'.rsplit(' ', 1) }}"),
            "['a', 'b']['a', 'b', '', 'c']['a', 'b c']['a b', 'c']");
  EXPECT_EQ(render("[{{ '  x '.strip() }}][{{ '  x '.lstrip() }}][{{ '  x '.rstrip() }}][{{ "
                   "'xxaxx'.strip('x') }}]"),
            "[x][x ][  x][a]");
  EXPECT_EQ(render("{{ 'abc'.startswith('ab') }}{{ 'abc'.endswith(('c', 'd')) }}{{ "
                   "'abc'.startswith('b', 1) }}"),
            "TrueTrueTrue");
  EXPECT_EQ(render("{{ 'Hello'.upper() }}{{ 'ÀB'.lower() }}{{ 'straße'.upper() }}{{ 'a "
                   "b'.replace(' ', '_') }}"),
            "HELLOàbSTRASSEa_b");
  EXPECT_EQ(
      render("{{ \"they're bill's\".title() }}|{{ 'hELLO'.capitalize() }}|{{ 'a1b'.title() }}"),
      "They'Re Bill'S|Hello|A1B");
  EXPECT_EQ(
      render(
          "{{ '{} and {x}'.format(1, x=2) }}|{{ '{0}{0}'.format('a') }}|{{ "
          "'{:>4}|{:<3}|{:^5}|{:05d}|{:.2f}|{:,}'.format('a', 'b', 'c', 42, 3.14159, 1234567) }}"),
      "1 and 2|aa|   a|b  |  c  |00042|3.14|1,234,567");
  EXPECT_EQ(render("{{ 'abcabc'.find('c') }}{{ 'abcabc'.rfind('c') }}{{ 'x'.find('y') }}{{ "
                   "'aaa'.count('a') }}{{ 'éa'.find('a') }}"),
            "25-131");
  EXPECT_EQ(
      render(
          "{{ '-'.join(['a', 'b']) }}{{ 'a\\nb\\r\\nc'.splitlines() }}{{ 'a,b'.partition(',') }}"),
      "a-b['a', 'b', 'c']('a', ',', 'b')");
  EXPECT_EQ(render("{{ 'abc'.removeprefix('a') }}{{ 'abc'.removesuffix('c') }}{{ '42'.isdigit() "
                   "}}{{ 'ab'.isalpha() }}{{ 'AB'.isupper() }}"),
            "bcabTrueTrueTrue");
}

TEST(Jinja, DictMethods) {
  Json context = {{"d", {{"b", 1}, {"a", 2}}}};
  EXPECT_EQ(render("{{ d.items() }} {{ d.keys() }} {{ d.values() }}", context),
            "dict_items([('b', 1), ('a', 2)]) dict_keys(['b', 'a']) dict_values([1, 2])");
  EXPECT_EQ(render("{{ d.get('a') }} {{ d.get('z') }} {{ d.get('z', 'dflt') }}", context),
            "2 None dflt");
  EXPECT_EQ(render("{{ dict(a=1, b='x') }} {{ dict([('k', 1)]) }} {{ dict(d, c=3) }}", context),
            "{'a': 1, 'b': 'x'} {'k': 1} {'b': 1, 'a': 2, 'c': 3}");
}

TEST(Jinja, Tests) {
  EXPECT_EQ(render("{{ 'a' is string }}{{ 1 is string }}{{ x is defined }}{{ x is undefined }}{{ "
                   "none is none }}{{ 1 is not none }}"),
            "TrueFalseFalseTrueTrueTrue");
  EXPECT_EQ(render("{{ {} is mapping }}{{ [] is mapping }}{{ [] is iterable }}{{ 'a' is iterable "
                   "}}{{ 1 is iterable }}{{ x is iterable }}"),
            "TrueFalseTrueTrueFalseTrue");
  EXPECT_EQ(render("{{ 1 is number }}{{ 1.5 is number }}{{ true is number }}{{ '1' is number }}{{ "
                   "true is integer }}{{ 1 is integer }}{{ 1.0 is float }}"),
            "TrueTrueTrueFalseFalseTrueTrue");
  EXPECT_EQ(
      render("{{ [] is sequence }}{{ {} is sequence }}{{ 'a' is sequence }}{{ 1 is sequence }}"),
      "TrueTrueTrueFalse");
  EXPECT_EQ(render("{{ true is boolean }}{{ 1 is boolean }}{{ true is true }}{{ 1 is true }}{{ "
                   "false is false }}{{ 0 is false }}"),
            "TrueFalseTrueFalseTrueFalse");
  EXPECT_EQ(render("{{ 3 is divisibleby 3 }}{{ 4 is odd }}{{ 4 is even }}{{ 'ab' is lower }}{{ "
                   "'AB' is upper }}{{ 2 is in [1, 2] }}"),
            "TrueFalseTrueTrueTrueTrue");
  EXPECT_EQ(render("{{ 1 is eq 1 }}{{ 1 is ne 1 }}{{ 1 is lt 2 }}{{ 2 is ge 3 }}{{ none is sameas "
                   "none }}{{ 'upper' is filter }}{{ 'odd' is test }}"),
            "TrueFalseTrueFalseTrueTrueTrue");
}

TEST(Jinja, StringFilters) {
  EXPECT_EQ(render("[{{ '  a b  ' | trim }}][{{ 'xxaxx' | trim('x') }}][{{ 5 | trim }}][{{ "
                   "undefined_name | trim }}]"),
            "[a b][a][5][]");
  EXPECT_EQ(render("{{ 'hello world' | upper }} {{ 'ABC' | lower }} {{ 'hELLO wORLD' | capitalize "
                   "}} {{ 'a-b c(d' | title }}"),
            "HELLO WORLD abc Hello world A-B C(D");
  EXPECT_EQ(
      render(
          "{{ 'aaa' | replace('a', 'b') }}{{ 'aaa' | replace('a', 'b', 2) }}{{ 'abc' | reverse }}"),
      "bbbbbacba");
  EXPECT_EQ(render("{{ 'a\\nb' | indent(2) }}|{{ 'a\\nb' | indent(2, true) }}|{{ 'a\\n\\nb\\n' | "
                   "indent(2) }}|{{ 'a\\n\\nb' | indent('> ', blank=true) }}"),
            "a\n  b|  a\n  b|a\n\n  b\n|a\n> \n> b");
  EXPECT_EQ(render("{{ '<a href=\"x\">&\\'</a>' | e }}"),
            "&lt;a href=&#34;x&#34;&gt;&amp;&#39;&lt;/a&gt;");
  EXPECT_EQ(render("{{ [1, 'a'] | string }}{{ none | string }}{{ 3 | safe }}"), "[1, 'a']None3");
  EXPECT_EQ(render("{{ '%s-%d' | format('a', 3) }} {{ '%(x)s' | format(x='y') }}"), "a-3 y");
  EXPECT_EQ(render("{{ 'hello world foo' | truncate(9) }}|{{ 'hello' | center(9) }}|{{ 'a b c' | "
                   "wordcount }}"),
            "hello...|  hello  |3");
}

TEST(Jinja, DefaultFilter) {
  EXPECT_EQ(render("{{ x | default('d') }}|{{ '' | default('d') }}|{{ '' | default('d', true) "
                   "}}|{{ none | default('d') }}|{{ x | d('e') }}"),
            "d||d|None|e");
  EXPECT_EQ(render("{% set k = keep | default(false) %}{{ k }}"), "False");
  EXPECT_EQ(render("{% set k = keep | default(false) %}{{ k }}", Json{{"keep", true}}), "True");
}

TEST(Jinja, SequenceFilters) {
  EXPECT_EQ(render("{{ 'abc' | length }}{{ {'a': 1} | length }}{{ x | length }}{{ [1, 2] | count "
                   "}}{{ 'héllo' | length }}"),
            "31025");
  EXPECT_EQ(render("{{ [1, 2] | join(', ') }}|{{ [1, 2] | join }}|{{ [{'n': 'a'}, {'n': 'b'}] | "
                   "join('/', attribute='n') }}"),
            "1, 2|12|a/b");
  EXPECT_EQ(render("{{ 'abc' | first }}{{ [1, 2] | last }}[{{ [] | first }}]{{ 'abc' | list }}{{ "
                   "{'a': 1} | list }}"),
            "a2[]['a', 'b', 'c']['a']");
  EXPECT_EQ(render("{{ [3, 1, 2] | sort }}{{ [3, 1, 2] | sort(reverse=true) }}{{ ['b', 'A', 'c'] | "
                   "sort }}{{ ['b', 'A', 'c'] | sort(case_sensitive=true) }}"),
            "[1, 2, 3][3, 2, 1]['A', 'b', 'c']['A', 'b', 'c']");
  EXPECT_EQ(render("{{ [{'a': 2, 'b': 1}, {'a': 1, 'b': 2}] | sort(attribute='a') | "
                   "map(attribute='b') | list }}"),
            "[2, 1]");
  EXPECT_EQ(render("{{ [1, 2, 3] | reverse | list }}{{ [1, 2, 2, 3, 1] | unique | list }}{{ ['a', "
                   "'A'] | unique | list }}"),
            "[3, 2, 1][1, 2, 3]['a']");
  EXPECT_EQ(render("{{ [1, 2, 3] | sum }}{{ [1, 2, 3] | max }}{{ ['b', 'a'] | min }}{{ [{'v': 2}, "
                   "{'v': 5}] | sum(attribute='v') }}"),
            "63a7");
  EXPECT_EQ(render("{{ [1, 2, 3, 4, 5] | batch(2) | list }}{{ [1, 2, 3] | batch(2, 0) | list }}{{ "
                   "[1, 2, 3, 4, 5] | slice(2) | list }}"),
            "[[1, 2], [3, 4], [5]][[1, 2], [3, 0]][[1, 2, 3], [4, 5]]");
  EXPECT_EQ(render("{{ {'b': 1, 'a': 2} | dictsort }}{{ {'b': 1, 'a': 2} | dictsort(by='value', "
                   "reverse=true) }}{{ {'b': 1} | items | list }}"),
            "[('a', 2), ('b', 1)][('a', 2), ('b', 1)][('b', 1)]");
}

TEST(Jinja, SelectAndMapFilters) {
  Json context = {{"messages",
                   {{{"role", "user"}, {"content", "a"}},
                    {{"role", "assistant"}, {"content", "b"}},
                    {{"role", "user"}, {"content", "c"}, {"meta", {{"n", 1}}}}}}};
  EXPECT_EQ(render("{{ messages | selectattr('role', 'equalto', 'user') | map(attribute='content') "
                   "| join }}",
                   context),
            "ac");
  EXPECT_EQ(
      render("{{ messages | rejectattr('role', 'eq', 'user') | map(attribute='content') | list }}",
             context),
      "['b']");
  EXPECT_EQ(render("{{ messages | selectattr('meta') | list | length }}{{ messages | "
                   "map(attribute='meta.n', default=0) | list }}",
                   context),
            "1[0, 0, 1]");
  EXPECT_EQ(render("{{ [1, 2, 3] | select('odd') | list }}{{ [1, 0, 2] | select | list }}{{ [1, 2, "
                   "3] | reject('odd') | list }}"),
            "[1, 3][1, 2][2]");
  EXPECT_EQ(
      render("{{ ['a', 'b'] | map('upper') | list }}{{ [1, 2] | map('string') | join('+') }}"),
      "['A', 'B']1+2");
}

TEST(Jinja, GeneratorFiltersAreOneShotIterators) {
  // jinja2's map/select/... return generators: always true, no len(), empty
  // once iterated.
  EXPECT_EQ(
      render("{% if [1, 3] | select('even') %}true{% endif %}|{{ [] | map('upper') is iterable }}"),
      "true|True");
  EXPECT_EQ(
      render("{% set g = [1, 2] | map('string') %}{{ g | join }}|{{ g | join }}|{{ g | list }}"),
      "12||[]");
  EXPECT_EQ(render("{{ [1] | select | length }}"),
            "ERROR: t:1:19: object of type 'generator' has no len()");
  EXPECT_EQ(render("{{ [1, 2] | reverse | list }}{{ [1] | select | tojson }}"),
            "ERROR: t:1:48: Object of type generator is not JSON serializable");
  EXPECT_EQ(render("{{ {'a': 1}.items() | length }}{{ [1, 2] | select | list | length }}"), "12");
}

TEST(Jinja, NumberFilters) {
  EXPECT_EQ(render("{{ '3' | int + 1 }} {{ 'x' | int }} {{ 'x' | int(7) }} {{ 3.9 | int }} {{ "
                   "'1e3' | int }} {{ '0x1A' | int(base=16) }}"),
            "4 0 7 3 1000 26");
  EXPECT_EQ(render("{{ '3.5' | float }} {{ 'abc' | float }} {{ 3 | float }} {{ -3 | abs }} {{ -2.5 "
                   "| abs }}"),
            "3.5 0.0 3.0 3 2.5");
  EXPECT_EQ(render("{{ 2.5 | round }} {{ 3.5 | round }} {{ 2.675 | round(2) }} {{ 1.23 | round(1, "
                   "'ceil') }} {{ 5 | round }}"),
            "2.0 4.0 2.67 1.3 5");
}

TEST(Jinja, ToJson) {
  EXPECT_EQ(render("{{ [1, 2.5, 'é\"\\n', none, true, {'a': [1, {}]}] | tojson }}"),
            "[1, 2.5, \"é\\\"\\n\", null, true, {\"a\": [1, {}]}]");
  EXPECT_EQ(render("{{ {'a': [1, {}], 'b': []} | tojson(indent=2) }}"),
            "{\n  \"a\": [\n    1,\n    {}\n  ],\n  \"b\": []\n}");
  EXPECT_EQ(render("{{ {'b': 1, 'a': 2} | tojson(sort_keys=true) }}{{ [1, {'k': 2}] | "
                   "tojson(separators=(',', ':')) }}"),
            "{\"a\": 2, \"b\": 1}[1,{\"k\":2}]");
  EXPECT_EQ(render("{{ {'a': [1]} | tojson(indent='\\t') }}"), "{\n\t\"a\": [\n\t\t1\n\t]\n}");
  EXPECT_EQ(
      render(
          "{{ 'é😀' | tojson }}{{ 'é😀' | tojson(ensure_ascii=true) }}{{ '\\x7f\\x1f' | tojson }}"),
      "\"é😀\"\"\\u00e9\\ud83d\\ude00\"\"\x7f\\u001f\"");
  EXPECT_EQ(render("{{ {1: 2, none: 3, true: 4} | tojson }}{{ [1.0, 1e16, 1e-5] | tojson }}"),
            "{\"1\": 4, \"null\": 3}[1.0, 1e+16, 1e-05]");
  // Key order is the context's (ordered_json), as Python's dicts keep it.
  EXPECT_EQ(render("{{ tool | tojson }}",
                   Json{{"tool", {{"name", "f"}, {"description", "d"}, {"a", 1}}}}),
            "{\"name\": \"f\", \"description\": \"d\", \"a\": 1}");
}

TEST(Jinja, Globals) {
  EXPECT_EQ(render("{{ range(3) | list }}{{ range(1, 5, 2) | list }}{{ range(3, 0, -1) | list }}"),
            "[0, 1, 2][1, 3][3, 2, 1]");
  EXPECT_EQ(render("{{ namespace(a=1).a }}{{ dict(a=1) }}"), "1{'a': 1}");
  std::string date = render("{{ strftime_now('%Y-%m-%d') }}");
  ASSERT_EQ(date.size(), 10u) << date;
  EXPECT_EQ(date[4], '-');
  EXPECT_EQ(render("{{ raise_exception('bad role') }}"), "ERROR: t:1:4: raise_exception: bad role");
}

TEST(Jinja, UndefinedSemantics) {
  EXPECT_EQ(render("[{{ x }}][{{ x | string }}][{{ x | list }}][{{ x ~ 'a' }}]{{ x is defined }}{{ "
                   "x | length }}"),
            "[][][[]][a]False0");
  EXPECT_EQ(render("{% if x %}y{% else %}n{% endif %}{% if not x %}!{% endif %}"), "n!");
  EXPECT_EQ(render("{{ d.missing }}|{{ (d.missing | default('z')) }}", Json{{"d", Json::object()}}),
            "|z");
  EXPECT_EQ(render("{{ loop }}"), "");
}

TEST(Jinja, LfmTemplateShape) {
  // The LFM2.5 template's key moves: namespace, messages[1:], tojson of
  // non-string tools, think stripping on past assistant turns.
  const char *source =
      "{%- set ns = namespace(system_prompt='') -%}"
      "{%- if messages[0]['role'] == 'system' -%}{%- set ns.system_prompt = messages[0]['content'] "
      "-%}"
      "{%- set messages = messages[1:] -%}{%- endif -%}"
      "{{ ns.system_prompt }}|"
      "{%- for m in messages -%}{%- set c = m['content'] -%}"
      "{%- if '</think>' in c and not loop.last -%}{%- set c = c.split('</think>')[-1] | trim "
      "-%}{%- endif -%}"
      "{{ c }};{%- endfor -%}";
  Json messages = Json::array({{{"role", "system"}, {"content", "S"}},
                               {{"role", "assistant"}, {"content", "<think>a</think> A"}},
                               {{"role", "assistant"}, {"content", "<think>b</think>B"}}});
  EXPECT_EQ(render(source, Json{{"messages", messages}}), "S|A;<think>b</think>B;");
}

}  // namespace
