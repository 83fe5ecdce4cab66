// Slot bookkeeping: request ids to slots, and per-slot lengths.
#include "lfm/StatePool.h"

#include <set>

#include "absl/strings/str_cat.h"

namespace lfm {

absl::StatusOr<StatePool> StatePool::create(const StateShape &shape) {
  if (absl::Status s = shape.validate(); !s.ok()) return s;
  return StatePool(shape);
}

StatePool::StatePool(const StateShape &shape)
    : shape_(shape), length_(shape.slots, 0), used_(shape.slots, false) {}

int64_t StatePool::freeSlots() const { return shape_.slots - activeRequests(); }

absl::StatusOr<int32_t> StatePool::claim(int64_t request_id) {
  if (contains(request_id)) {
    return absl::AlreadyExistsError(absl::StrCat("request ", request_id, " already holds slot ",
                                                 slot_of_.at(request_id)));
  }
  for (int64_t s = 0; s < shape_.slots; ++s) {
    if (used_[s]) continue;
    used_[s] = true;
    length_[s] = 0;
    slot_of_[request_id] = static_cast<int32_t>(s);
    return static_cast<int32_t>(s);
  }
  return absl::ResourceExhaustedError(absl::StrCat("cannot claim a slot for request ", request_id,
                                                   ": all ", shape_.slots,
                                                   " slots of the state pool are in use"));
}

absl::Status StatePool::release(int64_t request_id) {
  auto it = slot_of_.find(request_id);
  if (it == slot_of_.end()) {
    return absl::NotFoundError(absl::StrCat("cannot release request ", request_id,
                                            ": it holds no slot"));
  }
  used_[it->second] = false;
  length_[it->second] = 0;
  slot_of_.erase(it);
  return absl::OkStatus();
}

void StatePool::reset() {
  slot_of_.clear();
  std::fill(length_.begin(), length_.end(), 0);
  std::fill(used_.begin(), used_.end(), false);
}

absl::StatusOr<int32_t> StatePool::slotOf(int64_t request_id) const {
  auto it = slot_of_.find(request_id);
  if (it == slot_of_.end()) {
    return absl::NotFoundError(absl::StrCat("request ", request_id, " holds no slot (claim it first)"));
  }
  return it->second;
}

absl::StatusOr<int64_t> StatePool::length(int64_t request_id) const {
  absl::StatusOr<int32_t> slot = slotOf(request_id);
  if (!slot.ok()) return slot.status();
  return length_[*slot];
}

absl::Status StatePool::checkAppend(std::span<const Append> appends) const {
  std::set<int64_t> seen;
  for (const Append &a : appends) {
    absl::StatusOr<int32_t> slot = slotOf(a.request_id);
    if (!slot.ok()) return slot.status();
    if (!seen.insert(a.request_id).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("request ", a.request_id, " appears twice in one step"));
    }
    if (a.tokens < 0) {
      return absl::InvalidArgumentError(absl::StrCat("request ", a.request_id,
                                                     ": negative token count"));
    }
    const int64_t len = length_[*slot];
    if (a.tokens > shape_.max_seq_len - len) {
      return absl::OutOfRangeError(absl::StrCat(
          "request ", a.request_id, " (slot ", *slot, ") holds ", len, " tokens; ", a.tokens,
          " more would pass its capacity of ", shape_.max_seq_len,
          " tokens per slot"));
    }
  }
  return absl::OkStatus();
}

absl::Status StatePool::advance(std::span<const Append> appends) {
  if (absl::Status s = checkAppend(appends); !s.ok()) return s;
  for (const Append &a : appends) length_[slot_of_[a.request_id]] += a.tokens;
  return absl::OkStatus();
}

}  // namespace lfm
