// The AVX2/FMA quantized dot tiles: as QuantDotAvx512.cpp with 8 float32
// lanes per chunk, tiles of 4 rows of x x 1 weight row (8 accumulators:
// two per element, taking the chunks alternately). Each weight is
// dequantized in registers with ggml's operations (AVX2 has no
// non-contractible multiply, so the compiler may fuse q4_k's d*q - m into
// one FMA: within an ulp of ggml's value, the same in every tile).
#include "QuantDot.h"

#if defined(__x86_64__)
#include <immintrin.h>

#include "quant/Blocks.h"

#include "IsaTarget.h"
LFM_ISA_TARGET_BEGIN("avx2,fma,f16c")
#include "QuantDotTileLoop.h"

namespace lfm::cpu {
namespace {

using namespace quant;

// 8 bytes at p, zero- or sign-extended to 8 int32 lanes.
inline __m256i u8At(const uint8_t *p) {
  return _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i *>(p)));
}
inline __m256i i8At(const uint8_t *p) {
  return _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i *>(p)));
}
inline __m256 toFloat(__m256i v) { return _mm256_cvtepi32_ps(v); }

struct Q8_0 {
  static constexpr int64_t kElems = kQ8_0Elems, kBytes = kQ8_0Bytes;
  template <class Fn>
  static void forBlock(const uint8_t *b, Fn &&fn) {
    const __m256 d = _mm256_set1_ps(loadF16(b));
    for (int e = 0; e < 32; e += 8) fn(e, _mm256_mul_ps(toFloat(i8At(b + 2 + e)), d));
  }
};

struct Q4_0 {
  static constexpr int64_t kElems = kQ4_0Elems, kBytes = kQ4_0Bytes;
  template <class Fn>
  static void forBlock(const uint8_t *b, Fn &&fn) {
    const __m256 d = _mm256_set1_ps(loadF16(b));
    const __m256i eight = _mm256_set1_epi32(8), mask = _mm256_set1_epi32(15);
    for (int s = 0; s < 2; ++s) {  // low nibbles: elements 0-15, high: 16-31
      for (int h = 0; h < 2; ++h) {
        const __m256i v = u8At(b + 2 + 8 * h);
        const __m256i q = s == 0 ? _mm256_and_si256(v, mask) : _mm256_srli_epi32(v, 4);
        fn(16 * s + 8 * h, _mm256_mul_ps(toFloat(_mm256_sub_epi32(q, eight)), d));
      }
    }
  }
};

struct Q4_K {
  static constexpr int64_t kElems = kQ4_KElems, kBytes = kQ4_KBytes;
  template <class Fn>
  static void forBlock(const uint8_t *b, Fn &&fn) {
    const float d = loadF16(b), dmin = loadF16(b + 2);
    const uint8_t *qs = b + kQ4_KQs;
    const __m256i mask = _mm256_set1_epi32(15);
    for (int g = 0; g < 4; ++g, qs += 32) {
      for (int s = 0; s < 2; ++s) {
        uint8_t sc, m;
        q4kScaleMin(2 * g + s, b + kQ4_KScales, &sc, &m);
        const __m256 d1 = _mm256_set1_ps(d * sc), m1 = _mm256_set1_ps(dmin * m);
        for (int h = 0; h < 4; ++h) {
          const __m256i v = u8At(qs + 8 * h);
          const __m256i q = s == 0 ? _mm256_and_si256(v, mask) : _mm256_srli_epi32(v, 4);
          fn(64 * g + 32 * s + 8 * h, _mm256_sub_ps(_mm256_mul_ps(d1, toFloat(q)), m1));
        }
      }
    }
  }
};

struct Q6_K {
  static constexpr int64_t kElems = kQ6_KElems, kBytes = kQ6_KBytes;
  template <class Fn>
  static void forBlock(const uint8_t *b, Fn &&fn) {
    const float d = loadF16(b + kQ6_KD);
    const auto *scales = reinterpret_cast<const int8_t *>(b + kQ6_KScales);
    const __m256i mask4 = _mm256_set1_epi32(15), mask2 = _mm256_set1_epi32(3);
    const __m256i bias = _mm256_set1_epi32(32);
    for (int n = 0; n < 2; ++n) {
      const uint8_t *ql = b + 64 * n, *qh = b + kQ6_KQh + 32 * n;
      const int8_t *sc = scales + 8 * n;
      for (int t = 0; t < 4; ++t) {
        for (int h = 0; h < 4; ++h) {  // lanes 8h..8h+7 of the 32; scale by 16
          const __m256i l = u8At(ql + 32 * (t & 1) + 8 * h);
          const __m256i lo = t < 2 ? _mm256_and_si256(l, mask4) : _mm256_srli_epi32(l, 4);
          const __m256i hi = _mm256_and_si256(_mm256_srli_epi32(u8At(qh + 8 * h), 2 * t), mask2);
          const __m256i q = _mm256_sub_epi32(_mm256_or_si256(lo, _mm256_slli_epi32(hi, 4)), bias);
          const __m256 scale = _mm256_set1_ps(d * sc[h / 2 + 2 * t]);
          fn(128 * n + 32 * t + 8 * h, _mm256_mul_ps(scale, toFloat(q)));
        }
      }
    }
  }
};

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

template <class F>
struct Micro {
  static constexpr int64_t kElems = F::kElems, kBytes = F::kBytes;

  template <int M, int N>
  static void run(const float *x, int64_t xs, const uint8_t *w, int64_t rb, int64_t blocks,
                  float *out, int64_t os) {
    __m256 acc[M][N][2];
    for (int r = 0; r < M; ++r)
      for (int j = 0; j < N; ++j) acc[r][j][0] = acc[r][j][1] = _mm256_setzero_ps();
    for (int64_t blk = 0; blk < blocks; ++blk) {
      const float *xb = x + blk * kElems;
      for (int j = 0; j < N; ++j) {
        int parity = 0;
        F::forBlock(w + j * rb + blk * kBytes, [&](int e, __m256 wv) {
          for (int r = 0; r < M; ++r) {
            const __m256 xv = _mm256_loadu_ps(xb + r * xs + e);
            acc[r][j][parity] = _mm256_fmadd_ps(xv, wv, acc[r][j][parity]);
          }
          parity ^= 1;
        });
      }
    }
    for (int r = 0; r < M; ++r)
      for (int j = 0; j < N; ++j) out[r * os + j] = hsum(_mm256_add_ps(acc[r][j][0], acc[r][j][1]));
  }
};

}  // namespace

DotKernel avx2QuantDotKernel(QuantFormat format) {
  switch (format) {
    case QuantFormat::kQ8_0: return {XFormat::kF32, quantTileLoop<Micro<Q8_0>, 4, 1>};
    case QuantFormat::kQ4_0: return {XFormat::kF32, quantTileLoop<Micro<Q4_0>, 4, 1>};
    case QuantFormat::kQ4_K: return {XFormat::kF32, quantTileLoop<Micro<Q4_K>, 4, 1>};
    case QuantFormat::kQ6_K: return {XFormat::kF32, quantTileLoop<Micro<Q6_K>, 4, 1>};
  }
  return {};
}

}  // namespace lfm::cpu

LFM_ISA_TARGET_END
#else
namespace lfm::cpu {
DotKernel avx2QuantDotKernel(QuantFormat) { return {}; }
}  // namespace lfm::cpu
#endif
