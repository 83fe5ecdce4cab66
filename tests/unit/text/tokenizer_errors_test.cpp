// Tokenizer::create on files it does not support or that are broken: each
// is an InvalidArgument error naming the origin and the JSON field, never a
// crash; and the errors of encode, decode and tokenBytes.
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lfm/Tokenizer.h"
#include "nlohmann/json.hpp"

namespace lfm {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

constexpr const char *kOrigin = "test/tokenizer.json";

json baseTokenizer() {
  std::ifstream in(std::filesystem::path(LFM_TEST_DATA_DIR) / "text/tokenizers/gpt2-style/tokenizer.json");
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str());
}

// create() with `edit` applied to the gpt2-style tokenizer must fail with
// an InvalidArgument error containing each of `needles`.
void expectError(const std::function<void(json &)> &edit, std::vector<std::string> needles,
                 const std::string &config = "") {
  json j = baseTokenizer();
  edit(j);
  auto tok = Tokenizer::create(j.dump(), config, kOrigin);
  ASSERT_FALSE(tok.ok()) << "accepted: " << needles[0];
  EXPECT_EQ(tok.status().code(), absl::StatusCode::kInvalidArgument) << tok.status();
  EXPECT_THAT(std::string(tok.status().message()), HasSubstr(kOrigin));
  for (const auto &n : needles) EXPECT_THAT(std::string(tok.status().message()), HasSubstr(n));
}

TEST(TokenizerErrors, BaseIsValid) {
  auto tok = Tokenizer::create(baseTokenizer().dump(), "", kOrigin);
  ASSERT_TRUE(tok.ok()) << tok.status();
}

TEST(TokenizerErrors, MalformedJson) {
  for (std::string text : {"", "{", "{\"model\": ", "[1, 2", "nul", "{\"a\": \"\xff\"}", "\"\\ud800\""}) {
    auto tok = Tokenizer::create(text, "", kOrigin);
    ASSERT_FALSE(tok.ok()) << text;
    EXPECT_EQ(tok.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(tok.status().message()), HasSubstr(kOrigin));
    EXPECT_THAT(std::string(tok.status().message()), HasSubstr("not valid JSON"));
  }
  auto tok = Tokenizer::create("[]", "", kOrigin);
  ASSERT_FALSE(tok.ok());
  EXPECT_THAT(std::string(tok.status().message()), HasSubstr("expected an object"));
}

// Nesting is bounded before parsing (lfm/JsonNesting.h), in tokenizer.json
// and tokenizer_config.json: 100k-deep is an error, not a stack overflow.
TEST(TokenizerErrors, DeepNestingIsRefused) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  json base = baseTokenizer();
  std::string text = base.dump();
  text.insert(1, "\"extra\": " + deep + ", ");
  auto tok = Tokenizer::create(text, "", kOrigin);
  ASSERT_FALSE(tok.ok());
  EXPECT_THAT(std::string(tok.status().message()),
              HasSubstr(std::string(kOrigin) + ": JSON nested deeper than 128 levels"));
  auto config = Tokenizer::create(base.dump(), "{\"x\": " + deep + "}", kOrigin);
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()), HasSubstr("nested deeper than 128 levels"));
}

TEST(TokenizerErrors, UnsupportedModels) {
  expectError([](json &j) { j["model"]["type"] = "WordPiece"; }, {"model.type 'WordPiece' is not supported"});
  expectError([](json &j) { j["model"]["type"] = "Unigram"; }, {"model.type 'Unigram' is not supported"});
  expectError([](json &j) { j.erase("model"); }, {"model: missing"});
  expectError([](json &j) { j["model"].erase("type"); }, {"model.type: missing"});
  expectError([](json &j) { j["model"] = 7; }, {"model: expected an object"});
  expectError([](json &j) { j["model"]["byte_fallback"] = true; },
              {"model.byte_fallback 'true' is not supported"});
  expectError([](json &j) { j["model"]["dropout"] = 0.1; }, {"model.dropout"});
  expectError([](json &j) { j["model"]["continuing_subword_prefix"] = "##"; },
              {"model.continuing_subword_prefix"});
  expectError([](json &j) { j["model"]["ignore_merges"] = "yes"; },
              {"model.ignore_merges: expected a boolean"});
}

TEST(TokenizerErrors, BadVocabAndMerges) {
  expectError([](json &j) { j["model"]["vocab"] = json::array(); }, {"model.vocab: expected an object"});
  expectError([](json &j) { j["model"]["vocab"]["zzz"] = "x"; }, {"model.vocab['zzz']: expected a token id"});
  expectError([](json &j) { j["model"]["vocab"]["zzz"] = -3; }, {"model.vocab['zzz']", "out of range"});
  expectError([](json &j) { j["model"]["vocab"]["zzz"] = 1.5; }, {"model.vocab['zzz']"});
  expectError([](json &j) { j["model"]["vocab"]["zzz"] = 5; }, {"model.vocab", "both have id 5"});
  expectError([](json &j) { j["model"]["vocab"]["zzz"] = 2000000000; }, {"model.vocab", "too sparse"});
  expectError([](json &j) { j["model"].erase("merges"); }, {"model.merges: missing"});
  expectError(
      [](json &j) {
        j["model"]["merges"][1] = json::array({"a", "qqq"});
      },
      {"model.merges[1]: 'qqq' is not in the vocab"});
  expectError(
      [](json &j) {
        j["model"]["merges"][0] = json::array({"q", "q"});
      },
      {"model.merges[0]: the merge 'qq' is not in the vocab"});
  expectError([](json &j) { j["model"]["merges"][2] = 5; }, {"model.merges[2]: expected a pair of strings"});
  expectError([](json &j) { j["model"]["merges"] = json::array({"a b c"}); },
              {"model.merges[0]: expected 'a b'"});
  expectError(
      [](json &j) {
        j["model"]["merges"] = json::array({"a b", json::array({"a", "b"})});
      },
      {"model.merges[1]"});
}

TEST(TokenizerErrors, UnsupportedPipeline) {
  expectError(
      [](json &j) {
        j["normalizer"] = {{"type", "NFC"}};
      },
      {"normalizer.type 'NFC' is not supported"});
  expectError([](json &j) { j["normalizer"] = {{"type", "Lowercase"}}; }, {"normalizer.type 'Lowercase'"});
  expectError(
      [](json &j) {
        j["pre_tokenizer"] = {{"type", "Whitespace"}};
      },
      {"pre_tokenizer.type 'Whitespace' is not supported"});
  expectError(
      [](json &j) {
        j["pre_tokenizer"] = {{"type", "Sequence"}, {"pretokenizers", {{{"type", "Digits"}}}}};
      },
      {"pre_tokenizer.pretokenizers[0].type 'Digits' is not supported"});
  expectError([](json &j) { j["pre_tokenizer"] = nullptr; }, {"pre_tokenizer"});
  expectError([](json &j) { j["pre_tokenizer"].erase("add_prefix_space"); },
              {"pre_tokenizer.add_prefix_space: missing"});
  expectError(
      [](json &j) {
        j["pre_tokenizer"] = {{"type", "Sequence"},
                              {"pretokenizers", {j["pre_tokenizer"], j["pre_tokenizer"]}}};
      },
      {"pre_tokenizer.pretokenizers[1]", "after ByteLevel"});
  auto split = [](json pattern, json behavior = "Isolated") {
    return [=](json &j) {
      json s = {{"type", "Split"}, {"pattern", pattern}, {"behavior", behavior}, {"invert", false}};
      j["pre_tokenizer"] = {{"type", "Sequence"}, {"pretokenizers", {s, j["pre_tokenizer"]}}};
    };
  };
  expectError(split({{"Regex", "(ab"}}),
              {"pre_tokenizer.pretokenizers[0].pattern.Regex", "PCRE2 cannot compile"});
  expectError(split({{"Regex", "[a[b]]"}}), {"pre_tokenizer.pretokenizers[0].pattern.Regex", "nested"});
  expectError(split({{"Regex", "[a-z&&[^x]]"}}), {"pattern.Regex", "intersection"});
  expectError(split({{"Glob", "*"}}), {"pre_tokenizer.pretokenizers[0].pattern 'Glob' is not supported"});
  expectError(split({{"Regex", 5}}), {"pre_tokenizer.pretokenizers[0].pattern.Regex: expected a string"});
  expectError(split({{"Regex", "a"}}, "Sideways"), {"pre_tokenizer.pretokenizers[0].behavior 'Sideways'"});
  expectError(
      [](json &j) {
        j["decoder"] = {{"type", "WordPiece"}};
      },
      {"decoder.type 'WordPiece' is not supported"});
  expectError([](json &j) { j["post_processor"] = {{"type", "Fancy"}}; }, {"post_processor.type 'Fancy'"});
  expectError(
      [](json &j) {
        j["post_processor"] = {{"type", "TemplateProcessing"},
                               {"single",
                                {{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}},
                                 {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}}},
                               {"special_tokens", json::object()}};
      },
      {"post_processor.special_tokens", "'<s>'"});
  expectError(
      [](json &j) {
        j["post_processor"] = {
            {"type", "TemplateProcessing"},
            {"single", {{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}}}},
            {"special_tokens", {{"<s>", {{"id", "<s>"}, {"ids", {0}}, {"tokens", {"<s>"}}}}}}};
      },
      {"post_processor.single", "$A"});
  expectError(
      [](json &j) {
        j["post_processor"] = {
            {"type", "TemplateProcessing"},
            {"single",
             {{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}},
              {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}}},
            {"special_tokens", {{"<s>", {{"id", "<s>"}, {"ids", {99999}}, {"tokens", {"<s>"}}}}}}};
      },
      {"post_processor", "99999"});
  expectError([](json &j) { j["truncation"] = {{"max_length", 8}}; }, {"truncation"});
  expectError([](json &j) { j["version"] = "2.0"; }, {"version '2.0'"});
}

TEST(TokenizerErrors, BadAddedTokens) {
  expectError([](json &j) { j["added_tokens"] = 3; }, {"added_tokens: expected an array"});
  expectError([](json &j) { j["added_tokens"][0].erase("content"); }, {"added_tokens[0].content: missing"});
  expectError([](json &j) { j["added_tokens"][1]["special"] = "no"; },
              {"added_tokens[1].special: expected a boolean"});
  expectError([](json &j) { j["added_tokens"][0].erase("id"); }, {"added_tokens[0].id: missing"});
}

TEST(TokenizerErrors, BadConfig) {
  auto none = [](json &) {};
  expectError(none, {"tokenizer_config.json", "not valid JSON"}, "{");
  expectError(none, {"tokenizer_config.json", "bos_token: expected a string"}, R"({"bos_token": 5})");
  expectError(none, {"tokenizer_config.json", "eos_token.content: missing"}, R"({"eos_token": {"x": 1}})");
  expectError(none, {"tokenizer_config.json", "chat_template"}, R"({"chat_template": 5})");
  expectError(none, {"tokenizer_config.json", "chat_template[0].template: missing"},
              R"({"chat_template": [{"name": "default"}]})");
  expectError(none, {"tokenizer_config.json", "extra_special_tokens[1]"},
              R"({"extra_special_tokens": ["<a>", 3]})");
  expectError(none, {"tokenizer_config.json", "added_tokens_decoder['x']"},
              R"({"added_tokens_decoder": {"x": {"content": "a"}}})");
}

// Every field of the tokenizer replaced by values of every JSON type: an
// error or a tokenizer, never a crash; a tokenizer that is made encodes.
TEST(TokenizerErrors, WrongTypesEverywhere) {
  const json base = baseTokenizer();
  const std::vector<json> values = {nullptr,
                                    0,
                                    -1,
                                    1.5,
                                    true,
                                    "",
                                    "x",
                                    json::array(),
                                    json::object(),
                                    json::array({1, 2}),
                                    json::object({{"type", "x"}})};
  std::vector<std::vector<std::string>> paths = {{"model"},
                                                 {"model", "type"},
                                                 {"model", "vocab"},
                                                 {"model", "merges"},
                                                 {"model", "unk_token"},
                                                 {"model", "dropout"},
                                                 {"model", "fuse_unk"},
                                                 {"pre_tokenizer"},
                                                 {"pre_tokenizer", "type"},
                                                 {"pre_tokenizer", "use_regex"},
                                                 {"post_processor"},
                                                 {"post_processor", "type"},
                                                 {"decoder"},
                                                 {"decoder", "type"},
                                                 {"added_tokens"},
                                                 {"normalizer"},
                                                 {"padding"},
                                                 {"truncation"},
                                                 {"version"}};
  int made = 0;
  for (const auto &path : paths) {
    for (const json &v : values) {
      json j = base;
      json *at = &j;
      for (size_t i = 0; i + 1 < path.size(); ++i) at = &(*at)[path[i]];
      (*at)[path.back()] = v;
      auto tok = Tokenizer::create(j.dump(), "", kOrigin);
      if (tok.ok()) {
        ++made;
        auto ids = (*tok)->encode("Hello, world! 123", true);
        (void)ids;
      } else {
        EXPECT_EQ(tok.status().code(), absl::StatusCode::kInvalidArgument) << tok.status();
      }
    }
  }
  EXPECT_GT(made, 0);
}

TEST(TokenizerErrors, EncodeDecodeErrors) {
  auto tok = Tokenizer::create(baseTokenizer().dump(), "", kOrigin);
  ASSERT_TRUE(tok.ok()) << tok.status();
  const Tokenizer &t = **tok;
  auto bad_text = t.encode(
      "abc\xff"
      "def");
  ASSERT_FALSE(bad_text.ok());
  EXPECT_THAT(std::string(bad_text.status().message()), HasSubstr("not valid UTF-8 (at byte 3)"));
  EXPECT_FALSE(t.encode("\xed\xa0\x80").ok());  // a surrogate
  for (int32_t id : {-1, static_cast<int32_t>(t.vocabSize()), 1 << 30}) {
    std::vector<int32_t> ids = {1, id};
    auto d = t.decode(ids);
    ASSERT_FALSE(d.ok()) << id;
    EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(d.status().message()), HasSubstr(std::to_string(id)));
    EXPECT_FALSE(t.tokenBytes(id).ok());
    EXPECT_FALSE(t.isSpecial(id));
  }
  auto empty = t.decode({});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, "");
}

}  // namespace
}  // namespace lfm
