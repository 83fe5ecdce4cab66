//===- QuantWeight.cpp - A block-quantized weight as kernels read it ------===//
//
// QuantWeight.h: the format, row stride and dequantizer of a quantized
// weight operand, and its binding.
//
//===----------------------------------------------------------------------===//

#include "codegen/cuda/emitters/QuantWeight.h"

#include "llvm/Support/FormatVariadic.h"

namespace mlir::lfm::cuda {
llvm::Expected<std::optional<QuantWeight>>
quantWeightOf(const EmitContext &ctx, const BufferDesc &buffer) {
  if (buffer.ref.kind != ::lfm::BufferRef::kWeight)
    return std::nullopt;
  const ::lfm::WeightSpec &spec = ctx.plan.weights[buffer.ref.index];
  if (!spec.quant)
    return std::nullopt;
  absl::StatusOr<int64_t> rowBytes =
      ::lfm::quantRowBytes(*spec.quant, buffer.width);
  if (!rowBytes.ok())
    return emitError(
        ctx, llvm::formatv("the {0} weight {1}: {2}",
                           ::lfm::quantFormatName(*spec.quant), buffer.name,
                           std::string(rowBytes.status().message())));
  QuantWeight quant;
  quant.format = *spec.quant;
  quant.rowBytes = *rowBytes;
  quant.name = ::lfm::quantFormatName(*spec.quant);
  quant.dequant = "lfm_dequant_" + quant.name;
  return quant;
}

std::string bindQuantWeight(llvm::StringRef var, const BufferDesc &buffer,
                            const QuantWeight &quant, int argIndex) {
  return llvm::formatv("  const unsigned char *__restrict__ {0} = (const "
                       "unsigned char *)args.buf[{1}];  // weight, {2} x {3} "
                       "({4} bytes a row)\n",
                       var, argIndex, quant.name, buffer.width, quant.rowBytes)
      .str();
}

} // namespace mlir::lfm::cuda
