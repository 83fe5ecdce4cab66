//===- LfmQuant.h - quantized weights in the lfm dialect --------*- C++ -*-===//
//
// `lfm.weight {quant = "q4_0"}` names a block-quantized format of
// lfm/QuantFormats.h (the runtime's, shared through the schema library, so
// the IR, the plan and the kernels agree on names and block sizes).
//
//===----------------------------------------------------------------------===//

#ifndef LFM_IR_LFMQUANT_H
#define LFM_IR_LFMQUANT_H

#include "ir/LfmDialect.h"

#include "lfm/QuantFormats.h"

#include <optional>

namespace mlir::lfm {

/// The format `name` names ("q8_0", "q4_0", "q4_k", "q6_k"), or none.
std::optional<::lfm::QuantFormat> parseQuantName(StringRef name);

/// The quantized format of the `lfm.weight` that defines `value`, or none
/// (not a weight, or an unquantized one). The weight is verified, so its
/// `quant` names a format.
std::optional<::lfm::QuantFormat> weightQuantFormat(Value value);

/// Whether `use` reads a weight as rows that kernels can dequantize: a
/// linear's weight or an embedding's table.
bool readsQuantizedRows(OpOperand &use);

/// Checks a weight's `quant`: a known format, a 2-D result whose last
/// dimension is a multiple of the block size, and only linear weight or
/// embedding table uses.
LogicalResult verifyWeightQuant(WeightOp op);

} // namespace mlir::lfm

#endif // LFM_IR_LFMQUANT_H
