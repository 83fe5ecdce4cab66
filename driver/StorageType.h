//===- StorageType.h - The storage dtype of a compile -----------*- C++ -*-===//
//
// Weights, activations and state are stored in one dtype on the device
// (accumulation is always f32): the checkpoint's torch_dtype unless the
// caller picks one.
//
//===----------------------------------------------------------------------===//

#ifndef LFM_DRIVER_STORAGETYPE_H
#define LFM_DRIVER_STORAGETYPE_H

#include "lfm/ModelConfig.h"
#include "lfm/Plan.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"

namespace mlir::lfm::driver {

enum class StorageChoice { Auto, F32, BF16, F16 };

/// The element type the importer builds with: `choice`, or for Auto the
/// config's torch_dtype (bfloat16, float16, else f32).
Type storageType(MLIRContext &context, const ::lfm::ModelConfig &config,
                 StorageChoice choice);

/// The storage dtype a module was built with, read back from its embedding
/// table (else its first weight; f32 when it has neither).
::lfm::DType storageDType(ModuleOp module);

} // namespace mlir::lfm::driver

#endif // LFM_DRIVER_STORAGETYPE_H
