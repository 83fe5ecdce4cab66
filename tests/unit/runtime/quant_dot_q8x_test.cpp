// The cpu dot tiles for quantized weights against quantized x (XFormat::kQ8,
// runtime/src/cpu/QuantDot.h), llama.cpp's fast path, on every ISA path this
// CPU runs:
//  - quantizeXRowsQ8 against an independent quantizer (bytes identical);
//  - the tiles against the dot, in double, of the dequantized weights with
//    x dequantized from its codes (d * q): the tiles' integer block dots are
//    exact, so only float rounding separates them; rows of x 1-70, K of
//    1-8 blocks (a lone last block of 32 too), weight row strides longer
//    than K, padded x and out strides, column ranges not at 0;
//  - batch invariance: a row's (and column's) result is bit-identical alone
//    and in tiles of any size;
//  - the accuracy cost against the float32-x tiles, on random data;
//  - the AVX2 tiles of q4_0, q8_0, q4_k and q6_k weights in 8-row panels
//    (QuantPanelAvx2.cpp, WeightPanels.h) the same ways: against the double
//    dot, and bit-identical across row and column splits.
#include <gtest/gtest.h>

#include <algorithm>
#include <cfenv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "cpu/DotKernels.h"
#include "cpu/QuantDot.h"
#include "cpu/WeightPanels.h"
#include "lfm/QuantFormats.h"

namespace lfm::cpu {
namespace {

const Isa kIsas[] = {Isa::kPortable, Isa::kAvx2, Isa::kAvx512, Isa::kAvx512Bf16};

bool haveIsa(Isa isa) { return isa <= detectedIsa(); }
bool sameBits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

std::vector<float> randomFloats(int64_t n, uint32_t seed, float scale) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (float &f : v) f = dist(rng);
  return v;
}

struct QuantWeights {
  std::vector<uint8_t> q;
  std::vector<float> deq;
};

QuantWeights makeWeights(QuantFormat f, int64_t n, int64_t stride, uint32_t seed) {
  std::vector<float> w = randomFloats(n * stride, seed, 0.05f);
  for (int64_t i = 0; i < stride; ++i) w[i] += 0.1f;  // q4_k's mins
  if (n > 3) std::fill(w.begin() + 3 * stride, w.begin() + 4 * stride, 0.0f);
  QuantWeights out;
  absl::StatusOr<std::vector<uint8_t>> q = quantizeRows(f, w.data(), n, stride);
  EXPECT_TRUE(q.ok()) << q.status();
  out.q = *q;
  out.deq.resize(n * stride);
  EXPECT_TRUE(dequantizeRows(f, out.q.data(), n, stride, out.deq.data()).ok());
  return out;
}

// Rows of x quantized with quantizeXRowsQ8, xs bytes apart.
std::vector<uint8_t> quantizeX(const std::vector<float> &x, int64_t rows, int64_t k, int64_t xs) {
  std::vector<uint8_t> q(rows * xs, 0xEE);
  quantizeXRowsQ8(x.data(), k, rows, k, q.data(), xs);
  return q;
}

// x row r dequantized from its codes: d * q.
std::vector<double> dequantizeX(const uint8_t *row, int64_t k) {
  std::vector<double> v(k);
  for (int64_t i = 0; i < k; ++i) {
    float d;
    std::memcpy(&d, row + k + i / 32 * 4, 4);
    v[i] = double(d) * static_cast<int8_t>(row[i]);
  }
  return v;
}

// The dot of x (dequantized, double) with weight row c; `mag` the sum of
// the products' magnitudes.
double referenceDot(const std::vector<double> &xd, const QuantWeights &w, int64_t c,
                    int64_t stride, double *mag) {
  double ref = 0;
  *mag = 0;
  for (size_t i = 0; i < xd.size(); ++i) {
    const double p = xd[i] * w.deq[c * stride + i];
    ref += p;
    *mag += std::fabs(p);
  }
  return ref;
}

TEST(QuantDotQ8x, QuantizesXLikeGgml) {
  const int64_t k = 160, rows = 3, xs = q8xRowBytes(k) + 5;
  std::vector<float> x = randomFloats(rows * k, 3, 2.0f);
  std::fill(x.begin() + 32, x.begin() + 64, 0.0f);  // an all-zero block
  x[70] = 1e-30f;                                   // a tiny amax
  x[100] = -7.5f;                                   // a block led by a negative value
  const std::vector<uint8_t> got = quantizeX(x, rows, k, xs);
  ASSERT_EQ(std::fegetround(), FE_TONEAREST);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t b = 0; b < k / 32; ++b) {
      const float *xb = x.data() + r * k + 32 * b;
      float amax = 0;
      for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(xb[i]));
      const float d = amax / 127.0f, inv = amax == 0.0f ? 0.0f : 127.0f / amax;
      float got_d;
      std::memcpy(&got_d, got.data() + r * xs + k + 4 * b, 4);
      ASSERT_TRUE(sameBits(got_d, d)) << "row " << r << " block " << b;
      int sum[2] = {0, 0};
      for (int i = 0; i < 32; ++i) {
        const int q = static_cast<int>(std::nearbyint(xb[i] * inv));  // ties to even
        ASSERT_LE(std::abs(q), 127);
        ASSERT_EQ(static_cast<int8_t>(got[r * xs + 32 * b + i]), q) << "row " << r << " elem " << 32 * b + i;
        sum[i / 16] += q;
      }
      int16_t got_sum[2];
      std::memcpy(got_sum, got.data() + r * xs + k + k / 8 + 4 * b, 4);
      ASSERT_EQ(got_sum[0], sum[0]) << "row " << r << " block " << b;
      ASSERT_EQ(got_sum[1], sum[1]) << "row " << r << " block " << b;
      float got_ds;
      std::memcpy(&got_ds, got.data() + r * xs + k + k / 4 + 4 * b, 4);
      ASSERT_TRUE(sameBits(got_ds, d * static_cast<float>(sum[0] + sum[1])))
          << "row " << r << " block " << b;
    }
    // The padding after a row is left alone.
    for (int64_t i = q8xRowBytes(k); i < xs; ++i) ASSERT_EQ(got[r * xs + i], 0xEE);
  }
}

TEST(QuantDotQ8x, MatchesDequantizedDotOnEveryIsa) {
  const int64_t row_counts[] = {1, 2, 3, 4, 5, 7, 13, 33, 70};
  const int64_t n = 9, c0 = 2, c1 = 9;
  for (Isa isa : kIsas) {
    if (!haveIsa(isa)) continue;
    for (QuantFormat f : kAllQuantFormats) {
      const DotKernel kernel = selectQuantDotKernel(isa, f, true);
      ASSERT_NE(kernel.tile, nullptr);
      ASSERT_EQ(kernel.x_format, XFormat::kQ8);
      // The ISA's own tile is what is tested, not a fallback.
      if (isa >= Isa::kAvx512 && haveAvx512Vnni()) {
        ASSERT_EQ(kernel.tile, avx512VnniQuantDotKernelQ8x(f).tile);
      } else if (isa >= Isa::kAvx2) {
        ASSERT_EQ(kernel.tile, avx2QuantDotKernelQ8x(f).tile);
      }
      if (isa > Isa::kPortable) ASSERT_NE(kernel.tile, portableQuantDotKernelQ8x(f).tile);
      const int64_t be = quantBlockElems(f);
      const std::vector<int64_t> kbs =
          be == 32 ? std::vector<int64_t>{1, 2, 3, 5, 8} : std::vector<int64_t>{1, 2, 3};
      for (int64_t kb : kbs) {
        const int64_t k = kb * be;
        for (int64_t stride : {k, k + be}) {
          const QuantWeights w = makeWeights(f, n, stride, static_cast<uint32_t>(k + stride));
          for (int64_t rows : row_counts) {
            SCOPED_TRACE(std::string(isaName(isa)) + " " + quantFormatName(f) + " k " +
                         std::to_string(k) + " stride " + std::to_string(stride) + " rows " +
                         std::to_string(rows));
            const int64_t xs = q8xRowBytes(k) + 7, os = (c1 - c0) + 2;
            const std::vector<float> x = randomFloats(rows * k, static_cast<uint32_t>(rows), 1.0f);
            const std::vector<uint8_t> xq = quantizeX(x, rows, k, xs);
            std::vector<float> out(rows * os, -1.0f);
            kernel.tile(xq.data(), xs, rows, w.q.data(), stride, k, c0, c1, out.data(), os);
            for (int64_t r = 0; r < rows; ++r) {
              const std::vector<double> xd = dequantizeX(xq.data() + r * xs, k);
              for (int64_t c = c0; c < c1; ++c) {
                double mag;
                const double ref = referenceDot(xd, w, c, stride, &mag);
                const float got = out[r * os + (c - c0)];
                ASSERT_NEAR(got, ref, 4e-6 * mag + 1e-30) << "row " << r << " col " << c;
              }
              ASSERT_EQ(out[r * os + (c1 - c0)], -1.0f);
            }
          }
        }
      }
    }
  }
}

TEST(QuantDotQ8x, IsBatchInvariant) {
  const int64_t rows = 70, n = 11;
  for (Isa isa : kIsas) {
    if (!haveIsa(isa)) continue;
    for (QuantFormat f : kAllQuantFormats) {
      SCOPED_TRACE(std::string(isaName(isa)) + " " + quantFormatName(f));
      const DotKernel kernel = selectQuantDotKernel(isa, f, true);
      // q8_0 / q4_0: 3 blocks, so a lone last block too.
      const int64_t k = 3 * quantBlockElems(f), xs = q8xRowBytes(k);
      const QuantWeights w = makeWeights(f, n, k, 7);
      const std::vector<uint8_t> xq = quantizeX(randomFloats(rows * k, 8, 1.0f), rows, k, xs);
      std::vector<float> all(rows * n);
      kernel.tile(xq.data(), xs, rows, w.q.data(), k, k, 0, n, all.data(), n);
      for (int64_t step : {1, 3, 5}) {
        for (int64_t r0 = 0; r0 < rows; r0 += step) {
          const int64_t m = std::min(step, rows - r0);
          for (int64_t cstep : {int64_t{1}, int64_t{3}, n}) {
            for (int64_t c0 = 0; c0 < n; c0 += cstep) {
              const int64_t c1 = std::min(n, c0 + cstep);
              std::vector<float> part(m * (c1 - c0));
              kernel.tile(xq.data() + r0 * xs, xs, m, w.q.data(), k, k, c0, c1, part.data(),
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

// The AVX2 panel tiles, and the AVX512-VNNI ones (the same integer dots by
// vpdpbusd) with the AVX2 tiles' bits, where the CPU has them.
TEST(QuantDotQ8x, PanelTilesMatchDequantizedDotAndAreBatchInvariant) {
  if (!haveIsa(Isa::kAvx2)) GTEST_SKIP() << "skipped: this CPU has no AVX2";
  const bool vnni = haveAvx512Vnni();
  if (!vnni) std::cout << "note: no AVX512-VNNI here: the VNNI panel tiles are not run\n";
  const int64_t n = 32, c0 = 8, c1 = 32;
  for (PanelLayout layout :
       {PanelLayout::kQ4_0Panels, PanelLayout::kQ8_0Panels, PanelLayout::kQ4_KPanels,
        PanelLayout::kQ6_KPanels}) {
  for (const bool use_vnni : {false, true}) {
  if (use_vnni && !vnni) continue;
  const QuantFormat f = quantPanelFormat(layout);
  const DotTileFn tile = use_vnni ? vnniQuantPanelTile(layout) : avx2QuantPanelTile(layout);
  ASSERT_NE(tile, nullptr) << quantFormatName(f) << (use_vnni ? " vnni" : " avx2");
  const int64_t be = quantBlockElems(f);
  for (int64_t kb : be == 32 ? std::vector<int64_t>{1, 2, 3, 8} : std::vector<int64_t>{1, 2}) {
    const int64_t k = be * kb;
    for (int64_t stride : {k, k + be}) {
      const QuantWeights w = makeWeights(f, n, stride, static_cast<uint32_t>(k));
      const std::vector<uint8_t> panels = packPanels(layout, w.q, n, stride);
      ASSERT_EQ(unpackPanels(layout, panels, n, stride), w.q);
      const int64_t rows = 70, xs = q8xRowBytes(k) + 3, os = (c1 - c0) + 2;
      std::vector<float> x = randomFloats(rows * k, static_cast<uint32_t>(stride), 1.0f);
      std::fill(x.begin(), x.begin() + 32, -3.0f);  // a block of x at -127 throughout
      const std::vector<uint8_t> xq = quantizeX(x, rows, k, xs);
      std::vector<float> all(rows * os, -1.0f);
      tile(xq.data(), xs, rows, panels.data(), stride, k, c0, c1, all.data(), os);
      if (use_vnni) {
        std::vector<float> avx2(rows * os, -1.0f);
        avx2QuantPanelTile(layout)(xq.data(), xs, rows, panels.data(), stride, k, c0, c1,
                                   avx2.data(), os);
        for (int64_t i = 0; i < rows * os; ++i) {
          ASSERT_TRUE(sameBits(all[i], avx2[i])) << quantFormatName(f) << " vnni vs avx2 at " << i;
        }
      }
      for (int64_t r = 0; r < rows; ++r) {
        SCOPED_TRACE(std::string(quantFormatName(f)) + (use_vnni ? " vnni" : " avx2") + " k " +
                     std::to_string(k) + " stride " + std::to_string(stride) + " row " +
                     std::to_string(r));
        const std::vector<double> xd = dequantizeX(xq.data() + r * xs, k);
        for (int64_t c = c0; c < c1; ++c) {
          double mag;
          const double ref = referenceDot(xd, w, c, stride, &mag);
          ASSERT_NEAR(all[r * os + (c - c0)], ref, 4e-6 * mag + 1e-30) << "col " << c;
        }
        ASSERT_EQ(all[r * os + (c1 - c0)], -1.0f);
      }
      for (int64_t step : {1, 3, 4, 5, 7, 8}) {
        for (int64_t r0 = 0; r0 < rows; r0 += step) {
          const int64_t m = std::min(step, rows - r0);
          for (int64_t p0 = c0; p0 < c1; p0 += 8) {
            float part[8 * 8];
            tile(xq.data() + r0 * xs, xs, m, panels.data(), stride, k, p0, p0 + 8, part, 8);
            for (int64_t r = 0; r < m; ++r) {
              for (int64_t c = 0; c < 8; ++c) {
                ASSERT_TRUE(sameBits(part[r * 8 + c], all[(r0 + r) * os + (p0 - c0) + c]))
                    << quantFormatName(f) << " row " << r0 + r << " col " << p0 + c
                    << " step " << step;
              }
            }
          }
        }
      }
    }
  }
  }
  }
}

// The cost of quantizing x: the relative RMS error of the outputs against
// the exact dot of float32 x with the dequantized weights, for the kQ8-x and
// the float32-x tiles (printed), on N(0, 1) activations.
TEST(QuantDotQ8x, AccuracyAgainstFloatX) {
  const int64_t rows = 4, n = 64, k = 2048, xs = q8xRowBytes(k);
  const Isa isa = activeIsa();
  const std::vector<float> x = randomFloats(rows * k, 11, 1.0f);
  const std::vector<uint8_t> xq = quantizeX(x, rows, k, xs);
  for (QuantFormat f : kAllQuantFormats) {
    const QuantWeights w = makeWeights(f, n, k, 12);
    std::vector<float> out_q(rows * n), out_f(rows * n);
    selectQuantDotKernel(isa, f, true).tile(xq.data(), xs, rows, w.q.data(), k, k, 0, n,
                                            out_q.data(), n);
    selectQuantDotKernel(isa, f).tile(x.data(), k, rows, w.q.data(), k, k, 0, n, out_f.data(), n);
    double err_q = 0, err_f = 0, norm = 0;
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t c = 0; c < n; ++c) {
        double ref = 0;
        for (int64_t i = 0; i < k; ++i) ref += double(x[r * k + i]) * w.deq[c * k + i];
        err_q += std::pow(out_q[r * n + c] - ref, 2);
        err_f += std::pow(out_f[r * n + c] - ref, 2);
        norm += ref * ref;
      }
    }
    const double rel_q = std::sqrt(err_q / norm), rel_f = std::sqrt(err_f / norm);
    std::printf("%-10s %-5s relative RMS error: q8 x %.2e, f32 x %.2e\n", isaName(isa),
                quantFormatName(f), rel_q, rel_f);
    EXPECT_LT(rel_q, 1e-2) << quantFormatName(f);
    EXPECT_LT(rel_f, 1e-5) << quantFormatName(f);
  }
}

}  // namespace
}  // namespace lfm::cpu
