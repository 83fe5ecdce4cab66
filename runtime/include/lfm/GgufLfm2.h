// LFM2 GGUFs as llama.cpp's convert_hf_to_gguf.py writes them, seen as a
// Hugging Face checkpoint: the config.json object, the tensors under their
// HF names and shapes, and the tokenizer files. With these the rest of lfm
// (models/Lfm2Config, the weight loader, the text layer) takes a GGUF the way
// it takes a HF folder.
//
// What the converter writes for LFM2 (architecture "lfm2"):
//   lfm2.block_count, lfm2.context_length, lfm2.embedding_length,
//   lfm2.feed_forward_length (already auto-adjusted as the HF model does),
//   lfm2.attention.head_count, lfm2.attention.head_count_kv (an array, one
//   per layer, 0 for conv layers), lfm2.rope.freq_base,
//   lfm2.attention.layer_norm_rms_epsilon, lfm2.shortconv.l_cache,
//   lfm2.vocab_size; tensors token_embd, token_embd_norm (the final norm,
//   HF's model.embedding_norm), output (if untied), blk.N.{attn_norm,
//   ffn_norm, ffn_gate, ffn_up, ffn_down, attn_q, attn_k, attn_v,
//   attn_output, attn_q_norm, attn_k_norm, shortconv.in_proj,
//   shortconv.conv (2-D [C, L]; HF's is [C, 1, L]), shortconv.out_proj}.
//   The converter does not permute q/k for LFM2 (only its Llama class does),
//   so the weights are HF's as they are.
#ifndef LFM_GGUFLFM2_H
#define LFM_GGUFLFM2_H

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "lfm/Gguf.h"
#include "lfm/Safetensors.h"
#include "lfm/TokenizerFiles.h"
#include "nlohmann/json.hpp"

namespace lfm {

// The HF config.json object of an LFM2 GGUF (the keys models/Lfm2Config
// reads: sizes, layer_types from head_count_kv, rope_theta, norm_eps,
// conv_L_cache, tie_word_embeddings from the absence of output.weight,
// special token ids, torch_dtype from token_embd's type: float32 unless it is
// f16 or bf16). float32 metadata is given as the shortest decimal that reads
// back to the same float (1e-05, not 9.99999974737875e-06), which is what the
// converter was given. Errors name the file and the key; a GGUF of another
// architecture is an error naming it.
absl::StatusOr<nlohmann::json> lfm2ConfigFromGguf(const GgufFile &gguf);

// The HF name of an LFM2 GGUF tensor name ("blk.3.attn_q.weight" ->
// "model.layers.3.self_attn.q_proj.weight"); nullopt for names LFM2 lacks.
std::optional<std::string> lfm2HfTensorName(std::string_view gguf_name);

// Every tensor of an LFM2 GGUF as a checkpoint tensor: HF name and shape
// (row-major; the conv weight as [C, 1, L]), `data` the raw bytes, `dtype`
// "F32", "F16", "BF16" or the ggml type's name in capitals ("Q4_0"),
// gguf_name and ggml_type set. Tensors with names LFM2 lacks keep their GGUF
// name. Requires general.architecture "lfm2".
absl::StatusOr<std::map<std::string, SafetensorsTensor, std::less<>>> lfm2CheckpointTensors(
    const GgufFile &gguf);

// The HF tokenizer.json, tokenizer_config.json and generation_config.json
// equivalent to the GGUF's tokenizer.ggml.* metadata, for lfm/Tokenizer.h:
// byte-level BPE (tokenizer.ggml.model "gpt2") with the "lfm2"
// pre-tokenizer; tokens of type control are special added tokens, of type
// user-defined plain added tokens; add_bos_token / add_eos_token become the
// post-processor; the chat template and bos/eos/padding tokens go to
// tokenizer_config.json and generation_config.json. A GGUF without
// tokenizer.ggml.model gives empty files (no tokenizer, as a folder without
// tokenizer files); one of another kind is an Unimplemented error
// "unsupported tokenizer" naming the model and pre-tokenizer, so callers ask
// for it only when text is used.
absl::StatusOr<TokenizerFiles> tokenizerFilesFromGguf(const GgufFile &gguf);

}  // namespace lfm

#endif  // LFM_GGUFLFM2_H
