// Linear weights in the layout their tile streams: the cpu device repacks a
// weight W [n, k] that only linears read (operand 1) at plan load, once:
//  - f32, for the AVX-512 and AVX2 panel tiles: panels of 16 rows,
//    [n/16][k][16] floats. The tile broadcasts x[r][i] and reads W's 16
//    values of i as one vector, so every output element is one FMA chain
//    over i = 0..k-1 from zero whatever the rows in the step (batch
//    invariance). The dot-product tiles reduce 16 lanes at the end instead
//    and need W row-major.
//  - bf16, for the AMX tile: its A tiles in order, [n/16][k/32][16][32]
//    bf16 (k a multiple of 32): a group of 16 rows is one sequential stream
//    of 1 KB tiles instead of 16 rows read 64 bytes at a time. The same
//    tdpbf16ps on the same values: the results do not change.
//  - bf16, for the AVX512_BF16 panel tile: panels of 16 rows by pairs of k,
//    [n/16][k/2][16][2]; vdpbf16ps against a broadcast pair of x, so each
//    output element is one chain of pair dot products over k, as above.
//  - bf16 on AVX2 CPUs (and on AVX-512 ones with LFM_CPU_BF16=panels):
//    panels of 16 rows as for f32, [n/16][k][16] bf16, widened to f32 in
//    registers by the f32 panel tile's scheme.
//  - q4_0 and q8_0, for the AVX2 tiles of quantized x (QuantPanelAvx2.cpp):
//    groups of 8 rows by block, [n/8][k/32] units of the 8 rows' blocks
//    (144 bytes for q4_0, 272 for q8_0): the 8 f16 scales, then chunks of
//    32 bytes, chunk c holding bytes 4c..4c+3 of each row's codes (row l at
//    4l; 16 bytes of nibbles per row for q4_0, 32 codes for q8_0). One load
//    of a chunk gives 8 rows' codes of the same 4 elements of x (q4_0: 4 in
//    the low nibbles, 4 more in the high), so a broadcast of x's 4 bytes dots
//    all 8 rows at once and the lanes end as the 8 outputs (no horizontal
//    sums).
//  - q4_k and q6_k likewise (QuantPanelAvx2.cpp): [n/8][k/256] units of
//    the 8 rows' blocks, each field of the block (quantPanelByte) as 8 rows
//    side by side: f16 fields 2 bytes a row, the others in 4-byte chunks.
//    q4_k: d, dmin, its packed 6-bit scales and mins (3 words), then qs
//    (chunk c: bytes 4c..4c+3, low nibbles of sub-block 2 (c / 8), high of
//    the next); q6_k: ql, qh, the 16 int8 scales (4 words), then d.
// The embedding that a tied lm_head shares reads its rows in any layout
// (Tensor::loadRow); weights that any other op reads stay row-major.
// Measured: DotAvx512.cpp's, DotAmx.cpp's and DotAvx2.cpp's headers.
#ifndef LFM_RUNTIME_CPU_WEIGHTPANELS_H
#define LFM_RUNTIME_CPU_WEIGHTPANELS_H

#include <cstdint>
#include <span>
#include <vector>

#include "lfm/Plan.h"
#include "lfm/QuantFormats.h"
#include "quant/Blocks.h"

namespace lfm::cpu {

constexpr int64_t kPanelRows = 16;
constexpr int64_t kTileK = 32;  // bf16 elements of k per AMX tile row

enum class PanelLayout : uint8_t {
  kRowMajor,   // as the plan has it
  kF32Panels,  // f32 [n/16][k][16]
  kBf16Tiles,  // bf16 [n/16][k/32][16][32] (AMX A tiles)
  kBf16Pairs,  // bf16 [n/16][k/2][16][2] (vdpbf16ps panels: pairs of k per lane)
  kBf16Panels, // bf16 [n/16][k][16] (widened to f32 in registers: the f32 panel tile)
  kQ4_0Panels, // q4_0 [n/8][k/32] units of 8 scales and 4 chunks (above)
  kQ8_0Panels, // q8_0 [n/8][k/32] units of 8 scales and 8 chunks (above)
  kQ4_KPanels, // q4_k [n/8][k/256] units (above)
  kQ6_KPanels, // q6_k [n/8][k/256] units (above)
};

constexpr int64_t kQuantPanelRows = 8;

// Whether `layout` holds quantized blocks (panelIndex and panelRun do not
// apply: its rows are read by the tile and Tensor::loadRow only).
inline bool quantPanels(PanelLayout layout) {
  return layout == PanelLayout::kQ4_0Panels || layout == PanelLayout::kQ8_0Panels ||
         layout == PanelLayout::kQ4_KPanels || layout == PanelLayout::kQ6_KPanels;
}
// The format of a quantized layout's blocks.
inline QuantFormat quantPanelFormat(PanelLayout layout) {
  switch (layout) {
    case PanelLayout::kQ4_0Panels: return QuantFormat::kQ4_0;
    case PanelLayout::kQ4_KPanels: return QuantFormat::kQ4_K;
    case PanelLayout::kQ6_KPanels: return QuantFormat::kQ6_K;
    default: return QuantFormat::kQ8_0;  // kQ8_0Panels (only quantized layouts are asked)
  }
}

// Where byte `i` of a block of `format` starts its run: the bytes that
// stay together in the panels (2 of an f16 field, else 4), and their
// field's first byte.
struct QuantPanelRun {
  int64_t field, length;
};
inline QuantPanelRun quantPanelRun(QuantFormat format, int64_t i) {
  switch (format) {
    case QuantFormat::kQ8_0:
    case QuantFormat::kQ4_0: return i < 2 ? QuantPanelRun{0, 2} : QuantPanelRun{2, 4};
    case QuantFormat::kQ4_K: return i < 4 ? QuantPanelRun{i / 2 * 2, 2} : QuantPanelRun{4, 4};
    case QuantFormat::kQ6_K: return i < 208 ? QuantPanelRun{0, 4} : QuantPanelRun{208, 2};
  }
  return {0, 4};
}

// Where element (c, i) of W [n, k] lies, in elements, in `layout`.
inline int64_t panelIndex(PanelLayout layout, int64_t c, int64_t i, int64_t k) {
  const int64_t p = c / kPanelRows, lane = c % kPanelRows;
  switch (layout) {
    case PanelLayout::kF32Panels:
    case PanelLayout::kBf16Panels: return (p * k + i) * kPanelRows + lane;
    case PanelLayout::kBf16Tiles:
      return ((p * (k / kTileK) + i / kTileK) * kPanelRows + lane) * kTileK + i % kTileK;
    case PanelLayout::kBf16Pairs: return ((p * (k / 2) + i / 2) * kPanelRows + lane) * 2 + i % 2;
    case PanelLayout::kQ4_0Panels:  // quantized: by bytes (quantPanelByte)
    case PanelLayout::kQ8_0Panels:
    case PanelLayout::kQ4_KPanels:
    case PanelLayout::kQ6_KPanels:
    case PanelLayout::kRowMajor: break;
  }
  return c * k + i;
}

// Elements of a row that stay contiguous in `layout` (from an i that is a
// multiple of it).
inline int64_t panelRun(PanelLayout layout) {
  return layout == PanelLayout::kBf16Tiles ? kTileK : layout == PanelLayout::kBf16Pairs ? 2 : 1;
}

// Where byte `i` of block b of row c lies in the quantized `layout` of
// `blocks` blocks per row: the block's fields in order, each as its runs
// of the 8 rows side by side (run j of rows 0-7, then run j + 1).
inline int64_t quantPanelByte(PanelLayout layout, int64_t c, int64_t b, int64_t i,
                              int64_t blocks) {
  const QuantFormat format = quantPanelFormat(layout);
  const int64_t unit = (c / kQuantPanelRows * blocks + b) * quantBlockBytes(format) *
                       kQuantPanelRows;
  const QuantPanelRun run = quantPanelRun(format, i);
  const int64_t in_field = i - run.field;
  return unit + kQuantPanelRows * (run.field + run.length * (in_field / run.length)) +
         run.length * (c % kQuantPanelRows) + in_field % run.length;
}

// Block b of row c between its row-major bytes and the quantized `layout`
// of `blocks` blocks per row, run by run: with `pack`, from the block's
// bytes at `src` into the panels at `dst`; else from the panels at `src`
// into the block's bytes at `dst`.
void copyQuantPanelBlock(PanelLayout layout, int64_t c, int64_t b, int64_t blocks,
                         const uint8_t *src, uint8_t *dst, bool pack);

// Whether weight `index` of `plan` may be repacked in `layout` (not
// kRowMajor): its dtype (f32 or bf16) or quantized format (the quantized
// layout's), [n, k] with n a multiple of 16 (32 where a SwiGLU linear
// reads it, so that both halves start on a panel) and k a multiple of the
// layout's run (of its block), and read by linear launches (as their
// weight) and embeddings (as their table) only.
bool panelsFit(const Plan &plan, size_t index, PanelLayout layout);

// Row-major W (n x k elements; for the quantized layouts, rows of k
// elements in blocks) to `layout`, and back.
std::vector<uint8_t> packPanels(PanelLayout layout, std::span<const uint8_t> w, int64_t n,
                                int64_t k);
std::vector<uint8_t> unpackPanels(PanelLayout layout, std::span<const uint8_t> panels, int64_t n,
                                  int64_t k);

}  // namespace lfm::cpu

#endif  // LFM_RUNTIME_CPU_WEIGHTPANELS_H
