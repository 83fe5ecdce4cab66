// The contract between generated CUDA kernels (codegen/cuda) and the devices
// that launch them (cuda, emu): the one kernel signature, its argument block,
// and how a launch's grid and scratch size follow from the step's sizes.
//
// Every generated kernel is
//     extern "C" __global__ void NAME(LfmKernelArgs args)
// with `args.buf[i]` the device address of the launch's i-th buffer: the
// plan launch's operands, then its results, in order (a KV cache already
// appears as its K then V buffer). State buffers point at slot 0 of the whole
// pool; kernels index slots themselves. The struct is defined once, in
// lfm/KernelArgs.h, which the codegen prelude (lfm_device.cuh) splices in.
//
// max_context is an upper bound, not the exact maximum: the cuda device
// rounds it up (to a multiple of 256, at most max_seq_len) for the decode
// steps it replays as CUDA graphs, so one recorded graph serves many steps.
// Kernels must take each sequence's context from start_pos and row_offsets
// and leave grid blocks beyond it idle (as they must anyway for every
// sequence but the longest).
//
// The launch scratch (args.scratch, scratch_bytes long) is one buffer that
// every launch of a step shares; its size follows the kernel's affine scratch
// term. The devices zero it whenever they (re)allocate it, and every kernel
// must leave the bytes it wrote zero again when it finishes, so that each
// launch finds it all zero: kernels may keep counters there without clearing
// them first (the split-KV attention's "last block combines" counters).
#ifndef LFM_KERNELABI_H
#define LFM_KERNELABI_H

#include <array>
#include <cstdint>
#include <span>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lfm/KernelArgs.h"

namespace lfm {

struct LaunchGeometry;
struct Launch;
struct Plan;

// The argument block itself is defined once, in lfm/KernelArgs.h (global
// scope, so the device prelude can splice the same text).
using ::LfmKernelArgs;
inline constexpr int kMaxKernelBuffers = LFM_MAX_KERNEL_BUFFERS;

// The sizes of one step that launch dimensions and kernel choice depend on.
struct StepDims {
  int64_t tokens = 0, seqs = 0, logit_rows = 0, max_context = 0;
  int64_t longest_sequence = 0;  // the most rows one sequence has in the step
};

// The StepDims of a step with these (validated) inputs.
StepDims stepDimsOf(std::span<const int32_t> row_offsets, std::span<const int32_t> start_pos,
                    int64_t logit_rows);

// The kernel `launch` runs in a step of `dims`: its large_rows_kernel when
// the step's rows, counted as its large_rows_basis says, reach its
// large_rows_threshold; else its default kernel.
int32_t selectKernel(const Plan &plan, const Launch &launch, const StepDims &dims);

// The grid rule every generated kernel uses: "affine". grid_args holds four
// terms of six integers each, for grid.x, grid.y, grid.z and the scratch
// bytes: [cT, cN, cR, cC, c0, div], meaning
//     ceil((cT*T + cN*N + cR*R + cC*max_context + c0) / div).
// A grid dimension of 0 means the launch has nothing to do and is skipped.
inline constexpr const char *kAffineGridRule = "affine";
inline constexpr int kAffineTermSize = 6;
inline constexpr int kAffineGridArgs = 4 * kAffineTermSize;

struct LaunchDims {
  std::array<int64_t, 3> grid = {1, 1, 1};
  std::array<int32_t, 3> block = {1, 1, 1};
  int64_t scratch_bytes = 0;
  bool empty() const { return grid[0] == 0 || grid[1] == 0 || grid[2] == 0; }
};

// Checks a geometry's rule and arguments (for the artifact verifier).
absl::Status checkLaunchGeometry(const LaunchGeometry &geometry);

// The grid, block and scratch of a launch for one step. Errors on a grid
// dimension beyond the CUDA limits or absurd scratch.
absl::StatusOr<LaunchDims> computeLaunchDims(const LaunchGeometry &geometry,
                                             const StepDims &dims);

}  // namespace lfm

#endif  // LFM_KERNELABI_H
