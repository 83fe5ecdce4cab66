// generation_config.json, as transformers reads it for generate(): the EOS
// ids (one or a list; LFM2 lists several) and the sampling defaults. A
// missing field leaves its default; do_sample false means greedy whatever
// the temperature says.
#ifndef LFM_GENERATIONCONFIG_H
#define LFM_GENERATIONCONFIG_H

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "lfm/Sampler.h"

namespace lfm {

struct GenerationConfig {
  std::vector<int32_t> eos_token_ids;
  std::optional<int32_t> bos_token_id;
  std::optional<bool> do_sample;
  std::optional<float> temperature;
  std::optional<int64_t> top_k;
  std::optional<float> top_p;
  std::optional<float> min_p;
  std::optional<float> repetition_penalty;
  std::optional<int64_t> max_new_tokens;

  // The sampling options these defaults give (greedy unless do_sample).
  SamplingOptions sampling() const;
};

// Errors name `origin` and the field ("generation_config.json: top_p: must
// be a number").
absl::StatusOr<GenerationConfig> parseGenerationConfig(std::string_view json_text,
                                                       std::string_view origin);

}  // namespace lfm

#endif  // LFM_GENERATIONCONFIG_H
