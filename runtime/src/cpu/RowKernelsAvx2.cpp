// The row kernels on 8 lanes. The SwiGLU and the softmax exp compute
// RowMath.h's expPoly with the same operations in the same order (fnmadd for
// fma(-n, c, y)), so the lanes give the scalar kernels' bits: the fused
// SwiGLU and the unfused silu op agree exactly. The value sums widen a value
// row's 8 elements once for the `group` query heads that share it.
#include <algorithm>
#include <cmath>

#include "RowKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

#include "IsaTarget.h"
LFM_ISA_TARGET_BEGIN("avx2,fma,f16c")

namespace lfm::cpu {
namespace {

inline __m256 expAvx2(__m256 y) {
  // max/min return their second operand when the first is NaN.
  y = _mm256_min_ps(_mm256_max_ps(y, _mm256_set1_ps(-87.3f)), _mm256_set1_ps(88.0f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(y, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), y);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  // n is a whole number in [-126, 127]: its conversion is exact.
  const __m256i e =
      _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

inline __m256 siluMul(__m256 x, __m256 up) {
  const __m256 e = expAvx2(_mm256_sub_ps(_mm256_setzero_ps(), x));
  return _mm256_mul_ps(_mm256_div_ps(x, _mm256_add_ps(_mm256_set1_ps(1.0f), e)), up);
}

inline __m256 expShiftLanes(__m256 s, __m256 shift) { return expAvx2(_mm256_sub_ps(s, shift)); }

// a[i] = F(a[i], b[i * b_step]) on 8 lanes; the tail through the same lanes
// (a short row's elements get the same bits as a long row's).
template <__m256 (*F)(__m256, __m256)>
void lanes(float *a, const float *b, int64_t n, int64_t b_step) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(a + i, F(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i * b_step)));
  }
  if (i < n) {
    alignas(32) float ta[8] = {}, tb[8] = {};
    for (int64_t j = i; j < n; ++j) ta[j - i] = a[j], tb[j - i] = b[j * b_step];
    _mm256_store_ps(ta, F(_mm256_load_ps(ta), _mm256_load_ps(tb)));
    for (int64_t j = i; j < n; ++j) a[j] = ta[j - i];
  }
}

void swiglu(float *gate, const float *up, int64_t n) { lanes<siluMul>(gate, up, n, 1); }

void expShift(float *s, int64_t n, float shift) {
  const float shifts[8] = {shift, shift, shift, shift, shift, shift, shift, shift};
  lanes<expShiftLanes>(s, shifts, n, 0);
}

template <DType kDType>
inline __m256 load8(const uint8_t *v) {
  if constexpr (kDType == DType::kF32) {
    return _mm256_loadu_ps(reinterpret_cast<const float *>(v));
  } else {
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i *>(v));
    if constexpr (kDType == DType::kBF16) {
      return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
    } else {
      return _mm256_cvtph_ps(h);
    }
  }
}

template <DType kDType>
inline float load1(const uint8_t *v) {
  if constexpr (kDType == DType::kF32) {
    float f;
    __builtin_memcpy(&f, v, 4);
    return f;
  } else {
    uint16_t h;
    __builtin_memcpy(&h, v, 2);
    if constexpr (kDType == DType::kBF16) {
      return __builtin_bit_cast(float, static_cast<uint32_t>(h) << 16);
    } else {
      return _cvtsh_ss(h);
    }
  }
}

template <DType kDType>
void valueSumOf(const float *p, int64_t p_stride, int64_t heads, int64_t group, int64_t len,
                const uint8_t *v, int64_t v_row_bytes, int64_t d, float *out) {
  constexpr int64_t kSize = kDType == DType::kF32 ? 4 : 2;
  const int64_t bytes = heads * d * kSize;
  std::fill(out, out + heads * group * d, 0.0f);
  prefetchRowBytes(v, v_row_bytes, 0, std::min(len, kValueRowsAhead), bytes);
  for (int64_t j = 0; j < len; ++j) {
    prefetchRowBytes(v, v_row_bytes, j + kValueRowsAhead, std::min(len, j + kValueRowsAhead + 1),
                     bytes);
    const uint8_t *row = v + j * v_row_bytes;
    for (int64_t h = 0; h < heads; ++h) {
      const uint8_t *vh = row + h * d * kSize;
      float *oh = out + h * group * d;
      const float *ph = p + h * group * p_stride + j;
      int64_t i = 0;
      for (; i + 8 <= d; i += 8) {
        const __m256 v8 = load8<kDType>(vh + i * kSize);
        for (int64_t g = 0; g < group; ++g) {
          float *o = oh + g * d + i;
          const __m256 pj = _mm256_set1_ps(ph[g * p_stride]);
          _mm256_storeu_ps(o, _mm256_fmadd_ps(pj, v8, _mm256_loadu_ps(o)));
        }
      }
      for (; i < d; ++i) {
        const float vi = load1<kDType>(vh + i * kSize);
        for (int64_t g = 0; g < group; ++g) {
          oh[g * d + i] = std::fma(ph[g * p_stride], vi, oh[g * d + i]);
        }
      }
    }
  }
}

void valueSum(const float *p, int64_t p_stride, int64_t heads, int64_t group, int64_t len,
              const uint8_t *v, int64_t v_row_bytes, DType dtype, int64_t d, float *out) {
  switch (dtype) {
    case DType::kF32:
      return valueSumOf<DType::kF32>(p, p_stride, heads, group, len, v, v_row_bytes, d, out);
    case DType::kBF16:
      return valueSumOf<DType::kBF16>(p, p_stride, heads, group, len, v, v_row_bytes, d, out);
    case DType::kF16:
      return valueSumOf<DType::kF16>(p, p_stride, heads, group, len, v, v_row_bytes, d, out);
    default:  // no cache holds another dtype
      return portableRowKernels().value_sum(p, p_stride, heads, group, len, v, v_row_bytes, dtype,
                                            d, out);
  }
}

}  // namespace

RowKernels avx2RowKernels() { return {swiglu, expShift, valueSum}; }

}  // namespace lfm::cpu

LFM_ISA_TARGET_END
#else
namespace lfm::cpu {
RowKernels avx2RowKernels() { return {}; }
}  // namespace lfm::cpu
#endif
