// The BPE model's cache of merged words: word bytes -> ids, open addressing
// over flat arenas, thread-safe. When half full it starts over (the results
// never change, only how fast they come).
#ifndef LFM_TEXT_WORDCACHE_H
#define LFM_TEXT_WORDCACHE_H

#include <cstdint>
#include <cstring>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "text/FrozenTables.h"

namespace lfm::text {

class WordCache {
 public:
  static constexpr size_t kSlots = size_t{1} << 16;
  static constexpr size_t kMaxWord = 255;  // longer words are not cached

  // Appends the cached ids of `word` to `out`; false when not cached.
  bool find(std::string_view word, std::vector<int32_t> &out) const {
    if (word.size() > kMaxWord) return false;
    uint64_t h = hashBytes(word);
    std::lock_guard<std::mutex> lock(mutex_);
    if (slots_.empty()) return false;
    for (size_t i = h & (kSlots - 1);; i = (i + 1) & (kSlots - 1)) {
      const Slot &s = slots_[i];
      if (s.key_len == kEmpty) return false;
      if (s.hash == h && s.key_len == word.size() &&
          std::memcmp(keys_.data() + s.key_off, word.data(), word.size()) == 0) {
        out.insert(out.end(), ids_.begin() + s.ids_off, ids_.begin() + s.ids_off + s.ids_len);
        return true;
      }
    }
  }

  void insert(std::string_view word, const int32_t *ids, size_t n) const {
    if (word.size() > kMaxWord) return;
    uint64_t h = hashBytes(word);
    std::lock_guard<std::mutex> lock(mutex_);
    if (slots_.empty() || used_ >= kSlots / 2) {
      slots_.assign(kSlots, Slot{});
      keys_.clear();
      ids_.clear();
      used_ = 0;
    }
    for (size_t i = h & (kSlots - 1);; i = (i + 1) & (kSlots - 1)) {
      Slot &s = slots_[i];
      if (s.key_len == kEmpty) {
        s = Slot{h, static_cast<uint32_t>(keys_.size()), static_cast<uint32_t>(word.size()),
                 static_cast<uint32_t>(ids_.size()), static_cast<uint32_t>(n)};
        keys_.append(word.data(), word.size());
        ids_.insert(ids_.end(), ids, ids + n);
        ++used_;
        return;
      }
      if (s.hash == h && s.key_len == word.size() &&
          std::memcmp(keys_.data() + s.key_off, word.data(), word.size()) == 0)
        return;  // another thread got here first
    }
  }

 private:
  static constexpr uint32_t kEmpty = UINT32_MAX;
  struct Slot {
    uint64_t hash = 0;
    uint32_t key_off = 0, key_len = kEmpty;
    uint32_t ids_off = 0, ids_len = 0;
  };
  mutable std::mutex mutex_;
  mutable std::vector<Slot> slots_;
  mutable std::string keys_;
  mutable std::vector<int32_t> ids_;
  mutable size_t used_ = 0;
};

}  // namespace lfm::text

#endif  // LFM_TEXT_WORDCACHE_H
