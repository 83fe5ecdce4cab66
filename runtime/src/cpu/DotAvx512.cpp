// The AVX-512 dot tiles, tiles of 4 rows x 4 weight rows (16 accumulators):
// - float32 x: 16 float32 lanes per element, weights widened in registers
//   (bf16 by a shift, f16 by vcvtph2ps); the k % 16 tail by masked loads.
// - bf16 x and bf16 weights (AVX512_BF16): vdpbf16ps, 32 products into 16
//   lanes per instruction, twice the float32 rate; the tail by masked loads.
// Masked-off lanes load zeros, which add nothing.
// - f32 weights in panels (WeightPanels.h): the broadcast GEMM tile,
//   12 rows x 2 panels (32 columns) for prefill, down to 1 row x 4 panels;
//   no horizontal sums, and each panel vector serves up to 12 rows. On
//   LFM2-350M shapes (2 threads) it took f32 prefill from 224 to 395 tokens/s
//   at 128 tokens and from 228 to 396 at 512 (the 4x4 dot tile spent its
//   time on L2 loads of W and on the 16-lane reductions), with decode batch 1
//   at the read bandwidth and batch 8 from 100 to 120 tokens/s.
// - bf16 weights in pairs panels (WeightPanels.h), the default on
//   AVX512_BF16 CPUs without AMX: the same tile with vdpbf16ps against a
//   broadcast pair of x. LFM2-350M shapes, 2 threads, this Xeon with
//   LFM_CPU_ISA=avx512bf16: decode batch 1 at 97% of the read bandwidth
//   (39.6 tokens/s; the 4 x 4 dot tile: 31), prefill 128 at 303 tokens/s
//   (the dot tile: 280).
// - bf16 weights in panels widened to f32 in registers (LFM_CPU_BF16=panels):
//   the f32 tile reading half the bytes, x float32. On this Xeon: decode
//   batch 1 at 96% of the read bandwidth (36.9 tokens/s against AMX's 33.2),
//   prefill 376 / 340 tokens/s at 128 / 512 (AMX: 897 / 664).
#include <algorithm>
#include <cstring>

#include "DotKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

#include "IsaTarget.h"
LFM_ISA_TARGET_BEGIN("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16,fma,f16c")
#include "TileLoop.h"

namespace lfm::cpu {
namespace {

template <DType kDType>
inline __m512 loadWeights(const uint8_t *w, int64_t i, __mmask16 m) {
  if constexpr (kDType == DType::kF32) {
    return _mm512_maskz_loadu_ps(m, reinterpret_cast<const float *>(w) + i);
  } else {
    __m256i h = _mm256_maskz_loadu_epi16(m, w + 2 * i);
    if constexpr (kDType == DType::kBF16) {
      return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
    } else {
      return _mm512_cvtph_ps(h);
    }
  }
}

template <DType kDType>
inline __m512 loadWeights(const uint8_t *w, int64_t i) {
  if constexpr (kDType == DType::kF32) {
    return _mm512_loadu_ps(reinterpret_cast<const float *>(w) + i);
  } else {
    __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(w + 2 * i));
    if constexpr (kDType == DType::kBF16) {
      return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
    } else {
      return _mm512_cvtph_ps(h);
    }
  }
}

template <DType kDType>
struct F32Micro {
  using X = float;
  static constexpr int64_t kWeightBytes = kDType == DType::kF32 ? 4 : 2;

  template <int M, int N>
  static void run(const float *x, int64_t xs, const uint8_t *w, int64_t rb, int64_t k,
                  float *out, int64_t os) {
    __m512 acc[M][N];
    for (int r = 0; r < M; ++r)
      for (int j = 0; j < N; ++j) acc[r][j] = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= k; i += 16) {
      __m512 wv[N];
      for (int j = 0; j < N; ++j) wv[j] = loadWeights<kDType>(w + j * rb, i);
      for (int r = 0; r < M; ++r) {
        __m512 xv = _mm512_loadu_ps(x + r * xs + i);
        for (int j = 0; j < N; ++j) acc[r][j] = _mm512_fmadd_ps(xv, wv[j], acc[r][j]);
      }
    }
    if (i < k) {
      const __mmask16 m = static_cast<__mmask16>((1u << (k - i)) - 1);
      __m512 wv[N];
      for (int j = 0; j < N; ++j) wv[j] = loadWeights<kDType>(w + j * rb, i, m);
      for (int r = 0; r < M; ++r) {
        __m512 xv = _mm512_maskz_loadu_ps(m, x + r * xs + i);
        for (int j = 0; j < N; ++j) acc[r][j] = _mm512_fmadd_ps(xv, wv[j], acc[r][j]);
      }
    }
    for (int r = 0; r < M; ++r)
      for (int j = 0; j < N; ++j) out[r * os + j] = _mm512_reduce_add_ps(acc[r][j]);
  }
};

struct Bf16Micro {
  using X = uint16_t;
  static constexpr int64_t kWeightBytes = 2;

  template <int M, int N>
  static void run(const uint16_t *x, int64_t xs, const uint8_t *w, int64_t rb, int64_t k,
                  float *out, int64_t os) {
    __m512 acc[M][N];
    for (int r = 0; r < M; ++r)
      for (int j = 0; j < N; ++j) acc[r][j] = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 32 <= k; i += 32) {
      __m512bh wv[N];
      for (int j = 0; j < N; ++j) wv[j] = (__m512bh)_mm512_loadu_si512(w + j * rb + 2 * i);
      for (int r = 0; r < M; ++r) {
        __m512bh xv = (__m512bh)_mm512_loadu_si512(x + r * xs + i);
        for (int j = 0; j < N; ++j) acc[r][j] = _mm512_dpbf16_ps(acc[r][j], xv, wv[j]);
      }
    }
    if (i < k) {
      const __mmask32 m = static_cast<__mmask32>((uint64_t{1} << (k - i)) - 1);
      __m512bh wv[N];
      for (int j = 0; j < N; ++j) wv[j] = (__m512bh)_mm512_maskz_loadu_epi16(m, w + j * rb + 2 * i);
      for (int r = 0; r < M; ++r) {
        __m512bh xv = (__m512bh)_mm512_maskz_loadu_epi16(m, x + r * xs + i);
        for (int j = 0; j < N; ++j) acc[r][j] = _mm512_dpbf16_ps(acc[r][j], xv, wv[j]);
      }
    }
    for (int r = 0; r < M; ++r)
      for (int j = 0; j < N; ++j) out[r * os + j] = _mm512_reduce_add_ps(acc[r][j]);
  }
};

// The panel tiles (WeightPanels.h): MR rows of x by NP panels of 16 weight
// rows, MR * NP accumulators of 16 output columns. Per step (an element of
// k for f32 panels, a pair of k for bf16 pairs) NP panel vectors of 64
// bytes and MR broadcasts of x (a float, or a pair of bf16 for vdpbf16ps).
// Each output element is one chain over the steps of k from zero, whatever
// MR and NP: the same bits in any tile.
enum class PanelMode { kF32, kBf16Pairs, kBf16Wide };

template <int MR, int NP, PanelMode kMode>
void panelMicro(const void *xv, int64_t xs, const uint8_t *wp, int64_t k, float *out,
                int64_t os) {
  __m512 acc[MR][NP];
  for (int r = 0; r < MR; ++r)
    for (int j = 0; j < NP; ++j) acc[r][j] = _mm512_setzero_ps();
  constexpr bool kBf16 = kMode == PanelMode::kBf16Pairs;
  constexpr int64_t kStepBytes = kMode == PanelMode::kBf16Wide ? 32 : 64;
  const int64_t steps = kBf16 ? k / 2 : k, panel = steps * kStepBytes;
  const auto *xf = static_cast<const float *>(xv);
  const auto *xp = static_cast<const uint16_t *>(xv);
  for (int64_t i = 0; i < steps; ++i) {
    // Software prefetch 32 lines ahead in each panel (past a panel's end:
    // the next one, which is contiguous): without it the hardware falls
    // behind once a line carries many rows' work (8 rows by 2 panels from
    // DRAM: 20 against 26 GB/s in a 2-thread microbenchmark).
    for (int j = 0; j < NP; ++j) {
      _mm_prefetch(reinterpret_cast<const char *>(wp + j * panel + i * kStepBytes + 32 * 64),
                   _MM_HINT_T0);
    }
    __m512 wv[NP];
    for (int j = 0; j < NP; ++j) {
      if constexpr (kMode == PanelMode::kBf16Wide) {  // bf16 to f32: the high half
        const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(wp + j * panel + i * 32));
        wv[j] = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
      } else {
        wv[j] = _mm512_loadu_ps(wp + j * panel + i * 64);
      }
    }
    for (int r = 0; r < MR; ++r) {
      if constexpr (kBf16) {
        uint32_t pair;
        std::memcpy(&pair, xp + r * xs + 2 * i, 4);
        const __m512bh x2 = (__m512bh)_mm512_set1_epi32(static_cast<int>(pair));
        for (int j = 0; j < NP; ++j) acc[r][j] = _mm512_dpbf16_ps(acc[r][j], x2, (__m512bh)wv[j]);
      } else {
        const __m512 x1 = _mm512_set1_ps(xf[r * xs + i]);
        for (int j = 0; j < NP; ++j) acc[r][j] = _mm512_fmadd_ps(x1, wv[j], acc[r][j]);
      }
    }
  }
  for (int r = 0; r < MR; ++r)
    for (int j = 0; j < NP; ++j) _mm512_storeu_ps(out + r * os + 16 * j, acc[r][j]);
}

// Panels [p0, p1) against a block of mr <= MR rows: NP panels at a time,
// MR * NP + NP of the 32 registers.
template <int MR, int NP, PanelMode kMode>
void panelRowBlock(int64_t mr, const void *x, int64_t xs, const uint8_t *w, int64_t k, int64_t p0,
                   int64_t p1, float *out, int64_t os) {
  if constexpr (MR > 1) {
    if (mr < MR) {
      constexpr int kLower = MR - 1, kNp = kLower <= 6 ? 4 : 2;
      panelRowBlock<kLower, kNp, kMode>(mr, x, xs, w, k, p0, p1, out, os);
      return;
    }
  }
  const int64_t panel = k * (kMode == PanelMode::kF32 ? 64 : 32);
  int64_t p = p0;
  for (; p + NP <= p1; p += NP) {
    panelMicro<MR, NP, kMode>(x, xs, w + p * panel, k, out + (p - p0) * 16, os);
  }
  for (; p < p1; ++p) panelMicro<MR, 1, kMode>(x, xs, w + p * panel, k, out + (p - p0) * 16, os);
}

// DotTileFn over weights in panels: c0 and c1 multiples of 16.
template <PanelMode kMode>
void panelTile(const void *xv, int64_t xs, int64_t rows, const uint8_t *w, int64_t, int64_t k,
               int64_t c0, int64_t c1, float *out, int64_t os) {
  constexpr int kRows = 12;
  const int64_t x_bytes = kMode == PanelMode::kBf16Pairs ? 2 : 4;
  const auto *x = static_cast<const uint8_t *>(xv);
  for (int64_t r0 = 0; r0 < rows; r0 += kRows) {
    const int64_t mr = std::min<int64_t>(kRows, rows - r0);
    panelRowBlock<kRows, 2, kMode>(mr, x + r0 * xs * x_bytes, xs, w, k, c0 / 16, c1 / 16,
                                   out + r0 * os, os);
  }
}

}  // namespace

DotTileFn avx512PanelTile() { return panelTile<PanelMode::kF32>; }
DotTileFn avx512Bf16PanelTile() { return panelTile<PanelMode::kBf16Pairs>; }
DotTileFn avx512Bf16WidePanelTile() { return panelTile<PanelMode::kBf16Wide>; }

DotKernel avx512DotKernel(DType dtype, bool bf16_dot) {
  switch (dtype) {
    case DType::kF32: return {XFormat::kF32, tileLoop<F32Micro<DType::kF32>, 4, 4>};
    case DType::kBF16:
      if (bf16_dot) return {XFormat::kBF16, tileLoop<Bf16Micro, 4, 4>};
      return {XFormat::kF32, tileLoop<F32Micro<DType::kBF16>, 4, 4>};
    case DType::kF16: return {XFormat::kF32, tileLoop<F32Micro<DType::kF16>, 4, 4>};
    default: return {};
  }
}

}  // namespace lfm::cpu

LFM_ISA_TARGET_END
#else
namespace lfm::cpu {
DotKernel avx512DotKernel(DType, bool) { return {}; }
DotTileFn avx512PanelTile() { return nullptr; }
DotTileFn avx512Bf16PanelTile() { return nullptr; }
DotTileFn avx512Bf16WidePanelTile() { return nullptr; }
}  // namespace lfm::cpu
#endif
