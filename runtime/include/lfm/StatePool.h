// Slot bookkeeping for a pool of sequence states: which request owns which
// slot and how many tokens each slot holds. The state itself (conv states and
// KV caches) lives in device memory (DeviceState) and is updated in place by
// the kernels, indexed by slot; this class decides the slots and guards the
// capacity so that no sequence silently wraps its cache.
#ifndef LFM_STATEPOOL_H
#define LFM_STATEPOOL_H

#include <cstdint>
#include <map>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lfm/Device.h"

namespace lfm {

class StatePool {
 public:
  // A pool of shape.slots slots of shape.max_seq_len tokens each (both >= 1).
  static absl::StatusOr<StatePool> create(const StateShape &shape);

  const StateShape &shape() const { return shape_; }
  int64_t freeSlots() const;
  int64_t activeRequests() const { return static_cast<int64_t>(slot_of_.size()); }

  // Gives `request_id` a free slot (the lowest) with length 0. Errors: the
  // request already holds a slot, or every slot is taken.
  absl::StatusOr<int32_t> claim(int64_t request_id);
  // Frees the request's slot. Error: the request holds no slot.
  absl::Status release(int64_t request_id);
  // Frees every slot.
  void reset();

  bool contains(int64_t request_id) const { return slot_of_.count(request_id) != 0; }
  absl::StatusOr<int32_t> slotOf(int64_t request_id) const;
  // Tokens in the request's cache: the start position of its next token.
  absl::StatusOr<int64_t> length(int64_t request_id) const;

  struct Append {
    int64_t request_id = 0;
    int64_t tokens = 0;
  };
  // Checks that every request holds a slot and can take its new tokens
  // without passing max_seq_len; the error names the request, its length,
  // the tokens it asked for and the capacity. Changes nothing.
  absl::Status checkAppend(std::span<const Append> appends) const;
  // checkAppend, then advances the lengths. All or nothing.
  absl::Status advance(std::span<const Append> appends);

 private:
  explicit StatePool(const StateShape &shape);

  StateShape shape_;
  std::map<int64_t, int32_t> slot_of_;  // request id -> slot
  std::vector<int64_t> length_;         // per slot
  std::vector<bool> used_;              // per slot
};

}  // namespace lfm

#endif  // LFM_STATEPOOL_H
