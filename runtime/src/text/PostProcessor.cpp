#include "text/PostProcessor.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "lfm/StatusMacros.h"

namespace lfm::text {
namespace {

absl::Status parseInto(const Json &json, const std::string &path, const JsonFields &fields,
                       PostProcessor &out);

absl::Status parseTemplate(const Json &json, const std::string &path, const JsonFields &fields,
                           PostProcessor &out) {
  std::string specials_path = joinPath(path, "special_tokens");
  const Json *specials = JsonFields::find(json, "special_tokens");
  if (!specials) return fields.invalid(specials_path, "missing");
  LFM_RETURN_IF_ERROR(fields.object(*specials, specials_path));
  std::string single_path = joinPath(path, "single");
  const Json *single = JsonFields::find(json, "single");
  if (!single) return fields.invalid(single_path, "missing");
  LFM_RETURN_IF_ERROR(fields.array(*single, single_path));
  std::vector<int32_t> before, after;
  bool seen_a = false;
  for (size_t i = 0; i < single->size(); ++i) {
    const Json &piece = (*single)[i];
    std::string piece_path = indexPath(single_path, i);
    LFM_RETURN_IF_ERROR(fields.object(piece, piece_path));
    if (piece.size() != 1)
      return fields.invalid(piece_path, "expected {\"SpecialToken\": ...} or {\"Sequence\": ...}");
    const std::string kind = piece.begin().key();
    const Json &body = piece.begin().value();
    std::string body_path = joinPath(piece_path, kind);
    LFM_RETURN_IF_ERROR(fields.object(body, body_path));
    LFM_ASSIGN_OR_RETURN(std::string id, fields.string(body, "id", body_path));
    if (kind == "Sequence") {
      if (id != "A")
        return fields.invalid(joinPath(body_path, "id"), absl::StrCat("'", id, "' in a single template"));
      if (seen_a) return fields.invalid(body_path, "$A twice");
      seen_a = true;
      continue;
    }
    if (kind != "SpecialToken") return fields.unsupported(piece_path, kind);
    const Json *special = JsonFields::find(*specials, id);
    if (!special)
      return fields.invalid(specials_path, absl::StrCat("'", id, "' (used by ", body_path, ") is missing"));
    std::string special_path = absl::StrCat(specials_path, "['", id, "']");
    LFM_RETURN_IF_ERROR(fields.object(*special, special_path));
    const Json *ids = JsonFields::find(*special, "ids");
    if (!ids) return fields.invalid(joinPath(special_path, "ids"), "missing");
    LFM_RETURN_IF_ERROR(fields.array(*ids, joinPath(special_path, "ids")));
    for (size_t k = 0; k < ids->size(); ++k) {
      LFM_ASSIGN_OR_RETURN(int32_t v, fields.id((*ids)[k], indexPath(joinPath(special_path, "ids"), k)));
      (seen_a ? after : before).push_back(v);
    }
  }
  if (!seen_a) return fields.invalid(single_path, "has no $A");
  out.prefix.insert(out.prefix.begin(), before.begin(), before.end());
  out.suffix.insert(out.suffix.end(), after.begin(), after.end());
  return absl::OkStatus();
}

// BertProcessing / RobertaProcessing: "cls": [token, id], "sep": [token, id].
absl::Status parseClsSep(const Json &json, const std::string &path, const JsonFields &fields,
                         PostProcessor &out) {
  int32_t ids[2];
  const char *keys[2] = {"cls", "sep"};
  for (int k = 0; k < 2; ++k) {
    std::string p = joinPath(path, keys[k]);
    const Json *v = JsonFields::find(json, keys[k]);
    if (!v) return fields.invalid(p, "missing");
    if (!v->is_array() || v->size() != 2 || !(*v)[0].is_string())
      return fields.wrongType(p, "a [token, id] pair", *v);
    LFM_ASSIGN_OR_RETURN(ids[k], fields.id((*v)[1], indexPath(p, 1)));
  }
  out.prefix.insert(out.prefix.begin(), ids[0]);
  out.suffix.push_back(ids[1]);
  return absl::OkStatus();
}

absl::Status parseInto(const Json &json, const std::string &path, const JsonFields &fields,
                       PostProcessor &out) {
  LFM_RETURN_IF_ERROR(fields.object(json, path));
  LFM_ASSIGN_OR_RETURN(std::string type, fields.string(json, "type", path));
  if (type == "TemplateProcessing") return parseTemplate(json, path, fields, out);
  if (type == "ByteLevel") return absl::OkStatus();
  if (type == "BertProcessing" || type == "RobertaProcessing") return parseClsSep(json, path, fields, out);
  if (type == "Sequence") {
    std::string list_path = joinPath(path, "processors");
    const Json *list = JsonFields::find(json, "processors");
    if (!list) return fields.invalid(list_path, "missing");
    LFM_RETURN_IF_ERROR(fields.array(*list, list_path));
    for (size_t i = 0; i < list->size(); ++i)
      LFM_RETURN_IF_ERROR(parseInto((*list)[i], indexPath(list_path, i), fields, out));
    return absl::OkStatus();
  }
  return fields.unsupported(joinPath(path, "type"), type);
}

}  // namespace

absl::StatusOr<PostProcessor> parsePostProcessor(const Json *json, const JsonFields &fields) {
  PostProcessor out;
  if (!json || json->is_null()) return out;
  LFM_RETURN_IF_ERROR(parseInto(*json, "post_processor", fields, out));
  return out;
}

}  // namespace lfm::text
