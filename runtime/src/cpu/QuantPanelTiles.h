// The tiles for q4_0, q8_0, q4_k and q6_k weights in 8-row panels
// (WeightPanels.h) against quantized x (XFormat::kQ8, QuantDot.h), on 8
// int32 / float lanes of 256 bits: quantPanelTileFor<false> with AVX2's
// vpmaddubsw + vpmaddwd (QuantPanelAvx2.cpp), quantPanelTileFor<true> with
// AVX512-VNNI's vpdpbusd on the same registers (QuantPanelVnni.cpp).
//
// A panel unit is 8 weight rows' block of 32. Per chunk c, one load gives
// the 8 rows' codes of the same 4 elements of x (dword lane l: row l), and
// their products with those 4 bytes of x broadcast to every lane give each
// row's sums: vpmaddubsw's int16 pair sums, or vpdpbusd's int32 sums of 4
// added to an accumulator:
//  - q4_0 (4 chunks): the low nibbles are elements 4c..4c+3, the high ones
//    16+4c..16+4c+3; the 8 pair sums of a block are added in int16 (|sum|
//    <= 8 * 2 * 15 * 128 < 2^15: exact), vpmaddwd by ones; less 8 times x's
//    block sum (the offset), exact in int32;
//  - q8_0 (8 chunks): |w| against x with w's sign (vpsignb, as ggml does,
//    so vpmaddubsw cannot saturate), vpmaddwd by ones per chunk, summed in
//    int32;
//  - q4_k (per sub-block of 32, 8 chunks of one nibble): as q4_0 without
//    the offset, then the sub-block's scale and min (Q4_K below);
//  - q6_k (per sub-block of 32): the 6-bit codes, the rows' scales of each
//    16 by vpmaddwd (Q6_K below; the same instructions with VNNI).
// No pair sum saturates, so both ways give the same exact integer dots and
// the same bits. Lane l then holds row l's exact integer block dot; one FMA
// per block, (row l's scale * x's block scale) * dot, into 8 float lanes:
// lane l is output l, with no horizontal sum. Compared with the row-major
// tiles (QuantDotQ8xAvx2.cpp), whose lanes are elements of one row, the
// unpacking, the scales and the offset are shared by 8 rows.
//
// Rows of x go F::kRowBlock at a time (fewer at the end) through every
// panel of the column range: 8, or 4 for q4_k and q6_k without VNNI (see
// QuantPanelAvx2.cpp). With VNNI, against 4 (`lfm-bench` as in
// QuantPanelAvx2.cpp's header, LFM2-350M --quantize q4_k, a 2-core Xeon,
// 2 alternating runs, prefill 128 / decode b8 tokens/s): q4_k at 8 rows
// 637-649 / 319-329 -> 694-699 / 353-373; q6_k (the tied lm_head) at 8 rows
// b8 365 -> 380-385. Each output element takes the same
// instructions in the same order whatever the rows and columns of the tile:
// batch invariant.
//
// Included by each ISA's file after its target pragma (internal linkage),
// like QuantDotTileLoop.h.
#ifndef LFM_RUNTIME_CPU_QUANTPANELTILES_H
#define LFM_RUNTIME_CPU_QUANTPANELTILES_H

#include <immintrin.h>

#include <cstring>

#include "DotKernels.h"
#include "IsaTarget.h"
#include "QuantDot.h"
#include "WeightPanels.h"
#include "quant/Blocks.h"

namespace lfm::cpu {
namespace {

// Software prefetch distance in the panels' stream (as QuantDotQ8xAvx2.cpp).
constexpr int64_t kPrefetchBytes = 1024;

inline __m256i broadcast4(const uint8_t *p) {
  int32_t v;
  std::memcpy(&v, p, sizeof v);
  return _mm256_set1_epi32(v);
}
// Each int32 lane of `lo` and `hi` (values that int16 holds) as the lane's
// two int16 halves: lo's in the low one, hi's in the high one.
inline __m256i int16Pairs(__m256i lo, __m256i hi) {
  return _mm256_blend_epi16(lo, _mm256_slli_epi32(hi, 16), 0xAA);
}

// `factor` times the sum of x's codes in block xb of a row, in every int32
// lane: the block's two int16 half sums (QuantDot.h) by one vpmaddwd.
inline __m256i blockSumTimes(const uint8_t *row, int64_t k, int64_t xb, int16_t factor) {
  return _mm256_madd_epi16(broadcast4(row + q8xSumsOffset(k, xb)), _mm256_set1_epi16(factor));
}
inline float floatAt(const uint8_t *p) {
  float v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// acc + the int32 sums of 4 products of u's unsigned bytes and x's signed
// ones: one vpdpbusd with VNNI (V), else vpmaddubsw + vpmaddwd + vpaddd.
template <bool V>
inline __m256i addDot4(__m256i acc, __m256i u, __m256i x) {
  if constexpr (V) {
    return _mm256_dpbusd_epi32(acc, u, x);
  } else {
    return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(u, x), _mm256_set1_epi16(1)));
  }
}

// One FMA per block of 32 into each row's 8 lanes: (the 8 rows' scales at
// `scales` * x's block scale) * the integer dots; x block xb.
template <int M>
inline void addBlockDots(const uint8_t *scales, const uint8_t *x, int64_t xs, int64_t k, int64_t xb,
                         const __m256i (&dot)[M], __m256 (&acc)[M]) {
  const __m256 ws = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i *>(scales)));
  LFM_UNROLL
  for (int r = 0; r < M; ++r) {
    const __m256 d = _mm256_mul_ps(ws, _mm256_set1_ps(floatAt(x + r * xs + q8xScaleOffset(k, xb))));
    acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot[r]), d, acc[r]);
  }
}

template <bool V>
struct Q4_0 {
  static constexpr int kRowBlock = 8;
  static constexpr int64_t kBlockElems = 32;
  static constexpr int64_t kUnitBytes = quant::kQ4_0Bytes * kQuantPanelRows;  // 144
  // Adds the unit's block b against M rows of x (at x + r * xs) to acc.
  template <int M>
  static void accumulate(const uint8_t *unit, const uint8_t *x, int64_t xs, int64_t k, int64_t b,
                         __m256 (&acc)[M]) {
    const __m256i low = _mm256_set1_epi8(15);
    __m256i sum[M];  // int32 sums with V, else int16 pair sums
    LFM_UNROLL
    for (int c = 0; c < 4; ++c) {
      const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(unit + 16 + 32 * c));
      const __m256i lo = _mm256_and_si256(q, low);
      const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), low);
      LFM_UNROLL
      for (int r = 0; r < M; ++r) {
        const uint8_t *xq = x + r * xs + 32 * b;
        if constexpr (V) {
          const __m256i s = c == 0 ? _mm256_setzero_si256() : sum[r];
          sum[r] = _mm256_dpbusd_epi32(_mm256_dpbusd_epi32(s, lo, broadcast4(xq + 4 * c)), hi,
                                       broadcast4(xq + 16 + 4 * c));
        } else {
          const __m256i t = _mm256_add_epi16(_mm256_maddubs_epi16(lo, broadcast4(xq + 4 * c)),
                                             _mm256_maddubs_epi16(hi, broadcast4(xq + 16 + 4 * c)));
          sum[r] = c == 0 ? t : _mm256_add_epi16(sum[r], t);
          LFM_PIN(sum[r]);
        }
      }
    }
    __m256i dot[M];
    LFM_UNROLL
    for (int r = 0; r < M; ++r) {
      const __m256i s = V ? sum[r] : _mm256_madd_epi16(sum[r], _mm256_set1_epi16(1));
      dot[r] = _mm256_sub_epi32(s, blockSumTimes(x + r * xs, k, b, 8));
    }
    addBlockDots<M>(unit, x, xs, k, b, dot, acc);
  }
};

template <bool V>
struct Q8_0 {
  static constexpr int kRowBlock = 8;
  static constexpr int64_t kBlockElems = 32;
  static constexpr int64_t kUnitBytes = quant::kQ8_0Bytes * kQuantPanelRows;  // 272
  template <int M>
  static void accumulate(const uint8_t *unit, const uint8_t *x, int64_t xs, int64_t k, int64_t b,
                         __m256 (&acc)[M]) {
    __m256i dot[M];
    LFM_UNROLL
    for (int r = 0; r < M; ++r) dot[r] = _mm256_setzero_si256();
    LFM_UNROLL
    for (int c = 0; c < 8; ++c) {
      const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(unit + 16 + 32 * c));
      const __m256i a = _mm256_sign_epi8(q, q);
      LFM_UNROLL
      for (int r = 0; r < M; ++r) {
        const __m256i xv = _mm256_sign_epi8(broadcast4(x + r * xs + 32 * b + 4 * c), q);
        dot[r] = addDot4<V>(dot[r], a, xv);
        if constexpr (!V) LFM_PIN(dot[r]);
      }
    }
    addBlockDots<M>(unit, x, xs, k, b, dot, acc);
  }
};

// q4_k: per sub-block s of 32 (x block 8b + s), lane l adds
// (d_l * sc_ls * dx) * S_ls - (dmin_l * m_ls) * (dx * X) with S the integer
// dot of the unsigned codes and X x's block sum. The 8 rows' 6-bit scales
// and mins are unpacked from their 3 words as ggml does for one row, on 8
// rows at once. Without VNNI 4 rows of x at a time (8 spill the 16 ymm
// registers); VNNI's 32 registers take 8.
template <bool V>
struct Q4_K {
  static constexpr int kRowBlock = V ? 8 : 4;
  static constexpr int64_t kBlockElems = 256;
  static constexpr int64_t kUnitBytes = quant::kQ4_KBytes * kQuantPanelRows;  // 1152
  static constexpr int64_t kCodes = 128;  // the codes' offset in a unit

  template <int M>
  static void accumulate(const uint8_t *unit, const uint8_t *x, int64_t xs, int64_t k, int64_t b,
                         __m256 (&acc)[M]) {
    const auto word = [&](int w) {
      return _mm256_loadu_si256(reinterpret_cast<const __m256i *>(unit + 32 + 32 * w));
    };
    const __m256i w0 = word(0), w1 = word(1), w2 = word(2);
    const __m256i m6 = _mm256_set1_epi8(63), m4 = _mm256_set1_epi8(15), m2 = _mm256_set1_epi8(3);
    // Bytes j of sc[0] / mn[0]: sub-block j's scale / min; of sc[1] / mn[1]:
    // sub-block 4 + j's.
    const __m256i sc[2] = {
        _mm256_and_si256(w0, m6),
        _mm256_or_si256(_mm256_and_si256(w2, m4),
                        _mm256_slli_epi32(_mm256_and_si256(_mm256_srli_epi32(w0, 6), m2), 4))};
    const __m256i mn[2] = {
        _mm256_and_si256(w1, m6),
        _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi32(w2, 4), m4),
                        _mm256_slli_epi32(_mm256_and_si256(_mm256_srli_epi32(w1, 6), m2), 4))};
    const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i *>(unit)));
    const __m256 dmin =
        _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i *>(unit + 16)));
    LFM_UNROLL
    for (int s = 0; s < 8; ++s) {
      const int p = s / 2, shift = 4 * (s % 2);
      __m256i sum[M];  // int32 sums with V, else int16 pair sums
      LFM_UNROLL
      for (int c = 0; c < 8; ++c) {
        const __m256i q =
            _mm256_loadu_si256(reinterpret_cast<const __m256i *>(unit + kCodes + 256 * p + 32 * c));
        const __m256i u = _mm256_and_si256(shift ? _mm256_srli_epi16(q, 4) : q, m4);
        LFM_UNROLL
        for (int r = 0; r < M; ++r) {
          const __m256i xv = broadcast4(x + r * xs + 256 * b + 32 * s + 4 * c);
          if constexpr (V) {
            sum[r] = _mm256_dpbusd_epi32(c == 0 ? _mm256_setzero_si256() : sum[r], u, xv);
          } else {
            const __m256i t = _mm256_maddubs_epi16(u, xv);
            sum[r] = c == 0 ? t : _mm256_add_epi16(sum[r], t);
            LFM_PIN(sum[r]);
          }
        }
      }
      const auto pick = [&](const __m256i(&v)[2]) {
        return _mm256_cvtepi32_ps(
            _mm256_and_si256(_mm256_srli_epi32(v[s / 4], 8 * (s % 4)), _mm256_set1_epi32(255)));
      };
      const __m256 dsc = _mm256_mul_ps(d, pick(sc)), dmn = _mm256_mul_ps(dmin, pick(mn));
      const int64_t xb = 8 * b + s;
      LFM_UNROLL
      for (int r = 0; r < M; ++r) {
        const uint8_t *row = x + r * xs;
        const __m256i dot = V ? sum[r] : _mm256_madd_epi16(sum[r], _mm256_set1_epi16(1));
        acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot),
                                 _mm256_mul_ps(dsc, _mm256_set1_ps(floatAt(row + q8xScaleOffset(k, xb)))),
                                 acc[r]);
        acc[r] = _mm256_fnmadd_ps(dmn, _mm256_set1_ps(floatAt(row + q8xScaledSumOffset(k, xb))),
                                  acc[r]);
      }
    }
  }
};

// q6_k: sub-block s = 4n + t (32 elements, x block 8b + s) takes its 6-bit
// codes u from ql's nibbles and qh's 2 bits as the row-major tile does
// (QuantDotQ8xAvx2.cpp), 8 rows per chunk; u * x pair sums are added two
// chunks at a time in int16 (<= 2 * 2 * 63 * 128 < 2^15) and multiplied by
// the rows' int8 scale of those 16 elements (vpmaddwd, sign-extended pairs),
// less 32 times (scale_A * sum of x's first 16 + scale_B * sum of the last
// 16) for the offset: lane l is row l's exact integer dot, then one FMA by
// d_l * dx as q8_0's. (vpdpbusd would leave the scales to a slow vpmulld:
// the same instructions with VNNI, 8 rows of x at a time in its 32
// registers, 4 in AVX2's 16.)
template <bool V>
struct Q6_K {
  static constexpr int kRowBlock = V ? 8 : 4;
  static constexpr int64_t kBlockElems = 256;
  static constexpr int64_t kUnitBytes = quant::kQ6_KBytes * kQuantPanelRows;  // 1680
  static constexpr int64_t kQh = 1024, kScales = 1536, kD = 1664;             // fields in a unit

  template <int M>
  static void accumulate(const uint8_t *unit, const uint8_t *x, int64_t xs, int64_t k, int64_t b,
                         __m256 (&acc)[M]) {
    const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i *>(unit + kD)));
    const __m256i m4 = _mm256_set1_epi8(15), m6 = _mm256_set1_epi8(0x30);
    LFM_UNROLL
    for (int s = 0; s < 8; ++s) {
      const int n = s / 4, t = s % 4;
      // The rows' scales of elements 0-15 (group 2s) and 16-31 (2s + 1),
      // sign-extended in each int32 lane.
      const auto scale = [&](int g) {
        const __m256i w =
            _mm256_loadu_si256(reinterpret_cast<const __m256i *>(unit + kScales + 32 * (g / 4)));
        return _mm256_srai_epi32(_mm256_slli_epi32(w, 8 * (3 - g % 4)), 24);
      };
      const __m256i sa = scale(2 * s), sb = scale(2 * s + 1);
      const __m256i pair[2] = {int16Pairs(sa, sa), int16Pairs(sb, sb)}, ab = int16Pairs(sa, sb);
      __m256i dot[M];
      LFM_UNROLL
      for (int i = 0; i < 4; ++i) {
        __m256i u[2];
        LFM_UNROLL
        for (int h = 0; h < 2; ++h) {
          const int c = 2 * i + h;
          const __m256i q = _mm256_loadu_si256(
              reinterpret_cast<const __m256i *>(unit + 32 * (16 * n + 8 * (t & 1) + c)));
          const __m256i qh =
              _mm256_loadu_si256(reinterpret_cast<const __m256i *>(unit + kQh + 32 * (8 * n + c)));
          const __m256i moved = t < 2    ? _mm256_slli_epi16(qh, 4 - 2 * t)
                                : t == 2 ? qh
                                         : _mm256_srli_epi16(qh, 2);
          u[h] = _mm256_or_si256(_mm256_and_si256(t < 2 ? q : _mm256_srli_epi16(q, 4), m4),
                                 _mm256_and_si256(moved, m6));
        }
        LFM_UNROLL
        for (int r = 0; r < M; ++r) {
          const uint8_t *xq = x + r * xs + 256 * b + 32 * s + 8 * i;
          const __m256i t16 = _mm256_add_epi16(_mm256_maddubs_epi16(u[0], broadcast4(xq)),
                                               _mm256_maddubs_epi16(u[1], broadcast4(xq + 4)));
          const __m256i t32 = _mm256_madd_epi16(t16, pair[i / 2]);
          dot[r] = i == 0 ? t32 : _mm256_add_epi32(dot[r], t32);
          LFM_PIN(dot[r]);
        }
      }
      const int64_t xb = 8 * b + s;
      LFM_UNROLL
      for (int r = 0; r < M; ++r) {
        const __m256i halves = broadcast4(x + r * xs + q8xSumsOffset(k, xb));
        const __m256i offset = _mm256_slli_epi32(_mm256_madd_epi16(ab, halves), 5);
        const __m256i exact = _mm256_sub_epi32(dot[r], offset);
        const __m256 dx = _mm256_set1_ps(floatAt(x + r * xs + q8xScaleOffset(k, xb)));
        acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(exact), _mm256_mul_ps(d, dx), acc[r]);
      }
    }
  }
};

// M rows of x (quantized, xs bytes apart, k elements) against one panel of
// `blocks` units at w: out[r * os + l] for l < 8.
template <class F, int M>
void panelMicro(const uint8_t *x, int64_t xs, int64_t k, const uint8_t *w, int64_t blocks,
                float *out, int64_t os) {
  __m256 acc[M];
  LFM_UNROLL
  for (int r = 0; r < M; ++r) acc[r] = _mm256_setzero_ps();
  for (int64_t b = 0; b < blocks; ++b) {
    const uint8_t *unit = w + b * F::kUnitBytes;
    LFM_UNROLL
    for (int64_t p = 0; p < F::kUnitBytes; p += 64) {
      _mm_prefetch(reinterpret_cast<const char *>(unit + p + kPrefetchBytes), _MM_HINT_T0);
    }
    F::template accumulate<M>(unit, x, xs, k, b, acc);
  }
  LFM_UNROLL
  for (int r = 0; r < M; ++r) _mm256_storeu_ps(out + r * os, acc[r]);
}

template <class F, int M>
void panelRows(int64_t m, const uint8_t *x, int64_t xs, int64_t k, const uint8_t *w,
               int64_t panel_bytes, int64_t blocks, int64_t p0, int64_t p1, float *out,
               int64_t os) {
  if constexpr (M > 1) {
    if (m < M) {
      panelRows<F, M - 1>(m, x, xs, k, w, panel_bytes, blocks, p0, p1, out, os);
      return;
    }
  }
  for (int64_t p = p0; p < p1; ++p) {
    panelMicro<F, M>(x, xs, k, w + p * panel_bytes, blocks, out + (p - p0) * kQuantPanelRows, os);
  }
}

// DotTileFn: w the panels of rows w_stride elements long; c0 and c1
// multiples of 8.
template <class F>
void panelTile(const void *xv, int64_t xs, int64_t rows, const uint8_t *w, int64_t ws, int64_t k,
               int64_t c0, int64_t c1, float *out, int64_t os) {
  const auto *x = static_cast<const uint8_t *>(xv);
  const int64_t panel_bytes = ws / F::kBlockElems * F::kUnitBytes;
  const int64_t blocks = k / F::kBlockElems;
  const int64_t p0 = c0 / kQuantPanelRows, p1 = c1 / kQuantPanelRows;
  for (int64_t r0 = 0; r0 < rows; r0 += F::kRowBlock) {
    const int64_t m = rows - r0 < F::kRowBlock ? rows - r0 : F::kRowBlock;
    panelRows<F, F::kRowBlock>(m, x + r0 * xs, xs, k, w, panel_bytes, blocks, p0, p1, out + r0 * os,
                               os);
  }
}

template <bool V>
DotTileFn quantPanelTileFor(PanelLayout layout) {
  switch (layout) {
    case PanelLayout::kQ4_0Panels:
      return panelTile<Q4_0<V>>;
    case PanelLayout::kQ8_0Panels:
      return panelTile<Q8_0<V>>;
    case PanelLayout::kQ4_KPanels:
      return panelTile<Q4_K<V>>;
    case PanelLayout::kQ6_KPanels:
      return panelTile<Q6_K<V>>;
    default:
      return nullptr;
  }
}

}  // namespace
}  // namespace lfm::cpu

#endif  // LFM_RUNTIME_CPU_QUANTPANELTILES_H
