//===- Lfm2Importer.h - LFM2 config to lfm graph IR -------------*- C++ -*-===//
//
// Builds the graph IR of Hugging Face's Lfm2ForCausalLM for one forward step
// over a ragged batch, from a resolved model config.
//
//===----------------------------------------------------------------------===//

#ifndef LFM_MODELS_LFM2IMPORTER_H
#define LFM_MODELS_LFM2IMPORTER_H

#include "ir/LfmNames.h"
#include "lfm/ModelConfig.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace mlir::lfm {

/// Builds `func.func @lfm2_forward` (kForwardFunctionName) with storage
/// element type `dtype` (f32, bf16 or f16) for weights, activations and
/// state; norm weights stay f32 and the logits are f32. The module verifies, or an error is emitted at an
/// unknown location and null is returned.
OwningOpRef<ModuleOp> importLfm2(MLIRContext &context,
                                 const ::lfm::ModelConfig &config, Type dtype);

} // namespace mlir::lfm

#endif // LFM_MODELS_LFM2IMPORTER_H
