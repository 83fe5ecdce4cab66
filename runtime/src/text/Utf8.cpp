#include "text/Utf8.h"

#include <cstring>

namespace lfm::text {
namespace {

// The length of the valid sequence (1..4) or the maximal invalid subpart
// (negated, -1..-3) at s[i], as Rust's Utf8Chunks decides it. A sequence cut
// short by the end of `s` is invalid, its subpart being what is there.
int sequenceAt(const unsigned char *s, size_t n, size_t i) {
  unsigned char b = s[i];
  if (b < 0x80) return 1;
  auto cont = [&](size_t k) { return i + k < n && (s[i + k] & 0xC0) == 0x80; };
  if (b >= 0xC2 && b <= 0xDF) return cont(1) ? 2 : -1;
  if (b >= 0xE0 && b <= 0xEF) {
    if (i + 1 >= n) return -1;
    unsigned char c = s[i + 1];
    bool ok = (b == 0xE0 && c >= 0xA0 && c <= 0xBF) || (b >= 0xE1 && b <= 0xEC && c >= 0x80 && c <= 0xBF) ||
              (b == 0xED && c >= 0x80 && c <= 0x9F) || (b >= 0xEE && c >= 0x80 && c <= 0xBF);
    if (!ok) return -1;
    return cont(2) ? 3 : -2;
  }
  if (b >= 0xF0 && b <= 0xF4) {
    if (i + 1 >= n) return -1;
    unsigned char c = s[i + 1];
    bool ok = (b == 0xF0 && c >= 0x90 && c <= 0xBF) || (b >= 0xF1 && b <= 0xF3 && c >= 0x80 && c <= 0xBF) ||
              (b == 0xF4 && c >= 0x80 && c <= 0x8F);
    if (!ok) return -1;
    if (!cont(2)) return -2;
    return cont(3) ? 4 : -3;
  }
  return -1;
}

}  // namespace

size_t invalidUtf8Offset(std::string_view s) {
  const auto *p = reinterpret_cast<const unsigned char *>(s.data());
  size_t n = s.size(), i = 0;
  while (i < n) {
    // Eight ASCII bytes at a time.
    while (i + 8 <= n) {
      uint64_t w;
      std::memcpy(&w, p + i, 8);
      if (w & 0x8080808080808080ull) break;
      i += 8;
    }
    if (i >= n) break;
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    int len = sequenceAt(p, n, i);
    if (len < 0) return i;
    i += static_cast<size_t>(len);
  }
  return std::string_view::npos;
}

uint32_t decodeUtf8(std::string_view s, size_t i, size_t *len) {
  const auto *p = reinterpret_cast<const unsigned char *>(s.data()) + i;
  if (p[0] < 0x80) {
    *len = 1;
    return p[0];
  }
  if (p[0] < 0xE0) {
    *len = 2;
    return ((p[0] & 0x1Fu) << 6) | (p[1] & 0x3Fu);
  }
  if (p[0] < 0xF0) {
    *len = 3;
    return ((p[0] & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
  }
  *len = 4;
  return ((p[0] & 0x07u) << 18) | ((p[1] & 0x3Fu) << 12) | ((p[2] & 0x3Fu) << 6) | (p[3] & 0x3Fu);
}

uint32_t lastCodePoint(std::string_view s, size_t end, size_t *len) {
  size_t start = end - 1;
  while (start > 0 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
  return decodeUtf8(s, start, len);
}

void appendUtf8(std::string &out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

void appendUtf8Lossy(std::string &out, std::string_view bytes) {
  const auto *p = reinterpret_cast<const unsigned char *>(bytes.data());
  size_t n = bytes.size(), i = 0, valid_from = 0;
  while (i < n) {
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    int len = sequenceAt(p, n, i);
    if (len > 0) {
      i += static_cast<size_t>(len);
      continue;
    }
    out.append(bytes.data() + valid_from, i - valid_from);
    out += "\xEF\xBF\xBD";
    i += static_cast<size_t>(-len);
    valid_from = i;
  }
  out.append(bytes.data() + valid_from, n - valid_from);
}

std::string utf8Lossy(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  appendUtf8Lossy(out, bytes);
  return out;
}

size_t incompleteUtf8Tail(std::string_view bytes) {
  const auto *p = reinterpret_cast<const unsigned char *>(bytes.data());
  size_t n = bytes.size();
  // A sequence is at most 4 bytes: its lead is among the last 3.
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    size_t i = n - back;
    if ((p[i] & 0xC0) == 0x80) continue;  // a continuation byte: look further back
    if (p[i] < 0xC2) return 0;
    // The lead starts a sequence that the end cuts short, and what is there
    // is a valid prefix: the subpart runs to the end.
    int len = sequenceAt(p, n, i);
    if (len < 0 && static_cast<size_t>(-len) == back) {
      size_t need = p[i] >= 0xF0 ? 4 : p[i] >= 0xE0 ? 3 : 2;
      return back < need ? back : 0;
    }
    return 0;
  }
  return 0;
}

bool isWhiteSpace(uint32_t cp) {
  if (cp < 0x80) return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20;
  switch (cp) {
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

}  // namespace lfm::text
