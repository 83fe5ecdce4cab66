// The resolved shape of an LFM2 model: every field that determines the graph,
// with legacy keys and defaults already applied (see models/Lfm2Config.h for
// the Hugging Face config.json parser that fills it). The compiler writes it
// into the artifact; the runtime reads it back. Plain data, no dependencies.
#ifndef LFM_MODELCONFIG_H
#define LFM_MODELCONFIG_H

#include <cstdint>
#include <string>
#include <vector>

namespace lfm {

enum class LayerKind : uint8_t { kConv = 0, kAttention = 1 };

struct ModelConfig {
  std::string model_type = "lfm2";
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  // The effective FFN width after block_ff_dim / block_auto_adjust_ff_dim.
  int64_t intermediate_size = 0;
  int64_t num_attention_heads = 0;
  int64_t num_key_value_heads = 0;
  int64_t head_dim = 0;
  // conv_L_cache: the kernel width L of the short causal convolution.
  int64_t conv_kernel = 3;
  bool conv_bias = false;
  double norm_eps = 1e-5;
  double rope_theta = 1e6;
  int64_t max_position_embeddings = 128000;
  bool tie_word_embeddings = true;
  int64_t bos_token_id = 1;
  int64_t eos_token_id = 2;
  int64_t pad_token_id = 0;
  // "float32", "bfloat16" or "float16": the checkpoint's torch_dtype.
  std::string torch_dtype = "float32";
  std::vector<LayerKind> layer_types;

  int64_t numLayers() const { return static_cast<int64_t>(layer_types.size()); }
  int64_t numConvLayers() const;
  int64_t numAttentionLayers() const;
};

inline int64_t ModelConfig::numConvLayers() const {
  int64_t n = 0;
  for (LayerKind k : layer_types) n += k == LayerKind::kConv;
  return n;
}
inline int64_t ModelConfig::numAttentionLayers() const {
  return numLayers() - numConvLayers();
}

}  // namespace lfm

#endif  // LFM_MODELCONFIG_H
