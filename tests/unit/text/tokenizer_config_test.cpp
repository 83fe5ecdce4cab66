// What Tokenizer takes from tokenizer_config.json: BOS/EOS (a string or an
// AddedToken object), the chat template (a string, or the "default" of a
// list), special tokens the tokenizer lacks (added, as transformers adds
// them), split_special_tokens.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "lfm/Tokenizer.h"

namespace lfm {
namespace {

std::string gpt2Style() {
  std::ifstream in(std::filesystem::path(LFM_TEST_DATA_DIR) / "text/tokenizers/gpt2-style/tokenizer.json");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::unique_ptr<Tokenizer> withConfig(const std::string &config) {
  auto tok = Tokenizer::create(gpt2Style(), config, "gpt2-style");
  EXPECT_TRUE(tok.ok()) << tok.status();
  return tok.ok() ? std::move(*tok) : nullptr;
}

TEST(TokenizerConfig, NoConfig) {
  auto tok = withConfig("");
  ASSERT_TRUE(tok);
  EXPECT_EQ(tok->bosToken(), "");
  EXPECT_EQ(tok->eosToken(), "");
  EXPECT_FALSE(tok->bosId());
  EXPECT_FALSE(tok->eosId());
  EXPECT_EQ(tok->chatTemplate(), "");
  EXPECT_EQ(tok->vocabSize(), 2001);
  EXPECT_EQ(tok->tokenId("<|endoftext|>"), 0);
  EXPECT_TRUE(tok->isSpecial(0));
  EXPECT_FALSE(tok->isSpecial(*tok->tokenId("<tool>")));
  EXPECT_EQ(*tok->tokenBytes(0), "<|endoftext|>");
}

TEST(TokenizerConfig, BosEosAndTemplate) {
  auto tok = withConfig(R"({"bos_token": {"content": "<|endoftext|>", "lstrip": false, "special": true},
                            "eos_token": "<|endoftext|>", "chat_template": "{{ messages }}"})");
  ASSERT_TRUE(tok);
  EXPECT_EQ(tok->bosToken(), "<|endoftext|>");
  EXPECT_EQ(tok->bosId(), 0);
  EXPECT_EQ(tok->eosId(), 0);
  EXPECT_EQ(tok->chatTemplate(), "{{ messages }}");

  tok = withConfig(
      R"({"chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D"}]})");
  ASSERT_TRUE(tok);
  EXPECT_EQ(tok->chatTemplate(), "D");
  tok = withConfig(R"({"chat_template": [{"name": "tool_use", "template": "T"}]})");
  ASSERT_TRUE(tok);
  EXPECT_EQ(tok->chatTemplate(), "");
}

TEST(TokenizerConfig, MissingSpecialTokensAreAdded) {
  auto tok = withConfig(R"({"eos_token": "<eos>", "pad_token": "<tool>", "extra_special_tokens": ["<x>"]})");
  ASSERT_TRUE(tok);
  ASSERT_TRUE(tok->eosId());
  EXPECT_EQ(*tok->eosId(), 2001);
  EXPECT_EQ(tok->tokenId("<x>"), 2002);
  EXPECT_EQ(tok->vocabSize(), 2003);
  EXPECT_TRUE(tok->isSpecial(2001));
  EXPECT_TRUE(tok->isSpecial(*tok->tokenId("<tool>")));  // a named token becomes special
  auto ids = tok->encode("a<eos>b<x>", false);
  ASSERT_TRUE(ids.ok());
  EXPECT_NE(std::find(ids->begin(), ids->end(), 2001), ids->end());
  EXPECT_NE(std::find(ids->begin(), ids->end(), 2002), ids->end());
  auto text = tok->decode(*ids, true);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "ab");
}

TEST(TokenizerConfig, SplitSpecialTokens) {
  auto plain = withConfig("");
  auto split = withConfig(R"({"split_special_tokens": true})");
  ASSERT_TRUE(plain && split);
  auto a = plain->encode("x<|endoftext|>y", false);
  auto b = split->encode("x<|endoftext|>y", false);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->size(), 3u);
  EXPECT_GT(b->size(), 3u);
  EXPECT_EQ(std::find(b->begin(), b->end(), 0), b->end());
  EXPECT_EQ(*split->decode(*b), "x<|endoftext|>y");
}

}  // namespace
}  // namespace lfm
