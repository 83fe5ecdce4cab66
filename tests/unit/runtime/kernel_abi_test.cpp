// lfm/KernelAbi.h: a step's sizes, the kernel a launch runs for them, and the
// affine launch rule.
#include "lfm/KernelAbi.h"

#include <gtest/gtest.h>

#include <vector>

#include "lfm/Artifact.h"
#include "lfm/Plan.h"
#include "RuntimeTestUtil.h"

namespace lfm::testing {
namespace {

TEST(KernelAbi, StepDimsOfAStep) {
  // Three sequences of 5, 1 and 64 rows at positions 10, 99 and 0.
  const std::vector<int32_t> row_offsets = {0, 5, 6, 70}, start_pos = {10, 99, 0};
  StepDims d = stepDimsOf(row_offsets, start_pos, 3);
  EXPECT_EQ(d.tokens, 70);
  EXPECT_EQ(d.seqs, 3);
  EXPECT_EQ(d.logit_rows, 3);
  EXPECT_EQ(d.max_context, 100);
  EXPECT_EQ(d.longest_sequence, 64);
}

// One launch with a large-rows variant (kernel 1 beside kernel 0) whose
// result lives in `rows`.
Plan planWithVariant(LargeRowsBasis basis, RowSpace rows) {
  Plan p;
  p.activations.push_back(ActivationSpec{});
  p.activations[0].rows = rows;
  Launch l;
  l.op = OpKind::kAttention;
  l.results = {{BufferRef::kActivation, 0}};
  l.kernel = 0;
  l.large_rows_kernel = 1;
  l.large_rows_threshold = 64;
  l.large_rows_basis = basis;
  p.launches.push_back(l);
  return p;
}

// stepOf with `logit_rows` logit rows.
StepDims step(int64_t tokens, int64_t seqs, int64_t logit_rows, int64_t longest) {
  StepDims d = stepOf(tokens, seqs, longest);
  d.logit_rows = logit_rows;
  return d;
}

TEST(KernelAbi, SelectKernelCountsRowsAsTheBasisSays) {
  Plan rows = planWithVariant(LargeRowsBasis::kLaunchRows, RowSpace::kTokens);
  EXPECT_EQ(selectKernel(rows, rows.launches[0], step(63, 1, 1, 63)), 0);
  EXPECT_EQ(selectKernel(rows, rows.launches[0], step(64, 64, 64, 1)), 1);

  // Logit-row results count R, not T.
  Plan logits = planWithVariant(LargeRowsBasis::kLaunchRows, RowSpace::kLogitRows);
  EXPECT_EQ(selectKernel(logits, logits.launches[0], step(500, 2, 2, 250)), 0);
  EXPECT_EQ(selectKernel(logits, logits.launches[0], step(500, 2, 64, 250)), 1);

  Plan longest = planWithVariant(LargeRowsBasis::kLongestSequence, RowSpace::kTokens);
  EXPECT_EQ(selectKernel(longest, longest.launches[0], step(256, 256, 256, 1)), 0);
  EXPECT_EQ(selectKernel(longest, longest.launches[0], step(127, 2, 2, 63)), 0);
  EXPECT_EQ(selectKernel(longest, longest.launches[0], step(65, 2, 2, 64)), 1);

  Plan none = rows;
  none.launches[0].large_rows_kernel = -1;
  none.launches[0].large_rows_threshold = 0;
  EXPECT_EQ(selectKernel(none, none.launches[0], step(512, 1, 1, 512)), 0);
}

TEST(KernelAbi, AffineLaunchDims) {
  LaunchGeometry g;
  g.block = {128, 1, 1};
  g.grid_rule = kAffineGridRule;
  // x = H (4), y = ceil((T + 63 N) / 64), z = 1, scratch = 16 * max_context.
  g.grid_args = {0, 0, 0, 0, 4, 1,  1, 63, 0, 0, 0, 64,
                 0, 0, 0, 0, 1, 1,  0, 0, 0, 16, 0, 1};
  StepDims d = step(130, 3, 3, 100);
  d.max_context = 200;
  absl::StatusOr<LaunchDims> ld = computeLaunchDims(g, d);
  ASSERT_TRUE(ld.ok()) << ld.status();
  EXPECT_EQ(ld->grid[0], 4);
  EXPECT_EQ(ld->grid[1], (130 + 63 * 3 + 63) / 64);
  EXPECT_EQ(ld->grid[2], 1);
  EXPECT_EQ(ld->scratch_bytes, 3200);
  EXPECT_EQ(ld->block[0], 128);

  g.grid_args[4] = 0;  // x = 0: nothing to do
  ld = computeLaunchDims(g, d);
  ASSERT_TRUE(ld.ok());
  EXPECT_TRUE(ld->empty());

  g.grid_args[11] = 0;  // a zero divisor
  EXPECT_FALSE(computeLaunchDims(g, d).ok());
  g.grid_args.pop_back();
  EXPECT_FALSE(checkLaunchGeometry(g).ok());
}

}  // namespace
}  // namespace lfm::testing
