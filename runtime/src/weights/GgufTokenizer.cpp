// A GGUF's tokenizer.ggml.* metadata as the HF tokenizer files that
// lfm/Tokenizer.h reads (see lfm/GgufLfm2.h). The tokenizer.json built here
// is the one LFM2's own has: byte-level BPE with ignore_merges, the Split
// regex LFM2 pre-tokenizes with, ByteLevel pre-tokenizer and decoder, and a
// TemplateProcessing post-processor that adds BOS.
#include <algorithm>
#include <iterator>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "lfm/GgufLfm2.h"
#include "lfm/StatusMacros.h"

namespace lfm {
namespace {

using json = nlohmann::json;

// llama.cpp's llama_token_type values in tokenizer.ggml.token_type.
constexpr int64_t kTokenControl = 3;
constexpr int64_t kTokenUserDefined = 4;

// LFM2's pre-tokenizer regex (tokenizer.json's Split pattern; llama.cpp's
// LLAMA_VOCAB_PRE_TYPE_LFM2).
constexpr const char *kLfm2Regex =
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|"
    "\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

absl::Status unsupported(const GgufFile &gguf, absl::string_view what) {
  return absl::UnimplementedError(absl::StrCat(
      gguf.where(), ": unsupported tokenizer: ", what,
      "; lfm reads byte-level BPE vocabularies (tokenizer.ggml.model 'gpt2') with the 'lfm2' "
      "pre-tokenizer (the model still runs from token ids)"));
}

// An optional token id; out of range is an error naming the key.
absl::StatusOr<std::optional<int64_t>> tokenId(const GgufFile &gguf, const char *key,
                                               size_t vocab) {
  if (gguf.find(key) == nullptr) return std::optional<int64_t>();
  LFM_ASSIGN_OR_RETURN(int64_t id, gguf.getInt(key));
  if (id < 0 || static_cast<uint64_t>(id) >= vocab)
    return absl::InvalidArgumentError(absl::StrCat(gguf.where(), ": ", key, " ", id,
                                                   " is not a token id (", vocab, " tokens)"));
  return std::optional<int64_t>(id);
}

absl::StatusOr<bool> flag(const GgufFile &gguf, const char *key, bool absent) {
  const GgufValue *v = gguf.find(key);
  if (v == nullptr) return absent;
  if (!v->asBool())
    return absl::InvalidArgumentError(
        absl::StrCat(gguf.where(), ": ", key, " is ", v->describe(), ", expected a bool"));
  return *v->asBool();
}

absl::StatusOr<std::string> dump(const GgufFile &gguf, const json &value, const char *file) {
  try {
    return value.dump(2);
  } catch (const json::exception &) {
    return absl::InvalidArgumentError(
        absl::StrCat(gguf.where(), ": the tokenizer metadata is not valid UTF-8 (building ",
                     file, ")"));
  }
}

json specialToken(const std::string &content) {
  return {{"SpecialToken", {{"id", content}, {"type_id", 0}}}};
}

json sequence(const char *id, int type_id) {
  return {{"Sequence", {{"id", id}, {"type_id", type_id}}}};
}

// The tokens that end generation, as llama.cpp's llama_vocab marks them
// (special_eog_ids): the eos, eot and eom ids, the FIM pad/rep/sep ids, and
// every token whose text is one of the end-of-turn texts below. The
// converter stores one eos id (LFM2's <|im_end|>); its <|endoftext|> stops
// too, in llama.cpp as in HF's generation_config.json ([7, 2]). Ids in that
// order, each once.
constexpr std::string_view kEndOfGenerationTexts[] = {
    "<|eot_id|>",    "<|im_end|>", "<|end|>", "<|return|>",      "<|call|>",
    "<end_of_turn>", "<|endoftext|>", "<|eom_id|>", "<EOT>", "_<EOT>",
    "<|end_of_text|>", "<end_of_utterance>"};

absl::StatusOr<json> endOfGenerationIds(const GgufFile &gguf,
                                        const std::vector<std::string_view> &tokens) {
  json ids = json::array();
  auto add = [&](int64_t id) {
    if (std::find(ids.begin(), ids.end(), json(id)) == ids.end()) ids.push_back(id);
  };
  for (const char *key : {"tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id",
                          "tokenizer.ggml.eom_token_id", "tokenizer.ggml.fim_pad_token_id",
                          "tokenizer.ggml.fim_rep_token_id", "tokenizer.ggml.fim_sep_token_id"}) {
    LFM_ASSIGN_OR_RETURN(std::optional<int64_t> id, tokenId(gguf, key, tokens.size()));
    if (id) add(*id);
  }
  for (size_t id = 0; id < tokens.size(); ++id)
    if (std::find(std::begin(kEndOfGenerationTexts), std::end(kEndOfGenerationTexts),
                  tokens[id]) != std::end(kEndOfGenerationTexts))
      add(static_cast<int64_t>(id));
  return ids;
}

}  // namespace

absl::StatusOr<TokenizerFiles> tokenizerFilesFromGguf(const GgufFile &gguf) {
  if (gguf.find("tokenizer.ggml.model") == nullptr) return TokenizerFiles{};
  LFM_ASSIGN_OR_RETURN(std::string_view model, gguf.getString("tokenizer.ggml.model"));
  std::string pre;
  if (gguf.find("tokenizer.ggml.pre")) {
    LFM_ASSIGN_OR_RETURN(std::string_view p, gguf.getString("tokenizer.ggml.pre"));
    pre = std::string(p.substr(0, 64));
  }
  if (model != "gpt2" || pre != "lfm2")
    return unsupported(gguf, absl::StrCat("tokenizer.ggml.model '", std::string(model.substr(0, 64)),
                                          "' with pre-tokenizer '", pre, "'"));

  LFM_ASSIGN_OR_RETURN(const GgufValue *tokens_value, gguf.getArray("tokenizer.ggml.tokens"));
  if (tokens_value->elementType() != GgufType::kString)
    return absl::InvalidArgumentError(absl::StrCat(gguf.where(), ": tokenizer.ggml.tokens is ",
                                                   tokens_value->describe(),
                                                   ", expected strings"));
  const std::vector<std::string_view> &tokens = tokens_value->strings();
  const GgufValue *types = gguf.find("tokenizer.ggml.token_type");
  if (types != nullptr && (!types->isArray() || types->size() != tokens.size()))
    return absl::InvalidArgumentError(absl::StrCat(gguf.where(), ": tokenizer.ggml.token_type is ",
                                                   types->describe(), ", expected one per token (",
                                                   tokens.size(), ")"));
  LFM_ASSIGN_OR_RETURN(const GgufValue *merges_value, gguf.getArray("tokenizer.ggml.merges"));
  if (merges_value->elementType() != GgufType::kString)
    return absl::InvalidArgumentError(absl::StrCat(gguf.where(), ": tokenizer.ggml.merges is ",
                                                   merges_value->describe(),
                                                   ", expected strings"));

  json vocab = json::object();
  json added = json::array();
  for (size_t id = 0; id < tokens.size(); ++id) {
    std::string token(tokens[id]);
    if (!vocab.contains(token)) vocab[token] = id;
    int64_t type = 1;
    if (types != nullptr) {
      std::optional<int64_t> t = types->element(id).asInt();
      if (!t)
        return absl::InvalidArgumentError(absl::StrCat(gguf.where(), ": tokenizer.ggml.token_type[",
                                                       id, "] is not an integer"));
      type = *t;
    }
    if (type == kTokenControl || type == kTokenUserDefined)
      added.push_back({{"id", id},
                       {"content", token},
                       {"single_word", false},
                       {"lstrip", false},
                       {"rstrip", false},
                       {"normalized", type != kTokenControl},
                       {"special", type == kTokenControl}});
  }
  json merges = json::array();
  for (size_t i = 0; i < merges_value->strings().size(); ++i) {
    std::string_view merge = merges_value->strings()[i];
    // As llama.cpp splits them: at the first space after the first byte.
    size_t space = merge.size() > 1 ? merge.find(' ', 1) : std::string_view::npos;
    if (space == std::string_view::npos)
      return absl::InvalidArgumentError(absl::StrCat(gguf.where(), ": tokenizer.ggml.merges[", i,
                                                     "] is not two tokens separated by a space"));
    merges.push_back({std::string(merge.substr(0, space)), std::string(merge.substr(space + 1))});
  }

  LFM_ASSIGN_OR_RETURN(std::optional<int64_t> bos,
                       tokenId(gguf, "tokenizer.ggml.bos_token_id", tokens.size()));
  LFM_ASSIGN_OR_RETURN(std::optional<int64_t> eos,
                       tokenId(gguf, "tokenizer.ggml.eos_token_id", tokens.size()));
  LFM_ASSIGN_OR_RETURN(std::optional<int64_t> pad,
                       tokenId(gguf, "tokenizer.ggml.padding_token_id", tokens.size()));
  LFM_ASSIGN_OR_RETURN(bool add_bos, flag(gguf, "tokenizer.ggml.add_bos_token", false));
  LFM_ASSIGN_OR_RETURN(bool add_eos, flag(gguf, "tokenizer.ggml.add_eos_token", false));
  if (add_bos && !bos)
    return absl::InvalidArgumentError(absl::StrCat(
        gguf.where(), ": tokenizer.ggml.add_bos_token is true but there is no bos_token_id"));
  if (add_eos && !eos)
    return absl::InvalidArgumentError(absl::StrCat(
        gguf.where(), ": tokenizer.ggml.add_eos_token is true but there is no eos_token_id"));
  auto text = [&](int64_t id) { return std::string(tokens[static_cast<size_t>(id)]); };

  json post = nullptr;
  if (add_bos || add_eos) {
    // HF's form for LFM2: [BOS] A and [BOS] A [BOS] B (with EOS after each
    // when add_eos_token).
    auto wrap = [&](json seq) {
      json out = json::array();
      if (add_bos) out.push_back(specialToken(text(*bos)));
      out.push_back(std::move(seq));
      if (add_eos) out.push_back(specialToken(text(*eos)));
      return out;
    };
    json single = wrap(sequence("A", 0));
    json pair = single;
    for (json &part : wrap(sequence("B", 1))) pair.push_back(part);
    json special = json::object();
    for (const auto &id : {add_bos ? bos : std::nullopt, add_eos ? eos : std::nullopt})
      if (id)
        special[text(*id)] = {{"id", text(*id)}, {"ids", {*id}}, {"tokens", {text(*id)}}};
    post = {{"type", "TemplateProcessing"},
            {"single", single},
            {"pair", pair},
            {"special_tokens", special}};
  }

  json tokenizer = {
      {"version", "1.0"},
      {"truncation", nullptr},
      {"padding", nullptr},
      {"added_tokens", added},
      {"normalizer", nullptr},
      {"pre_tokenizer",
       {{"type", "Sequence"},
        {"pretokenizers",
         {{{"type", "Split"},
           {"pattern", {{"Regex", kLfm2Regex}}},
           {"behavior", "Isolated"},
           {"invert", false}},
          {{"type", "ByteLevel"},
           {"add_prefix_space", false},
           {"trim_offsets", true},
           {"use_regex", false}}}}}},
      {"post_processor", post},
      {"decoder",
       {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true},
        {"use_regex", true}}},
      {"model",
       {{"type", "BPE"},
        {"dropout", nullptr},
        {"unk_token", nullptr},
        {"continuing_subword_prefix", nullptr},
        {"end_of_word_suffix", nullptr},
        {"fuse_unk", false},
        {"byte_fallback", false},
        {"ignore_merges", true},
        {"vocab", vocab},
        {"merges", merges}}}};

  json config = {{"add_bos_token", add_bos},
                 {"add_eos_token", add_eos},
                 {"clean_up_tokenization_spaces", false},
                 {"tokenizer_class", "PreTrainedTokenizerFast"}};
  if (bos) config["bos_token"] = text(*bos);
  if (eos) config["eos_token"] = text(*eos);
  if (pad) config["pad_token"] = text(*pad);
  if (gguf.find("tokenizer.chat_template")) {
    LFM_ASSIGN_OR_RETURN(std::string_view chat, gguf.getString("tokenizer.chat_template"));
    config["chat_template"] = std::string(chat);
  }

  json generation = json::object();
  if (bos) generation["bos_token_id"] = *bos;
  LFM_ASSIGN_OR_RETURN(json eog, endOfGenerationIds(gguf, tokens));
  if (!eog.empty()) generation["eos_token_id"] = std::move(eog);
  if (pad) generation["pad_token_id"] = *pad;

  TokenizerFiles files;
  LFM_ASSIGN_OR_RETURN(files.tokenizer_json, dump(gguf, tokenizer, "tokenizer.json"));
  LFM_ASSIGN_OR_RETURN(files.tokenizer_config_json, dump(gguf, config, "tokenizer_config.json"));
  LFM_ASSIGN_OR_RETURN(files.generation_config_json,
                       dump(gguf, generation, "generation_config.json"));
  return files;
}

}  // namespace lfm
