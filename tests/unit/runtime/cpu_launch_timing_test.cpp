// Launch timing on the cpu device (Device::setLaunchTiming): one entry per
// plan launch, each timed with the host clock, no kernel index (the cpu
// device runs its own reference kernels), and nothing while timing is off.
#include <gtest/gtest.h>

#include "TinyModel.h"

namespace lfm::testing {
namespace {

TEST(CpuLaunchTiming, EveryLaunchOfAStepIsTimed) {
  PlanBuilder b = tinyFusedPlan(TinyWeights{});
  absl::StatusOr<Rig> rig = Rig::create(b, {2, 32}, 2);
  ASSERT_TRUE(rig.ok()) << rig.status();
  TestStep prefill;
  prefill.seq({1, 2, 3, 4}, 0, 0);
  prefill.logit_rows = {3};
  std::vector<float> logits(kVocab);
  ASSERT_TRUE(rig->run(prefill, logits).ok());
  EXPECT_TRUE(rig->device->lastLaunchTimes().empty()) << "timing is off by default";

  ASSERT_TRUE(rig->device->setLaunchTiming(true).ok());
  TestStep decode;
  decode.seq({5}, 0, 4);
  decode.logit_rows = {0};
  for (int t = 0; t < 2; ++t) {
    ASSERT_TRUE(rig->run(decode, logits).ok());
    std::span<const LaunchTime> times = rig->device->lastLaunchTimes();
    ASSERT_EQ(times.size(), b.plan.launches.size());
    double total = 0;
    for (const LaunchTime &lt : times) {
      EXPECT_GE(lt.seconds, 0);
      EXPECT_EQ(lt.kernel, -1);
      total += lt.seconds;
    }
    EXPECT_GT(total, 0);
    decode.start_pos[0] += 1;
  }

  ASSERT_TRUE(rig->device->setLaunchTiming(false).ok());
  EXPECT_TRUE(rig->device->lastLaunchTimes().empty());
}

}  // namespace
}  // namespace lfm::testing
