// The AVX2 tiles for quantized weights against quantized x (XFormat::kQ8,
// QuantDot.h): tiles of 2 rows of x x 2 weight rows, one x block (32
// elements) per step. A step's weights are unpacked once per tile into 32
// unsigned bytes u (q4_0, q4_k: the nibble; q6_k: the 6-bit code; q8_0
// keeps its signed codes and takes |w| against x with w's sign, as ggml
// does, so vpmaddubsw cannot saturate); vpmaddubsw gives int16 pair sums,
// less the offset's pair sums -bias * (x pair) (once per row of x), exact
// in int16; vpmaddwd by ones (q6_k: the 16-element groups' scales) gives 8
// int32 lanes (lane l: elements 4l..4l+3), which go to float, times the
// step's weight scale times the x block's scale, into one float accumulator
// per output element (q4_k's mins by a second FMA of the lanes' x sums);
// the 8 lanes are summed at the end in a fixed order. Every output element
// takes the same instructions whatever the tile: batch invariant.
#include "QuantDot.h"

#if defined(__x86_64__)
#include <immintrin.h>

#include <cstring>

#include "quant/Blocks.h"

#include "IsaTarget.h"
LFM_ISA_TARGET_BEGIN("avx2,fma,f16c")
#include "QuantDotTileLoop.h"

namespace lfm::cpu {
namespace {

using namespace quant;

// Software prefetch distance in each weight row's stream (every cache line
// of a block: a q6_k block of 210 bytes needs four). Without it the
// decode GEMV read well below the bandwidth (the hardware prefetcher falls
// behind the per-byte work of unpacking): LFM2-350M GGUFs, 2 threads, this
// Zen 3, decode batch 1 best of 3 runs, q8_0 40.0 -> 47.6 tokens/s and
// q4_0 38.4 -> 51.6 (512 and 2048 bytes measured within the noise of 1024).
// Prefetching one line per block had left q6_k (the lm_head of q4_0 GGUFs)
// streaming at 3.6 GB/s on one thread; every line of it: 8.6 GB/s, and
// q4_0 decode 51.6 -> 66.6 tokens/s (best of 3). q6_k, whose blocks take
// the longest to unpack, streams better 4 KB ahead: a 65536 x 1024 GEMV on
// 2 threads 3.6-4.0 ms at 1 KB, 2.6-3.4 at 4 KB (5 alternating runs of a
// microbenchmark of this tile; q4_k showed no trend between 1, 2 and 4 KB).
constexpr int64_t kPrefetchBytes = 1024;
constexpr int64_t kQ6_KPrefetchBytes = 4096;

inline __m256i load256(const uint8_t *p) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i *>(p));
}
// An f16 scale by F16C: quant::loadF16's value in one instruction, not a
// branchy integer conversion per block.
inline float f16(const uint8_t *p) {
  uint16_t h;
  std::memcpy(&h, p, sizeof h);
  return _cvtsh_ss(h);
}
struct WStep {
  __m256i u, s16;
  __m256 ws, wm;
};

// Formats: kSigned: u holds signed codes (q8_0); kBias the unsigned offset;
// kMin whether there are mins; decode(block bytes, step in the block).
struct Q8_0 {
  static constexpr int64_t kElems = kQ8_0Elems, kBytes = kQ8_0Bytes;
  static constexpr int64_t kPrefetch = kPrefetchBytes;
  static constexpr bool kSigned = true, kMin = false;
  static constexpr int kBias = 0;
  static WStep decode(const uint8_t *b, int) {
    return {load256(b + 2), _mm256_set1_epi16(1), _mm256_set1_ps(f16(b)), _mm256_setzero_ps()};
  }
};

struct Q4_0 {
  static constexpr int64_t kElems = kQ4_0Elems, kBytes = kQ4_0Bytes;
  static constexpr int64_t kPrefetch = kPrefetchBytes;
  static constexpr bool kSigned = false, kMin = false;
  static constexpr int kBias = 8;
  static WStep decode(const uint8_t *b, int) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i *>(b + 2));
    const __m256i u = _mm256_and_si256(
        _mm256_inserti128_si256(_mm256_castsi128_si256(v), _mm_srli_epi16(v, 4), 1),
        _mm256_set1_epi8(15));
    return {u, _mm256_set1_epi16(1), _mm256_set1_ps(f16(b)), _mm256_setzero_ps()};
  }
};

struct Q4_K {
  static constexpr int64_t kElems = kQ4_KElems, kBytes = kQ4_KBytes;
  static constexpr int64_t kPrefetch = kPrefetchBytes;
  static constexpr bool kSigned = false, kMin = true;
  static constexpr int kBias = 0;
  // Sub-block s: low (s even) or high nibbles of qs[32 (s / 2)..].
  static WStep decode(const uint8_t *b, int s) {
    const __m256i v = load256(b + kQ4_KQs + 32 * (s / 2));
    const __m256i u = _mm256_and_si256(_mm256_srli_epi16(v, 4 * (s % 2)), _mm256_set1_epi8(15));
    uint8_t sc, m;
    q4kScaleMin(s, b + kQ4_KScales, &sc, &m);
    return {u, _mm256_set1_epi16(1), _mm256_set1_ps(f16(b) * sc),
            _mm256_set1_ps(-(f16(b + 2) * m))};
  }
};

struct Q6_K {
  static constexpr int64_t kElems = kQ6_KElems, kBytes = kQ6_KBytes;
  static constexpr int64_t kPrefetch = kQ6_KPrefetchBytes;
  static constexpr bool kSigned = false, kMin = false;
  static constexpr int kBias = 32;
  // Sub-block s: half n = s / 4, elements 32t..32t+31 of it, t = s % 4.
  // The high 2 bits are qh's bits 2t, 2t+1, moved to bits 4-5 by one shift
  // (of 4 - 2t; bits 4-5 of each byte come from that byte whatever crosses
  // into the others); the scales of the sub-block's halves of 16, sc[2s]
  // and sc[2s + 1], by one byte shuffle of the block's 16 and a widening.
  static WStep decode(const uint8_t *b, int s) {
    const int n = s / 4, t = s % 4;
    const __m256i l = load256(b + 64 * n + 32 * (t & 1));
    const __m256i lo = _mm256_and_si256(t < 2 ? l : _mm256_srli_epi16(l, 4), _mm256_set1_epi8(15));
    const __m256i qh = load256(b + kQ6_KQh + 32 * n);
    const __m256i moved = t < 2    ? _mm256_slli_epi16(qh, 4 - 2 * t)
                          : t == 2 ? qh
                                   : _mm256_srli_epi16(qh, 2);
    const __m256i hi = _mm256_and_si256(moved, _mm256_set1_epi8(0x30));
    const __m128i scales = _mm_loadu_si128(reinterpret_cast<const __m128i *>(b + kQ6_KScales));
    const __m128i pick = _mm_unpacklo_epi64(_mm_set1_epi8(static_cast<char>(2 * s)),
                                            _mm_set1_epi8(static_cast<char>(2 * s + 1)));
    return {_mm256_or_si256(lo, hi), _mm256_cvtepi8_epi16(_mm_shuffle_epi8(scales, pick)),
            _mm256_set1_ps(f16(b + kQ6_KD)), _mm256_setzero_ps()};
  }
};

struct XStep {
  __m256i q, corr16;
  __m256 d, xsum;
};

template <class F>
inline XStep loadX(const uint8_t *row, int64_t k, int64_t e0) {
  XStep s;
  s.q = load256(row + e0);
  // The scale may sit at any byte offset (rows of x are byte strided).
  float d;
  std::memcpy(&d, row + q8xScaleOffset(k, e0 / 32), sizeof d);
  s.d = _mm256_set1_ps(d);
  s.corr16 = _mm256_setzero_si256();
  if constexpr (F::kBias != 0) s.corr16 = _mm256_maddubs_epi16(_mm256_set1_epi8(F::kBias), s.q);
  s.xsum = _mm256_setzero_ps();
  if constexpr (F::kMin) {
    const __m256i p = _mm256_maddubs_epi16(_mm256_set1_epi8(1), s.q);
    s.xsum = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_madd_epi16(p, _mm256_set1_epi16(1))), s.d);
  }
  return s;
}

inline float sum8(__m256 v) {
  const __m128 a = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 b = _mm_add_ps(a, _mm_movehl_ps(a, a));
  return _mm_cvtss_f32(_mm_add_ss(b, _mm_movehdup_ps(b)));
}

template <class F>
struct Micro {
  using XElem = uint8_t;
  static constexpr int64_t kElems = F::kElems, kBytes = F::kBytes;

  template <int M, int N>
  static void run(const uint8_t *x, int64_t xs, const uint8_t *w, int64_t rb, int64_t blocks,
                  float *out, int64_t os) {
    const int64_t k = blocks * kElems;
    constexpr int kSteps = static_cast<int>(kElems / 32);
    __m256 acc[M][N];
    LFM_UNROLL
    for (int r = 0; r < M; ++r)
      LFM_UNROLL
      for (int j = 0; j < N; ++j) acc[r][j] = _mm256_setzero_ps();
    for (int64_t blk = 0; blk < blocks; ++blk) {
      // Each weight row's stream, F::kPrefetch bytes ahead (past a row's end:
      // the next row, which is contiguous): every cache line of the block's
      // bytes (a q4_k or q6_k block spans several).
      LFM_UNROLL
      for (int j = 0; j < N; ++j) {
        LFM_UNROLL
        for (int64_t p = 0; p < kBytes; p += 64) {
          _mm_prefetch(
              reinterpret_cast<const char *>(w + j * rb + blk * kBytes + p + F::kPrefetch),
              _MM_HINT_T0);
        }
      }
      LFM_UNROLL
      for (int s = 0; s < kSteps; ++s) {
        const int64_t e0 = blk * kElems + 32 * s;
        XStep xv[M];
        LFM_UNROLL
        for (int r = 0; r < M; ++r) xv[r] = loadX<F>(x + r * xs, k, e0);
        LFM_UNROLL
        for (int j = 0; j < N; ++j) {
          const WStep wv = F::decode(w + j * rb + blk * kBytes, s);
          LFM_UNROLL
          for (int r = 0; r < M; ++r) {
            __m256i p;
            if constexpr (F::kSigned) {
              p = _mm256_maddubs_epi16(_mm256_sign_epi8(wv.u, wv.u), _mm256_sign_epi8(xv[r].q, wv.u));
            } else {
              p = _mm256_maddubs_epi16(wv.u, xv[r].q);
            }
            if constexpr (F::kBias != 0) p = _mm256_sub_epi16(p, xv[r].corr16);
            const __m256 f = _mm256_cvtepi32_ps(_mm256_madd_epi16(p, wv.s16));
            acc[r][j] = _mm256_fmadd_ps(f, _mm256_mul_ps(wv.ws, xv[r].d), acc[r][j]);
            if constexpr (F::kMin) acc[r][j] = _mm256_fmadd_ps(xv[r].xsum, wv.wm, acc[r][j]);
          }
        }
      }
    }
    for (int r = 0; r < M; ++r)
      for (int j = 0; j < N; ++j) out[r * os + j] = sum8(acc[r][j]);
  }
};

}  // namespace

DotKernel avx2QuantDotKernelQ8x(QuantFormat format) {
  switch (format) {
    case QuantFormat::kQ8_0: return {XFormat::kQ8, quantTileLoop<Micro<Q8_0>, 2, 2>};
    case QuantFormat::kQ4_0: return {XFormat::kQ8, quantTileLoop<Micro<Q4_0>, 2, 2>};
    case QuantFormat::kQ4_K: return {XFormat::kQ8, quantTileLoop<Micro<Q4_K>, 2, 2>};
    case QuantFormat::kQ6_K: return {XFormat::kQ8, quantTileLoop<Micro<Q6_K>, 2, 2>};
  }
  return {};
}

}  // namespace lfm::cpu

LFM_ISA_TARGET_END
#else
namespace lfm::cpu {
DotKernel avx2QuantDotKernelQ8x(QuantFormat) { return {}; }
}  // namespace lfm::cpu
#endif
