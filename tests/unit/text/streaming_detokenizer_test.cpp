// StreamingDetokenizer: text comes out as soon as it is whole UTF-8, and all
// of it put together is what decode() gives for the same ids.
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "lfm/Tokenizer.h"

namespace lfm {
namespace {

namespace fs = std::filesystem;

std::unique_ptr<Tokenizer> load(const std::string &name) {
  fs::path dir = fs::path(LFM_TEST_DATA_DIR) / "text/tokenizers" / name;
  auto read = [](const fs::path &p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  auto tok =
      Tokenizer::create(read(dir / "tokenizer.json"), read(dir / "tokenizer_config.json"), dir.string());
  EXPECT_TRUE(tok.ok()) << tok.status();
  return tok.ok() ? std::move(*tok) : nullptr;
}

bool validUtf8(const std::string &s) {
  for (size_t i = 0; i < s.size();) {
    auto b = static_cast<unsigned char>(s[i]);
    size_t n = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += n;
  }
  return true;
}

// Streams `ids`; checks every piece is whole UTF-8 and all of them together
// equal decode(). Returns the pieces.
std::vector<std::string> stream(const Tokenizer &tok, const std::vector<int32_t> &ids, bool skip) {
  StreamingDetokenizer d(tok, skip);
  std::vector<std::string> pieces;
  std::string all;
  for (int32_t id : ids) {
    auto piece = d.push(id);
    EXPECT_TRUE(piece.ok()) << piece.status();
    if (!piece.ok()) return pieces;
    EXPECT_TRUE(validUtf8(*piece));
    pieces.push_back(*piece);
    all += *piece;
  }
  std::string rest = d.flush();
  EXPECT_TRUE(validUtf8(rest));
  all += rest;
  auto want = tok.decode(ids, skip);
  EXPECT_TRUE(want.ok());
  EXPECT_EQ(all, *want);
  return pieces;
}

TEST(StreamingDetokenizer, CharactersSplitAcrossTokens) {
  auto tok = load("lfm2-shape");
  ASSERT_TRUE(tok);
  // Characters the small vocab has no token for come out as byte tokens.
  for (const std::string text : {"😀", "a🧑🏿‍🚀b", "𝟘𝟙𝟚 ok", "日本語のテキスト", "ẞ Ω ∑ ℵ"}) {
    auto ids = tok->encode(text, false);
    ASSERT_TRUE(ids.ok());
    auto pieces = stream(*tok, *ids, false);
    ASSERT_EQ(pieces.size(), ids->size());
    // Whatever was emitted so far is a prefix of the text that ends on a
    // character boundary, and a token that ends inside a character emits
    // nothing more than the complete characters before it.
    std::string sofar;
    for (size_t i = 0; i < pieces.size(); ++i) {
      sofar += pieces[i];
      EXPECT_EQ(text.compare(0, sofar.size(), sofar), 0) << text << " after token " << i;
      auto bytes = tok->tokenBytes((*ids)[i]);
      ASSERT_TRUE(bytes.ok());
    }
    EXPECT_EQ(sofar, text);
  }
  // "😀" is four bytes: with byte tokens nothing comes out until the last.
  auto ids = tok->encode("😀", false);
  ASSERT_TRUE(ids.ok());
  if (ids->size() > 1) {
    auto pieces = stream(*tok, *ids, false);
    for (size_t i = 0; i + 1 < pieces.size(); ++i) EXPECT_EQ(pieces[i], "") << i;
    EXPECT_EQ(pieces.back(), "😀");
  }
}

TEST(StreamingDetokenizer, SpecialTokensAndInvalidBytes) {
  auto tok = load("lfm2-shape");
  ASSERT_TRUE(tok);
  auto ids = tok->encode("<|im_start|>user\nhé 😀<|im_end|>", true);
  ASSERT_TRUE(ids.ok());
  stream(*tok, *ids, false);
  stream(*tok, *ids, true);
  // A byte-level token alone that is half a character: U+FFFD at flush, as
  // decode gives it.
  auto half = tok->encode("é", false);
  ASSERT_TRUE(half.ok());
  std::vector<int32_t> dangling = {(*half)[0]};
  if (half->size() == 2) {
    StreamingDetokenizer d(*tok, false);
    auto p = d.push(dangling[0]);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(*p, "");
    EXPECT_EQ(d.flush(), "\xEF\xBF\xBD");
    EXPECT_EQ(*tok->decode(dangling), "\xEF\xBF\xBD");
  }
  // An invalid id is an error and changes nothing.
  StreamingDetokenizer d(*tok, false);
  ASSERT_TRUE(d.push((*ids)[1]).ok());
  EXPECT_FALSE(d.push(-1).ok());
  EXPECT_FALSE(d.push(static_cast<int32_t>(tok->vocabSize())).ok());
}

TEST(StreamingDetokenizer, RandomIdsEqualDecode) {
  for (const char *name : {"lfm2-shape", "gpt2-style", "flags"}) {
    auto tok = load(name);
    ASSERT_TRUE(tok);
    std::mt19937 rng(7);
    std::uniform_int_distribution<int32_t> id(0, static_cast<int32_t>(tok->vocabSize()) - 1);
    for (int round = 0; round < 300; ++round) {
      std::vector<int32_t> ids(1 + round % 17);
      for (auto &x : ids) x = id(rng);
      stream(*tok, ids, round % 2 == 0);
    }
  }
}

}  // namespace
}  // namespace lfm
