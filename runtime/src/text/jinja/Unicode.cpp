#include "text/jinja/Unicode.h"

namespace lfm::jinja {

char32_t decodeUtf8At(std::string_view text, size_t pos, size_t *length) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char lead = byte(pos);
  size_t need = 0;
  char32_t cp = 0;
  if (lead < 0x80) {
    *length = 1;
    return lead;
  } else if ((lead & 0xE0) == 0xC0) {
    need = 1;
    cp = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    need = 2;
    cp = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    need = 3;
    cp = lead & 0x07;
  } else {
    *length = 1;
    return lead;
  }
  for (size_t i = 1; i <= need; ++i) {
    if (pos + i >= text.size() || (byte(pos + i) & 0xC0) != 0x80) {
      *length = 1;
      return lead;
    }
    cp = (cp << 6) | (byte(pos + i) & 0x3F);
  }
  // Overlong forms and values past U+10FFFF are invalid.
  static constexpr char32_t kMin[] = {0, 0x80, 0x800, 0x10000};
  if (cp < kMin[need] || cp > 0x10FFFF) {
    *length = 1;
    return lead;
  }
  *length = need + 1;
  return cp;
}

void appendUtf8(std::string &out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::vector<size_t> codePointOffsets(std::string_view text) {
  std::vector<size_t> offsets;
  offsets.reserve(text.size() + 1);
  size_t pos = 0;
  while (pos < text.size()) {
    offsets.push_back(pos);
    size_t length = 1;
    decodeUtf8At(text, pos, &length);
    pos += length;
  }
  offsets.push_back(text.size());
  return offsets;
}

size_t codePointCount(std::string_view text) {
  size_t count = 0;
  for (size_t pos = 0; pos < text.size(); ++count) {
    size_t length = 1;
    decodeUtf8At(text, pos, &length);
    pos += length;
  }
  return count;
}

bool isSpace(char32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20) || cp == 0x85 || cp == 0xA0 ||
         cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
         cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

bool isLineBreak(char32_t cp) {
  return (cp >= 0x0A && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x1E) || cp == 0x85 || cp == 0x2028 ||
         cp == 0x2029;
}

bool isPrintable(char32_t cp) {
  if (cp < 0x20 || (cp >= 0x7F && cp <= 0xA0) || cp == 0xAD) return false;
  if (cp < 0x300) return true;
  if ((cp >= 0x600 && cp <= 0x605) || cp == 0x61C || cp == 0x6DD || cp == 0x70F || cp == 0x180E ||
      cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200F) || (cp >= 0x2028 && cp <= 0x202F) ||
      (cp >= 0x205F && cp <= 0x206F) || cp == 0x3000 || (cp >= 0xD800 && cp <= 0xF8FF) ||
      (cp >= 0xFDD0 && cp <= 0xFDEF) || cp == 0xFEFF || (cp >= 0xFFF9 && cp <= 0xFFFB) ||
      cp == 0xFFFE || cp == 0xFFFF || cp == 0x110BD || (cp >= 0x1D173 && cp <= 0x1D17A) ||
      (cp >= 0xE0000 && cp <= 0xE007F) || cp >= 0xF0000)
    return false;
  return true;
}

namespace {

// Simple (one to one) case pairs outside ASCII.
char32_t upperOf(char32_t cp) {
  if (cp >= 'a' && cp <= 'z') return cp - 32;
  if (cp < 0x80) return cp;
  if (cp == 0xB5) return 0x39C;
  if (cp >= 0xE0 && cp <= 0xFE && cp != 0xF7) return cp - 32;
  if (cp == 0xFF) return 0x178;
  if ((cp >= 0x100 && cp <= 0x137) || (cp >= 0x14A && cp <= 0x177)) return (cp & 1) ? cp - 1 : cp;
  if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E)) return (cp & 1) ? cp : cp - 1;
  if (cp == 0x131) return 'I';
  if (cp == 0x17F) return 'S';
  if (cp >= 0x3B1 && cp <= 0x3C9 && cp != 0x3C2) return cp - 32;
  if (cp == 0x3C2) return 0x3A3;
  if (cp == 0x3AC) return 0x386;
  if (cp >= 0x3AD && cp <= 0x3AF) return cp - 37;
  if (cp == 0x3CC) return 0x38C;
  if (cp == 0x3CD || cp == 0x3CE) return cp - 63;
  if (cp >= 0x430 && cp <= 0x44F) return cp - 32;
  if (cp >= 0x450 && cp <= 0x45F) return cp - 80;
  if (cp >= 0xFF41 && cp <= 0xFF5A) return cp - 32;
  return cp;
}

char32_t lowerOf(char32_t cp) {
  if (cp >= 'A' && cp <= 'Z') return cp + 32;
  if (cp < 0x80) return cp;
  if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) return cp + 32;
  if (cp == 0x178) return 0xFF;
  if ((cp >= 0x100 && cp <= 0x137) || (cp >= 0x14A && cp <= 0x177)) return (cp & 1) ? cp : cp + 1;
  if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E)) return (cp & 1) ? cp + 1 : cp;
  if (cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2) return cp + 32;
  if (cp == 0x386) return 0x3AC;
  if (cp >= 0x388 && cp <= 0x38A) return cp + 37;
  if (cp == 0x38C) return 0x3CC;
  if (cp == 0x38E || cp == 0x38F) return cp + 63;
  if (cp >= 0x410 && cp <= 0x42F) return cp + 32;
  if (cp >= 0x400 && cp <= 0x40F) return cp + 80;
  if (cp >= 0xFF21 && cp <= 0xFF3A) return cp + 32;
  return cp;
}

template <class Fn>
std::string mapCodePoints(std::string_view text, Fn fn) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    size_t length = 1;
    char32_t cp = decodeUtf8At(text, pos, &length);
    if (length == 1 && cp >= 0x80) {
      out.push_back(text[pos]);  // an invalid byte stays as it is
    } else {
      fn(out, cp);
    }
    pos += length;
  }
  return out;
}

}  // namespace

bool isUpperCase(char32_t cp) { return lowerOf(cp) != cp; }
bool isLowerCase(char32_t cp) { return upperOf(cp) != cp || cp == 0xDF; }
char32_t toUpper(char32_t cp) { return upperOf(cp); }
char32_t toLower(char32_t cp) { return lowerOf(cp); }

bool isAlpha(char32_t cp) {
  if (cp < 0x80) return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
  if (cp == 0xAA || cp == 0xB5 || cp == 0xBA) return true;
  if (cp >= 0xC0 && cp <= 0x24F) return cp != 0xD7 && cp != 0xF7;
  if (isUpperCase(cp) || isLowerCase(cp)) return true;
  return (cp >= 0x370 && cp <= 0x3FF && cp != 0x37E && cp != 0x387) ||
         (cp >= 0x400 && cp <= 0x481) || (cp >= 0x48A && cp <= 0x52F) ||
         (cp >= 0x5D0 && cp <= 0x5EA) || (cp >= 0x620 && cp <= 0x64A) ||
         (cp >= 0x3041 && cp <= 0x3096) || (cp >= 0x30A1 && cp <= 0x30FA) ||
         (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x4E00 && cp <= 0x9FFF) ||
         (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0x20000 && cp <= 0x2FA1F);
}

bool isDigit(char32_t cp) {
  return (cp >= '0' && cp <= '9') || cp == 0xB2 || cp == 0xB3 || cp == 0xB9 ||
         (cp >= 0x660 && cp <= 0x669) || (cp >= 0x6F0 && cp <= 0x6F9) ||
         (cp >= 0x966 && cp <= 0x96F) || (cp >= 0xFF10 && cp <= 0xFF19);
}

std::string upper(std::string_view text) {
  return mapCodePoints(text, [](std::string &out, char32_t cp) {
    if (cp == 0xDF) {
      out += "SS";
      return;
    }
    appendUtf8(out, upperOf(cp));
  });
}

std::string lower(std::string_view text) {
  return mapCodePoints(text, [](std::string &out, char32_t cp) {
    if (cp == 0x130) {
      out += "i\xCC\x87";
      return;
    }
    appendUtf8(out, lowerOf(cp));
  });
}

std::string capitalize(std::string_view text) {
  bool first = true;
  return mapCodePoints(text, [&](std::string &out, char32_t cp) {
    if (first) {
      first = false;
      if (cp == 0xDF) {
        out += "Ss";
        return;
      }
      appendUtf8(out, upperOf(cp));
    } else {
      appendUtf8(out, cp == 0x130 ? 0x69 : lowerOf(cp));
    }
  });
}

std::string title(std::string_view text) {
  bool previous_cased = false;
  return mapCodePoints(text, [&](std::string &out, char32_t cp) {
    bool cased = isUpperCase(cp) || isLowerCase(cp);
    if (cased && !previous_cased) {
      if (cp == 0xDF)
        out += "Ss";
      else
        appendUtf8(out, upperOf(cp));
    } else if (cased) {
      appendUtf8(out, lowerOf(cp));
    } else {
      appendUtf8(out, cp);
    }
    previous_cased = cased;
  });
}

std::string_view strip(std::string_view text, const std::string *chars, bool left, bool right) {
  std::vector<char32_t> set;
  if (chars) {
    for (size_t pos = 0; pos < chars->size();) {
      size_t length = 1;
      set.push_back(decodeUtf8At(*chars, pos, &length));
      pos += length;
    }
  }
  auto stripped = [&](char32_t cp) {
    if (!chars) return isSpace(cp);
    for (char32_t c : set)
      if (c == cp) return true;
    return false;
  };
  std::vector<size_t> offsets = codePointOffsets(text);
  size_t begin = 0, end = offsets.size() - 1;  // code point indexes
  auto at = [&](size_t i) {
    size_t length = 1;
    return decodeUtf8At(text, offsets[i], &length);
  };
  if (left)
    while (begin < end && stripped(at(begin))) ++begin;
  if (right)
    while (end > begin && stripped(at(end - 1))) --end;
  return text.substr(offsets[begin], offsets[end] - offsets[begin]);
}

}  // namespace lfm::jinja
