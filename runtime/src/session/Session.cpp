// A session: builds the step inputs of a ragged batch, checks them against
// the pool, runs the device and advances the lengths.
#include "lfm/Session.h"

#include "absl/strings/str_cat.h"
#include "lfm/StatusMacros.h"

namespace lfm {

Session::Session(std::unique_ptr<Device> device, Plan plan, StatePool pool,
                 std::unique_ptr<DeviceState> state)
    : device_(std::move(device)),
      plan_(std::move(plan)),
      pool_(std::move(pool)),
      state_(std::move(state)) {}

absl::StatusOr<std::unique_ptr<Session>> Session::create(std::unique_ptr<Device> device,
                                                         const Plan &plan, HostWeights weights,
                                                         const SessionOptions &options) {
  if (device == nullptr) return absl::InvalidArgumentError("session: no device");
  StateShape shape{options.slots > 0 ? options.slots : plan.default_slots,
                   options.max_seq_len > 0 ? options.max_seq_len : plan.default_max_seq_len};
  LFM_ASSIGN_OR_RETURN(StatePool pool, StatePool::create(shape));
  LFM_RETURN_IF_ERROR(device->load(plan, std::move(weights)));
  LFM_ASSIGN_OR_RETURN(std::unique_ptr<DeviceState> state, device->allocateState(shape));
  return std::unique_ptr<Session>(
      new Session(std::move(device), plan, std::move(pool), std::move(state)));
}

absl::StatusOr<StepResult> Session::step(std::span<const SequenceStep> batch,
                                         const StepOptions &options) {
  if (batch.empty()) return absl::InvalidArgumentError("step: the batch has no sequences");
  const int64_t vocab = plan_.config.vocab_size;
  int64_t total = 0;
  for (const SequenceStep &seq : batch) {
    if (seq.tokens.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("step: request ", seq.request_id, " has no tokens"));
    }
    total += static_cast<int64_t>(seq.tokens.size());
  }
  if (total > plan_.max_tokens_per_step) {
    return absl::InvalidArgumentError(absl::StrCat(
        "step: ", total, " tokens, but the plan takes at most ", plan_.max_tokens_per_step,
        " per step (feed long prompts in chunks)"));
  }

  std::vector<int32_t> tokens, row_offsets{0}, slots, start_pos, logit_rows;
  std::vector<StatePool::Append> appends;
  for (const SequenceStep &seq : batch) {
    LFM_ASSIGN_OR_RETURN(int32_t slot, pool_.slotOf(seq.request_id));
    LFM_ASSIGN_OR_RETURN(int64_t length, pool_.length(seq.request_id));
    for (size_t j = 0; j < seq.tokens.size(); ++j) {
      if (seq.tokens[j] < 0 || seq.tokens[j] >= vocab) {
        return absl::InvalidArgumentError(absl::StrCat("step: request ", seq.request_id,
                                                       ", token ", j, " is ", seq.tokens[j],
                                                       ", outside the vocabulary [0, ", vocab,
                                                       ")"));
      }
    }
    tokens.insert(tokens.end(), seq.tokens.begin(), seq.tokens.end());
    row_offsets.push_back(static_cast<int32_t>(tokens.size()));
    slots.push_back(slot);
    start_pos.push_back(static_cast<int32_t>(length));
    appends.push_back({seq.request_id, static_cast<int64_t>(seq.tokens.size())});
  }
  // Before the device runs: a step that cannot fit changes no state.
  LFM_RETURN_IF_ERROR(pool_.checkAppend(appends));

  StepResult result;
  result.vocab_size = vocab;
  result.row_offsets.push_back(0);
  for (size_t i = 0; i < batch.size(); ++i) {
    if (options.all_logits) {
      for (int32_t t = row_offsets[i]; t < row_offsets[i + 1]; ++t) logit_rows.push_back(t);
    } else {
      logit_rows.push_back(row_offsets[i + 1] - 1);
    }
    result.row_offsets.push_back(static_cast<int64_t>(logit_rows.size()));
  }
  result.logits.resize(logit_rows.size() * static_cast<size_t>(vocab));

  StepInputs inputs{tokens, row_offsets, slots, start_pos, logit_rows};
  LFM_RETURN_IF_ERROR(device_->execute(inputs, *state_, result.logits));
  LFM_RETURN_IF_ERROR(pool_.advance(appends));
  return result;
}

}  // namespace lfm
