// Bounds on every count in a plan and kernel table. The verifiers reject
// plans beyond them and the metadata decoder stops at them before
// allocating, so the writer and the reader agree on what is valid and a
// hostile file cannot make the reader build an enormous plan. Each is far
// above what any LFM2 model needs (LFM2-2.6B: 30 layers, ~300 weights, ~600
// launches).
#ifndef LFM_ARTIFACT_LIMITS_H
#define LFM_ARTIFACT_LIMITS_H

#include <cstddef>
#include <cstdint>

namespace lfm::limits {

inline constexpr int64_t kMaxLayers = int64_t{1} << 12;
inline constexpr int64_t kMaxWeights = int64_t{1} << 14;
inline constexpr int64_t kMaxSourcesPerWeight = 64;
inline constexpr size_t kMaxRank = 8;
inline constexpr int64_t kMaxActivations = int64_t{1} << 16;
inline constexpr int64_t kMaxLaunches = int64_t{1} << 16;
inline constexpr int64_t kMaxAttrsPerLaunch = 16;  // each of ints and floats
inline constexpr int64_t kMaxRefsPerLaunch = 16;   // each of operands and results
inline constexpr int64_t kMaxKernels = int64_t{1} << 12;
inline constexpr int64_t kMaxBinariesPerKernel = 16;
inline constexpr int64_t kMaxGridArgs = 32;

}  // namespace lfm::limits

#endif  // LFM_ARTIFACT_LIMITS_H
