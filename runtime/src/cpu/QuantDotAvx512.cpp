// The AVX-512 quantized dot tiles: tiles of 4 rows of x x 2 weight rows.
// Each block of a weight row is dequantized 16 weights at a time into a
// float32 vector (ggml's dequantized values: the products are the
// non-contractible _mm512_mul_round_ps, so no FMA fuses them), once per
// tile, then multiplied into the accumulators of every row of x. Each
// output element has two accumulators, taking the block's 16-weight chunks
// alternately, summed then reduced at the end; the same whatever the tile.
#include "QuantDot.h"

#if defined(__x86_64__)
#include <immintrin.h>

#include "quant/Blocks.h"

#include "IsaTarget.h"
LFM_ISA_TARGET_BEGIN("avx512f,avx512bw,avx512vl,avx512dq,fma,f16c")
#include "QuantDotTileLoop.h"

namespace lfm::cpu {
namespace {

using namespace quant;

constexpr int kRound = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;

inline __m512 mul(__m512 a, __m512 b) { return _mm512_mul_round_ps(a, b, kRound); }
inline __m512 sub(__m512 a, __m512 b) { return _mm512_sub_round_ps(a, b, kRound); }
inline __m512 f16At(const uint8_t *p) { return _mm512_set1_ps(loadF16(p)); }
// 16 bytes at p, zero-extended to 16 int32 lanes.
inline __m512i bytesAt(const uint8_t *p) {
  return _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i *>(p)));
}
inline __m512 toFloat(__m512i v) { return _mm512_cvtepi32_ps(v); }

// Each format calls fn(element offset in the block, 16 dequantized weights)
// for the block's chunks, in a fixed order.
struct Q8_0 {
  static constexpr int64_t kElems = kQ8_0Elems, kBytes = kQ8_0Bytes;
  template <class Fn>
  static void forBlock(const uint8_t *b, Fn &&fn) {
    const __m512 d = f16At(b);
    for (int h = 0; h < 2; ++h) {
      const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i *>(b + 2 + 16 * h));
      fn(16 * h, mul(toFloat(_mm512_cvtepi8_epi32(q)), d));
    }
  }
};

struct Q4_0 {
  static constexpr int64_t kElems = kQ4_0Elems, kBytes = kQ4_0Bytes;
  template <class Fn>
  static void forBlock(const uint8_t *b, Fn &&fn) {
    const __m512 d = f16At(b);
    const __m512i v = bytesAt(b + 2), eight = _mm512_set1_epi32(8);
    const __m512i lo = _mm512_sub_epi32(_mm512_and_si512(v, _mm512_set1_epi32(15)), eight);
    const __m512i hi = _mm512_sub_epi32(_mm512_srli_epi32(v, 4), eight);
    fn(0, mul(toFloat(lo), d));
    fn(16, mul(toFloat(hi), d));
  }
};

struct Q4_K {
  static constexpr int64_t kElems = kQ4_KElems, kBytes = kQ4_KBytes;
  template <class Fn>
  static void forBlock(const uint8_t *b, Fn &&fn) {
    const float d = loadF16(b), dmin = loadF16(b + 2);
    const uint8_t *qs = b + kQ4_KQs;
    for (int g = 0; g < 4; ++g, qs += 32) {
      for (int s = 0; s < 2; ++s) {  // sub-block 2g + s: low (s = 0) or high nibbles
        uint8_t sc, m;
        q4kScaleMin(2 * g + s, b + kQ4_KScales, &sc, &m);
        const __m512 d1 = _mm512_set1_ps(d * sc), m1 = _mm512_set1_ps(dmin * m);
        for (int h = 0; h < 2; ++h) {
          const __m512i v = bytesAt(qs + 16 * h);
          const __m512i q = s == 0 ? _mm512_and_si512(v, _mm512_set1_epi32(15))
                                   : _mm512_srli_epi32(v, 4);
          fn(64 * g + 32 * s + 16 * h, sub(mul(d1, toFloat(q)), m1));
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
    const __m512i mask4 = _mm512_set1_epi32(15), mask2 = _mm512_set1_epi32(3);
    const __m512i bias = _mm512_set1_epi32(32);
    for (int n = 0; n < 2; ++n) {
      const uint8_t *ql = b + 64 * n, *qh = b + kQ6_KQh + 32 * n;
      const int8_t *sc = scales + 8 * n;
      for (int t = 0; t < 4; ++t) {
        for (int h = 0; h < 2; ++h) {
          const __m512i l = bytesAt(ql + 32 * (t & 1) + 16 * h);
          const __m512i lo = t < 2 ? _mm512_and_si512(l, mask4) : _mm512_srli_epi32(l, 4);
          const __m512i hi =
              _mm512_and_si512(_mm512_srli_epi32(bytesAt(qh + 16 * h), 2 * t), mask2);
          const __m512i q = _mm512_sub_epi32(_mm512_or_si512(lo, _mm512_slli_epi32(hi, 4)), bias);
          const __m512 scale = _mm512_set1_ps(d * sc[h + 2 * t]);
          fn(128 * n + 32 * t + 16 * h, mul(scale, toFloat(q)));
        }
      }
    }
  }
};

template <class F>
struct Micro {
  static constexpr int64_t kElems = F::kElems, kBytes = F::kBytes;

  template <int M, int N>
  static void run(const float *x, int64_t xs, const uint8_t *w, int64_t rb, int64_t blocks,
                  float *out, int64_t os) {
    __m512 acc[M][N][2];
    for (int r = 0; r < M; ++r)
      for (int j = 0; j < N; ++j) acc[r][j][0] = acc[r][j][1] = _mm512_setzero_ps();
    for (int64_t blk = 0; blk < blocks; ++blk) {
      const float *xb = x + blk * kElems;
      for (int j = 0; j < N; ++j) {
        int parity = 0;
        F::forBlock(w + j * rb + blk * kBytes, [&](int e, __m512 wv) {
          for (int r = 0; r < M; ++r) {
            const __m512 xv = _mm512_loadu_ps(xb + r * xs + e);
            acc[r][j][parity] = _mm512_fmadd_ps(xv, wv, acc[r][j][parity]);
          }
          parity ^= 1;
        });
      }
    }
    for (int r = 0; r < M; ++r)
      for (int j = 0; j < N; ++j)
        out[r * os + j] = _mm512_reduce_add_ps(_mm512_add_ps(acc[r][j][0], acc[r][j][1]));
  }
};

}  // namespace

DotKernel avx512QuantDotKernel(QuantFormat format) {
  switch (format) {
    case QuantFormat::kQ8_0: return {XFormat::kF32, quantTileLoop<Micro<Q8_0>, 4, 2>};
    case QuantFormat::kQ4_0: return {XFormat::kF32, quantTileLoop<Micro<Q4_0>, 4, 2>};
    case QuantFormat::kQ4_K: return {XFormat::kF32, quantTileLoop<Micro<Q4_K>, 4, 2>};
    case QuantFormat::kQ6_K: return {XFormat::kF32, quantTileLoop<Micro<Q6_K>, 4, 2>};
  }
  return {};
}

}  // namespace lfm::cpu

LFM_ISA_TARGET_END
#else
namespace lfm::cpu {
DotKernel avx512QuantDotKernel(QuantFormat) { return {}; }
}  // namespace lfm::cpu
#endif
