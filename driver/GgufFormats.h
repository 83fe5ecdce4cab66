//===- GgufFormats.h - A GGUF's quantized tensors keep their format -*- C++ -*-===//
//
// `lfm-compile model-Q4_0.gguf` without --quantize: every weight whose GGUF
// tensors are block-quantized in a format lfm runs (q8_0, q4_0, q4_k, q6_k)
// gets that format as its `quant`, so the weight loader takes the file's
// blocks as they are and the kernels dequantize them: nothing is widened to
// the storage dtype. A weight built from several tensors of different
// formats (a Q4_K_M file's q6_k attn_v beside q4_k attn_q) takes the format
// with the most bits; the concatenation pass then keeps projections of
// different formats apart. Weights with an F32/F16/BF16 source stay
// unquantized, in the storage dtype.
//
//===----------------------------------------------------------------------===//
#ifndef LFM_DRIVER_GGUFFORMATS_H
#define LFM_DRIVER_GGUFFORMATS_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

namespace mlir::lfm::driver {

/// Sets the `quant` of `module`'s weights from the GGUF at `path` (see the
/// file comment). Returns the number of weights it set.
llvm::Expected<int> takeGgufFormats(ModuleOp module, llvm::StringRef path);

} // namespace mlir::lfm::driver

#endif // LFM_DRIVER_GGUFFORMATS_H
