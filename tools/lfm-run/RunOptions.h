// lfm-run's command line: the options, their help, and their validation.
#ifndef LFM_TOOLS_LFMRUN_RUNOPTIONS_H
#define LFM_TOOLS_LFMRUN_RUNOPTIONS_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lfm/Device.h"
#include "lfm/Sampler.h"

namespace lfm::tools {

struct RunOptions {
  bool help = false;
  std::string artifact;
  std::string weights;                  // empty: embedded or random
  std::optional<uint64_t> random_seed;  // --random-weights
  std::vector<std::vector<int32_t>> prompts;  // --prompt-ids
  std::vector<std::string> text_prompts;      // --prompt and --prompt-file, in order
  bool chat = false;
  std::string system;                // --system (with --chat)
  std::vector<std::string> stops;    // --stop
  std::string tokenizer;             // --tokenizer: else the artifact's files
  std::optional<int64_t> max_new_tokens;  // else generation_config's, else 16 / 128 (text) / 256 (--chat)
  // Sampling: what the command line gives; the rest from the model's
  // generation_config.json (resolveSampling).
  std::optional<float> temperature, top_p, min_p, repetition_penalty;
  std::optional<int64_t> top_k;
  uint64_t seed = 0;
  bool ignore_eos = false;
  DeviceKind device = DeviceKind::kAuto;
  int64_t max_seq_len = 0;  // 0: the artifact's default
  int64_t slots = 0;        // 0: the artifact's default (at least the sequence count)
  int threads = 0;          // 0: all hardware threads
  int64_t prefill_chunk = 0;  // 0: whole prompts
  std::string dump_logits;
  bool all_logits = false;
  bool json = false;
};

// Parses and validates argv. `--help` sets `help` and skips validation.
absl::StatusOr<RunOptions> parseRunOptions(int argc, const char *const *argv);

// The sampling options: the command line's over `defaults`; validated.
absl::StatusOr<SamplingOptions> resolveSampling(const RunOptions &options,
                                                const SamplingOptions &defaults);

// The full --help text.
std::string runHelp();

// "1,2,3;4,5" -> {{1,2,3},{4,5}}: `;` separates sequences, `,` tokens;
// spaces are allowed around both. Errors: an empty sequence or token, a
// token that is not a non-negative 32-bit integer.
absl::StatusOr<std::vector<std::vector<int32_t>>> parsePromptIds(const std::string &text);

}  // namespace lfm::tools

#endif  // LFM_TOOLS_LFMRUN_RUNOPTIONS_H
