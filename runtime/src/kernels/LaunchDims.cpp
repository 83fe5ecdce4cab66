// Evaluates the "affine" launch rule of lfm/KernelAbi.h.
#include "absl/strings/str_cat.h"
#include "lfm/Artifact.h"
#include "lfm/KernelAbi.h"

namespace lfm {
namespace {

// Keeps every intermediate product far from int64 overflow.
constexpr int64_t kMaxCoefficient = int64_t{1} << 20;
constexpr int64_t kMaxScratchBytes = int64_t{1} << 36;
constexpr int64_t kMaxGrid[3] = {(int64_t{1} << 31) - 1, 65535, 65535};

int64_t evalTerm(const int64_t *t, const StepDims &d) {
  int64_t value = t[0] * d.tokens + t[1] * d.seqs + t[2] * d.logit_rows +
                  t[3] * d.max_context + t[4];
  if (value <= 0) return 0;
  return (value + t[5] - 1) / t[5];
}

}  // namespace

absl::Status checkLaunchGeometry(const LaunchGeometry &geometry) {
  if (geometry.grid_rule != kAffineGridRule)
    return absl::InvalidArgumentError(
        absl::StrCat("grid rule '", geometry.grid_rule, "' is unknown (expected '",
                     kAffineGridRule, "')"));
  if (geometry.grid_args.size() != static_cast<size_t>(kAffineGridArgs))
    return absl::InvalidArgumentError(absl::StrCat("grid rule 'affine' takes ", kAffineGridArgs,
                                                   " arguments, got ",
                                                   geometry.grid_args.size()));
  for (size_t i = 0; i < geometry.grid_args.size(); ++i) {
    int64_t v = geometry.grid_args[i];
    bool isDivisor = i % kAffineTermSize == kAffineTermSize - 1;
    if (isDivisor ? (v < 1 || v > kMaxCoefficient) : (v < -kMaxCoefficient || v > kMaxCoefficient))
      return absl::InvalidArgumentError(
          absl::StrCat("grid_args[", i, "] = ", v, " is out of range"));
  }
  return absl::OkStatus();
}

absl::StatusOr<LaunchDims> computeLaunchDims(const LaunchGeometry &geometry,
                                             const StepDims &dims) {
  if (absl::Status s = checkLaunchGeometry(geometry); !s.ok()) return s;
  LaunchDims out;
  out.block = geometry.block;
  const int64_t *args = geometry.grid_args.data();
  for (int d = 0; d < 3; ++d) {
    out.grid[d] = evalTerm(args + d * kAffineTermSize, dims);
    if (out.grid[d] > kMaxGrid[d])
      return absl::InvalidArgumentError(
          absl::StrCat("grid dimension ", d, " is ", out.grid[d], ", beyond CUDA's ", kMaxGrid[d]));
  }
  out.scratch_bytes = evalTerm(args + 3 * kAffineTermSize, dims);
  if (out.scratch_bytes > kMaxScratchBytes)
    return absl::InvalidArgumentError(
        absl::StrCat("scratch of ", out.scratch_bytes, " bytes is absurd"));
  return out;
}

}  // namespace lfm
