// Read-only open-addressing hash tables for the tokenizer's hot lookups
// (a word's bytes to its token id, a pair of ids to its merge): built once,
// probed linearly, no nodes, no abseil containers.
#ifndef LFM_TEXT_FROZENTABLES_H
#define LFM_TEXT_FROZENTABLES_H

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lfm::text {

inline uint64_t mix64(uint64_t x) {
  x ^= x >> 32;
  x *= 0xd6e8feb86659fd93ull;
  x ^= x >> 32;
  x *= 0xd6e8feb86659fd93ull;
  x ^= x >> 32;
  return x;
}

// One 64x64->128 multiply, folded (wyhash's mum).
inline uint64_t mum(uint64_t a, uint64_t b) {
  __uint128_t r = static_cast<__uint128_t>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

inline uint64_t load64(const char *p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

// A fast hash of short strings (words are a few bytes).
inline uint64_t hashBytes(std::string_view s) {
  constexpr uint64_t k0 = 0xa0761d6478bd642full, k1 = 0xe7037ed1a0b428dbull, k2 = 0x8ebc6af09c88c6e3ull;
  const char *p = s.data();
  size_t n = s.size();
  uint64_t a, b;
  if (n <= 8) {
    if (n >= 4) {
      uint32_t lo, hi;
      std::memcpy(&lo, p, 4);
      std::memcpy(&hi, p + n - 4, 4);
      a = lo;
      b = hi;
    } else {
      a = n ? (uint64_t{static_cast<uint8_t>(p[0])} << 16) |
                  (uint64_t{static_cast<uint8_t>(p[n >> 1])} << 8) | static_cast<uint8_t>(p[n - 1])
            : 0;
      b = 0;
    }
  } else if (n <= 16) {
    a = load64(p);
    b = load64(p + n - 8);
  } else {
    uint64_t seed = k0;
    while (n > 16) {
      seed = mum(load64(p) ^ k1, load64(p + 8) ^ seed);
      p += 16;
      n -= 16;
    }
    a = load64(p + n - 16) ^ seed;
    b = load64(p + n - 8);
    n = s.size();
  }
  return mum(k1 ^ n, mum(a ^ k1, b ^ k2));
}

// A hash for std::unordered_map / set keyed by std::string that finds by
// std::string_view (with std::equal_to<>).
struct StringViewHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return hashBytes(s); }
};

// Strings to int32 values. Adding a string twice keeps the last value.
class FrozenStringMap {
 public:
  void build(const std::vector<std::pair<std::string, int32_t>> &entries) {
    size_t cap = 16;
    while (cap < entries.size() * 2) cap <<= 1;
    slots_.assign(cap, Slot{});
    mask_ = cap - 1;
    arena_.clear();
    size_ = 0;
    for (const auto &[key, value] : entries) {
      uint64_t h = hashBytes(key);
      for (size_t i = h & mask_;; i = (i + 1) & mask_) {
        Slot &s = slots_[i];
        if (s.len == kEmpty) {
          s = Slot{h, head(key), static_cast<uint32_t>(arena_.size()), static_cast<uint32_t>(key.size()),
                   value};
          arena_ += key;
          ++size_;
          break;
        }
        if (s.hash == h && keyOf(s) == key) {
          s.value = value;
          break;
        }
      }
    }
  }
  const int32_t *find(std::string_view key) const {
    if (slots_.empty()) return nullptr;
    uint64_t h = hashBytes(key);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      const Slot &s = slots_[i];
      if (s.len == kEmpty) return nullptr;
      if (s.hash == h && s.len == key.size() &&
          (key.size() <= 8 ? s.head == head(key)
                           : std::memcmp(arena_.data() + s.offset, key.data(), key.size()) == 0))
        return &s.value;
    }
  }
  size_t size() const { return size_; }

 private:
  static constexpr uint32_t kEmpty = UINT32_MAX;
  struct Slot {
    uint64_t hash = 0;
    uint64_t head = 0;  // the first 8 bytes (keys of up to 8 bytes need no arena)
    uint32_t offset = 0;
    uint32_t len = kEmpty;
    int32_t value = 0;
  };
  static uint64_t head(std::string_view key) {
    uint64_t h = 0;
    std::memcpy(&h, key.data(), key.size() < 8 ? key.size() : 8);
    return h;
  }
  std::string_view keyOf(const Slot &s) const { return std::string_view(arena_).substr(s.offset, s.len); }
  std::vector<Slot> slots_;
  std::string arena_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

// uint64 keys (never ~0) to values. Adding a key twice keeps the last value.
template <typename V>
class FrozenU64Map {
 public:
  void build(const std::vector<std::pair<uint64_t, V>> &entries) {
    size_t cap = 16;
    while (cap < entries.size() * 2) cap <<= 1;
    slots_.assign(cap, Slot{});
    mask_ = cap - 1;
    for (const auto &[key, value] : entries) {
      for (size_t i = mix64(key) & mask_;; i = (i + 1) & mask_) {
        Slot &s = slots_[i];
        if (s.key == kEmpty || s.key == key) {
          s.key = key;
          s.value = value;
          break;
        }
      }
    }
  }
  const V *find(uint64_t key) const {
    if (slots_.empty()) return nullptr;
    for (size_t i = mix64(key) & mask_;; i = (i + 1) & mask_) {
      const Slot &s = slots_[i];
      if (s.key == key) return &s.value;
      if (s.key == kEmpty) return nullptr;
    }
  }

 private:
  static constexpr uint64_t kEmpty = ~uint64_t{0};
  struct Slot {
    uint64_t key = kEmpty;
    V value{};
  };
  std::vector<Slot> slots_;
  size_t mask_ = 0;
};

}  // namespace lfm::text

#endif  // LFM_TEXT_FROZENTABLES_H
