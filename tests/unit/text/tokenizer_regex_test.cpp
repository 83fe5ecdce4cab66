// The Split pre-tokenizer's regexes (PCRE2 after OnigPattern's rewrite of
// Oniguruma's syntax and Unicode classes) against HF's own Split on the same
// strings: regex_golden.jsonl, from scripts/text/make_tokenizer_goldens.py.
// Internal API (runtime/src/text).
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "text/OnigPattern.h"
#include "text/PreTokenizer.h"
#include "text/Regex.h"

namespace lfm::text {
namespace {

using nlohmann::json;

SplitBehavior behaviorOf(const std::string &name) {
  if (name == "Removed") return SplitBehavior::kRemoved;
  if (name == "MergedWithPrevious") return SplitBehavior::kMergedWithPrevious;
  if (name == "MergedWithNext") return SplitBehavior::kMergedWithNext;
  if (name == "Contiguous") return SplitBehavior::kContiguous;
  return SplitBehavior::kIsolated;
}

TEST(TokenizerRegex, SplitsAsHuggingFace) {
  std::ifstream in(std::filesystem::path(LFM_TEST_DATA_DIR) / "text/tokenizers/regex_golden.jsonl");
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  auto strings = json::parse(line)["strings"].get<std::vector<std::string>>();
  int cases = 0, failures = 0;
  while (std::getline(in, line)) {
    json c = json::parse(line);
    const json &spec = c["pattern"];
    const std::string kind = spec.begin().key();
    const std::string pattern = spec.begin().value().get<std::string>();
    bool literal = kind == "String";
    auto re = literal ? Regex::compile(pattern, true) : Regex::compileOnig(pattern);
    ASSERT_TRUE(re.ok()) << pattern << ": " << re.status();
    std::string behavior = c["behavior"].get<std::string>();
    bool invert = c["invert"].get<bool>();
    for (size_t i = 0; i < strings.size(); ++i) {
      const std::string &s = strings[i];
      if (s.empty()) continue;
      std::vector<size_t> got;
      auto st = splitPiece(**re, behaviorOf(behavior), invert, s, [&](std::string_view piece) {
        got.push_back(static_cast<size_t>(piece.data() - s.data()));
        got.push_back(got.back() + piece.size());
        return absl::OkStatus();
      });
      ASSERT_TRUE(st.ok()) << st;
      auto want = c["spans"][i].get<std::vector<size_t>>();
      ++cases;
      if (got != want && ++failures <= 10)
        ADD_FAILURE() << kind << " /" << absl::CHexEscape(pattern) << "/ " << behavior
                      << (invert ? " inverted" : "") << " on \"" << absl::CHexEscape(s) << "\": ["
                      << absl::StrJoin(got, ",") << "] != HF [" << absl::StrJoin(want, ",") << "]";
    }
  }
  EXPECT_EQ(failures, 0) << "of " << cases;
  EXPECT_GT(cases, 5000);
}

TEST(TokenizerRegex, Translation) {
  // Oniguruma's Unicode classes keep PCRE2's own and add what it lacks.
  auto t = onigToPcre2(R"(\p{L}+)");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->exact.rfind(R"([\p{L}\x{1C89})", 0), 0u) << t->exact;
  EXPECT_EQ(t->fast, R"(\p{L}+)");
  EXPECT_EQ(t->fast_below, 0x1C89u);
  // \s is an explicit list (PCRE2's has U+180E, Oniguruma's not).
  t = onigToPcre2(R"(\s)");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->exact.find("180E"), std::string::npos) << t->exact;
  EXPECT_EQ(t->fast_below, 0x180Eu);
  t = onigToPcre2(R"([^\s\p{N}])");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->exact.substr(0, 2), "[^");
  EXPECT_EQ(t->fast, R"([^\s\p{N}])");
  // \w alone has ²³¹¼½¾ in Oniguruma, [\w] not.
  EXPECT_NE(onigToPcre2(R"(\w)")->exact.find(R"(\x{B2})"), std::string::npos);
  EXPECT_EQ(onigToPcre2(R"([\w])")->exact.find(R"(\x{B2})"), std::string::npos);
  EXPECT_EQ(onigToPcre2(R"(\w)")->fast_below, 0xB2u);
  EXPECT_EQ(onigToPcre2(R"(\h)")->exact, "[0-9a-fA-F]");
  EXPECT_EQ(onigToPcre2(R"((?m:a.b))")->exact, "(?s:a.b)");
  EXPECT_EQ(onigToPcre2(R"(\u00e9)")->exact, R"(\x{00e9})");
  EXPECT_EQ(onigToPcre2(R"(\p{Han}[[:alpha:]])")->exact, R"(\p{Han}[[:alpha:]])");
  EXPECT_FALSE(onigToPcre2("[a[b]]").ok());
  EXPECT_FALSE(onigToPcre2("[a-z&&b]").ok());
  EXPECT_FALSE(onigToPcre2("[abc").ok());
  EXPECT_FALSE(onigToPcre2("abc\\").ok());
}

// The fast form is used only on text it matches the same.
TEST(TokenizerRegex, FastFormOnlyWhereExact) {
  auto re = Regex::compileOnig(R"(\s+|\S+)");
  ASSERT_TRUE(re.ok());
  auto pieces = [&](const std::string &s) {
    std::vector<std::string> out;
    EXPECT_TRUE((*re)->forEachMatch(s, [&](size_t a, size_t b) { out.push_back(s.substr(a, b - a)); }).ok());
    return out;
  };
  // U+180E is no space for Oniguruma (it is for PCRE2).
  EXPECT_EQ(pieces("a\u180eb c"), (std::vector<std::string>{"a\u180eb", " ", "c"}));
  EXPECT_EQ(pieces("a b c"), (std::vector<std::string>{"a", " ", "b", " ", "c"}));
  EXPECT_EQ(pieces("\u180e\u180e \u180e"), (std::vector<std::string>{"\u180e\u180e", " ", "\u180e"}));
}

// Oniguruma's find_iter: an empty match right after a match is skipped.
TEST(TokenizerRegex, EmptyMatches) {
  auto re = Regex::compile("x*", false);
  ASSERT_TRUE(re.ok());
  std::vector<std::pair<size_t, size_t>> got;
  ASSERT_TRUE((*re)->forEachMatch("axxb", [&](size_t s, size_t e) { got.emplace_back(s, e); }).ok());
  std::vector<std::pair<size_t, size_t>> want = {{0, 0}, {1, 3}, {4, 4}};
  EXPECT_EQ(got, want);
}

}  // namespace
}  // namespace lfm::text
