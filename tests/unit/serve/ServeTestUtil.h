// Engines over the tiny LFM2-shaped test model (random weights, vocab 11,
// cpu device), and a small byte-level BPE tokenizer over the same 11 ids,
// for the serving core's tests.
#ifndef LFM_TESTS_SERVE_SERVETESTUTIL_H
#define LFM_TESTS_SERVE_SERVETESTUTIL_H

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "../runtime/TinyModel.h"
#include "lfm/Engine.h"
#include "lfm/Session.h"

namespace lfm::testing {

struct EngineSpec {
  int64_t slots = 4;
  int64_t max_seq_len = 64;
  int64_t max_tokens_per_step = 16;  // the plan's
};

inline absl::StatusOr<std::unique_ptr<Engine>> makeEngine(EngineSpec spec, EngineOptions options) {
  static const TinyWeights weights;
  PlanBuilder b = tinyFusedPlan(weights);
  b.plan.max_tokens_per_step = spec.max_tokens_per_step;
  absl::StatusOr<CreatedDevice> created = createDevice({DeviceKind::kCpu, 2});
  if (!created.ok()) return created.status();
  absl::StatusOr<std::unique_ptr<Session>> session = Session::create(
      std::move(created->device), b.plan, b.weights, {spec.slots, spec.max_seq_len});
  if (!session.ok()) return session.status();
  return Engine::create(std::move(*session), std::move(options));
}

inline EngineOptions manualOptions() {
  EngineOptions options;
  options.start_loop = false;
  return options;
}

// Runs steps until no request is queued or running (at most `limit`).
inline void runToEnd(Engine &engine, int limit = 1000) {
  for (int i = 0; i < limit; ++i) {
    EngineStats stats = engine.stats();
    if (stats.running == 0 && stats.waiting == 0) return;
    absl::StatusOr<bool> ran = engine.runStep();
    ASSERT_TRUE(ran.ok()) << ran.status();
  }
  FAIL() << "the engine did not finish within " << limit << " steps";
}

inline GenerationRequest greedy(std::vector<int32_t> prompt, int64_t max_tokens) {
  GenerationRequest r;
  r.prompt = std::move(prompt);
  r.max_tokens = max_tokens;
  return r;
}

// A byte-level BPE tokenizer whose 11 ids match the tiny model's vocab:
// three special tokens, then short strings.
inline const char *kTinyTokenizerJson = R"json({
  "version": "1.0", "truncation": null, "padding": null,
  "added_tokens": [
    {"id": 0, "content": "<|pad|>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
    {"id": 1, "content": "<|startoftext|>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
    {"id": 2, "content": "<|im_end|>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}
  ],
  "normalizer": null,
  "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
  "post_processor": null,
  "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
  "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null,
            "end_of_word_suffix": null, "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
            "vocab": {"<|pad|>": 0, "<|startoftext|>": 1, "<|im_end|>": 2, "a": 3, "b": 4, "c": 5,
                      "Ġ": 6, "d": 7, "e": 8, "ab": 9, "Ġa": 10},
            "merges": ["a b", "Ġ a"]}
})json";

}  // namespace lfm::testing

#endif  // LFM_TESTS_SERVE_SERVETESTUTIL_H
