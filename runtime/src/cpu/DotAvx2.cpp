// The AVX2/FMA tiles:
// - row-major weights: dot tiles, 8 float32 lanes per element, weights
//   widened to float32 in registers (bf16 by a shift, f16 by F16C), tiles of
//   4 rows x 3 weight rows (12 accumulators + 3 weights + x: the 16 ymm
//   registers). The tail (k % 8) is added after the horizontal sum, in order.
// - f32 or bf16 weights in panels of 16 rows (WeightPanels.h, kF32Panels and
//   kBf16Panels): the broadcast GEMM tile, 6 rows x 1 panel (12 accumulators
//   of 8 columns) for prefill, down to 1 row x 4 panels for decode; bf16
//   widened to f32 in registers. Each output element is one FMA chain over k
//   from zero, whatever the tile: no horizontal sums, and a panel's vectors
//   serve up to 6 rows. LFM2-350M shapes, 2 threads, an AMD EPYC (Zen 3,
//   AVX2 only), scripts/cpu-bench 350m beside llama.cpp's AVX2 build:
//   bf16 decode b1 36.9 tokens/s (llama.cpp 35.0), prefill 128 / 512 at
//   259 / 224 (171 / 175); f32 decode b1 22.2 (21.6), prefill 255 / 237
//   (193 / 208). Before, with the dot tiles: bf16 decode b1 24, f32 18.
#include <algorithm>

#include "DotKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

#include "IsaTarget.h"
LFM_ISA_TARGET_BEGIN("avx2,fma,f16c")
#include "TileLoop.h"

namespace lfm::cpu {
namespace {

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline float scalarWeight(const uint8_t *w, int64_t i, DType dtype) {
  uint16_t h;
  switch (dtype) {
    case DType::kBF16:
      __builtin_memcpy(&h, w + 2 * i, 2);
      return __builtin_bit_cast(float, static_cast<uint32_t>(h) << 16);
    case DType::kF16:
      __builtin_memcpy(&h, w + 2 * i, 2);
      return _cvtsh_ss(h);
    default: {
      float f;
      __builtin_memcpy(&f, w + 4 * i, 4);
      return f;
    }
  }
}

template <DType kDType>
inline __m256 loadWeights(const uint8_t *w, int64_t i) {
  if constexpr (kDType == DType::kF32) {
    return _mm256_loadu_ps(reinterpret_cast<const float *>(w) + i);
  } else {
    __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i *>(w + 2 * i));
    if constexpr (kDType == DType::kBF16) {
      return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
    } else {
      return _mm256_cvtph_ps(h);
    }
  }
}

template <DType kDType>
struct Avx2Micro {
  using X = float;
  static constexpr int64_t kWeightBytes = kDType == DType::kF32 ? 4 : 2;

  template <int M, int N>
  static void run(const float *x, int64_t xs, const uint8_t *w, int64_t rb, int64_t k,
                  float *out, int64_t os) {
    __m256 acc[M][N];
    for (int r = 0; r < M; ++r)
      for (int j = 0; j < N; ++j) acc[r][j] = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 8 <= k; i += 8) {
      __m256 wv[N];
      for (int j = 0; j < N; ++j) wv[j] = loadWeights<kDType>(w + j * rb, i);
      for (int r = 0; r < M; ++r) {
        __m256 xv = _mm256_loadu_ps(x + r * xs + i);
        for (int j = 0; j < N; ++j) acc[r][j] = _mm256_fmadd_ps(xv, wv[j], acc[r][j]);
      }
    }
    for (int r = 0; r < M; ++r) {
      for (int j = 0; j < N; ++j) {
        float s = hsum(acc[r][j]);
        for (int64_t t = i; t < k; ++t) s += x[r * xs + t] * scalarWeight(w + j * rb, t, kDType);
        out[r * os + j] = s;
      }
    }
  }
};

// The panel tiles: MR rows of x by NP panels of 16 weight rows (two ymm
// accumulators each) over `steps` elements of k. Per element i: NP panel
// rows of 16 weights (64 bytes f32, 32 bytes bf16; panel j at wp + j *
// panel) and MR broadcasts of x[r][i]. With `accumulate` the chains go on
// from the partial sums in `out` (float32 stored and reloaded: the same bits
// as one unbroken chain). Each step asks for the line `ahead` bytes past
// its own in each panel (kAhead while streaming a panel; the chunked path
// below points it at the piece it reads next).
template <int MR, int NP, bool kBf16>
void panelMicro(const float *x, int64_t xs, const uint8_t *wp, int64_t panel, int64_t steps,
                float *out, int64_t os, bool accumulate, int64_t ahead) {
  __m256 acc[MR][2 * NP];  // [r][2j], [r][2j+1]: panel j's columns 0-7, 8-15
  LFM_UNROLL
  for (int r = 0; r < MR; ++r)
    LFM_UNROLL
    for (int j = 0; j < 2 * NP; ++j) {
      acc[r][j] = accumulate ? _mm256_loadu_ps(out + r * os + 8 * j) : _mm256_setzero_ps();
    }
  constexpr int64_t kStepBytes = kBf16 ? 32 : 64;
  for (int64_t i = 0; i < steps; ++i) {
    LFM_UNROLL
    for (int j = 0; j < NP; ++j) {
      _mm_prefetch(reinterpret_cast<const char *>(wp + j * panel + i * kStepBytes + ahead),
                   _MM_HINT_T0);
    }
    __m256 wv[2 * NP];
    LFM_UNROLL
    for (int j = 0; j < NP; ++j) {
      const uint8_t *p = wp + j * panel + i * kStepBytes;
      if constexpr (kBf16) {
        const __m128i lo = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
        const __m128i hi = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p + 16));
        wv[2 * j] = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(lo), 16));
        wv[2 * j + 1] = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(hi), 16));
      } else {
        wv[2 * j] = _mm256_loadu_ps(reinterpret_cast<const float *>(p));
        wv[2 * j + 1] = _mm256_loadu_ps(reinterpret_cast<const float *>(p) + 8);
      }
    }
    LFM_UNROLL
    for (int r = 0; r < MR; ++r) {
      const __m256 x1 = _mm256_broadcast_ss(x + r * xs + i);
      LFM_UNROLL
      for (int j = 0; j < 2 * NP; ++j) acc[r][j] = _mm256_fmadd_ps(x1, wv[j], acc[r][j]);
    }
  }
  LFM_UNROLL
  for (int r = 0; r < MR; ++r)
    LFM_UNROLL
    for (int j = 0; j < 2 * NP; ++j) _mm256_storeu_ps(out + r * os + 8 * j, acc[r][j]);
}

// How far ahead a pass streaming a panel asks for lines: 16 lines (past a
// panel's end, the next panel).
constexpr int64_t kAhead = 16 * 64;

// Panels [p0, p1) against a block of mr <= MR rows, NP panels at a time:
// 2 * MR * NP accumulators of the 16 ymm registers (at most 12).
template <int MR, bool kBf16>
void panelRowBlock(int64_t mr, const float *x, int64_t xs, const uint8_t *w, int64_t panel,
                   int64_t steps, int64_t p0, int64_t p1, float *out, int64_t os,
                   bool accumulate, int64_t ahead) {
  if constexpr (MR > 1) {
    if (mr < MR) {
      panelRowBlock<MR - 1, kBf16>(mr, x, xs, w, panel, steps, p0, p1, out, os, accumulate,
                                   ahead);
      return;
    }
  }
  constexpr int kNp = MR == 1 ? 4 : MR <= 3 ? 2 : 1;
  int64_t p = p0;
  for (; p + kNp <= p1; p += kNp) {
    panelMicro<MR, kNp, kBf16>(x, xs, w + p * panel, panel, steps, out + (p - p0) * 16, os,
                               accumulate, ahead);
  }
  for (; p < p1; ++p) {
    panelMicro<MR, 1, kBf16>(x, xs, w + p * panel, panel, steps, out + (p - p0) * 16, os,
                             accumulate, ahead);
  }
}

// DotTileFn over weights in panels (x float32): c0 and c1 multiples of 16.
// Up to 6 rows (decode) stream the panels once. More rows go 2 panels and
// 8 KB of each at a time, every block of 6 rows over that piece while it is
// in L1: the weights come from memory once instead of once per row block.
// The first block's pass over a piece asks, step for step, for the piece
// it reads next (the other panel's, or the next 8 KB): the pieces are
// short jumps apart, where the hardware stopped fetching ahead (f32 batch 8
// read 17 GB/s where batch 1 reads 35).
template <bool kBf16>
void panelTile(const void *xv, int64_t xs, int64_t rows, const uint8_t *w, int64_t, int64_t k,
               int64_t c0, int64_t c1, float *out, int64_t os) {
  constexpr int kRows = 6;
  constexpr int64_t kGroup = 2, kStepBytes = kBf16 ? 32 : 64, kChunk = 8192 / kStepBytes;
  const auto *x = static_cast<const float *>(xv);
  const int64_t panel = k * kStepBytes, p0 = c0 / 16, p1 = c1 / 16;
  if (rows <= kRows) {
    panelRowBlock<kRows, kBf16>(rows, x, xs, w, panel, k, p0, p1, out, os, false, kAhead);
    return;
  }
  const auto piece = [&](int64_t p, int64_t i0) { return p * panel + i0 * kStepBytes; };
  for (int64_t p = p0; p < p1; p += kGroup) {
    const int64_t pe = std::min(p + kGroup, p1);
    for (int64_t i0 = 0; i0 < k; i0 += kChunk) {
      const int64_t steps = std::min(kChunk, k - i0);
      for (int64_t q = p; q < pe; ++q) {  // the first 6 rows, panel by panel
        const int64_t next = q + 1 < pe        ? piece(q + 1, i0)
                             : i0 + kChunk < k ? piece(p, i0 + kChunk)
                             : pe < p1         ? piece(pe, 0)
                                               : piece(q, i0) + kAhead;
        panelMicro<kRows, 1, kBf16>(x + i0, xs, w + piece(q, i0), panel, steps,
                                    out + (q - p0) * 16, os, i0 > 0, next - piece(q, i0));
      }
      for (int64_t r0 = kRows; r0 < rows; r0 += kRows) {  // the rest from L1 (ahead 0)
        panelRowBlock<kRows, kBf16>(std::min<int64_t>(kRows, rows - r0), x + r0 * xs + i0, xs,
                                    w + i0 * kStepBytes, panel, steps, p, pe,
                                    out + r0 * os + (p - p0) * 16, os, i0 > 0, 0);
      }
    }
  }
}

}  // namespace

DotTileFn avx2PanelTile() { return panelTile<false>; }
DotTileFn avx2Bf16WidePanelTile() { return panelTile<true>; }

DotKernel avx2DotKernel(DType dtype) {
  switch (dtype) {
    case DType::kF32: return {XFormat::kF32, tileLoop<Avx2Micro<DType::kF32>, 4, 3>};
    case DType::kBF16: return {XFormat::kF32, tileLoop<Avx2Micro<DType::kBF16>, 4, 3>};
    case DType::kF16: return {XFormat::kF32, tileLoop<Avx2Micro<DType::kF16>, 4, 3>};
    default: return {};
  }
}

}  // namespace lfm::cpu

LFM_ISA_TARGET_END
#else
namespace lfm::cpu {
DotKernel avx2DotKernel(DType) { return {}; }
DotTileFn avx2PanelTile() { return nullptr; }
DotTileFn avx2Bf16WidePanelTile() { return nullptr; }
}  // namespace lfm::cpu
#endif
