#include "text/BpeModel.h"

#include <queue>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lfm/StatusMacros.h"
#include "text/ByteLevel.h"

namespace lfm::text {

absl::StatusOr<std::unique_ptr<BpeModel>> BpeModel::create(const Json &json, const JsonFields &fields) {
  const std::string path = "model";
  LFM_RETURN_IF_ERROR(fields.object(json, path));
  LFM_ASSIGN_OR_RETURN(std::string type, fields.string(json, "type", path));
  if (type != "BPE") return fields.unsupported("model.type", type);
  std::unique_ptr<BpeModel> m(new BpeModel());

  if (const Json *dropout = JsonFields::find(json, "dropout"); dropout && !dropout->is_null()) {
    if (!dropout->is_number()) return fields.wrongType("model.dropout", "a number or null", *dropout);
    if (dropout->get<double>() != 0.0) return fields.unsupported("model.dropout", dropout->dump());
  }
  LFM_ASSIGN_OR_RETURN(m->unk_token_, fields.optString(json, "unk_token", path));
  for (const char *key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    LFM_ASSIGN_OR_RETURN(std::optional<std::string> v, fields.optString(json, key, path));
    if (v && !v->empty()) return fields.unsupported(joinPath(path, key), *v);
  }
  LFM_ASSIGN_OR_RETURN(m->fuse_unk_, fields.optBoolean(json, "fuse_unk", path, false));
  LFM_ASSIGN_OR_RETURN(bool byte_fallback, fields.optBoolean(json, "byte_fallback", path, false));
  if (byte_fallback) return fields.unsupported("model.byte_fallback", "true");
  LFM_ASSIGN_OR_RETURN(m->ignore_merges_, fields.optBoolean(json, "ignore_merges", path, false));

  const Json *vocab = JsonFields::find(json, "vocab");
  if (!vocab) return fields.invalid("model.vocab", "missing");
  LFM_RETURN_IF_ERROR(fields.object(*vocab, "model.vocab"));
  std::vector<std::pair<std::string, int32_t>> entries, byte_entries;
  entries.reserve(vocab->size());
  for (auto it = vocab->begin(); it != vocab->end(); ++it) {
    LFM_ASSIGN_OR_RETURN(int32_t id, fields.id(it.value(), absl::StrCat("model.vocab['", it.key(), "']")));
    auto [pos, fresh] = m->id_to_token_.emplace(id, it.key());
    if (!fresh)
      return fields.invalid("model.vocab",
                            absl::StrCat("'", pos->second, "' and '", it.key(), "' both have id ", id));
    entries.emplace_back(it.key(), id);
    if (auto bytes = fromByteLevel(it.key())) byte_entries.emplace_back(std::move(*bytes), id);
  }
  m->vocab_.build(entries);
  m->vocab_bytes_.build(byte_entries);
  for (int b = 0; b < 256; ++b) {
    const int32_t *id = m->vocab_.find(toByteLevel(std::string(1, static_cast<char>(b))));
    m->byte_ids_[b] = id ? *id : -1;
  }

  const Json *merges = JsonFields::find(json, "merges");
  if (!merges) return fields.invalid("model.merges", "missing");
  LFM_RETURN_IF_ERROR(fields.array(*merges, "model.merges"));
  std::vector<std::pair<uint64_t, Merge>> merge_entries;
  merge_entries.reserve(merges->size());
  uint32_t rank = 0;
  bool strings = !merges->empty() && (*merges)[0].is_string();
  for (size_t i = 0; i < merges->size(); ++i) {
    const Json &item = (*merges)[i];
    std::string item_path = indexPath("model.merges", i);
    std::string a, b;
    if (strings) {
      if (!item.is_string()) return fields.wrongType(item_path, "a string like the merges before it", item);
      const auto &line = item.get_ref<const std::string &>();
      if (line.rfind("#version", 0) == 0) continue;
      std::vector<std::string> parts = absl::StrSplit(line, ' ');
      if (parts.size() != 2)
        return fields.invalid(item_path, absl::StrCat("expected 'a b', got '", line, "'"));
      a = std::move(parts[0]);
      b = std::move(parts[1]);
    } else {
      if (!item.is_array() || item.size() != 2 || !item[0].is_string() || !item[1].is_string())
        return fields.wrongType(item_path, "a pair of strings", item);
      a = item[0].get<std::string>();
      b = item[1].get<std::string>();
    }
    const int32_t *ia = m->vocab_.find(a), *ib = m->vocab_.find(b), *in = m->vocab_.find(a + b);
    if (!ia) return fields.invalid(item_path, absl::StrCat("'", a, "' is not in the vocab"));
    if (!ib) return fields.invalid(item_path, absl::StrCat("'", b, "' is not in the vocab"));
    if (!in) return fields.invalid(item_path, absl::StrCat("the merge '", a, b, "' is not in the vocab"));
    merge_entries.emplace_back(pairKey(*ia, *ib), Merge{rank, *in});
    ++rank;
  }
  m->merges_.build(merge_entries);
  return m;
}

std::optional<int32_t> BpeModel::tokenId(std::string_view token) const {
  const int32_t *id = vocab_.find(token);
  if (!id) return std::nullopt;
  return *id;
}

absl::Status BpeModel::tokenize(std::string_view word, std::vector<int32_t> &out) const {
  if (ignore_merges_) {
    if (const int32_t *id = vocab_bytes_.find(word)) {
      out.push_back(*id);
      return absl::OkStatus();
    }
  }
  if (cache_.find(word, out)) return absl::OkStatus();
  size_t before = out.size();
  LFM_RETURN_IF_ERROR(mergeWord(word, out));
  cache_.insert(word, out.data() + before, out.size() - before);
  return absl::OkStatus();
}

absl::Status BpeModel::mergeWord(std::string_view word, std::vector<int32_t> &out) const {
  struct Symbol {
    int32_t c;
    int32_t prev, next;
    uint32_t len;  // 0: merged into the symbol before
  };
  std::vector<Symbol> symbols;
  symbols.reserve(word.size());
  auto add = [&](int32_t c, uint32_t len) {
    auto n = static_cast<int32_t>(symbols.size());
    if (!symbols.empty()) symbols.back().next = n;
    symbols.push_back({c, n - 1, -1, len});
  };
  // Bytes with no symbol become the unknown token (fused or not) or vanish.
  int32_t unk_id = -1;  // a pending unknown token, unk_len bytes long
  uint32_t unk_len = 0;
  for (char ch : word) {
    int32_t id = byte_ids_[static_cast<uint8_t>(ch)];
    if (id >= 0) {
      if (unk_id >= 0) add(unk_id, unk_len);
      unk_id = -1;
      add(id, 1);
      continue;
    }
    if (!unk_token_) continue;
    if (unk_id >= 0 && fuse_unk_) {
      ++unk_len;
      continue;
    }
    if (unk_id >= 0) add(unk_id, unk_len);
    const int32_t *found = vocab_.find(*unk_token_);
    if (!found)
      return absl::InvalidArgumentError(
          absl::StrCat("model.unk_token '", *unk_token_, "' is not in the vocab"));
    unk_id = *found;
    unk_len = 1;
  }
  if (unk_id >= 0) add(unk_id, unk_len);

  // HF's Word::merge_all: lowest rank first, then leftmost; an entry whose
  // pair no longer gives its new id is stale.
  struct Entry {
    uint32_t rank;
    int32_t pos;
    int32_t new_id;
    bool operator<(const Entry &o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  std::vector<Entry> storage;
  storage.reserve(symbols.size() * 2);
  std::priority_queue<Entry> queue(std::less<Entry>(), std::move(storage));
  auto lookup = [&](int32_t a, int32_t b) -> const Merge * { return merges_.find(pairKey(a, b)); };
  for (size_t i = 0; i + 1 < symbols.size(); ++i)
    if (const Merge *m = lookup(symbols[i].c, symbols[i + 1].c))
      queue.push({m->rank, static_cast<int32_t>(i), m->new_id});
  while (!queue.empty()) {
    Entry top = queue.top();
    queue.pop();
    Symbol &cur = symbols[top.pos];
    if (cur.len == 0 || cur.next == -1) continue;
    Symbol right = symbols[cur.next];
    const Merge *m = lookup(cur.c, right.c);
    if (!m || m->new_id != top.new_id) continue;
    int32_t next_pos = cur.next;
    cur.c = top.new_id;
    cur.len += right.len;
    cur.next = right.next;
    symbols[next_pos].len = 0;
    if (right.next > -1 && right.next < static_cast<int32_t>(symbols.size()))
      symbols[right.next].prev = top.pos;
    if (cur.prev >= 0)
      if (const Merge *pm = lookup(symbols[cur.prev].c, cur.c)) queue.push({pm->rank, cur.prev, pm->new_id});
    if (cur.next > -1 && cur.next < static_cast<int32_t>(symbols.size()))
      if (const Merge *nm = lookup(cur.c, symbols[cur.next].c)) queue.push({nm->rank, top.pos, nm->new_id});
  }
  for (const Symbol &s : symbols)
    if (s.len != 0) out.push_back(s.c);
  return absl::OkStatus();
}

}  // namespace lfm::text
