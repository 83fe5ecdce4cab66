// Dot-product tiles for block-quantized weight rows (lfm/QuantFormats.h):
// the DotTileFn of DotKernels.h, out[r][c] = dot(x row r, w row c), with w
// rows of k elements stored as k / block_elems blocks. x is float32 (no
// quantization of activations): each weight is dequantized in registers to
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

// The kernel for weights of `format` on `isa` (x always float32).
DotKernel selectQuantDotKernel(Isa isa, QuantFormat format);

// Per Isa (QuantDotPortable.cpp, QuantDotAvx2.cpp, QuantDotAvx512.cpp); the
// tile is null where the build or the architecture lacks that Isa.
DotKernel portableQuantDotKernel(QuantFormat format);
DotKernel avx2QuantDotKernel(QuantFormat format);
DotKernel avx512QuantDotKernel(QuantFormat format);

}  // namespace lfm::cpu

#endif  // LFM_RUNTIME_CPU_QUANTDOT_H
