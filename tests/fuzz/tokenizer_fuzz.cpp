// libFuzzer target over the tokenizer: tokenizer.json and
// tokenizer_config.json loading, encoding, and decoding whole and streamed.
// The first byte picks what the rest of the input is (byte % 4) and which of
// the test tokenizers (tests/data/text/tokenizers) it meets (byte / 4 % 4).
#include <array>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lfm/Tokenizer.h"
#include "text/Utf8.h"

namespace {

std::string readAll(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A byte-level BPE of six tokens (LFM2's pipeline: Split regex, ByteLevel,
// a BOS template), beside which tokenizer_config.json is fuzzed: the test
// tokenizers' vocabularies would make each run parse 300 KB.
constexpr std::string_view kSmallTokenizerJson = R"json({
 "version": "1.0",
 "truncation": null,
 "padding": null,
 "added_tokens": [{"id": 0, "content": "<s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}],
 "normalizer": null,
 "pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": " ?\\p{L}+|\\p{N}{1,3}|\\s+"}, "behavior": "Isolated", "invert": false}, {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}]},
 "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}], "pair": [{"Sequence": {"id": "A", "type_id": 0}}], "special_tokens": {"<s>": {"id": "<s>", "ids": [0], "tokens": ["<s>"]}}},
 "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
 "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null, "end_of_word_suffix": null, "fuse_unk": false, "byte_fallback": false, "ignore_merges": true, "vocab": {"<s>": 0, "a": 1, "b": 2, "\u0120": 3, "ab": 4, "\u0120a": 5}, "merges": ["a b", "\u0120 a"]}
})json";

struct Fixed {
  std::unique_ptr<lfm::Tokenizer> tokenizer;
  // Byte-level BPE without a normalizer, prefix space or stripping added
  // tokens: decode(encode(s)) == s for valid UTF-8 (without the specials
  // that add_special_tokens adds), special tokens in s included.
  bool round_trips = false;
};

const std::array<Fixed, 4> &fixed() {
  static const std::array<Fixed, 4> all = [] {
    const char *dir = std::getenv("LFM_FUZZ_DATA");
    const std::string data = std::string(dir ? dir : LFM_FUZZ_DATA_DIR) + "/text/tokenizers/";
    const std::array<std::pair<const char *, bool>, 4> names = {
        {{"lfm2-shape", true}, {"gpt2-style", true}, {"flags", false}, {"unk", false}}};
    std::array<Fixed, 4> out;
    for (size_t i = 0; i < names.size(); ++i) {
      const std::string folder = data + names[i].first;
      auto tok = lfm::Tokenizer::create(readAll(folder + "/tokenizer.json"),
                                        readAll(folder + "/tokenizer_config.json"), names[i].first);
      if (!tok.ok()) std::abort();
      out[i].tokenizer = std::move(*tok);
      out[i].round_trips = names[i].second;
    }
    return out;
  }();
  return all;
}

// decode(ids) whole, and streamed id by id: for valid ids the two agree.
void decodeBothWays(const lfm::Tokenizer &tok, const std::vector<int32_t> &ids, bool skip) {
  auto whole = tok.decode(ids, skip);
  lfm::StreamingDetokenizer stream(tok, skip);
  std::string streamed;
  for (int32_t id : ids) {
    auto piece = stream.push(id);
    if (!piece.ok()) return;  // an id that is no token: decode() refused it too
    streamed += *piece;
  }
  streamed += stream.flush();
  if (!whole.ok() || streamed != *whole) std::abort();
}

std::vector<int32_t> idsOf(std::string_view bytes) {
  std::vector<int32_t> ids;
  for (size_t i = 0; i + 1 < bytes.size(); i += 2)
    ids.push_back(static_cast<int32_t>(static_cast<uint8_t>(bytes[i]) |
                                       static_cast<uint8_t>(bytes[i + 1]) << 8) -
                  64);
  return ids;
}

// Encodes `text` both ways and decodes the ids back.
void encodeAndDecode(const Fixed &f, std::string_view text) {
  const bool valid = lfm::text::invalidUtf8Offset(text) == std::string_view::npos;
  auto with_specials = f.tokenizer->encode(text, true);
  if (with_specials.ok() != valid) std::abort();  // invalid UTF-8, and only that, is refused
  if (!valid) return;
  decodeBothWays(*f.tokenizer, *with_specials, false);
  decodeBothWays(*f.tokenizer, *with_specials, true);
  auto plain = f.tokenizer->encode(text, false);
  if (!plain.ok()) std::abort();
  auto back = f.tokenizer->decode(*plain, false);
  if (!back.ok() || (f.round_trips && *back != text)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  const int mode = data[0] % 4;
  const Fixed &f = fixed()[data[0] / 4 % 4];
  std::string_view rest(reinterpret_cast<const char *>(data) + 1, size - 1);
  switch (mode) {
    case 0: {  // a tokenizer.json of its own
      auto tok = lfm::Tokenizer::create(rest, "", "fuzz");
      if (!tok.ok()) break;
      auto ids = (*tok)->encode("Hello, world! <|im_start|> 123 \xE2\x80\x94 caf\xC3\xA9\n", true);
      if (ids.ok()) decodeBothWays(**tok, *ids, false);
      decodeBothWays(**tok, {0, 1, 2, 3, 65, 300}, false);
      break;
    }
    case 1: {  // a tokenizer_config.json of its own, beside a small tokenizer.json
      auto tok = lfm::Tokenizer::create(kSmallTokenizerJson, rest, "fuzz");
      if (!tok.ok()) break;
      auto ids = (*tok)->encode("<|im_start|>ab<|im_end|> ab", true);
      if (ids.ok()) decodeBothWays(**tok, *ids, true);
      break;
    }
    case 2:  // text to encode and decode back
      encodeAndDecode(f, rest);
      break;
    case 3: {  // ids to decode (two bytes each, from -64)
      const std::vector<int32_t> ids = idsOf(rest);
      decodeBothWays(*f.tokenizer, ids, false);
      decodeBothWays(*f.tokenizer, ids, true);
      break;
    }
  }
  return 0;
}
