//===- RowCopy.h - Kernels that move whole rows -----------------*- C++ -*-===//
//
// embedding, gather_rows, slice and kv_cache_write all copy (and convert)
// runs of columns from one row of a buffer to one row of another; they
// differ only in which rows. This builds that kernel: one row of `rows` per
// (part of a) block, vector loads and stores of `chunk` elements, and the
// family's own code to pick the source and destination rows.
//
//===----------------------------------------------------------------------===//

#ifndef LFM_CODEGEN_CUDA_EMITTERS_ROWCOPY_H
#define LFM_CODEGEN_CUDA_EMITTERS_ROWCOPY_H

#include "codegen/cuda/EmitterSupport.h"

namespace mlir::lfm::cuda {

/// dst[dst_row][col] = src[src_row][srcOffset + col] for col < width.
struct RowCopyPart {
  // Pointer variables bound in `bindings` (not `vals`, `row`, `lane`, `u`,
  // `col`: the kernel's locals).
  std::string src, dst;
  int64_t srcWidth = 0, srcOffset = 0, dstWidth = 0;
  // A block-quantized source (a quantized embedding table): its rows are
  // srcRowBytes bytes apart, read through this dequantizer of
  // prelude/lfm_quant.cuh ("lfm_dequant_q8_0"); empty for a plain source.
  std::string dequant;
  int64_t srcRowBytes = 0;
};

struct RowCopySpec {
  std::string summary;   // a comment line for the kernel: what it does
  std::string bindings;  // the bindBuffer lines
  ::lfm::RowSpace rows = ::lfm::RowSpace::kTokens;  // the rows iterated
  /// Code run per row (variable `row`) that defines `long long src_row` and
  /// `long long dst_row`; it may `return` to skip the row.
  std::string rowSetup;
  int64_t width = 0;  // columns copied
  std::vector<RowCopyPart> parts;
};

KernelSource emitRowCopy(const EmitContext &ctx, const RowCopySpec &spec);

} // namespace mlir::lfm::cuda

#endif // LFM_CODEGEN_CUDA_EMITTERS_ROWCOPY_H
