//===- GgufFormats.cpp - A GGUF's quantized tensors keep their format -----===//

#include "driver/GgufFormats.h"

#include "driver/Errors.h"
#include "ir/LfmDialect.h"
#include "ir/LfmQuant.h"

#include "lfm/Gguf.h"
#include "lfm/GgufLfm2.h"
#include "lfm/QuantFormats.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringMap.h"

#include <optional>

namespace mlir::lfm::driver {
namespace {

/// Bits per weight, to pick the finer of two formats.
double bitsPerWeight(::lfm::QuantFormat format) {
  return 8.0 * ::lfm::quantBlockBytes(format) /
         ::lfm::quantBlockElems(format);
}

} // namespace

llvm::Expected<int> takeGgufFormats(ModuleOp module, llvm::StringRef path) {
  absl::StatusOr<std::shared_ptr<const ::lfm::GgufFile>> gguf =
      ::lfm::GgufFile::open(path.str());
  if (!gguf.ok())
    return toError(gguf.status());
  // HF name -> the tensor's format; none for an unquantized tensor (or one
  // in a format lfm does not run, which the weight loader reports).
  llvm::StringMap<std::optional<::lfm::QuantFormat>> formats;
  for (const ::lfm::GgufTensor &tensor : (*gguf)->tensors()) {
    std::optional<std::string> name = ::lfm::lfm2HfTensorName(tensor.name);
    if (!name)
      continue;
    absl::StatusOr<::lfm::QuantFormat> format =
        ::lfm::quantFormatFromGgmlType(tensor.type);
    formats[*name] =
        format.ok() ? std::optional<::lfm::QuantFormat>(*format) : std::nullopt;
  }

  Builder builder(module.getContext());
  int set = 0;
  module.walk([&](WeightOp weight) {
    auto type = weight.getResult().getType().cast<RankedTensorType>();
    if (weight.getQuant() || type.getRank() != 2 ||
        weight.getResult().use_empty() ||
        !llvm::all_of(weight.getResult().getUses(), readsQuantizedRows))
      return;
    std::optional<::lfm::QuantFormat> chosen;
    for (Attribute source : weight.getSources()) {
      auto it = formats.find(source.cast<StringAttr>().getValue());
      if (it == formats.end() || !it->second)
        return; // a source that is not block-quantized: stay unquantized
      if (!chosen || bitsPerWeight(*it->second) > bitsPerWeight(*chosen))
        chosen = it->second;
    }
    if (!chosen || type.getDimSize(1) % ::lfm::quantBlockElems(*chosen) != 0)
      return;
    weight.setQuantAttr(
        builder.getStringAttr(::lfm::quantFormatName(*chosen)));
    ++set;
  });
  return set;
}

} // namespace mlir::lfm::driver
