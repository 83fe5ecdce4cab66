// SwiGLU on 8 lanes: silu(x) = x / (1 + exp(-x)) with RowMath.h's expPoly,
// the same operations in the same order (fnmadd for fma(-n, c, y)), so the
// lanes give the scalar kernels' bits: the fused SwiGLU here and the unfused
// silu op agree exactly.
#include "Swiglu.h"

#if defined(__x86_64__)
#include <immintrin.h>

#include "IsaTarget.h"
LFM_ISA_TARGET_BEGIN("avx2,fma")

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
  const __m256i e = _mm256_slli_epi32(
      _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

void swiglu(float *gate, const float *up, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 x = _mm256_loadu_ps(gate + i);
    const __m256 e = expAvx2(_mm256_sub_ps(_mm256_setzero_ps(), x));
    const __m256 s = _mm256_div_ps(x, _mm256_add_ps(_mm256_set1_ps(1.0f), e));
    _mm256_storeu_ps(gate + i, _mm256_mul_ps(s, _mm256_loadu_ps(up + i)));
  }
  // The tail through the same lanes (a short row's elements get the same
  // exp as a long row's).
  if (i < n) {
    alignas(32) float g[8] = {}, u[8] = {};
    for (int64_t j = i; j < n; ++j) g[j - i] = gate[j], u[j - i] = up[j];
    swiglu(g, u, 8);
    for (int64_t j = i; j < n; ++j) gate[j] = g[j - i];
  }
}

}  // namespace

SwigluFn avx2Swiglu() { return swiglu; }

}  // namespace lfm::cpu

LFM_ISA_TARGET_END
#else
namespace lfm::cpu {
SwigluFn avx2Swiglu() { return nullptr; }
}  // namespace lfm::cpu
#endif
