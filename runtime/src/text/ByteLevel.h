// GPT-2's byte-level alphabet, as HF tokenizers' ByteLevel has it: each byte
// is a printable code point (printable Latin-1 bytes stand for themselves,
// the others for U+0100 and on), so a token of any bytes is a string.
#ifndef LFM_TEXT_BYTELEVEL_H
#define LFM_TEXT_BYTELEVEL_H

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lfm::text {

// The code point that stands for byte `b`.
uint32_t byteLevelChar(uint8_t b);
// The byte that code point `cp` stands for, if it is in the alphabet.
std::optional<uint8_t> byteLevelByte(uint32_t cp);

// The byte-level string of `bytes` ("Ġhello" for " hello").
std::string toByteLevel(std::string_view bytes);
// The bytes of a byte-level string, or nullopt when a code point is not in
// the alphabet (`s` must be valid UTF-8).
std::optional<std::string> fromByteLevel(std::string_view s);

}  // namespace lfm::text

#endif  // LFM_TEXT_BYTELEVEL_H
