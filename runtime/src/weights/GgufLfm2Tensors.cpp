// An LFM2 GGUF's tensors under their Hugging Face names and shapes (see
// lfm/GgufLfm2.h), as llama.cpp's gguf-py tensor_mapping.py pairs them.
#include <cctype>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "lfm/GgufLfm2.h"
#include "lfm/StatusMacros.h"

namespace lfm {
namespace {

struct NamePair {
  const char *gguf;
  const char *hf;
};

constexpr NamePair kGlobal[] = {
    {"token_embd.weight", "model.embed_tokens.weight"},
    {"token_embd_norm.weight", "model.embedding_norm.weight"},
    {"output.weight", "lm_head.weight"},
};

// blk.N.<gguf> <-> model.layers.N.<hf>
constexpr NamePair kLayer[] = {
    {"attn_norm.weight", "operator_norm.weight"},
    {"ffn_norm.weight", "ffn_norm.weight"},
    {"ffn_gate.weight", "feed_forward.w1.weight"},
    {"ffn_down.weight", "feed_forward.w2.weight"},
    {"ffn_up.weight", "feed_forward.w3.weight"},
    {"attn_q.weight", "self_attn.q_proj.weight"},
    {"attn_k.weight", "self_attn.k_proj.weight"},
    {"attn_v.weight", "self_attn.v_proj.weight"},
    {"attn_output.weight", "self_attn.out_proj.weight"},
    {"attn_q_norm.weight", "self_attn.q_layernorm.weight"},
    {"attn_k_norm.weight", "self_attn.k_layernorm.weight"},
    {"shortconv.conv.weight", "conv.conv.weight"},
    {"shortconv.conv.bias", "conv.conv.bias"},
    {"shortconv.in_proj.weight", "conv.in_proj.weight"},
    {"shortconv.in_proj.bias", "conv.in_proj.bias"},
    {"shortconv.out_proj.weight", "conv.out_proj.weight"},
    {"shortconv.out_proj.bias", "conv.out_proj.bias"},
};

// "F32", "F16", "BF16" as safetensors names them; others by ggml's name in
// capitals ("Q4_0").
std::string dtypeName(uint32_t type) {
  return absl::AsciiStrToUpper(ggmlTypeName(type));
}

}  // namespace

std::optional<std::string> lfm2HfTensorName(std::string_view gguf_name) {
  absl::string_view name(gguf_name.data(), gguf_name.size());
  for (const NamePair &p : kGlobal)
    if (name == p.gguf) return std::string(p.hf);
  if (!absl::ConsumePrefix(&name, "blk.")) return std::nullopt;
  size_t dot = name.find('.');
  if (dot == absl::string_view::npos || dot == 0) return std::nullopt;
  absl::string_view digits = name.substr(0, dot);
  for (char c : digits)
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  if (digits.size() > 1 && digits[0] == '0') return std::nullopt;  // "blk.01."
  int layer;
  if (!absl::SimpleAtoi(digits, &layer)) return std::nullopt;
  absl::string_view rest = name.substr(dot + 1);
  for (const NamePair &p : kLayer)
    if (rest == p.gguf) return absl::StrCat("model.layers.", layer, ".", p.hf);
  return std::nullopt;
}

absl::StatusOr<std::map<std::string, SafetensorsTensor, std::less<>>> lfm2CheckpointTensors(
    const GgufFile &gguf) {
  LFM_ASSIGN_OR_RETURN(std::string_view arch, gguf.getString("general.architecture"));
  if (arch != "lfm2")
    return absl::InvalidArgumentError(absl::StrCat(gguf.where(), ": general.architecture is '",
                                                   std::string(arch.substr(0, 64)),
                                                   "'; lfm runs 'lfm2'"));
  std::map<std::string, SafetensorsTensor, std::less<>> tensors;
  for (const GgufTensor &t : gguf.tensors()) {
    SafetensorsTensor view;
    std::optional<std::string> hf = lfm2HfTensorName(t.name);
    view.name = hf ? *hf : t.name;
    view.dtype = dtypeName(t.type);
    view.shape = t.shape();
    // The converter squeezes HF's [C, 1, L] conv weight to [C, L].
    if (absl::EndsWith(view.name, ".conv.conv.weight") && view.shape.size() == 2)
      view.shape.insert(view.shape.begin() + 1, 1);
    view.data = t.data;
    view.gguf_name = t.name;
    view.ggml_type = t.type;
    std::string name = view.name;
    if (!tensors.emplace(name, std::move(view)).second)
      return absl::InvalidArgumentError(absl::StrCat(gguf.where(), ": tensor '", t.name,
                                                     "' has the same HF name as another, '",
                                                     name, "'"));
  }
  return tensors;
}

}  // namespace lfm
