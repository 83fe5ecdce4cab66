// The generation loop of lfm-run: prefill every prompt (whole or in chunks,
// all sequences together as one ragged batch per step), then decode all
// sequences together, sampling one token per sequence per step.
#ifndef LFM_TOOLS_LFMRUN_GENERATE_H
#define LFM_TOOLS_LFMRUN_GENERATE_H

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lfm/Sampler.h"
#include "lfm/Session.h"

namespace lfm::tools {

struct GenerateOptions {
  int64_t max_new_tokens = 16;
  SamplingOptions sampling;  // sequence i samples with seed + i
  std::vector<int32_t> eos_tokens;  // empty: never stop early
  // Called with (sequence, token) after each sampled token; false ends the
  // sequence there (stop "stop": a stop string was met).
  std::function<bool(size_t, int32_t)> on_token;
  // Requests 0..N-1 are claimed already and stay claimed (a chat that goes
  // on in its slot); `context` then holds the tokens already in slot 0,
  // which the repetition penalty counts.
  bool keep_requests = false;
  std::vector<int32_t> context;
  int64_t prefill_chunk = 0;  // 0: whole prompts (split only at the plan's step limit)
  bool all_logits = false;    // compute every prompt row's logits
  bool keep_logits = false;   // collect logits rows for a dump
};

struct SequenceResult {
  std::vector<int32_t> prompt;
  std::vector<int32_t> generated;
  std::optional<std::string> text;  // the generated text, when run with a tokenizer
  std::string stop;  // "eos", "length", "stop" (on_token said so) or "none" (no tokens asked)
  // When keep_logits: one row per sampled token (the row it was sampled
  // from), or with all_logits one row per fed token. [rows][vocab].
  std::vector<float> logits;
};

struct GenerateStats {
  int64_t prefill_tokens = 0;
  int64_t prefill_steps = 0;
  double prefill_seconds = 0;
  int64_t decode_tokens = 0;
  int64_t decode_steps = 0;
  double decode_seconds = 0;
};

struct GenerateResult {
  std::vector<SequenceResult> sequences;
  GenerateStats stats;
};

// Runs the prompts as requests 0..N-1 of `session` (claimed here, released
// at the end). Prompt tokens are checked against the vocabulary first.
absl::StatusOr<GenerateResult> generate(Session &session,
                                        const std::vector<std::vector<int32_t>> &prompts,
                                        const GenerateOptions &options);

}  // namespace lfm::tools

#endif  // LFM_TOOLS_LFMRUN_GENERATE_H
