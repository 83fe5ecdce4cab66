// The optimized linear: y = epilogue(prologue(x) . W^T) with the ISA's dot
// tiles (DotKernels.h). Two parallel phases:
//  1. x to the tiles' format, once: loaded as float32, rms-normalized when
//     the plan fused a norm prologue (the reference row math), rounded to
//     bf16 for the bf16 dot path (and laid out as B tiles for the AMX one).
//     After this phase x is not read again, so y may share memory with x.
//  2. Blocks of output columns, one task each: the tile of every row of x
//     against the block's weight rows (streamed once per block: a decode step
//     reads each weight once, split across threads by output rows of W), then
//     the epilogue of those columns straight into y. SwiGLU pairs columns
//     [c0, c1) of W1 with the same columns of W3, so a block finishes its own
//     outputs. Residual elements are read and written by the same task.
// Quantized weights (lfm/QuantFormats.h) take the same path with the
// QuantDot.h tiles: by default phase 1 also quantizes each row of x to Q8
// blocks once (llama.cpp's way) for the integer-dot tiles; with
// LFM_CPU_QUANT_X=f32 the tiles read x as float32. Weights the device
// repacked (WeightPanels.h: f32, bf16; q4_0, q8_0, q4_k and q6_k on AVX2)
// take their layout's tile.
// The column split does not change any element's arithmetic, and every row
// is reduced by the same per-element code whatever the number of rows: the
// result of a row is independent of the rest of the step.
#include <algorithm>

#include "CpuOps.h"
#include "DotKernels.h"
#include "FastOps.h"
#include "QuantDot.h"
#include "RowMath.h"
#include "RowKernels.h"

namespace lfm::cpu {

void runFastLinear(const OpContext &ctx, const StepContext &step) {
  const Tensor &x = ctx.operands[0];
  const Tensor &w = ctx.operands[1];
  const Tensor &y = ctx.results[0];
  const bool prologue_norm = ctx.launch.attr(IntAttr::kPrologueNorm, 0) != 0;
  const auto epilogue = static_cast<LinearEpilogue>(ctx.launch.attr(IntAttr::kEpilogue));
  const int64_t rows = x.rows;
  const int64_t k = w.width;
  const int64_t n = y.width;  // output columns (W1|W3 stacked: half of W's rows)
  if (rows == 0) return;
  ThreadPool &pool = *step.pool;
  Workspace &ws = *step.workspace;
  // A quantized weight: tiles that dequantize its blocks in registers (w's
  // row stride stays k elements, a whole number of blocks).
  // With step.quantize_x they dot x quantized to Q8 blocks (k is a whole
  // number of weight blocks, so of x's blocks of 32).
  // Weights the device repacked (WeightPanels.h) take their layout's tile.
  const DotKernel kernel = w.layout != PanelLayout::kRowMajor ? panelKernel(step.isa, w.layout)
                           : w.quant ? selectQuantDotKernel(step.isa, *w.quant, step.quantize_x)
                                     : selectDotKernel(step.isa, w.dtype);

  float *xf = ws.floats(kLinearX, rows * k);
  uint16_t *xb = kernel.x_format == XFormat::kBF16 ? ws.halves(kLinearX, rows * k) : nullptr;
  uint16_t *xt = kernel.x_format == XFormat::kBF16Tiles ? ws.halves(kLinearX, xTileHalves(rows, k))
                                                        : nullptr;
  const int64_t q8_stride = q8xRowBytes(k);
  uint8_t *xq = kernel.x_format == XFormat::kQ8 ? ws.bytes(kLinearX, rows * q8_stride) : nullptr;
  float *norm_w = nullptr;
  if (prologue_norm) {
    const Tensor &nw = ctx.operands[2];
    norm_w = ws.floats(kLinearNormWeights, nw.rows * nw.width);
    nw.load(0, 0, nw.rows * nw.width, norm_w);
  }
  const float eps = static_cast<float>(ctx.launch.attr(FloatAttr::kEps, 0.0));
  pool.parallelFor(rows, rowGrain(k), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      float *row = xf + r * k;
      x.loadRow(r, row);
      if (prologue_norm) rmsNormGroups(row, k, k, norm_w, eps);
      if (xb != nullptr) {
        for (int64_t i = 0; i < k; ++i) xb[r * k + i] = floatToBf16(row[i]);
      }
      if (xq != nullptr) quantizeXRowsQ8(row, k, 1, k, xq + r * q8_stride, q8_stride);
      if (xt != nullptr) packXRowTiles(row, r, k, xt);
    }
  });
  const void *xp = xq != nullptr   ? static_cast<const void *>(xq)
                   : xb != nullptr ? static_cast<const void *>(xb)
                   : xt != nullptr ? static_cast<const void *>(xt)
                                   : static_cast<const void *>(xf);
  const int64_t xs = xq != nullptr ? q8_stride : k;  // bytes for kQ8, else elements

  const int64_t block = linearColumnBlock(n, pool.threads());
  const int64_t blocks = (n + block - 1) / block;
  const Tensor *residual = epilogue == LinearEpilogue::kResidual ? &ctx.operands.back() : nullptr;
  const SwigluFn swiglu = selectRowKernels(step.isa).swiglu;
  pool.parallelFor(blocks, 1, [&](int64_t begin, int64_t end) {
    const int64_t parts = epilogue == LinearEpilogue::kSwiglu ? 2 : 1;
    float *out = threadScratch(kLinearOut, parts * rows * block);
    float *res = threadScratch(kLinearResidual, block);
    for (int64_t b = begin; b < end; ++b) {
      const int64_t c0 = b * block, c1 = std::min(n, c0 + block), cn = c1 - c0;
      kernel.tile(xp, xs, rows, w.data, k, k, c0, c1, out, cn);
      if (epilogue == LinearEpilogue::kSwiglu) {
        float *up = out + rows * cn;
        kernel.tile(xp, xs, rows, w.data, k, k, n + c0, n + c1, up, cn);
        swiglu(out, up, rows * cn);
      }
      for (int64_t r = 0; r < rows; ++r) {
        float *o = out + r * cn;
        if (residual != nullptr) {
          residual->load(r, c0, cn, res);
          for (int64_t c = 0; c < cn; ++c) o[c] += res[c];
        }
        y.store(r, c0, cn, o);
      }
    }
  });
}

}  // namespace lfm::cpu
