// The AVX2/FMA dot tiles: 8 float32 lanes per element, weights widened to
// float32 in registers (bf16 by a shift, f16 by F16C), tiles of 4 rows x 3
// weight rows (12 accumulators + 3 weights + x: the 16 ymm registers). The
// tail (k % 8) is added after the horizontal sum, in order.
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

}  // namespace

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
}  // namespace lfm::cpu
#endif
