// Dot-product tiles for block-quantized weight rows (lfm/QuantFormats.h):
// the DotTileFn of DotKernels.h, out[r][c] = dot(x row r, w row c), with w
// rows of k elements stored as k / block_elems blocks. The tiles of
// selectQuantDotKernel(isa, format) read x as float32 (the kQ8-x tiles are
// below): each weight is dequantized in registers to
// exactly ggml's dequantized float (the reference's unfused operations),
// then multiplied into float32 accumulators, so the result is the f32 dot
// product against dequantizeRows' values up to summation order.
//
// Arguments as DotTileFn: w_stride is the weight row length in elements (a
// multiple of the block size; a row is w_stride / block_elems blocks), k
// the elements dotted (a multiple of the block size, <= w_stride).
//
// Batch invariance as DotKernels.h: every output element is reduced the
// same way whatever the tile it falls in.
#ifndef LFM_RUNTIME_CPU_QUANTDOT_H
#define LFM_RUNTIME_CPU_QUANTDOT_H

#include "DotKernels.h"
#include "Isa.h"
#include "lfm/QuantFormats.h"

namespace lfm::cpu {

// The kernel for weights of `format` on `isa`: x float32, or with
// `quantized_x` one whose x_format is XFormat::kQ8 (below).
DotKernel selectQuantDotKernel(Isa isa, QuantFormat format, bool quantized_x = false);

// Per Isa (QuantDotPortable.cpp, QuantDotAvx2.cpp, QuantDotAvx512.cpp); the
// tile is null where the build or the architecture lacks that Isa.
DotKernel portableQuantDotKernel(QuantFormat format);
DotKernel avx2QuantDotKernel(QuantFormat format);
DotKernel avx512QuantDotKernel(QuantFormat format);

// ---- Quantized x (XFormat::kQ8), llama.cpp's fast path -------------------
//
// A row of x of k elements (k a multiple of 32) is quantized once, as
// ggml's quantize_row_q8_0 does on x86, into q8xRowBytes(k) bytes:
//
//   int8  q[k]        at 0           q = round-to-nearest-even(x * 127 / amax)
//   float d[k / 32]   at k           d = amax / 127 of each block of 32
//   int16 s[k / 16]   at k + k / 8   s = the sum of each 16 q (2 per block)
//   float ds[k / 32]  at k + k / 4   ds = d * (the block's two s summed)
//
// (x ~= d * q; s lets a tile of unsigned weight codes take their offset off
// a block's integer dot at once, per half where q6_k's scales differ; ds is
// the float the q4_k tiles multiply the mins by, once per row of x instead
// of once per tile). The tiles then take the dot of each block of 32 in exact
// integer arithmetic (AVX512-VNNI vpdpbusd, AVX2 vpmaddubsw + vpmaddwd)
// against the weights' integer codes, and combine the blocks in float:
//
//   q8_0, q4_0  sum_b  (d_w * d_x) * S_b        S_b = sum w_i q_i (w_i = q - 8 for q4_0)
//   q4_k        sum_b  (d * sc_b * d_x) * S_b - (dmin * m_b * d_x) * X_b    X_b = sum q_i
//   q6_k        sum_b  (d * d_x) * (sc_lo * S_lo + sc_hi * S_hi)  (halves of 16)
//
// per sub-block b of 32 (q4_k's and q6_k's sub-blocks align to x's). The
// float parts are summed in an order fixed per Isa (vector lanes by block
// position, then a fixed horizontal sum), the same for every output element
// whatever the tile: batch invariant as DotKernels.h.
//
// For these tiles x is the quantized rows and x_stride their distance in
// bytes (at least q8xRowBytes(k)); k is the same k the rows were quantized
// with.

// Bytes of one quantized row of x of k elements.
constexpr int64_t q8xRowBytes(int64_t k) { return k + k / 32 * 12; }
// Where block b's scale d, its two int16 half sums s and its scaled sum ds
// lie in such a row.
constexpr int64_t q8xScaleOffset(int64_t k, int64_t b) { return k + 4 * b; }
constexpr int64_t q8xSumsOffset(int64_t k, int64_t b) { return k + k / 8 + 4 * b; }
constexpr int64_t q8xScaledSumOffset(int64_t k, int64_t b) { return k + k / 4 + 4 * b; }

// Quantizes `rows` rows of k floats (x_stride floats apart) into rows of
// q8xRowBytes(k) bytes at `out`, out_stride bytes apart. No allocation; k a
// positive multiple of 32. Values that are not finite give unspecified codes.
void quantizeXRowsQ8(const float *x, int64_t x_stride, int64_t rows, int64_t k, uint8_t *out,
                     int64_t out_stride);

// The kQ8-x tiles per Isa (QuantDotQ8x*.cpp); null where the build or the
// CPU lacks it (the AVX-512 one needs AVX512-VNNI as well).
DotKernel portableQuantDotKernelQ8x(QuantFormat format);
DotKernel avx2QuantDotKernelQ8x(QuantFormat format);
DotKernel avx512VnniQuantDotKernelQ8x(QuantFormat format);
// Whether this CPU has AVX512-VNNI (the AVX-512 kQ8-x tiles run only there).
bool haveAvx512Vnni();

}  // namespace lfm::cpu

#endif  // LFM_RUNTIME_CPU_QUANTDOT_H
