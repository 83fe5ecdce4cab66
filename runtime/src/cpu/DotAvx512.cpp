// The AVX-512 dot tiles, tiles of 4 rows x 4 weight rows (16 accumulators):
// - float32 x: 16 float32 lanes per element, weights widened in registers
//   (bf16 by a shift, f16 by vcvtph2ps); the k % 16 tail by masked loads.
// - bf16 x and bf16 weights (AVX512_BF16): vdpbf16ps, 32 products into 16
//   lanes per instruction, twice the float32 rate; the tail by masked loads.
// Masked-off lanes load zeros, which add nothing.
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

}  // namespace

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
}  // namespace lfm::cpu
#endif
