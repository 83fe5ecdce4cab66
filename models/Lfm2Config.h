// Parses a Hugging Face LFM2 config.json into a validated lfm::ModelConfig.
//
// The rules follow transformers' Lfm2Config (configuration_lfm2.py) and the
// legacy keys that the released checkpoints still carry, so that every
// released config resolves to the same shapes transformers would build.
// Plain C++ (no MLIR): the runtime-only build and the tests use it too.
//
// Required fields. A missing field that determines a weight shape is an
// error rather than a transformers default: silently building a 2560-wide
// model from a config that forgot hidden_size is a trap that only shows up
// later as a weight-shape mismatch. Required are
//   model_type (must be "lfm2"), vocab_size, hidden_size (or legacy
//   block_dim), intermediate_size (or legacy block_ff_dim),
//   num_hidden_layers, num_attention_heads (or legacy num_heads),
//   num_key_value_heads, and a layer layout: layer_types or full_attn_idxs.
// The layout is required because transformers' fallback (every layer is
// attention) is never what an LFM2 checkpoint means.
//
// Defaulted fields (transformers' defaults): head_dim (hidden_size /
// num_attention_heads), conv_L_cache 3, conv_bias false, norm_eps 1e-5,
// rope_theta 1e6, max_position_embeddings 128000, tie_word_embeddings true,
// block_auto_adjust_ff_dim true, block_ffn_dim_multiplier 1.0,
// block_multiple_of 256, bos/eos/pad token ids 1/2/0, torch_dtype "float32".
//
// Legacy keys, resolved as transformers does:
//   block_ff_dim, theta, tie_embedding win over intermediate_size,
//   rope_theta, tie_word_embeddings (the 1.2B config's intermediate_size is
//   already the effective width; its block_ff_dim is the one to adjust).
// Keys transformers ignores stand in for a missing modern key and must agree
// with it when both are present: block_dim (hidden_size), num_heads
// (num_attention_heads), block_norm_eps (norm_eps), dtype (torch_dtype, the
// name newer transformers writes). full_attn_idxs gives the layout when
// layer_types is absent and must agree with it when both are present.
// rope_parameters.rope_theta (transformers v5) is read when neither
// rope_theta nor theta is given; any RoPE scaling other than "default" is
// rejected, since the graph would silently ignore it.
//
// JSON null counts as absent (as None does in transformers), except for the
// token ids, where null means "no such token" and is stored as -1.
//
// Every error is an absl::Status whose message starts with the source name
// and names the offending field, e.g.
//   config.json: field 'num_key_value_heads' (3) must divide 'num_attention_heads' (32)
// The parser never throws and never aborts, whatever the input.
#ifndef LFM_MODELS_LFM2CONFIG_H
#define LFM_MODELS_LFM2CONFIG_H

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "lfm/ModelConfig.h"

namespace lfm::models {

// Upper bound for every size field: kernels index within a dimension with
// 32-bit integers, and the bound keeps all derived products inside int64.
inline constexpr int64_t kMaxDimension = (int64_t{1} << 31) - 1;
// Upper bound for num_hidden_layers, so that a hostile count cannot make the
// full_attn_idxs expansion allocate gigabytes. Real models have tens.
inline constexpr int64_t kMaxLayers = 1 << 16;
// config.json files are a few KiB; refuse to slurp anything huge.
inline constexpr int64_t kMaxConfigBytes = 16 << 20;

// PATH is a config.json file or a checkpoint folder containing config.json.
// Errors name the path: a missing or unreadable file is NotFound or
// InvalidArgument; a bad config is InvalidArgument.
absl::StatusOr<lfm::ModelConfig> loadLfm2Config(const std::string &path);

// Parses the text of a config.json. SOURCENAME (usually the path) starts
// every error message.
absl::StatusOr<lfm::ModelConfig> parseLfm2Config(std::string_view jsonText,
                                                 std::string_view sourceName);

// The FFN width Lfm2MLP really builds from intermediate_size (ffDim):
// with autoAdjust, int(2*ffDim/3), then int(multiplier * that), then rounded
// up to a multiple of multipleOf; without it, ffDim unchanged. Mirrors the
// Python arithmetic (float true division, truncation toward zero).
// Never overflows or divides by zero: a scaled width beyond 2^62 (or NaN)
// saturates at 2^62 and a negative one becomes 0, so that callers can
// range-check the result; multipleOf is clamped to [1, kMaxDimension].
int64_t effectiveFfnWidth(int64_t ffDim, bool autoAdjust, double multiplier, int64_t multipleOf);

} // namespace lfm::models

#endif // LFM_MODELS_LFM2CONFIG_H
