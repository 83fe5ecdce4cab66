#include "text/AddedVocabulary.h"

#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "lfm/StatusMacros.h"
#include "text/OnigPattern.h"
#include "text/Regex.h"
#include "text/Utf8.h"

namespace lfm::text {
namespace {

// Rust regex's \w (HF's single_word test), one character.
bool isWordChar(std::string_view s, size_t at) {
  static const std::unique_ptr<Regex> word =
      *Regex::compile(absl::StrCat("[", onigClassBody("w"), "]"), false);
  auto m = word->matchesAt(s, at);
  return m.ok() && *m;
}

bool endsWithWord(std::string_view s) {
  if (s.empty()) return false;
  size_t len = 0;
  lastCodePoint(s, s.size(), &len);
  return isWordChar(s, s.size() - len);
}

bool startsWithWord(std::string_view s) { return !s.empty() && isWordChar(s, 0); }

// Where the whitespace at the end of s starts (s.size() when none).
size_t trailingSpaceStart(std::string_view s) {
  size_t end = s.size();
  while (end > 0) {
    size_t len = 0;
    if (!isWhiteSpace(lastCodePoint(s, end, &len))) break;
    end -= len;
  }
  return end;
}

// The length of the whitespace at the start of s.
size_t leadingSpaceLength(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    size_t len = 0;
    if (!isWhiteSpace(decodeUtf8(s, i, &len))) break;
    i += len;
  }
  return i;
}

}  // namespace

void AddedVocabulary::Trie::insert(std::string_view s, int32_t id) {
  if (terminal.empty()) terminal.push_back(-1);
  uint32_t node = 0;
  for (char c : s) {
    auto b = static_cast<uint8_t>(c);
    uint64_t key = (uint64_t{node} << 8) | b;
    auto it = edges.find(key);
    if (it == edges.end()) {
      it = edges.emplace(key, static_cast<uint32_t>(terminal.size())).first;
      terminal.push_back(-1);
    }
    node = it->second;
  }
  first_byte[static_cast<uint8_t>(s[0])] = true;
  terminal[node] = id;
}

std::pair<size_t, int32_t> AddedVocabulary::Trie::longestAt(std::string_view s, size_t i) const {
  std::pair<size_t, int32_t> best{0, -1};
  uint32_t node = 0;
  for (size_t k = i; k < s.size(); ++k) {
    auto it = edges.find((uint64_t{node} << 8) | static_cast<uint8_t>(s[k]));
    if (it == edges.end()) break;
    node = it->second;
    if (terminal[node] >= 0) best = {k + 1, terminal[node]};
  }
  return best;
}

void AddedVocabulary::addTokens(std::span<const AddedToken> tokens,
                                absl::FunctionRef<std::optional<int32_t>(std::string_view)> model_token_to_id,
                                size_t model_vocab_size) {
  int64_t next_id = static_cast<int64_t>(model_vocab_size);
  if (!by_id_.empty()) {
    int64_t max = 0;
    for (const auto &[id, t] : by_id_) max = std::max<int64_t>(max, id);
    if (max >= static_cast<int64_t>(model_vocab_size) || model_vocab_size == 0) next_id = max + 1;
  }
  for (const AddedToken &t : tokens) {
    if (t.content.empty()) continue;
    if (auto it = by_content_.find(t.content); it != by_content_.end()) {
      auto old = by_id_.find(it->second);
      if (old != by_id_.end() && old->second == t) continue;
    }
    std::optional<int32_t> id = tokenId(t.content);
    if (!id) id = model_token_to_id(t.content);
    if (!id) id = static_cast<int32_t>(next_id++);
    by_content_[t.content] = *id;
    if (t.special) special_.insert(t.content);
    by_id_[*id] = t;
  }
  rebuild();
}

void AddedVocabulary::rebuild() {
  plain_ = Trie();
  normalized_ = Trie();
  for (const auto &[id, t] : by_id_) (t.normalized ? normalized_ : plain_).insert(t.content, id);
}

std::optional<int32_t> AddedVocabulary::tokenId(std::string_view content) const {
  auto it = by_content_.find(content);
  if (it == by_content_.end()) return std::nullopt;
  return it->second;
}

const AddedToken *AddedVocabulary::token(int32_t id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &it->second;
}

absl::Status AddedVocabulary::split(std::string_view text, absl::FunctionRef<void(int32_t)> on_token,
                                    absl::FunctionRef<absl::Status(std::string_view)> on_text) const {
  // Non-normalized tokens in the raw text, then normalized ones in what is
  // left (there is no normalizer).
  return splitWith(plain_, text, on_token,
                   [&](std::string_view piece) { return splitWith(normalized_, piece, on_token, on_text); });
}

absl::Status AddedVocabulary::splitWith(const Trie &trie, std::string_view s,
                                        absl::FunctionRef<void(int32_t)> on_token,
                                        absl::FunctionRef<absl::Status(std::string_view)> on_text) const {
  if (s.empty()) return absl::OkStatus();
  if (trie.empty()) return on_text(s);
  size_t start_offset = 0;
  auto gap = [&](size_t from, size_t to) {
    return from < to ? on_text(s.substr(from, to - from)) : absl::OkStatus();
  };
  size_t pos = 0;
  while (pos < s.size()) {
    // The leftmost match, the longest there (daachorse's LeftmostLongest).
    size_t start = pos, stop = 0;
    int32_t id = -1;
    for (; start < s.size(); ++start) {
      if (!trie.first_byte[static_cast<uint8_t>(s[start])]) continue;
      auto [end, found] = trie.longestAt(s, start);
      if (end) {
        stop = end;
        id = found;
        break;
      }
    }
    if (id < 0) break;
    pos = stop;
    const AddedToken &t = by_id_.at(id);
    if (encode_special_tokens_ && special_.contains(t.content)) continue;
    if (t.single_word) {
      bool start_space = start == 0 || !endsWithWord(s.substr(0, start));
      bool stop_space = stop == s.size() || !startsWithWord(s.substr(stop));
      if (!start_space || !stop_space) continue;
    }
    if (t.lstrip) start = std::max(trailingSpaceStart(s.substr(0, start)), start_offset);
    if (t.rstrip) stop += leadingSpaceLength(s.substr(stop));
    if (start_offset < start) LFM_RETURN_IF_ERROR(gap(start_offset, start));
    on_token(id);
    start_offset = stop;
  }
  if (start_offset < s.size()) return gap(start_offset, s.size());
  return absl::OkStatus();
}

}  // namespace lfm::text
