#include "text/PreTokenizer.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lfm/StatusMacros.h"

namespace lfm::text {
namespace {

// GPT-2's pre-tokenizer regex, as HF's ByteLevel(use_regex=true) has it.
constexpr std::string_view kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

absl::StatusOr<std::shared_ptr<const Regex>> compileSplit(std::string_view pattern, bool literal) {
  auto re = literal ? Regex::compile(pattern, true) : Regex::compileOnig(pattern);
  if (!re.ok()) return re.status();
  return std::shared_ptr<const Regex>(*std::move(re));
}

std::shared_ptr<const Regex> gpt2Regex() {
  static const std::shared_ptr<const Regex> re = *compileSplit(kGpt2Pattern, false);
  return re;
}

absl::StatusOr<SplitBehavior> parseBehavior(const std::string &name, const std::string &path,
                                            const JsonFields &fields) {
  static constexpr std::pair<const char *, SplitBehavior> kNames[] = {
      {"Removed", SplitBehavior::kRemoved},
      {"Isolated", SplitBehavior::kIsolated},
      {"MergedWithPrevious", SplitBehavior::kMergedWithPrevious},
      {"MergedWithNext", SplitBehavior::kMergedWithNext},
      {"Contiguous", SplitBehavior::kContiguous},
  };
  for (const auto &[n, b] : kNames)
    if (name == n) return b;
  return fields.unsupported(path, name);
}

}  // namespace

absl::Status splitPiece(const Regex &regex, SplitBehavior behavior, bool invert, std::string_view piece,
                        absl::FunctionRef<absl::Status(std::string_view)> on_piece) {
  if (behavior == SplitBehavior::kIsolated) {
    // Every match and every gap between them is a piece.
    size_t prev = 0;
    absl::Status st;
    LFM_RETURN_IF_ERROR(regex.forEachMatch(piece, [&](size_t s, size_t e) {
      if (!st.ok()) return;
      if (prev != s) st = on_piece(piece.substr(prev, s - prev));
      if (st.ok() && e > s) st = on_piece(piece.substr(s, e - s));
      prev = e;
    }));
    LFM_RETURN_IF_ERROR(st);
    if (prev != piece.size()) return on_piece(piece.substr(prev));
    return absl::OkStatus();
  }
  // HF's Pattern::find_matches: matches and gaps, covering the piece.
  struct Part {
    size_t start, end;
    bool match;
  };
  std::vector<Part> parts;
  size_t prev = 0;
  LFM_RETURN_IF_ERROR(regex.forEachMatch(piece, [&](size_t s, size_t e) {
    if (prev != s) parts.push_back({prev, s, invert});
    parts.push_back({s, e, !invert});
    prev = e;
  }));
  if (prev != piece.size()) parts.push_back({prev, piece.size(), invert});
  // Then SplitDelimiterBehavior: (part, removed).
  std::vector<std::pair<Part, bool>> out;
  bool previous_match = false;
  switch (behavior) {
    case SplitBehavior::kRemoved:
      for (const Part &p : parts) out.push_back({p, p.match});
      break;
    case SplitBehavior::kContiguous:
      for (const Part &p : parts) {
        if (p.match == previous_match && !out.empty()) {
          out.back().first.end = p.end;
        } else {
          out.push_back({p, false});
        }
        previous_match = p.match;
      }
      break;
    case SplitBehavior::kMergedWithPrevious:
      for (const Part &p : parts) {
        if (p.match && !previous_match && !out.empty()) {
          out.back().first.end = p.end;
        } else {
          out.push_back({p, false});
        }
        previous_match = p.match;
      }
      break;
    case SplitBehavior::kMergedWithNext:
      for (size_t k = parts.size(); k-- > 0;) {
        const Part &p = parts[k];
        if (p.match && !previous_match && !out.empty()) {
          out.back().first.start = p.start;
        } else {
          out.push_back({p, false});
        }
        previous_match = p.match;
      }
      std::reverse(out.begin(), out.end());
      break;
    case SplitBehavior::kIsolated:
      break;
  }
  for (const auto &[p, removed] : out)
    if (!removed && p.end > p.start) LFM_RETURN_IF_ERROR(on_piece(piece.substr(p.start, p.end - p.start)));
  return absl::OkStatus();
}

absl::StatusOr<PreTokenizer> PreTokenizer::create(const Json *json, const JsonFields &fields) {
  if (!json || json->is_null())
    return fields.invalid("pre_tokenizer", "null is not supported (a byte-level BPE needs ByteLevel)");
  PreTokenizer pt;
  bool byte_level = false;
  LFM_RETURN_IF_ERROR(pt.parse(*json, "pre_tokenizer", fields, &byte_level));
  if (!byte_level)
    return fields.invalid("pre_tokenizer", "has no ByteLevel (only byte-level BPE is supported)");
  return pt;
}

absl::Status PreTokenizer::parse(const Json &json, const std::string &path, const JsonFields &fields,
                                 bool *byte_level_seen) {
  LFM_RETURN_IF_ERROR(fields.object(json, path));
  LFM_ASSIGN_OR_RETURN(std::string type, fields.string(json, "type", path));
  if (*byte_level_seen)
    return fields.invalid(path,
                          absl::StrCat("a pre-tokenizer after ByteLevel ('", type, "') is not supported"));
  if (type == "Sequence") {
    const Json *list = JsonFields::find(json, "pretokenizers");
    std::string list_path = joinPath(path, "pretokenizers");
    if (!list) return fields.invalid(list_path, "missing");
    LFM_RETURN_IF_ERROR(fields.array(*list, list_path));
    for (size_t i = 0; i < list->size(); ++i)
      LFM_RETURN_IF_ERROR(parse((*list)[i], indexPath(list_path, i), fields, byte_level_seen));
    return absl::OkStatus();
  }
  if (type == "Split") {
    std::string pattern_path = joinPath(path, "pattern");
    const Json *pattern = JsonFields::find(json, "pattern");
    if (!pattern) return fields.invalid(pattern_path, "missing");
    LFM_RETURN_IF_ERROR(fields.object(*pattern, pattern_path));
    if (pattern->size() != 1)
      return fields.invalid(pattern_path, "expected {\"Regex\": ...} or {\"String\": ...}");
    const std::string kind = pattern->begin().key();
    if (kind != "Regex" && kind != "String") return fields.unsupported(pattern_path, kind);
    LFM_ASSIGN_OR_RETURN(std::string text, fields.string(*pattern, kind, pattern_path));
    Split split;
    auto re = compileSplit(text, kind == "String");
    if (!re.ok()) return fields.invalid(joinPath(pattern_path, kind), std::string(re.status().message()));
    split.regex = *std::move(re);
    LFM_ASSIGN_OR_RETURN(std::string behavior, fields.string(json, "behavior", path));
    LFM_ASSIGN_OR_RETURN(split.behavior, parseBehavior(behavior, joinPath(path, "behavior"), fields));
    LFM_ASSIGN_OR_RETURN(split.invert, fields.boolean(json, "invert", path));
    splits_.push_back(std::move(split));
    return absl::OkStatus();
  }
  if (type == "ByteLevel") {
    LFM_ASSIGN_OR_RETURN(add_prefix_space_, fields.boolean(json, "add_prefix_space", path));
    LFM_ASSIGN_OR_RETURN(bool use_regex, fields.optBoolean(json, "use_regex", path, true));
    if (use_regex) byte_level_regex_ = gpt2Regex();
    *byte_level_seen = true;
    return absl::OkStatus();
  }
  return fields.unsupported(joinPath(path, "type"), type);
}

absl::Status PreTokenizer::run(std::string_view text,
                               absl::FunctionRef<absl::Status(std::string_view)> on_word) const {
  if (text.empty()) return absl::OkStatus();
  return runFrom(0, text, on_word);
}

absl::Status PreTokenizer::runFrom(size_t stage, std::string_view piece,
                                   absl::FunctionRef<absl::Status(std::string_view)> on_word) const {
  if (stage == splits_.size()) return byteLevel(piece, on_word);
  const Split &split = splits_[stage];
  return splitPiece(*split.regex, split.behavior, split.invert, piece,
                    [&](std::string_view part) { return runFrom(stage + 1, part, on_word); });
}

absl::Status PreTokenizer::byteLevel(std::string_view piece,
                                     absl::FunctionRef<absl::Status(std::string_view)> on_word) const {
  std::string prefixed;
  if (add_prefix_space_ && piece.front() != ' ') {
    prefixed.reserve(piece.size() + 1);
    prefixed += ' ';
    prefixed += piece;
    piece = prefixed;
  }
  if (!byte_level_regex_) return on_word(piece);
  return splitPiece(*byte_level_regex_, SplitBehavior::kIsolated, false, piece, on_word);
}

}  // namespace lfm::text
