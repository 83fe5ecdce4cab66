//===- ConfigFromIr.h - The model config a module implies -------*- C++ -*-===//
//
// A plan carries its model's config. Compiling a hand-written or dumped
// .mlir file without --config takes it from the IR:
//
//   vocab_size            the width of the returned logits
//   hidden_size           the width of the embedding's result (else vocab)
//   layer_types           one layer per state argument of the forward
//                         function: !lfm.conv_state a conv layer,
//                         !lfm.kv_cache an attention layer
//   num_key_value_heads,  the first KV cache's type; num_attention_heads
//   head_dim              the `heads` of the first op that has one (1, 1 and
//                         hidden_size when the IR has no attention)
//   conv_kernel           the first conv state's window + 1
//   torch_dtype           the storage dtype (StorageType.h)
//
// and ModelConfig's defaults for the rest (intermediate_size: hidden_size).
// Only vocab_size is read by the kernels and the plan's checks; the rest is
// what the artifact records.
//
//===----------------------------------------------------------------------===//

#ifndef LFM_DRIVER_CONFIGFROMIR_H
#define LFM_DRIVER_CONFIGFROMIR_H

#include "lfm/ModelConfig.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

namespace mlir::lfm::driver {

/// The config of `module`'s forward function, or an error naming what the
/// IR lacks (no forward function, no state argument to count layers by).
llvm::Expected<::lfm::ModelConfig> configFromIr(ModuleOp module);

} // namespace mlir::lfm::driver

#endif // LFM_DRIVER_CONFIGFROMIR_H
