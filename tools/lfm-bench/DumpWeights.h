// Writes a plan's weights back out as a Hugging Face checkpoint
// (model.safetensors with the checkpoint tensor names and shapes), so that
// other implementations (transformers' Lfm2ForCausalLM in
// scripts/hf_compare.py) can run the very weights lfm ran, e.g. the
// synthetic ones of --random-weights.
#ifndef LFM_TOOLS_LFMBENCH_DUMPWEIGHTS_H
#define LFM_TOOLS_LFMBENCH_DUMPWEIGHTS_H

#include <string>

#include "absl/status/status.h"
#include "lfm/HostWeights.h"
#include "lfm/Plan.h"

namespace lfm::tools {

// Splits each weight into its WeightSpec::sources (concatenated along
// dimension 0) and writes every distinct source tensor once, in the
// weight's dtype (a quantized weight dequantized, as f32), to `path`.
absl::Status dumpCheckpoint(const Plan &plan, const HostWeights &weights, const std::string &path);

}  // namespace lfm::tools

#endif  // LFM_TOOLS_LFMBENCH_DUMPWEIGHTS_H
