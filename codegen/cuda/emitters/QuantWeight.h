//===- QuantWeight.h - A quantized weight as kernels read it ---*- C++ -*-===//
//
// A weight the plan stores block-quantized (WeightSpec::quant: q8_0, q4_0,
// q4_k, q6_k in ggml's layouts) is bound as bytes, one row every rowBytes,
// and read through the dequantizer of prelude/lfm_quant.cuh, which the
// registry puts in front of every kernel that reads such a weight
// (quantPrelude, EmitterRegistry.cpp). The linear forms dequantize W in
// their load path, the embedding gathers dequantized table rows.
//
//===----------------------------------------------------------------------===//

#ifndef LFM_CODEGEN_CUDA_EMITTERS_QUANTWEIGHT_H
#define LFM_CODEGEN_CUDA_EMITTERS_QUANTWEIGHT_H

#include "codegen/cuda/EmitterSupport.h"

#include "lfm/QuantFormats.h"

#include <optional>
#include <string>

namespace mlir::lfm::cuda {

struct QuantWeight {
  ::lfm::QuantFormat format = ::lfm::QuantFormat::kQ8_0;
  int64_t rowBytes = 0; // bytes of one row of `width` elements
  std::string dequant;  // the prelude's dequantizer, "lfm_dequant_q4_0"
  std::string name;     // "q4_0"
};

/// The quantized weight `buffer` is, or nothing for any other buffer. An
/// error when its width is not whole blocks (verifyPlan rejects that too).
llvm::Expected<std::optional<QuantWeight>>
quantWeightOf(const EmitContext &ctx, const BufferDesc &buffer);

/// The byte pointer binding of a quantized weight, "const unsigned char
/// *__restrict__ w = ...", with a comment giving its format, width and row
/// bytes (never its name, as bindBuffer's).
std::string bindQuantWeight(llvm::StringRef var, const BufferDesc &buffer,
                            const QuantWeight &quant, int argIndex);

} // namespace mlir::lfm::cuda

#endif // LFM_CODEGEN_CUDA_EMITTERS_QUANTWEIGHT_H
