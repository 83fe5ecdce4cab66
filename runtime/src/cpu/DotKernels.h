// The dot-product tiles behind the optimized linear (FastLinear.cpp) and
// attention: out[r][c] = sum_i x[r][i] * w[c][i] for a block of rows of x
// and a range of weight rows, one implementation per Isa and weight dtype.
//
// Batch invariance: every output element is reduced the same way whatever
// the tile it falls in (the same vector lanes over i in the same order, then
// the same horizontal sum), so a row's result does not depend on how many
// rows share the step. Tiles only share loads between elements.
#ifndef LFM_RUNTIME_CPU_DOTKERNELS_H
#define LFM_RUNTIME_CPU_DOTKERNELS_H

#include <cstdint>

#include "Isa.h"
#include "WeightPanels.h"
#include "lfm/Plan.h"
#include "lfm/QuantFormats.h"

namespace lfm::cpu {

// The element type a tile reads x in: float32, or bf16 for the AVX512_BF16
// path (x rounded to bf16, as PyTorch's and llama.cpp's bf16 matmuls do),
// or kQ8: rows of x quantized to int8 blocks of 32 with a float scale each
// (QuantDot.h's quantizeXRowsQ8; x_stride then counts bytes), for the
// integer-dot tiles of quantized weights, or kBF16Tiles: x rounded to bf16
// and laid out as AMX B tiles (packXRowTiles below; x_stride unused).
enum class XFormat { kF32, kBF16, kQ8, kBF16Tiles };

// out[r * out_stride + (c - c0)] = dot(x row r, w row c) for r < rows and
// c0 <= c < c1, over k elements. x rows are x_stride elements apart; w rows
// (of the kernel's weight dtype) w_stride elements apart.
using DotTileFn = void (*)(const void *x, int64_t x_stride, int64_t rows, const uint8_t *w,
                           int64_t w_stride, int64_t k, int64_t c0, int64_t c1, float *out,
                           int64_t out_stride);

struct DotKernel {
  XFormat x_format = XFormat::kF32;
  DotTileFn tile = nullptr;
};

// The kernel for weights of `dtype` (f32, bf16 or f16) on `isa`;
// `f32_x`: one that reads x as float32 (no bf16 rounding of x).
DotKernel selectDotKernel(Isa isa, DType dtype, bool f32_x = false);

// The layout the device stores a linear weight of `dtype` in on `isa`
// (WeightPanels.h; kRowMajor where the ISA has no panel tile for it), and
// the kernel of a layout (c0 and c1 multiples of 16): f32 panels with x
// float32, bf16 tiles (AMX) with x as kBF16Tiles, bf16 pairs with x bf16,
// bf16 panels (widened to f32) with x float32. bf16 takes AMX tiles where
// the CPU has them, else pairs; `bf16_panels` (LFM_CPU_BF16=panels) asks
// for bf16 panels on any AVX-512 CPU instead: decode at the read bandwidth,
// prefill at the f32 rate. On AVX2 CPUs f32 and bf16 take panels (the
// AVX2 tiles). The kernel of a layout is `isa`'s.
PanelLayout panelLayoutFor(Isa isa, DType dtype, bool bf16_panels = false);
// The same for a quantized weight: q4_0, q8_0 and q4_k take panels on AVX2
// CPUs when x is quantized (`quantize_x`, the default: the tiles read x as
// kQ8).
PanelLayout quantPanelLayoutFor(Isa isa, QuantFormat format, bool quantize_x);
DotKernel panelKernel(Isa isa, PanelLayout layout);

// Per Isa (DotPortable.cpp, DotAvx2.cpp, DotAvx512.cpp, DotAmx.cpp); a tile
// function is null where the build or the architecture lacks that Isa.
DotKernel portableDotKernel(DType dtype);
DotKernel avx2DotKernel(DType dtype);
DotKernel avx512DotKernel(DType dtype, bool bf16_dot);
DotKernel amxDotKernel(DType dtype);
DotTileFn avx512PanelTile();
DotTileFn avx512Bf16PanelTile();
DotTileFn avx512Bf16WidePanelTile();
DotTileFn amxTiledBf16Tile();
DotTileFn avx2PanelTile();
DotTileFn avx2Bf16WidePanelTile();
DotTileFn avx2QuantPanelTile(PanelLayout layout);  // QuantPanelAvx2.cpp
DotTileFn vnniQuantPanelTile(PanelLayout layout);  // QuantPanelVnni.cpp (AVX512-VNNI)

// The output columns of one task of the optimized linear (FastLinear.cpp)
// over `columns` on `threads` threads: small enough that every thread gets
// several blocks, large enough that a block's weights (up to 64 rows)
// stream well; whole panels of 16 weight rows.
int64_t linearColumnBlock(int64_t columns, int threads);

// kBF16Tiles (DotAmx.cpp): x for `rows` rows of k elements takes
// xTileHalves(rows, k) bf16 values; packXRowTiles writes row r of them from
// a float32 row (row == nullptr: zeros). The padding rows up to the next
// multiple of 16 need not be written: a row of x only reaches its own
// column of the C tile, and the tile stores no padding row's column.
int64_t xTileRows(int64_t rows);
int64_t xTileHalves(int64_t rows, int64_t k);
void packXRowTiles(const float *row, int64_t r, int64_t k, uint16_t *tiles);

}  // namespace lfm::cpu

#endif  // LFM_RUNTIME_CPU_DOTKERNELS_H
