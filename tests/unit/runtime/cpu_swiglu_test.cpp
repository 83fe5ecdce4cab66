// The SwiGLU of the fused linear (runtime/src/cpu/Swiglu.h) and the exp
// behind every cpu silu (RowMath.h's expPoly): expPoly within 2 ulp of exp
// over the whole float range it takes, silu's limits, and the AVX2 lanes
// giving the scalar loop's bits on any value (the fused SwiGLU and the
// unfused silu op must agree exactly: e2e_golden_cpu compares them at 1e-5).
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <vector>

#include "cpu/RowMath.h"
#include "cpu/Swiglu.h"

namespace lfm::cpu {
namespace {

TEST(CpuSwiglu, ExpPolyIsWithinTwoUlpOfExp) {
  double worst = 0;
  for (int64_t i = 0; i <= 2'000'000; ++i) {
    const float y = -87.3f + static_cast<float>(i) * (175.3f / 2'000'000);
    const double want = std::exp(static_cast<double>(y));
    const double rel = std::abs(expPoly(y) - want) / want;
    worst = std::max(worst, rel);
  }
  EXPECT_LT(worst, 2 * 0x1p-23) << worst;
  EXPECT_EQ(expPoly(0.0f), 1.0f);
  // Beyond the clamp: the ends of the range, never 0, inf or NaN.
  EXPECT_EQ(expPoly(-1000.0f), expPoly(-87.3f));
  EXPECT_GT(expPoly(-1000.0f), 0.0f);
  EXPECT_EQ(expPoly(1000.0f), expPoly(88.0f));
  EXPECT_TRUE(std::isfinite(expPoly(1000.0f)));
}

TEST(CpuSwiglu, SiluHasItsLimits) {
  EXPECT_EQ(silu(0.0f), 0.0f);
  EXPECT_EQ(silu(100.0f), 100.0f);
  EXPECT_LT(std::abs(silu(-100.0f)), 1e-30f);
  EXPECT_NEAR(silu(1.0f), 1.0 / (1.0 + std::exp(-1.0)), 1e-7);
  EXPECT_NEAR(silu(-3.5f), -3.5 / (1.0 + std::exp(3.5)), 1e-7);
  EXPECT_TRUE(std::isnan(silu(std::numeric_limits<float>::quiet_NaN())));
}

TEST(CpuSwiglu, Avx2LanesGiveTheScalarBits) {
  if (detectedIsa() < Isa::kAvx2 || avx2Swiglu() == nullptr) {
    GTEST_SKIP() << "skipped: this CPU (or build) has no AVX2";
  }
  std::mt19937 rng(5);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> gate, up;
  for (int i = 0; i < 4096; ++i) {
    gate.push_back(dist(rng) * (i % 3 == 0 ? 40.0f : 4.0f));
    up.push_back(dist(rng));
  }
  const float inf = std::numeric_limits<float>::infinity();
  for (float special : {0.0f, -0.0f, 87.3f, -87.3f, 88.0f, -88.0f, 90.0f, -90.0f, 1e-40f,
                        -1e-40f, inf, -inf, std::numeric_limits<float>::quiet_NaN()}) {
    gate.push_back(special);
    up.push_back(1.5f);
  }
  // Every length 1-37 (the tail through the lanes) and the whole vector.
  std::vector<int64_t> lengths;
  for (int64_t n = 1; n <= 37; ++n) lengths.push_back(n);
  lengths.push_back(static_cast<int64_t>(gate.size()));
  for (int64_t n : lengths) {
    for (int64_t start : {int64_t{0}, static_cast<int64_t>(gate.size()) - n}) {
      std::vector<float> want(gate.begin() + start, gate.begin() + start + n), got = want;
      portableSwiglu(want.data(), up.data() + start, n);
      avx2Swiglu()(got.data(), up.data() + start, n);
      for (int64_t i = 0; i < n; ++i) {
        ASSERT_EQ(std::bit_cast<uint32_t>(got[i]), std::bit_cast<uint32_t>(want[i]))
            << "n " << n << " start " << start << " i " << i << " x " << gate[start + i];
      }
    }
  }
  EXPECT_EQ(selectSwiglu(Isa::kAvx2), avx2Swiglu());
  EXPECT_EQ(selectSwiglu(Isa::kPortable), &portableSwiglu);
}

}  // namespace
}  // namespace lfm::cpu
