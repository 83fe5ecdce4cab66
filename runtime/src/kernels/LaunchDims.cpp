// Evaluates the "affine" launch rule of lfm/KernelAbi.h.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "lfm/Artifact.h"
#include "lfm/KernelAbi.h"
#include "lfm/Plan.h"

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

StepDims stepDimsOf(std::span<const int32_t> row_offsets, std::span<const int32_t> start_pos,
                    int64_t logit_rows) {
  StepDims dims;
  dims.seqs = static_cast<int64_t>(start_pos.size());
  dims.tokens = row_offsets.empty() ? 0 : row_offsets.back();
  dims.logit_rows = logit_rows;
  for (int64_t i = 0; i < dims.seqs && i + 1 < static_cast<int64_t>(row_offsets.size()); ++i) {
    const int64_t len = row_offsets[i + 1] - row_offsets[i];
    dims.longest_sequence = std::max(dims.longest_sequence, len);
    dims.max_context = std::max<int64_t>(dims.max_context, start_pos[i] + len);
  }
  return dims;
}

int32_t selectKernel(const Plan &plan, const Launch &launch, const StepDims &dims) {
  if (launch.large_rows_kernel < 0 || launch.large_rows_threshold < 1) return launch.kernel;
  const int64_t rows = launch.large_rows_basis == LargeRowsBasis::kLongestSequence
                           ? dims.longest_sequence
                           : launchRows(plan, launch, dims.tokens, dims.logit_rows);
  return rows >= launch.large_rows_threshold ? launch.large_rows_kernel : launch.kernel;
}

}  // namespace lfm
