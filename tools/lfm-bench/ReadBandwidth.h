// The read bandwidth a number of CPU threads reach, STREAM-style: each
// thread sums its own slice of a buffer far larger than the caches, best of
// a few sweeps. It is the roofline of the cpu device's decode, which streams
// every weight once per step.
#ifndef LFM_TOOLS_LFMBENCH_READBANDWIDTH_H
#define LFM_TOOLS_LFMBENCH_READBANDWIDTH_H

#include <cstdint>

namespace lfm::tools {

// Bytes per second that `threads` threads read from a `bytes` buffer.
double measureReadBandwidth(int threads, int64_t bytes = int64_t{1} << 30);

}  // namespace lfm::tools

#endif  // LFM_TOOLS_LFMBENCH_READBANDWIDTH_H
