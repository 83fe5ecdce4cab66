#include "lfm/Tokenizer.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lfm/StatusMacros.h"
#include "text/AbslView.h"
#include "text/ByteLevel.h"
#include "text/JsonFields.h"
#include "text/PostProcessor.h"
#include "text/TokenizerConfig.h"
#include "text/TokenizerImpl.h"
#include "text/Utf8.h"

namespace lfm {
namespace {

using text::AddedToken;
using text::Json;
using text::JsonFields;

absl::Status checkTopLevel(const Json &json, const JsonFields &fields) {
  LFM_RETURN_IF_ERROR(fields.object(json, "tokenizer.json"));
  if (const Json *v = JsonFields::find(json, "version"); v && !v->is_null()) {
    if (!v->is_string()) return fields.wrongType("version", "a string", *v);
    if (v->get<std::string>() != "1.0") return fields.unsupported("version", v->get<std::string>());
  }
  if (const Json *t = JsonFields::find(json, "truncation"); t && !t->is_null())
    return fields.unsupported("truncation", t->dump());
  if (const Json *p = JsonFields::find(json, "padding"); p && !p->is_null()) {
    // Padding to the longest of a batch does nothing to one sequence.
    const Json *strategy = JsonFields::find(*p, "strategy");
    if (!strategy || *strategy != "BatchLongest") return fields.unsupported("padding", p->dump());
  }
  if (const Json *n = JsonFields::find(json, "normalizer"); n && !n->is_null()) {
    LFM_RETURN_IF_ERROR(fields.object(*n, "normalizer"));
    LFM_ASSIGN_OR_RETURN(std::string type, fields.string(*n, "type", "normalizer"));
    const Json *list = JsonFields::find(*n, "normalizers");
    if (type != "Sequence" || !list || !list->is_array() || !list->empty())
      return fields.unsupported("normalizer.type", type);
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> parseDecoder(const Json &json, const JsonFields &fields) {
  const Json *d = JsonFields::find(json, "decoder");
  if (!d || d->is_null()) return false;
  LFM_RETURN_IF_ERROR(fields.object(*d, "decoder"));
  LFM_ASSIGN_OR_RETURN(std::string type, fields.string(*d, "type", "decoder"));
  if (type != "ByteLevel") return fields.unsupported("decoder.type", type);
  return true;
}

absl::StatusOr<std::vector<AddedToken>> parseAddedTokens(const Json &json, const JsonFields &fields) {
  std::vector<AddedToken> out;
  const Json *list = JsonFields::find(json, "added_tokens");
  if (!list || list->is_null()) return out;
  LFM_RETURN_IF_ERROR(fields.array(*list, "added_tokens"));
  for (size_t i = 0; i < list->size(); ++i) {
    const Json &item = (*list)[i];
    std::string path = text::indexPath("added_tokens", i);
    LFM_RETURN_IF_ERROR(fields.object(item, path));
    const Json *id = JsonFields::find(item, "id");
    if (!id) return fields.invalid(text::joinPath(path, "id"), "missing");
    LFM_RETURN_IF_ERROR(fields.id(*id, text::joinPath(path, "id")).status());
    AddedToken t;
    LFM_ASSIGN_OR_RETURN(t.content, fields.string(item, "content", path));
    LFM_ASSIGN_OR_RETURN(t.single_word, fields.optBoolean(item, "single_word", path, false));
    LFM_ASSIGN_OR_RETURN(t.lstrip, fields.optBoolean(item, "lstrip", path, false));
    LFM_ASSIGN_OR_RETURN(t.rstrip, fields.optBoolean(item, "rstrip", path, false));
    LFM_ASSIGN_OR_RETURN(t.normalized, fields.optBoolean(item, "normalized", path, true));
    LFM_ASSIGN_OR_RETURN(t.special, fields.optBoolean(item, "special", path, false));
    out.push_back(std::move(t));
  }
  return out;
}

// What PreTrainedTokenizerFast.__init__ and from_pretrained's _post_init do
// with the config's tokens: added_tokens_decoder and the special tokens the
// tokenizer lacks are added; then every named and extra special token is
// added again as special (which makes an added token that was not special,
// special).
void applyConfigTokens(const text::TokenizerConfig &config, const std::vector<AddedToken> &file_tokens,
                       Tokenizer::Impl &impl) {
  auto model_id = [&](std::string_view s) { return impl.model->tokenId(s); };
  std::vector<AddedToken> batch;
  std::vector<std::string> encoder;
  for (const auto &[id, t] : impl.added.tokens()) encoder.push_back(t.content);
  for (const auto &[id, t] : config.added_tokens) {
    batch.push_back(t);
    encoder.push_back(t.content);
  }
  auto known = [&](const std::string &c) {
    return std::find(encoder.begin(), encoder.end(), c) != encoder.end() ||
           std::any_of(batch.begin(), batch.end(), [&](const AddedToken &t) { return t.content == c; });
  };
  for (const auto &[name, ct] : config.named) {
    if (known(ct.token.content)) continue;
    AddedToken t = ct.token;
    t.special = true;
    batch.push_back(std::move(t));
  }
  for (const text::ConfigToken &ct : config.extra) {
    if (known(ct.token.content)) continue;
    batch.push_back(ct.token);
  }
  if (!batch.empty()) impl.added.addTokens(batch, model_id, impl.model->size());

  // _post_init: a string names the token of that content among the added
  // tokens transformers was given (the config's added_tokens_decoder, else
  // tokenizer.json's), with its flags.
  auto given = [&](const std::string &content) -> const AddedToken * {
    if (!config.added_tokens.empty()) {
      for (const auto &[id, t] : config.added_tokens)
        if (t.content == content) return &t;
      return nullptr;
    }
    for (const AddedToken &t : file_tokens)
      if (t.content == content) return &t;
    return nullptr;
  };
  batch.clear();
  auto again = [&](const text::ConfigToken &ct) {
    const AddedToken *g = ct.from_object ? nullptr : given(ct.token.content);
    AddedToken t = g ? *g : ct.token;
    t.special = true;
    batch.push_back(std::move(t));
  };
  for (const auto &[name, ct] : config.named) again(ct);
  for (const text::ConfigToken &ct : config.extra) again(ct);
  if (!batch.empty()) impl.added.addTokens(batch, model_id, impl.model->size());
}

absl::Status buildTokenTable(Tokenizer::Impl &impl, const JsonFields &fields) {
  int64_t max_id = -1;
  for (const auto &[id, s] : impl.model->idToToken()) max_id = std::max<int64_t>(max_id, id);
  for (const auto &[id, t] : impl.added.tokens()) max_id = std::max<int64_t>(max_id, id);
  size_t count = impl.model->idToToken().size() + impl.added.tokens().size();
  if (max_id >= static_cast<int64_t>(4 * count + 65536))
    return fields.invalid("model.vocab",
                          absl::StrCat("ids up to ", max_id, " for ", count, " tokens: too sparse"));
  impl.tokens.assign(static_cast<size_t>(max_id + 1), {});
  auto fill = [&](int32_t id, const std::string &content) {
    Tokenizer::Impl::TokenInfo &info = impl.tokens[id];
    info.exists = true;
    info.special = impl.added.isSpecialContent(content);
    // HF's ByteLevel decoder: a token all of whose characters are in the
    // alphabet is its bytes; any other stays as it is.
    std::optional<std::string> bytes;
    if (impl.byte_level_decoder) bytes = text::fromByteLevel(content);
    info.bytes = bytes ? std::move(*bytes) : content;
  };
  for (const auto &[id, s] : impl.model->idToToken()) fill(id, s);
  for (const auto &[id, t] : impl.added.tokens()) fill(id, t.content);  // added tokens first, as HF
  return absl::OkStatus();
}

}  // namespace

absl::Status Tokenizer::Impl::invalidId(int32_t id) const {
  return absl::InvalidArgumentError(
      absl::StrCat("token id ", id, " is not a token of this tokenizer (vocab size ", tokens.size(), ")"));
}

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::~Tokenizer() = default;

absl::StatusOr<std::unique_ptr<Tokenizer>> Tokenizer::create(std::string_view tokenizer_json,
                                                             std::string_view tokenizer_config_json,
                                                             std::string_view origin) {
  JsonFields fields{std::string(origin)};
  LFM_ASSIGN_OR_RETURN(Json json, text::parseJson(tokenizer_json, origin));
  LFM_RETURN_IF_ERROR(checkTopLevel(json, fields));
  auto impl = std::make_unique<Impl>();

  const Json *model = JsonFields::find(json, "model");
  if (!model) return fields.invalid("model", "missing");
  LFM_ASSIGN_OR_RETURN(impl->model, text::BpeModel::create(*model, fields));
  LFM_ASSIGN_OR_RETURN(impl->pre_tokenizer,
                       text::PreTokenizer::create(JsonFields::find(json, "pre_tokenizer"), fields));
  LFM_ASSIGN_OR_RETURN(text::PostProcessor post,
                       text::parsePostProcessor(JsonFields::find(json, "post_processor"), fields));
  LFM_ASSIGN_OR_RETURN(impl->byte_level_decoder, parseDecoder(json, fields));
  LFM_ASSIGN_OR_RETURN(std::vector<AddedToken> file_tokens, parseAddedTokens(json, fields));
  auto model_id = [&](std::string_view s) { return impl->model->tokenId(s); };
  impl->added.addTokens(file_tokens, model_id, impl->model->size());

  JsonFields config_fields{absl::StrCat(text::av(origin), ": tokenizer_config.json")};
  LFM_ASSIGN_OR_RETURN(text::TokenizerConfig config,
                       text::parseTokenizerConfig(tokenizer_config_json, config_fields));
  applyConfigTokens(config, file_tokens, *impl);
  impl->added.setEncodeSpecialTokens(config.split_special_tokens);

  auto named = [&](std::string_view name) -> std::string {
    const text::ConfigToken *t = config.find(name);
    return t ? t->token.content : std::string();
  };
  impl->bos_token = named("bos_token");
  impl->eos_token = named("eos_token");
  auto idOf = [&](const std::string &content) -> std::optional<int32_t> {
    if (content.empty()) return std::nullopt;
    if (auto id = impl->added.tokenId(content)) return id;
    return impl->model->tokenId(content);
  };
  impl->bos_id = idOf(impl->bos_token);
  impl->eos_id = idOf(impl->eos_token);
  impl->chat_template = config.chat_template;

  // AutoTokenizer.from_pretrained keeps tokenizer.json's post-processor:
  // with a tokenizer.json it drops add_bos_token and add_eos_token from the
  // config (transformers 5), and a null post-processor adds nothing.
  impl->prefix = std::move(post.prefix);
  impl->suffix = std::move(post.suffix);

  LFM_RETURN_IF_ERROR(buildTokenTable(*impl, fields));
  for (const std::vector<int32_t> *affix : {&impl->prefix, &impl->suffix})
    for (int32_t id : *affix)
      if (!impl->token(id))
        return fields.invalid("post_processor", absl::StrCat("adds token id ", id, ", which is no token"));
  return std::unique_ptr<Tokenizer>(new Tokenizer(std::move(impl)));
}

absl::StatusOr<std::vector<int32_t>> Tokenizer::encode(std::string_view text, bool add_special_tokens) const {
  if (size_t bad = text::invalidUtf8Offset(text); bad != std::string_view::npos)
    return absl::InvalidArgumentError(
        absl::StrCat("encode: the text is not valid UTF-8 (at byte ", bad, ")"));
  std::vector<int32_t> out;
  out.reserve(text.size() / 3 + 4);
  if (add_special_tokens) out = impl_->prefix;
  const text::BpeModel &model = *impl_->model;
  const text::PreTokenizer &pre = *impl_->pre_tokenizer;
  LFM_RETURN_IF_ERROR(impl_->added.split(
      text, [&](int32_t id) { out.push_back(id); },
      [&](std::string_view piece) {
        return pre.run(piece, [&](std::string_view word) { return model.tokenize(word, out); });
      }));
  if (add_special_tokens) out.insert(out.end(), impl_->suffix.begin(), impl_->suffix.end());
  return out;
}

absl::StatusOr<std::string> Tokenizer::decode(std::span<const int32_t> ids, bool skip_special_tokens) const {
  std::string bytes;
  bool first = true;
  for (int32_t id : ids) {
    const Impl::TokenInfo *t = impl_->token(id);
    if (!t) return impl_->invalidId(id);
    if (skip_special_tokens && t->special) continue;
    if (!impl_->byte_level_decoder && !first) bytes += ' ';
    bytes += t->bytes;
    first = false;
  }
  return impl_->byte_level_decoder ? text::utf8Lossy(bytes) : bytes;
}

int64_t Tokenizer::vocabSize() const { return static_cast<int64_t>(impl_->tokens.size()); }

std::optional<int32_t> Tokenizer::tokenId(std::string_view token) const {
  if (auto id = impl_->added.tokenId(token)) return id;
  return impl_->model->tokenId(token);
}

bool Tokenizer::isSpecial(int32_t id) const {
  const Impl::TokenInfo *t = impl_->token(id);
  return t && t->special;
}

absl::StatusOr<std::string> Tokenizer::tokenBytes(int32_t id) const {
  const Impl::TokenInfo *t = impl_->token(id);
  if (!t) return impl_->invalidId(id);
  return t->bytes;
}

const std::string &Tokenizer::bosToken() const { return impl_->bos_token; }
const std::string &Tokenizer::eosToken() const { return impl_->eos_token; }
std::optional<int32_t> Tokenizer::bosId() const { return impl_->bos_id; }
std::optional<int32_t> Tokenizer::eosId() const { return impl_->eos_id; }
const std::string &Tokenizer::chatTemplate() const { return impl_->chat_template; }

}  // namespace lfm
