//===- SequenceInputs.h - The ragged-batch inputs of a kernel ---*- C++ -*-===//
//
// The state-touching families (short_conv, gated_short_conv,
// qk_norm_rope_cache, attention) take the step inputs row_offsets, slots and
// start_pos as three consecutive operands; this binds them under those names.
//
//===----------------------------------------------------------------------===//

#ifndef LFM_CODEGEN_CUDA_EMITTERS_SEQUENCEINPUTS_H
#define LFM_CODEGEN_CUDA_EMITTERS_SEQUENCEINPUTS_H

#include "codegen/cuda/KernelEmitter.h"

#include "llvm/Support/Error.h"

#include <string>

namespace mlir::lfm::cuda {

/// The kernel lines that bind `row_offsets`, `slots` and `start_pos` from
/// operands first, first + 1 and first + 2 (also their args.buf indices), or
/// an error if those operands are not these step inputs in this order.
llvm::Expected<std::string> bindSequenceInputs(const EmitContext &ctx,
                                               size_t first);

} // namespace mlir::lfm::cuda

#endif // LFM_CODEGEN_CUDA_EMITTERS_SEQUENCEINPUTS_H
