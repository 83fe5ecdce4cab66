// The checks every device runs on step inputs before any kernel: after them,
// kernels index buffers without bounds checks and cannot fail.
#include <set>

#include "absl/strings/str_cat.h"
#include "lfm/Device.h"

namespace lfm {

absl::Status validateStepInputs(const Plan &plan, const StateShape &shape,
                                const StepInputs &in) {
  const int64_t t_count = static_cast<int64_t>(in.tokens.size());
  const int64_t n_count = static_cast<int64_t>(in.slots.size());
  if (t_count < 1) return absl::InvalidArgumentError("step inputs: a step needs at least one token");
  if (t_count > plan.max_tokens_per_step) {
    return absl::InvalidArgumentError(absl::StrCat("step inputs: ", t_count,
                                                   " tokens, but the plan takes at most ",
                                                   plan.max_tokens_per_step, " per step"));
  }
  if (n_count < 1) return absl::InvalidArgumentError("step inputs: no sequences");
  if (static_cast<int64_t>(in.row_offsets.size()) != n_count + 1 ||
      static_cast<int64_t>(in.start_pos.size()) != n_count) {
    return absl::InvalidArgumentError(absl::StrCat(
        "step inputs: ", n_count, " slots need ", n_count + 1, " row offsets and ", n_count,
        " start positions, got ", in.row_offsets.size(), " and ", in.start_pos.size()));
  }
  if (in.row_offsets[0] != 0 || in.row_offsets[n_count] != t_count) {
    return absl::InvalidArgumentError(absl::StrCat(
        "step inputs: row offsets must run from 0 to the token count ", t_count, ", got ",
        in.row_offsets[0], " .. ", in.row_offsets[n_count]));
  }
  std::set<int32_t> seen_slots;
  for (int64_t i = 0; i < n_count; ++i) {
    const int64_t len = static_cast<int64_t>(in.row_offsets[i + 1]) - in.row_offsets[i];
    if (len < 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "step inputs: sequence ", i, " has no tokens (row offsets must increase)"));
    }
    const int32_t slot = in.slots[i];
    if (slot < 0 || slot >= shape.slots) {
      return absl::InvalidArgumentError(absl::StrCat("step inputs: sequence ", i, " uses slot ",
                                                     slot, ", the pool has ", shape.slots));
    }
    if (!seen_slots.insert(slot).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("step inputs: slot ", slot, " appears twice in one step"));
    }
    const int64_t start = in.start_pos[i];
    if (start < 0 || start + len > shape.max_seq_len) {
      return absl::OutOfRangeError(absl::StrCat(
          "step inputs: sequence ", i, " (slot ", slot, ") has ", start, " tokens cached and ",
          len, " new, past the capacity of ", shape.max_seq_len, " tokens per slot"));
    }
  }
  for (int64_t t = 0; t < t_count; ++t) {
    if (in.tokens[t] < 0 || in.tokens[t] >= plan.config.vocab_size) {
      return absl::InvalidArgumentError(absl::StrCat("step inputs: token ", t, " is ",
                                                     in.tokens[t], ", outside the vocabulary [0, ",
                                                     plan.config.vocab_size, ")"));
    }
  }
  if (static_cast<int64_t>(in.logit_rows.size()) > plan.max_tokens_per_step) {
    return absl::InvalidArgumentError(absl::StrCat("step inputs: ", in.logit_rows.size(),
                                                   " logit rows, more than the plan's ",
                                                   plan.max_tokens_per_step));
  }
  for (size_t r = 0; r < in.logit_rows.size(); ++r) {
    if (in.logit_rows[r] < 0 || in.logit_rows[r] >= t_count) {
      return absl::InvalidArgumentError(absl::StrCat("step inputs: logit row ", r, " is ",
                                                     in.logit_rows[r], ", not a token row in [0, ",
                                                     t_count, ")"));
    }
  }
  return absl::OkStatus();
}

}  // namespace lfm
