// The capacity of a state pool: `slots` sequences of up to `max_seq_len`
// tokens each. Part of the schema library: plan layouts size state by it.
#ifndef LFM_STATESHAPE_H
#define LFM_STATESHAPE_H

#include <cstdint>

#include "absl/status/status.h"

namespace lfm {

struct StateShape {
  int64_t slots = 0;
  int64_t max_seq_len = 0;

  // Both in [1, 2^31): slots and positions travel as i32 step inputs. Every
  // pool (StatePool, each device's allocateState) checks this one rule.
  absl::Status validate() const;
};

}  // namespace lfm

#endif  // LFM_STATESHAPE_H
