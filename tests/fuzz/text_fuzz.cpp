// libFuzzer target over the text layer: tokenizer.json loading, encoding,
// (streaming) decoding, chat template parsing and rendering. The first byte
// picks what the rest of the input is. Built and run by scripts/fuzz (clang,
// -fsanitize=fuzzer,address,undefined); a bounded run is a CTest test.
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lfm/ChatTemplate.h"
#include "lfm/Tokenizer.h"
#include "nlohmann/json.hpp"
#include "text/Utf8.h"

namespace {

std::string readAll(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The LFM2-shaped test tokenizer and the LFM2.5 template, loaded once.
struct Fixed {
  std::unique_ptr<lfm::Tokenizer> tokenizer;
  std::unique_ptr<lfm::ChatTemplate> chat;
};

Fixed &fixed() {
  static Fixed f = [] {
    Fixed out;
    const char *dir = std::getenv("LFM_FUZZ_DATA");
    std::string data = dir ? dir : LFM_FUZZ_DATA_DIR;
    auto tok = lfm::Tokenizer::create(readAll(data + "/text/tokenizers/lfm2-shape/tokenizer.json"),
                                      readAll(data + "/text/tokenizers/lfm2-shape/tokenizer_config.json"),
                                      "lfm2-shape");
    if (!tok.ok()) std::abort();
    out.tokenizer = std::move(*tok);
    auto chat = lfm::ChatTemplate::create(readAll(data + "/text/chat/LFM2.5-Instruct.jinja"), "LFM2.5");
    if (!chat.ok()) std::abort();
    out.chat = std::make_unique<lfm::ChatTemplate>(std::move(*chat));
    return out;
  }();
  return f;
}

void decodeIds(const lfm::Tokenizer &tok, std::string_view bytes) {
  std::vector<int32_t> ids;
  for (size_t i = 0; i + 1 < bytes.size(); i += 2)
    ids.push_back(static_cast<int32_t>(static_cast<uint8_t>(bytes[i]) |
                                       static_cast<uint8_t>(bytes[i + 1]) << 8) - 64);
  auto whole = tok.decode(ids, false);
  lfm::StreamingDetokenizer stream(tok, false);
  std::string streamed;
  bool ok = true;
  for (int32_t id : ids) {
    auto piece = stream.push(id);
    if (!piece.ok()) {
      ok = false;
      break;
    }
    streamed += *piece;
  }
  streamed += stream.flush();
  // Valid ids: the stream must equal the whole decode.
  if (ok && whole.ok() && streamed != *whole) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0] % 5;
  std::string_view rest(reinterpret_cast<const char *>(data) + 1, size - 1);
  Fixed &f = fixed();
  switch (mode) {
    case 0: {  // a tokenizer.json of its own
      auto tok = lfm::Tokenizer::create(rest, "", "fuzz");
      if (tok.ok()) {
        (void)(*tok)->encode("Hello, world! <|im_start|> 123 \xE2\x80\x94", true);
        decodeIds(**tok, "\x41\x00\x42\x00\x43\x00");
      }
      break;
    }
    case 1: {  // text to encode, then decode back
      auto ids = f.tokenizer->encode(rest, true);
      if (!ids.ok()) break;
      auto text = f.tokenizer->decode(*ids, false);
      // Byte-level BPE round-trips valid UTF-8 exactly (after the BOS; the
      // LFM2-shaped tokenizer has no normalizer), special tokens included.
      if (lfm::text::invalidUtf8Offset(rest) == std::string_view::npos &&
          (!text.ok() || *text != f.tokenizer->bosToken() + std::string(rest)))
        std::abort();
      break;
    }
    case 2:
      decodeIds(*f.tokenizer, rest);
      break;
    case 3: {  // a template of its own, rendered with a small chat
      auto chat = lfm::ChatTemplate::create(rest, "fuzz");
      if (chat.ok()) {
        nlohmann::json messages = {{{"role", "user"}, {"content", "hi"}}};
        (void)chat->render(lfm::chatContext(messages, nullptr, true, "<s>", "</s>"));
      }
      break;
    }
    case 4: {  // messages of its own, rendered with the LFM2.5 template
      nlohmann::json messages = nlohmann::json::parse(rest, nullptr, false);
      if (!messages.is_discarded())
        (void)f.chat->render(lfm::chatContext(messages, nullptr, true, "<s>", "</s>"));
      break;
    }
  }
  return 0;
}
