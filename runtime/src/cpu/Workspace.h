// Scratch memory the optimized kernels share within a step (the packed
// activations of a linear, a norm's weights as float32): owned by the
// device, grown to the largest size asked for and then reused, so that
// steady decode allocates nothing.
#ifndef LFM_RUNTIME_CPU_WORKSPACE_H
#define LFM_RUNTIME_CPU_WORKSPACE_H

#include <cstddef>
#include <cstdint>
#include <vector>

namespace lfm::cpu {

class Workspace {
 public:
  float *floats(size_t slot, size_t n) { return grow(floats_, slot, n); }
  uint16_t *halves(size_t slot, size_t n) { return grow(halves_, slot, n); }
  uint8_t *bytes(size_t slot, size_t n) { return grow(bytes_, slot, n); }

 private:
  template <typename T>
  static T *grow(std::vector<std::vector<T>> &pool, size_t slot, size_t n) {
    if (pool.size() <= slot) pool.resize(slot + 1);
    if (pool[slot].size() < n) pool[slot].resize(n);
    return pool[slot].data();
  }

  std::vector<std::vector<float>> floats_;
  std::vector<std::vector<uint16_t>> halves_;
  std::vector<std::vector<uint8_t>> bytes_;
};

// Per-thread scratch slots (threadScratch), one per buffer a kernel keeps.
enum ScratchSlot : size_t {
  kLinearOut, kLinearResidual,                         // FastLinear.cpp
  kAmxScratch,                                         // DotAmx.cpp
  kQuantXSteps,                                        // QuantDotQ8xAvx512.cpp
  kAttnQuery, kAttnScores, kAttnOut,              // FastAttention.cpp
  kConvU, kConvGate, kConvB, kConvOut,            // FastShortConv.cpp
  kRowA, kRowB, kRowC,                            // FastRowOps.cpp
};

// Device workspace slots (Workspace::floats), per kernel, used within a launch.
enum WorkspaceSlot : size_t {
  kLinearX, kLinearNormWeights,   // FastLinear.cpp (and halves, bytes: kLinearX)
  kConvWeights,                   // FastShortConv.cpp
  kQNormWeights, kKNormWeights,   // FastRowOps.cpp
};

// A per-thread float buffer of at least n values (grows, never shrinks).
inline float *threadScratch(size_t slot, size_t n) {
  thread_local Workspace scratch;
  return scratch.floats(slot, n);
}

}  // namespace lfm::cpu

#endif  // LFM_RUNTIME_CPU_WORKSPACE_H
