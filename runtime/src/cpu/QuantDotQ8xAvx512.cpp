// The AVX512-VNNI tiles for quantized weights against quantized x
// (XFormat::kQ8, QuantDot.h): tiles of 4 rows of x x 4 weight rows, 64
// elements (two x blocks) per step. The weights of a step are unpacked once
// per tile into 64 unsigned bytes u (q8_0: w + 128; q4_0, q4_k: the nibble;
// q6_k: the 6-bit code), and each row of x dotted with them by vpdpbusd into
// 16 int32 lanes (lane l: elements 4l..4l+3, so lanes 0-7 are the step's
// first x block, 8-15 its second). The unsigned offset (128, 8, 32) is
// taken off exactly by starting the lanes at -offset * (their x sum), once
// per row of x. The int32 lanes go to float, times the lanes' weight scale
// times the x block's scale, into one float accumulator per output element
// (q4_k's mins by a second FMA of the lanes' x sums); the 16 lanes are
// summed at the end. Every output element takes the same instructions
// whatever the tile, so results are batch invariant.
// What a step of a row of x brings besides its codes (the offset lanes, the
// scales, q4_k's sums) is computed once per block of rows of a tile call
// (precomputeX) rather than again for every pair of weight rows, and the
// tiles are 4 rows x 4 weight rows (q4_0 prefill on LFM2-350M shapes,
// 2 threads: 248 tokens/s in 4 x 2 tiles, 280 in 8 x 2, 298 in 4 x 4 at
// 128 tokens; 235 and 291 in 8 x 2 and 4 x 4 at 512).
#include "QuantDot.h"

#if defined(__x86_64__)
#include <immintrin.h>

#include <cstring>

#include "quant/Blocks.h"

#include "IsaTarget.h"
#include "Workspace.h"
LFM_ISA_TARGET_BEGIN("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,fma,f16c")

namespace lfm::cpu {
namespace {

using namespace quant;

constexpr int kRound = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
inline __m512 mul(__m512 a, __m512 b) { return _mm512_mul_round_ps(a, b, kRound); }

// [v[0] x8, v[1] x8].
inline __m512 twoHalves(__m128 v) {
  const __m512i idx = _mm512_set_epi32(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0);
  return _mm512_permutexvar_ps(idx, _mm512_castps128_ps512(v));
}

// The f16 scales at p and (unless `half`) p + stride, as [d0 x8, d1 x8].
inline __m512 twoF16(const uint8_t *p, int64_t stride, bool half) {
  uint16_t d0, d1 = 0;
  std::memcpy(&d0, p, 2);
  if (!half) std::memcpy(&d1, p + stride, 2);
  return twoHalves(_mm_cvtph_ps(_mm_cvtsi32_si128(d0 | (static_cast<uint32_t>(d1) << 16))));
}

inline __m512i join(__m256i lo, __m256i hi) {
  return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}

// One step's weights for one weight row: the unsigned codes, the lanes'
// weight scale and (q4_k) the lanes' negated min scale.
struct WStep {
  __m512i u;
  __m512 ws, wm;
};

// Formats: kGroupElems elements per group (a step is 64 of them); Group
// holds what prepare() reads once per group; kBias the unsigned offset;
// kMin whether there are mins. decode(group, bytes, step, half) unpacks a
// step (half: only its first 32 elements exist).
struct Q8_0 {
  static constexpr int64_t kElems = kQ8_0Elems, kBytes = kQ8_0Bytes;
  static constexpr int64_t kGroupElems = 64, kGroupBytes = 2 * kBytes;
  static constexpr int kBias = 128;
  static constexpr bool kMin = false;
  struct Group {};
  static void prepare(const uint8_t *, Group &) {}
  static WStep decode(const Group &, const uint8_t *b, int, bool half) {
    const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(b + 2));
    const __m256i hi = half ? _mm256_setzero_si256()
                            : _mm256_loadu_si256(reinterpret_cast<const __m256i *>(b + kBytes + 2));
    return {_mm512_xor_si512(join(lo, hi), _mm512_set1_epi8(static_cast<char>(0x80))),
            twoF16(b, kBytes, half), _mm512_setzero_ps()};
  }
};

struct Q4_0 {
  static constexpr int64_t kElems = kQ4_0Elems, kBytes = kQ4_0Bytes;
  static constexpr int64_t kGroupElems = 64, kGroupBytes = 2 * kBytes;
  static constexpr int kBias = 8;
  static constexpr bool kMin = false;
  struct Group {};
  static void prepare(const uint8_t *, Group &) {}
  static WStep decode(const Group &, const uint8_t *b, int, bool half) {
    const __m128i q0 = _mm_loadu_si128(reinterpret_cast<const __m128i *>(b + 2));
    const __m128i q1 = half ? _mm_setzero_si128()
                            : _mm_loadu_si128(reinterpret_cast<const __m128i *>(b + kBytes + 2));
    const __m256i v = _mm256_inserti128_si256(_mm256_castsi128_si256(q0), q1, 1);
    // [b0 low, b1 low, b0 high, b1 high] nibbles, then to element order.
    const __m512i z = _mm512_and_si512(join(v, _mm256_srli_epi16(v, 4)), _mm512_set1_epi8(15));
    return {_mm512_shuffle_i64x2(z, z, _MM_SHUFFLE(3, 1, 2, 0)), twoF16(b, kBytes, half),
            _mm512_setzero_ps()};
  }
};

struct Q4_K {
  static constexpr int64_t kElems = kQ4_KElems, kBytes = kQ4_KBytes;
  static constexpr int64_t kGroupElems = kElems, kGroupBytes = kBytes;
  static constexpr int kBias = 0;
  static constexpr bool kMin = true;
  // [d * sc_0..7, -dmin * m_0..7].
  struct Group {
    __m512 s;
  };
  static void prepare(const uint8_t *b, Group &g) {
    // The 12 packed bytes to sc[0..7], m[0..7] (q4kScaleMin, 4 bytes at once).
    uint32_t u[4];
    std::memcpy(u, b + kQ4_KScales, 12);
    constexpr uint32_t k6 = 0x3f3f3f3f, k4 = 0x0f0f0f0f, k2 = 0x03030303;
    u[3] = ((u[2] >> 4) & k4) | (((u[1] >> 6) & k2) << 4);  // m[4..7]
    const uint32_t m03 = u[1] & k6;
    u[1] = (u[2] & k4) | (((u[0] >> 6) & k2) << 4);  // sc[4..7]
    u[2] = m03;
    u[0] &= k6;  // sc[0..3]
    const __m512 v = _mm512_cvtepi32_ps(
        _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i *>(u))));
    const __m512 dd = _mm512_insertf32x8(_mm512_set1_ps(loadF16(b)),
                                         _mm256_set1_ps(-loadF16(b + 2)), 1);
    g.s = mul(v, dd);
  }
  static WStep decode(const Group &g, const uint8_t *b, int step, bool) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(b + kQ4_KQs + 32 * step));
    const __m512i u = _mm512_and_si512(join(v, _mm256_srli_epi16(v, 4)), _mm512_set1_epi8(15));
    const __m512i lanes = _mm512_set_epi32(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0);
    const __m512i isc = _mm512_add_epi32(lanes, _mm512_set1_epi32(2 * step));
    return {u, _mm512_permutexvar_ps(isc, g.s),
            _mm512_permutexvar_ps(_mm512_add_epi32(isc, _mm512_set1_epi32(8)), g.s)};
  }
};

struct Q6_K {
  static constexpr int64_t kElems = kQ6_KElems, kBytes = kQ6_KBytes;
  static constexpr int64_t kGroupElems = kElems, kGroupBytes = kBytes;
  static constexpr int kBias = 32;
  static constexpr bool kMin = false;
  // d * scales[0..15].
  struct Group {
    __m512 s;
  };
  static void prepare(const uint8_t *b, Group &g) {
    const __m512i sc =
        _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i *>(b + kQ6_KScales)));
    g.s = mul(_mm512_cvtepi32_ps(sc), _mm512_set1_ps(loadF16(b + kQ6_KD)));
  }
  // Step s: half n = s / 2, elements 32t..32t+63 of it for t = 2 (s % 2).
  static WStep decode(const Group &g, const uint8_t *b, int step, bool) {
    const int n = step / 2, tt = step % 2;
    const __m512i l = _mm512_loadu_si512(b + 64 * n);
    const __m512i m4 = _mm512_set1_epi8(15);
    const __m512i lo = tt == 0 ? _mm512_and_si512(l, m4) : _mm512_and_si512(_mm512_srli_epi16(l, 4), m4);
    const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(b + kQ6_KQh + 32 * n));
    const __m512i hz = join(h, _mm256_srli_epi16(h, 2));
    const __m512i hi = _mm512_and_si512(_mm512_srli_epi16(hz, 4 * tt), _mm512_set1_epi8(3));
    const __m512i u = _mm512_or_si512(lo, _mm512_slli_epi16(hi, 4));
    // Lane l's 16-element group is scales[4 step + l / 4].
    const __m512i isc = _mm512_add_epi32(
        _mm512_set_epi32(3, 3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0), _mm512_set1_epi32(4 * step));
    return {u, _mm512_permutexvar_ps(isc, g.s), _mm512_setzero_ps()};
  }
};

// One step of a row of x: its 64 codes, [d0 x8, d1 x8], the lanes' starting
// value -bias * (x sum) and (mins) the lanes' x sum times d.
struct XStep {
  __m512i q, corr;
  __m512 d, xsum;
};

template <class F>
inline XStep loadX(const uint8_t *row, int64_t k, int64_t e0, bool half) {
  XStep s;
  s.q = half ? _mm512_maskz_loadu_epi8(0xFFFFFFFFull, row + e0) : _mm512_loadu_si512(row + e0);
  const uint8_t *dp = row + q8xScaleOffset(k, e0 / 32);
  // Unaligned loads: the scales may sit at any byte offset.
  s.d = twoHalves(half ? _mm_castsi128_ps(_mm_loadu_si32(dp))
                       : _mm_castsi128_ps(_mm_loadu_si64(dp)));
  const __m512i zero = _mm512_setzero_si512();
  s.corr = zero;
  if constexpr (F::kBias != 0) {
    s.corr = _mm512_sub_epi32(
        zero, _mm512_dpbusd_epi32(zero, _mm512_set1_epi8(static_cast<char>(F::kBias)), s.q));
  }
  s.xsum = _mm512_setzero_ps();
  if constexpr (F::kMin) {
    s.xsum = mul(_mm512_cvtepi32_ps(_mm512_dpbusd_epi32(zero, _mm512_set1_epi8(1), s.q)), s.d);
  }
  return s;
}

// XStep's vectors (without q) for `rows` rows of x, every step of k: at
// pre + (r * steps + s) * kXStepFloats, corr, d, xsum. Written and read
// unaligned (threadScratch is not 64-byte aligned).
constexpr int64_t kXStepFloats = 48;
inline int64_t xSteps(int64_t k) { return (k + 63) / 64; }

template <class F>
void precomputeX(const uint8_t *x, int64_t xs, int64_t rows, int64_t k, float *pre) {
  const int64_t steps = xSteps(k);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t s = 0; s < steps; ++s) {
      const XStep v = loadX<F>(x + r * xs, k, 64 * s, 64 * s + 64 > k);
      float *p = pre + (r * steps + s) * kXStepFloats;
      _mm512_storeu_si512(p, v.corr);
      _mm512_storeu_ps(p + 16, v.d);
      _mm512_storeu_ps(p + 32, v.xsum);
    }
  }
}

template <class F>
struct Micro {
  static constexpr int64_t kElems = F::kElems, kBytes = F::kBytes;

  // Step s of group g (global step gs) for M rows of x and N weight rows.
  template <int M, int N>
  static void step(const uint8_t *x, int64_t xs, const float *pre, int64_t steps, int64_t e0,
                   int64_t gs, const uint8_t *const *wg, const typename F::Group *grp, int s,
                   bool half, __m512 (&acc)[M][N]) {
    for (int j = 0; j < N; ++j) {
      const WStep wv = F::decode(grp[j], wg[j], s, half);
      for (int r = 0; r < M; ++r) {
        const float *p = pre + (r * steps + gs) * kXStepFloats;
        const __m512i q = half ? _mm512_maskz_loadu_epi8(0xFFFFFFFFull, x + r * xs + e0)
                               : _mm512_loadu_si512(x + r * xs + e0);
        const __m512i isum = _mm512_dpbusd_epi32(_mm512_loadu_si512(p), wv.u, q);
        acc[r][j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), mul(wv.ws, _mm512_loadu_ps(p + 16)),
                                    acc[r][j]);
        if constexpr (F::kMin) {
          acc[r][j] = _mm512_fmadd_ps(_mm512_loadu_ps(p + 32), wv.wm, acc[r][j]);
        }
      }
    }
  }

  template <int M, int N>
  static void run(const uint8_t *x, int64_t xs, const float *pre, const uint8_t *w, int64_t rb,
                  int64_t blocks, float *out, int64_t os) {
    const int64_t k = blocks * kElems, groups = k / F::kGroupElems, steps = xSteps(k);
    constexpr int kSteps = static_cast<int>(F::kGroupElems / 64);
    __m512 acc[M][N];
    for (int r = 0; r < M; ++r)
      for (int j = 0; j < N; ++j) acc[r][j] = _mm512_setzero_ps();
    typename F::Group grp[N];
    const uint8_t *wg[N];
    for (int64_t g = 0; g < groups; ++g) {
      for (int j = 0; j < N; ++j) {
        wg[j] = w + j * rb + g * F::kGroupBytes;
        F::prepare(wg[j], grp[j]);
      }
      for (int s = 0; s < kSteps; ++s) {
        step<M, N>(x, xs, pre, steps, g * F::kGroupElems + 64 * s, g * kSteps + s, wg, grp, s,
                   false, acc);
      }
    }
    if (k % F::kGroupElems != 0) {  // q8_0 / q4_0: a last lone block
      for (int j = 0; j < N; ++j) wg[j] = w + j * rb + groups * F::kGroupBytes;
      step<M, N>(x, xs, pre, steps, groups * F::kGroupElems, steps - 1, wg, grp, 0, true, acc);
    }
    for (int r = 0; r < M; ++r)
      for (int j = 0; j < N; ++j) out[r * os + j] = _mm512_reduce_add_ps(acc[r][j]);
  }
};

// Weight rows [c0, c1) against a block of mr <= M rows of x.
template <class F, int M, int N>
void rowBlock(int64_t mr, const uint8_t *x, int64_t xs, const float *pre, const uint8_t *w,
              int64_t rb, int64_t blocks, int64_t c0, int64_t c1, float *out, int64_t os) {
  if constexpr (M > 1) {
    if (mr < M) {
      rowBlock<F, M - 1, N>(mr, x, xs, pre, w, rb, blocks, c0, c1, out, os);
      return;
    }
  }
  int64_t c = c0;
  for (; c + N <= c1; c += N) {
    Micro<F>::template run<M, N>(x, xs, pre, w + c * rb, rb, blocks, out + (c - c0), os);
  }
  for (; c < c1; ++c) {
    Micro<F>::template run<M, 1>(x, xs, pre, w + c * rb, rb, blocks, out + (c - c0), os);
  }
}

template <class F, int MR, int NR>
void tileLoop(const void *xv, int64_t xs, int64_t rows, const uint8_t *w, int64_t ws, int64_t k,
              int64_t c0, int64_t c1, float *out, int64_t os) {
  const auto *x = static_cast<const uint8_t *>(xv);
  const int64_t rb = ws / F::kElems * F::kBytes, blocks = k / F::kElems, steps = xSteps(k);
  float *pre = threadScratch(kQuantXSteps, MR * steps * kXStepFloats);
  for (int64_t r0 = 0; r0 < rows; r0 += MR) {
    const int64_t mr = rows - r0 < MR ? rows - r0 : MR;
    precomputeX<F>(x + r0 * xs, xs, mr, k, pre);
    rowBlock<F, MR, NR>(mr, x + r0 * xs, xs, pre, w, rb, blocks, c0, c1, out + r0 * os, os);
  }
}

// 4 x 4 tiles; a single row of x (decode's GEMV) in 1 x 4 tiles, for more
// independent accumulators. Each element's instructions are the same in
// both, so the choice keeps batch invariance.
template <class F>
void tile(const void *x, int64_t xs, int64_t rows, const uint8_t *w, int64_t ws, int64_t k,
          int64_t c0, int64_t c1, float *out, int64_t os) {
  if (rows == 1) {
    tileLoop<F, 1, 4>(x, xs, rows, w, ws, k, c0, c1, out, os);
  } else {
    tileLoop<F, 4, 4>(x, xs, rows, w, ws, k, c0, c1, out, os);
  }
}

}  // namespace

DotKernel avx512VnniQuantDotKernelQ8x(QuantFormat format) {
  switch (format) {
    case QuantFormat::kQ8_0: return {XFormat::kQ8, tile<Q8_0>};
    case QuantFormat::kQ4_0: return {XFormat::kQ8, tile<Q4_0>};
    case QuantFormat::kQ4_K: return {XFormat::kQ8, tile<Q4_K>};
    case QuantFormat::kQ6_K: return {XFormat::kQ8, tile<Q6_K>};
  }
  return {};
}

}  // namespace lfm::cpu

LFM_ISA_TARGET_END
#else
namespace lfm::cpu {
DotKernel avx512VnniQuantDotKernelQ8x(QuantFormat) { return {}; }
}  // namespace lfm::cpu
#endif
