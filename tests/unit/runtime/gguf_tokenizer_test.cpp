// The tokenizer of a GGUF (tokenizerFilesFromGguf): the demo model's
// vocabulary as llama.cpp's converter writes it encodes and decodes every
// string of its HF tokenizers golden (tests/data/text/tokenizers/lfm2-kjv,
// written with HF `tokenizers`) to the same ids and text; other kinds of
// vocabulary are an "unsupported tokenizer" error.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "lfm/Gguf.h"
#include "lfm/GgufLfm2.h"
#include "lfm/Tokenizer.h"

namespace lfm {
namespace {

const std::string kData = std::string(LFM_TEST_DATA_DIR);

absl::StatusOr<TokenizerFiles> filesOf(const std::string &name) {
  auto gguf = GgufFile::open(kData + "/gguf/" + name);
  if (!gguf.ok()) return gguf.status();
  return tokenizerFilesFromGguf(**gguf);
}

TEST(GgufTokenizer, EncodesAsTheHfTokenizer) {
  auto files = filesOf("kjv_tokenizer.gguf");
  ASSERT_TRUE(files.ok()) << files.status();
  auto tok = Tokenizer::create(files->tokenizer_json, files->tokenizer_config_json, "gguf");
  ASSERT_TRUE(tok.ok()) << tok.status();
  const Tokenizer &t = **tok;
  EXPECT_EQ(t.vocabSize(), 4096);
  EXPECT_EQ(t.bosToken(), "<|startoftext|>");
  EXPECT_EQ(t.eosId(), 7);
  EXPECT_TRUE(t.isSpecial(6));  // <|im_start|>

  nlohmann::json hf_config = nlohmann::json::parse(
      std::ifstream(kData + "/text/tokenizers/lfm2-kjv/tokenizer_config.json"));
  EXPECT_EQ(t.chatTemplate(), hf_config["chat_template"].get<std::string>());
  nlohmann::json generation = nlohmann::json::parse(files->generation_config_json);
  // The stored eos (<|im_end|>) and, as llama.cpp's end-of-generation
  // tokens, <|endoftext|>: what HF's generation_config.json lists.
  nlohmann::json hf_generation = nlohmann::json::parse(
      std::ifstream(kData + "/../../models/lfm2-kjv/generation_config.json"));
  EXPECT_EQ(generation["eos_token_id"], hf_generation["eos_token_id"]);
  EXPECT_EQ(generation["eos_token_id"], nlohmann::json::array({7, 2}));
  EXPECT_EQ(generation["bos_token_id"], 1);

  std::ifstream golden(kData + "/text/tokenizers/lfm2-kjv/golden.jsonl");
  std::string line;
  std::getline(golden, line);  // the header
  int cases = 0;
  while (std::getline(golden, line)) {
    nlohmann::json c = nlohmann::json::parse(line);
    if (!c.contains("t") || !c.contains("ids")) continue;  // decode-only and override lines
    const std::string text = c["t"];
    std::vector<int32_t> want = c["ids"].get<std::vector<int32_t>>();
    auto plain = t.encode(text, /*add_special_tokens=*/false);
    ASSERT_TRUE(plain.ok()) << plain.status();
    EXPECT_EQ(*plain, want) << text;
    auto with_bos = t.encode(text);
    want.insert(want.begin(), 1);
    EXPECT_EQ(*with_bos, want) << text;
    if (c.contains("ds")) {
      auto decoded = t.decode(*plain, /*skip_special_tokens=*/true);
      ASSERT_TRUE(decoded.ok()) << decoded.status();
      EXPECT_EQ(*decoded, c["ds"].get<std::string>()) << text;
    }
    ++cases;
  }
  EXPECT_GT(cases, 1000);
}

TEST(GgufTokenizer, OtherVocabulariesAreUnsupported) {
  auto files = filesOf("llama_spm_tokenizer.gguf");
  ASSERT_FALSE(files.ok());
  EXPECT_EQ(files.status().code(), absl::StatusCode::kUnimplemented);
  std::string message(files.status().message());
  EXPECT_NE(message.find("unsupported tokenizer: tokenizer.ggml.model 'llama'"), std::string::npos)
      << message;
}

TEST(GgufTokenizer, NoVocabularyIsNoTokenizer) {
  auto files = filesOf("case1_f32.gguf");
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_TRUE(files->empty());
}

}  // namespace
}  // namespace lfm
