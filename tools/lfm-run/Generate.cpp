#include "Generate.h"

#include <algorithm>
#include <chrono>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lfm/StatusMacros.h"

namespace lfm::tools {
namespace {

// A step error, with the lfm-run option that addresses it when there is one.
absl::Status stepError(const absl::Status &s) {
  if (s.code() != absl::StatusCode::kOutOfRange) return s;
  return absl::Status(s.code(), absl::StrCat(s.message(), " (see --max-seq-len)"));
}

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Per-sequence progress through the loop.
struct Active {
  SequenceResult result;
  Sampler sampler;
  std::vector<int32_t> seen;  // context, prompt and generated tokens (repetition penalty)
  size_t fed = 0;     // prompt tokens fed so far
  bool done = false;  // no more tokens to feed
};

}  // namespace

absl::StatusOr<GenerateResult> generate(Session &session,
                                        const std::vector<std::vector<int32_t>> &prompts,
                                        const GenerateOptions &options) {
  const Plan &plan = session.plan();
  const int64_t vocab = plan.config.vocab_size;
  if (prompts.empty()) return absl::InvalidArgumentError("no prompts");
  for (size_t i = 0; i < prompts.size(); ++i) {
    if (prompts[i].empty()) return absl::InvalidArgumentError(absl::StrCat("prompt ", i, " is empty"));
    for (size_t j = 0; j < prompts[i].size(); ++j) {
      if (prompts[i][j] >= vocab) {
        return absl::InvalidArgumentError(absl::StrCat(
            "prompt ", i, ", token ", j, ": id ", prompts[i][j], " is outside the model's vocabulary [0, ",
            vocab, ")"));
      }
    }
  }

  std::vector<Active> seqs;
  for (size_t i = 0; i < prompts.size(); ++i) {
    SamplingOptions sampling = options.sampling;
    sampling.seed += i;
    LFM_ASSIGN_OR_RETURN(Sampler sampler, Sampler::create(sampling));
    seqs.push_back({SequenceResult{prompts[i], {}, "none", {}}, std::move(sampler), {}});
    if (options.sampling.repetition_penalty != 1.0f) {
      if (i == 0) seqs[i].seen = options.context;
      seqs[i].seen.insert(seqs[i].seen.end(), prompts[i].begin(), prompts[i].end());
    }
  }
  for (size_t i = 0; i < seqs.size() && !options.keep_requests; ++i) {
    absl::StatusOr<int32_t> slot = session.claim(static_cast<int64_t>(i));
    if (!slot.ok()) {
      return absl::Status(slot.status().code(),
                          absl::StrCat(slot.status().message(), " (", seqs.size(),
                                       " sequences need as many slots: see --slots)"));
    }
  }

  // Appends a row to the dump and samples the next token from it; returns
  // whether the sequence goes on.
  auto sampleNext = [&](Active &s, std::span<const float> row) -> absl::StatusOr<bool> {
    if (options.keep_logits) s.result.logits.insert(s.result.logits.end(), row.begin(), row.end());
    LFM_ASSIGN_OR_RETURN(int32_t token, s.sampler.sample(row, s.seen));
    s.result.generated.push_back(token);
    if (options.sampling.repetition_penalty != 1.0f) s.seen.push_back(token);
    const auto &eos = options.eos_tokens;
    if (std::find(eos.begin(), eos.end(), token) != eos.end()) {
      s.result.stop = "eos";
      if (options.on_token) options.on_token(&s - seqs.data(), token);
      return false;
    }
    if (options.on_token && !options.on_token(&s - seqs.data(), token)) {
      s.result.stop = "stop";
      return false;
    }
    if (static_cast<int64_t>(s.result.generated.size()) >= options.max_new_tokens) {
      s.result.stop = "length";
      return false;
    }
    return true;
  };

  GenerateResult out;
  GenerateStats &stats = out.stats;
  const int64_t chunk =
      options.prefill_chunk > 0 ? options.prefill_chunk : std::numeric_limits<int64_t>::max();

  // Prefill: every step takes up to `chunk` tokens of each unfinished prompt,
  // within the plan's tokens per step.
  while (true) {
    std::vector<SequenceStep> batch;
    std::vector<size_t> members;
    int64_t budget = plan.max_tokens_per_step;
    for (size_t i = 0; i < seqs.size() && budget > 0; ++i) {
      Active &s = seqs[i];
      int64_t remaining = static_cast<int64_t>(s.result.prompt.size() - s.fed);
      if (remaining == 0) continue;
      int64_t n = std::min({remaining, chunk, budget});
      batch.push_back({static_cast<int64_t>(i),
                       std::span<const int32_t>(s.result.prompt).subspan(s.fed, n)});
      members.push_back(i);
      budget -= n;
    }
    if (batch.empty()) break;
    auto start = std::chrono::steady_clock::now();
    absl::StatusOr<StepResult> stepped = session.step(batch, {.all_logits = options.all_logits});
    if (!stepped.ok()) return stepError(stepped.status());
    const StepResult &step = *stepped;
    stats.prefill_seconds += secondsSince(start);
    ++stats.prefill_steps;
    for (size_t b = 0; b < batch.size(); ++b) {
      Active &s = seqs[members[b]];
      s.fed += batch[b].tokens.size();
      stats.prefill_tokens += static_cast<int64_t>(batch[b].tokens.size());
      const bool finished = s.fed == s.result.prompt.size();
      if (options.all_logits && options.keep_logits) {
        // Every prompt row but the last; the last goes in with sampling.
        int64_t end = step.row_offsets[b + 1] - (finished && options.max_new_tokens > 0 ? 1 : 0);
        for (int64_t r = step.row_offsets[b]; r < end; ++r) {
          s.result.logits.insert(s.result.logits.end(), step.row(r).begin(), step.row(r).end());
        }
      }
      if (!finished || options.max_new_tokens == 0) continue;
      LFM_ASSIGN_OR_RETURN(bool go_on, sampleNext(s, step.lastRow(b)));
      s.done = !go_on;
    }
  }

  // Decode: feed each running sequence its last token, all in one step (or
  // several, when there are more sequences than tokens per step).
  if (options.max_new_tokens == 0) {
    for (Active &s : seqs) s.done = true;  // prefill only
  }
  while (true) {
    std::vector<size_t> running;
    for (size_t i = 0; i < seqs.size(); ++i) {
      if (!seqs[i].done) running.push_back(i);
    }
    if (running.empty()) break;
    const size_t per_step = static_cast<size_t>(plan.max_tokens_per_step);
    for (size_t first = 0; first < running.size(); first += per_step) {
      std::vector<size_t> members(running.begin() + first,
                                  running.begin() + std::min(running.size(), first + per_step));
      std::vector<SequenceStep> batch;
      for (size_t i : members) {
        batch.push_back({static_cast<int64_t>(i),
                         std::span<const int32_t>(seqs[i].result.generated).last(1)});
      }
      auto start = std::chrono::steady_clock::now();
      absl::StatusOr<StepResult> stepped = session.step(batch);
      if (!stepped.ok()) {
        // Keep what was generated: a full cache ends the run, not its output.
        std::string so_far;
        for (size_t i = 0; i < seqs.size(); ++i) {
          absl::StrAppend(&so_far, "\n  sequence ", i, ": ",
                          absl::StrJoin(seqs[i].result.generated, ","));
        }
        absl::Status error = stepError(stepped.status());
        return absl::Status(error.code(),
                            absl::StrCat(error.message(), "; generated so far:", so_far));
      }
      stats.decode_seconds += secondsSince(start);
      ++stats.decode_steps;
      stats.decode_tokens += static_cast<int64_t>(batch.size());
      for (size_t b = 0; b < batch.size(); ++b) {
        Active &s = seqs[members[b]];
        LFM_ASSIGN_OR_RETURN(bool go_on, sampleNext(s, stepped->lastRow(b)));
        s.done = !go_on;
      }
    }
  }

  for (size_t i = 0; i < seqs.size(); ++i) {
    if (!options.keep_requests) LFM_RETURN_IF_ERROR(session.release(static_cast<int64_t>(i)));
    out.sequences.push_back(std::move(seqs[i].result));
  }
  return out;
}

}  // namespace lfm::tools
