// A session runs one loaded model on one device with one state pool: claim a
// slot per request, then step over ragged batches that mix prefill chunks and
// single-token decodes; each step returns the logits of the rows asked for.
//
//   auto session = Session::create(std::move(device), plan, std::move(weights), {});
//   session->claim(7);
//   SequenceStep seq{7, prompt};
//   auto out = session->step({&seq, 1});           // out->lastRow(0): next-token logits
//
// Feeding a prompt whole, in chunks or one token per step gives the same
// logits; sequences in one batch give the same logits as each alone.
#ifndef LFM_SESSION_H
#define LFM_SESSION_H

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lfm/Device.h"
#include "lfm/HostWeights.h"
#include "lfm/Plan.h"
#include "lfm/StatePool.h"

namespace lfm {

struct SessionOptions {
  int64_t slots = 0;        // 0 = plan.default_slots
  int64_t max_seq_len = 0;  // 0 = plan.default_max_seq_len
};

// One sequence's part of a step: the next tokens of a claimed request.
struct SequenceStep {
  int64_t request_id = 0;
  std::span<const int32_t> tokens;  // at least one
};

struct StepOptions {
  // false: the last row of each sequence; true: every row (one per token).
  bool all_logits = false;
};

struct StepResult {
  int64_t vocab_size = 0;
  std::vector<float> logits;         // [rows][vocab_size], float32
  std::vector<int64_t> row_offsets;  // [N+1]: sequence i owns rows row_offsets[i]..row_offsets[i+1]

  int64_t rows() const { return vocab_size ? static_cast<int64_t>(logits.size()) / vocab_size : 0; }
  std::span<const float> row(int64_t r) const {
    return {logits.data() + r * vocab_size, static_cast<size_t>(vocab_size)};
  }
  // The last row of sequence i: its next-token logits.
  std::span<const float> lastRow(int64_t i) const { return row(row_offsets[i + 1] - 1); }
};

class Session {
 public:
  // Loads `plan` and `weights` onto `device` and allocates a state pool.
  static absl::StatusOr<std::unique_ptr<Session>> create(std::unique_ptr<Device> device,
                                                         const Plan &plan, HostWeights weights,
                                                         const SessionOptions &options);

  const Plan &plan() const { return plan_; }
  Device &device() { return *device_; }
  const StatePool &pool() const { return pool_; }
  DeviceState &state() { return *state_; }

  absl::StatusOr<int32_t> claim(int64_t request_id) { return pool_.claim(request_id); }
  absl::Status release(int64_t request_id) { return pool_.release(request_id); }
  void reset() { pool_.reset(); }
  absl::StatusOr<int64_t> length(int64_t request_id) const { return pool_.length(request_id); }

  // Runs one step. Checks everything first and changes nothing on error:
  // each request claimed and listed once, tokens non-empty and in
  // [0, vocab), the total within plan.max_tokens_per_step, every sequence
  // within its slot's capacity. On success the lengths advance.
  absl::StatusOr<StepResult> step(std::span<const SequenceStep> batch,
                                  const StepOptions &options = {});

 private:
  Session(std::unique_ptr<Device> device, Plan plan, StatePool pool,
          std::unique_ptr<DeviceState> state);

  std::unique_ptr<Device> device_;
  Plan plan_;
  StatePool pool_;
  std::unique_ptr<DeviceState> state_;
};

}  // namespace lfm

#endif  // LFM_SESSION_H
