// Weights bound to a plan, in host memory: one buffer per Plan::weights
// entry, in that entry's dtype and shape, row-major. Devices upload or use
// them directly; the loader (lfm/WeightLoader.h) builds them from a
// checkpoint, from an artifact's embedded weights, or from a random seed.
#ifndef LFM_HOSTWEIGHTS_H
#define LFM_HOSTWEIGHTS_H

#include <cstddef>
#include <cstdint>
#include <vector>

namespace lfm {

struct HostWeights {
  // buffers[i] holds Plan::weights[i]: product(shape) * dtypeSize(dtype) bytes.
  std::vector<std::vector<uint8_t>> buffers;
};

}  // namespace lfm

#endif  // LFM_HOSTWEIGHTS_H
