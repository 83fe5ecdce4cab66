// UTF-8 as the tokenizer needs it: validation, one code point at a time,
// and Rust's String::from_utf8_lossy (each maximal invalid subpart becomes
// one U+FFFD), which HF's decoders use.
#ifndef LFM_TEXT_UTF8_H
#define LFM_TEXT_UTF8_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace lfm::text {

// The offset of the first byte that is not valid UTF-8, or npos.
size_t invalidUtf8Offset(std::string_view s);

// The code point at s[i] (s valid UTF-8, i < size), and its length in `len`.
uint32_t decodeUtf8(std::string_view s, size_t i, size_t *len);
// The code point that ends at s[end - 1] (s valid UTF-8, end > 0).
uint32_t lastCodePoint(std::string_view s, size_t end, size_t *len);

void appendUtf8(std::string &out, uint32_t cp);

// As Rust's String::from_utf8_lossy.
void appendUtf8Lossy(std::string &out, std::string_view bytes);
std::string utf8Lossy(std::string_view bytes);

// How many bytes at the end of `bytes` start a UTF-8 sequence that more
// bytes could still complete (0..3); lossy decoding may stop before them.
size_t incompleteUtf8Tail(std::string_view bytes);

// The Unicode White_Space property (Rust's char::is_whitespace, regex \s).
bool isWhiteSpace(uint32_t cp);

}  // namespace lfm::text

#endif  // LFM_TEXT_UTF8_H
