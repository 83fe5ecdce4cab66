#include "text/ByteLevel.h"

#include <array>

#include "text/Utf8.h"

namespace lfm::text {
namespace {

struct Tables {
  std::array<uint32_t, 256> to_char{};
  std::array<int16_t, 324> to_byte{};  // by code point; -1: none
  Tables() {
    to_byte.fill(-1);
    auto printable = [](int b) { return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE; };
    uint32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      to_char[b] = printable(b) ? static_cast<uint32_t>(b) : next++;
      to_byte[to_char[b]] = static_cast<int16_t>(b);
    }
  }
};

const Tables &tables() {
  static const Tables t;
  return t;
}

}  // namespace

uint32_t byteLevelChar(uint8_t b) { return tables().to_char[b]; }

std::optional<uint8_t> byteLevelByte(uint32_t cp) {
  if (cp >= tables().to_byte.size() || tables().to_byte[cp] < 0) return std::nullopt;
  return static_cast<uint8_t>(tables().to_byte[cp]);
}

std::string toByteLevel(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) appendUtf8(out, byteLevelChar(static_cast<uint8_t>(c)));
  return out;
}

std::optional<std::string> fromByteLevel(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0, len = 0; i < s.size(); i += len) {
    auto b = byteLevelByte(decodeUtf8(s, i, &len));
    if (!b) return std::nullopt;
    out += static_cast<char>(*b);
  }
  return out;
}

}  // namespace lfm::text
