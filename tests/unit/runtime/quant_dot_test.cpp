// The cpu dot tiles for quantized weight rows (runtime/src/cpu/QuantDot.h)
// on every ISA path this CPU runs, against dequantize-then-dot in double:
// rows of x 1-70, K of 1-5 blocks, weight row strides longer than K, odd
// x and out strides, column ranges not at 0. And batch invariance: a row's
// (and a column's) result is bit-identical alone and in tiles of any size.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstdio>
#include <utility>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "cpu/QuantDot.h"
#include "lfm/QuantFormats.h"

namespace lfm::cpu {
namespace {

const Isa kIsas[] = {Isa::kPortable, Isa::kAvx2, Isa::kAvx512, Isa::kAvx512Bf16};

std::vector<float> randomFloats(int64_t n, uint32_t seed, float scale) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (float &f : v) f = dist(rng);
  return v;
}

// n weight rows of `stride` elements, quantized; and their dequantized values.
struct QuantWeights {
  std::vector<uint8_t> q;
  std::vector<float> deq;
};

QuantWeights makeWeights(QuantFormat f, int64_t n, int64_t stride, uint32_t seed) {
  std::vector<float> w = randomFloats(n * stride, seed, 0.05f);
  // Some rows with an offset (exercises q4_k's mins) and one all zero.
  for (int64_t i = 0; i < stride; ++i) w[i] += 0.1f;
  if (n > 3) std::fill(w.begin() + 3 * stride, w.begin() + 4 * stride, 0.0f);
  QuantWeights out;
  absl::StatusOr<std::vector<uint8_t>> q = quantizeRows(f, w.data(), n, stride);
  EXPECT_TRUE(q.ok()) << q.status();
  out.q = *q;
  out.deq.resize(n * stride);
  EXPECT_TRUE(dequantizeRows(f, out.q.data(), n, stride, out.deq.data()).ok());
  return out;
}

bool haveIsa(Isa isa) { return isa <= detectedIsa(); }

bool sameBits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

TEST(QuantDot, MatchesDequantizedDotOnEveryIsa) {
  const int64_t row_counts[] = {1, 2, 3, 4, 5, 7, 13, 33, 70};
  const int64_t n = 9, c0 = 2, c1 = 9;
  for (Isa isa : kIsas) {
    if (!haveIsa(isa)) continue;
    for (QuantFormat f : kAllQuantFormats) {
      const DotKernel kernel = selectQuantDotKernel(isa, f);
      ASSERT_NE(kernel.tile, nullptr);
      ASSERT_EQ(kernel.x_format, XFormat::kF32);
      // The ISA's own tile is what is tested, not the portable fallback.
      if (isa >= Isa::kAvx512) ASSERT_EQ(kernel.tile, avx512QuantDotKernel(f).tile);
      if (isa == Isa::kAvx2) ASSERT_EQ(kernel.tile, avx2QuantDotKernel(f).tile);
      if (isa > Isa::kPortable) ASSERT_NE(kernel.tile, portableQuantDotKernel(f).tile);
      const int64_t be = quantBlockElems(f);
      for (int64_t kb : {1, 2, 3, 5}) {
        const int64_t k = kb * be;
        for (int64_t stride : {k, k + be}) {
          const QuantWeights w = makeWeights(f, n, stride, static_cast<uint32_t>(k + stride));
          for (int64_t rows : row_counts) {
            SCOPED_TRACE(std::string(isaName(isa)) + " " + quantFormatName(f) + " k " +
                         std::to_string(k) + " stride " + std::to_string(stride) + " rows " +
                         std::to_string(rows));
            const int64_t xs = k + 3, os = (c1 - c0) + 2;
            const std::vector<float> x = randomFloats(rows * xs, static_cast<uint32_t>(rows), 1.0f);
            std::vector<float> out(rows * os, -1.0f);
            kernel.tile(x.data(), xs, rows, w.q.data(), stride, k, c0, c1, out.data(), os);
            for (int64_t r = 0; r < rows; ++r) {
              for (int64_t c = c0; c < c1; ++c) {
                double ref = 0, mag = 0;
                for (int64_t i = 0; i < k; ++i) {
                  const double p = double(x[r * xs + i]) * w.deq[c * stride + i];
                  ref += p;
                  mag += std::fabs(p);
                }
                const float got = out[r * os + (c - c0)];
                ASSERT_NEAR(got, ref, 4e-6 * mag + 1e-30) << "row " << r << " col " << c;
              }
              // The padding between output rows is left alone.
              ASSERT_EQ(out[r * os + (c1 - c0)], -1.0f);
            }
          }
        }
      }
    }
  }
}

TEST(QuantDot, IsBatchInvariant) {
  const int64_t rows = 70, n = 11;
  for (Isa isa : kIsas) {
    if (!haveIsa(isa)) continue;
    for (QuantFormat f : kAllQuantFormats) {
      SCOPED_TRACE(std::string(isaName(isa)) + " " + quantFormatName(f));
      const DotKernel kernel = selectQuantDotKernel(isa, f);
      const int64_t k = 3 * quantBlockElems(f);
      const QuantWeights w = makeWeights(f, n, k, 7);
      const std::vector<float> x = randomFloats(rows * k, 8, 1.0f);
      std::vector<float> all(rows * n);
      kernel.tile(x.data(), k, rows, w.q.data(), k, k, 0, n, all.data(), n);
      // Rows in steps of 1, 3 and 5; columns one at a time and in odd ranges.
      for (int64_t step : {1, 3, 5}) {
        for (int64_t r0 = 0; r0 < rows; r0 += step) {
          const int64_t m = std::min(step, rows - r0);
          for (int64_t cstep : {int64_t{1}, int64_t{3}, n}) {
            for (int64_t c0 = 0; c0 < n; c0 += cstep) {
              const int64_t c1 = std::min(n, c0 + cstep);
              std::vector<float> part(m * (c1 - c0));
              kernel.tile(x.data() + r0 * k, k, m, w.q.data(), k, k, c0, c1, part.data(),
                          c1 - c0);
              for (int64_t r = 0; r < m; ++r) {
                for (int64_t c = c0; c < c1; ++c) {
                  ASSERT_TRUE(sameBits(part[r * (c1 - c0) + (c - c0)], all[(r0 + r) * n + c]))
                      << "row " << r0 + r << " col " << c << " step " << step << " cstep "
                      << cstep;
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

namespace lfm::cpu {
namespace {

// A micro-benchmark, not run by default:
//   build/tests/quant_dot_test --gtest_also_run_disabled_tests \
//       --gtest_filter='*GemvBandwidth*'
// GEMV (one row of x) over an [n, k] weight matrix, single thread, on the
// active ISA: GB/s of weight bytes read, best of the repetitions in ~0.3 s;
// bf16 weights through the dense tile for comparison; "q8x" lines are the
// quantized-x tiles (XFormat::kQ8), timing the quantization of x with them.
template <class Gemv>
double gemvGbPerS(Gemv &&gemv, int64_t bytes) {
  double best = 1e30;
  double total = 0;
  for (int rep = 0; rep < 200 && total < 0.3; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    gemv();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::min(best, s);
    total += s;
  }
  return bytes / best / 1e9;
}

double gemvGbPerS(DotTileFn tile, const uint8_t *w, int64_t bytes, int64_t n, int64_t k,
                  const float *x, float *out) {
  return gemvGbPerS([&] { tile(x, k, 1, w, k, k, 0, n, out, n); }, bytes);
}

TEST(QuantDot, DISABLED_GemvBandwidth) {
  const Isa isa = activeIsa();
  for (auto shape : {std::pair<int64_t, int64_t>{1024, 4096}, {65536, 1024}}) {
    const int64_t n = shape.first, k = shape.second;  // captured below (clang 14)
    const std::vector<float> x = randomFloats(k, 1, 1.0f);
    std::vector<float> out(n);
    std::vector<float> wf = randomFloats(n * k, 2, 0.05f);
    {
      std::vector<uint16_t> bf(n * k);
      for (int64_t i = 0; i < n * k; ++i) bf[i] = static_cast<uint16_t>(std::bit_cast<uint32_t>(wf[i]) >> 16);
      const double gbs = gemvGbPerS(selectDotKernel(isa, DType::kBF16, true).tile,
                                    reinterpret_cast<const uint8_t *>(bf.data()), n * k * 2, n, k,
                                    x.data(), out.data());
      std::printf("%-10s %6lld x %-5lld bf16  %7.1f GB/s  %7.1f Gweights/s\n", isaName(isa),
                  static_cast<long long>(n), static_cast<long long>(k), gbs, gbs / 2);
    }
    for (QuantFormat f : kAllQuantFormats) {
      absl::StatusOr<std::vector<uint8_t>> q = quantizeRows(f, wf.data(), n, k);
      ASSERT_TRUE(q.ok());
      const double bytes_per_weight = double(quantBlockBytes(f)) / quantBlockElems(f);
      const double gbs = gemvGbPerS(selectQuantDotKernel(isa, f).tile, q->data(),
                                    static_cast<int64_t>(q->size()), n, k, x.data(), out.data());
      std::printf("%-10s %6lld x %-5lld %-5s %7.1f GB/s  %7.1f Gweights/s\n", isaName(isa),
                  static_cast<long long>(n), static_cast<long long>(k), quantFormatName(f), gbs,
                  gbs / bytes_per_weight);
      const DotKernel q8x = selectQuantDotKernel(isa, f, true);
      std::vector<uint8_t> xq(q8xRowBytes(k));
      const double gbs_q8x = gemvGbPerS(
          [&] {
            quantizeXRowsQ8(x.data(), k, 1, k, xq.data(), q8xRowBytes(k));
            q8x.tile(xq.data(), q8xRowBytes(k), 1, q->data(), k, k, 0, n, out.data(), n);
          },
          static_cast<int64_t>(q->size()));
      std::printf("%-10s %6lld x %-5lld %-5s %7.1f GB/s  %7.1f Gweights/s  (q8x)\n", isaName(isa),
                  static_cast<long long>(n), static_cast<long long>(k), quantFormatName(f),
                  gbs_q8x, gbs_q8x / bytes_per_weight);
    }
  }
}

}  // namespace
}  // namespace lfm::cpu
