// The cpu row kernels (runtime/src/cpu/RowKernels.h) and the exp behind
// every cpu silu and softmax (RowMath.h's expPoly): expPoly within 2 ulp of
// exp over the whole float range it takes, silu's limits, the AVX2 lanes of
// the SwiGLU and the softmax exp giving the scalar loops' bits on any value
// (the fused SwiGLU and the unfused silu op must agree exactly:
// e2e_golden_cpu compares them at 1e-5), and the value sums of every ISA
// against a double sum over odd shapes and every cache dtype.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "cpu/ElementIO.h"
#include "cpu/RowKernels.h"
#include "cpu/RowMath.h"

namespace lfm::cpu {
namespace {

bool haveAvx2() { return detectedIsa() >= Isa::kAvx2 && avx2RowKernels().swiglu != nullptr; }

TEST(CpuRowKernels, ExpPolyIsWithinTwoUlpOfExp) {
  double worst = 0;
  for (int64_t i = 0; i <= 2'000'000; ++i) {
    const float y = -87.3f + static_cast<float>(i) * (175.3f / 2'000'000);
    const double want = std::exp(static_cast<double>(y));
    worst = std::max(worst, std::abs(expPoly(y) - want) / want);
  }
  EXPECT_LT(worst, 2 * 0x1p-23) << worst;
  EXPECT_EQ(expPoly(0.0f), 1.0f);
  // Beyond the clamp: the ends of the range, never 0, inf or NaN.
  EXPECT_EQ(expPoly(-1000.0f), expPoly(-87.3f));
  EXPECT_GT(expPoly(-1000.0f), 0.0f);
  EXPECT_EQ(expPoly(1000.0f), expPoly(88.0f));
  EXPECT_TRUE(std::isfinite(expPoly(1000.0f)));
}

TEST(CpuRowKernels, SiluHasItsLimits) {
  EXPECT_EQ(silu(0.0f), 0.0f);
  EXPECT_EQ(silu(100.0f), 100.0f);
  EXPECT_LT(std::abs(silu(-100.0f)), 1e-30f);
  EXPECT_NEAR(silu(1.0f), 1.0 / (1.0 + std::exp(-1.0)), 1e-7);
  EXPECT_NEAR(silu(-3.5f), -3.5 / (1.0 + std::exp(3.5)), 1e-7);
  EXPECT_TRUE(std::isnan(silu(std::numeric_limits<float>::quiet_NaN())));
}

// Wide random values and the edges of expPoly's clamp, infinities, NaN.
std::vector<float> edgyValues(uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> v;
  for (int i = 0; i < 4096; ++i) v.push_back(dist(rng) * (i % 3 == 0 ? 40.0f : 4.0f));
  const float inf = std::numeric_limits<float>::infinity();
  for (float special : {0.0f, -0.0f, 87.3f, -87.3f, 88.0f, -88.0f, 90.0f, -90.0f, 1e-40f, -1e-40f,
                        inf, -inf, std::numeric_limits<float>::quiet_NaN()}) {
    v.push_back(special);
  }
  return v;
}

// Every length 1-37 (the tail through the lanes) and the whole vector, at
// the start and at the end.
template <class Run>
void forEachPiece(int64_t size, Run run) {
  std::vector<int64_t> lengths;
  for (int64_t n = 1; n <= 37; ++n) lengths.push_back(n);
  lengths.push_back(size);
  for (int64_t n : lengths) {
    for (int64_t start : {int64_t{0}, size - n}) run(start, n);
  }
}

void expectSameBits(const std::vector<float> &got, const std::vector<float> &want,
                    const char *what) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(std::bit_cast<uint32_t>(got[i]), std::bit_cast<uint32_t>(want[i]))
        << what << " i " << i;
  }
}

TEST(CpuRowKernels, Avx2SwigluGivesTheScalarBits) {
  if (!haveAvx2()) GTEST_SKIP() << "skipped: this CPU (or build) has no AVX2";
  const std::vector<float> gate = edgyValues(5), up = edgyValues(6);
  forEachPiece(static_cast<int64_t>(gate.size()), [&](int64_t start, int64_t n) {
    std::vector<float> want(gate.begin() + start, gate.begin() + start + n), got = want;
    portableRowKernels().swiglu(want.data(), up.data() + start, n);
    avx2RowKernels().swiglu(got.data(), up.data() + start, n);
    expectSameBits(got, want, "swiglu");
  });
  EXPECT_EQ(selectRowKernels(Isa::kAvx2).swiglu, avx2RowKernels().swiglu);
  EXPECT_EQ(selectRowKernels(Isa::kPortable).swiglu, portableRowKernels().swiglu);
}

TEST(CpuRowKernels, Avx2ExpShiftGivesTheScalarBits) {
  if (!haveAvx2()) GTEST_SKIP() << "skipped: this CPU (or build) has no AVX2";
  const std::vector<float> s = edgyValues(7);
  for (float shift : {0.0f, 3.25f, -50.0f}) {
    forEachPiece(static_cast<int64_t>(s.size()), [&](int64_t start, int64_t n) {
      std::vector<float> want(s.begin() + start, s.begin() + start + n), got = want;
      portableRowKernels().exp_shift(want.data(), n, shift);
      avx2RowKernels().exp_shift(got.data(), n, shift);
      expectSameBits(got, want, "exp_shift");
    });
  }
  std::vector<float> one = {2.0f};
  portableRowKernels().exp_shift(one.data(), 1, 1.5f);
  EXPECT_NEAR(one[0], std::exp(0.5), 2e-7);
}

float loadAs(const uint8_t *src, DType dtype) {
  float f;
  loadFloats(src, dtype, 1, &f);
  return f;
}

TEST(CpuRowKernels, ValueSumsMatchADoubleSum) {
  std::vector<RowKernels> kernels = {portableRowKernels()};
  if (haveAvx2()) {
    kernels.push_back(avx2RowKernels());
  } else {
    std::printf("skipped: the AVX2 value sums (no AVX2 on this CPU or build)\n");
  }
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (const RowKernels &rk : kernels) {
    for (DType dtype : {DType::kF32, DType::kBF16, DType::kF16}) {
      for (int64_t heads : {1, 3}) {
        for (int64_t group : {1, 2, 3}) {
          for (int64_t d : {3, 8, 17, 64}) {
            for (int64_t len : {1, 5, 40}) {
              SCOPED_TRACE(::testing::Message()
                           << dtypeName(dtype) << " heads " << heads << " group " << group << " d "
                           << d << " len " << len);
              const int64_t size = dtypeSize(dtype), row_bytes = (heads * d + 5) * size;
              const int64_t p_stride = len + 3;
              std::vector<uint8_t> v(len * row_bytes);
              for (int64_t j = 0; j < len; ++j) {
                for (int64_t i = 0; i < heads * d; ++i) {
                  const float f = dist(rng);
                  storeFloats(&f, 1, dtype, v.data() + j * row_bytes + i * size);
                }
              }
              std::vector<float> p(heads * group * p_stride);
              for (float &x : p) x = dist(rng);
              std::vector<float> out(heads * group * d, 99.0f);
              rk.value_sum(p.data(), p_stride, heads, group, len, v.data(), row_bytes, dtype, d,
                           out.data());
              for (int64_t r = 0; r < heads * group; ++r) {
                for (int64_t i = 0; i < d; ++i) {
                  double want = 0, mag = 0;
                  for (int64_t j = 0; j < len; ++j) {
                    const double term =
                        double(p[r * p_stride + j]) *
                        loadAs(v.data() + j * row_bytes + ((r / group) * d + i) * size, dtype);
                    want += term;
                    mag += std::abs(term);
                  }
                  ASSERT_NEAR(out[r * d + i], want, 1e-6 * (mag + 1)) << r << " " << i;
                }
              }
            }
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace lfm::cpu
