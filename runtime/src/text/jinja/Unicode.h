// The Unicode facts Python's str methods need, over UTF-8 text: code point
// boundaries (Python indexes strings by code point), whitespace as
// str.isspace() and re's \s define it, line breaks as str.splitlines() does,
// case mapping and character classes. Case mapping and the classes cover
// ASCII, Latin-1, Latin Extended-A, Greek, Cyrillic and fullwidth Latin
// (not the whole Unicode database). A byte that is not valid UTF-8 counts as
// one code point and is kept as it is.
#ifndef LFM_TEXT_JINJA_UNICODE_H
#define LFM_TEXT_JINJA_UNICODE_H

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace lfm::jinja {

// The code point at `pos` and its length in bytes (1 for an invalid byte,
// whose value is returned as the code point).
char32_t decodeUtf8At(std::string_view text, size_t pos, size_t *length);
void appendUtf8(std::string &out, char32_t cp);

// Byte offsets of each code point's start, then text.size().
std::vector<size_t> codePointOffsets(std::string_view text);
size_t codePointCount(std::string_view text);

bool isSpace(char32_t cp);      // str.isspace()
bool isLineBreak(char32_t cp);  // a str.splitlines() boundary
bool isPrintable(char32_t cp);  // str.isprintable(), for repr()
bool isAlpha(char32_t cp);
bool isDigit(char32_t cp);
bool isUpperCase(char32_t cp);  // a cased letter in upper case
bool isLowerCase(char32_t cp);
char32_t toUpper(char32_t cp);
char32_t toLower(char32_t cp);

// Whole-string forms (str.upper(), str.lower(), ...). upper() expands 'ß'
// to "SS" as Python does.
std::string upper(std::string_view text);
std::string lower(std::string_view text);
std::string capitalize(std::string_view text);  // str.capitalize()
std::string title(std::string_view text);       // str.title()

// str.strip() family: `chars` null strips whitespace, else any code point
// of *chars.
std::string_view strip(std::string_view text, const std::string *chars, bool left, bool right);

}  // namespace lfm::jinja

#endif  // LFM_TEXT_JINJA_UNICODE_H
