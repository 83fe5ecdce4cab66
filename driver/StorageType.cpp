//===- StorageType.cpp - The storage dtype of a compile -------------------===//

#include "driver/StorageType.h"

#include "ir/LfmDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;
using namespace mlir::lfm;

Type driver::storageType(MLIRContext &context, const ::lfm::ModelConfig &config,
                         StorageChoice choice) {
  if (choice == StorageChoice::Auto)
    choice = config.torch_dtype == "bfloat16"  ? StorageChoice::BF16
             : config.torch_dtype == "float16" ? StorageChoice::F16
                                               : StorageChoice::F32;
  Builder b(&context);
  switch (choice) {
  case StorageChoice::BF16:
    return b.getBF16Type();
  case StorageChoice::F16:
    return b.getF16Type();
  default:
    return b.getF32Type();
  }
}

static ::lfm::DType dtypeOfElement(Type element) {
  return element.isBF16()  ? ::lfm::DType::kBF16
         : element.isF16() ? ::lfm::DType::kF16
                           : ::lfm::DType::kF32;
}

::lfm::DType driver::storageDType(ModuleOp module) {
  std::optional<::lfm::DType> dtype;
  module.walk([&](EmbeddingOp op) {
    dtype = dtypeOfElement(
        op.getTable().getType().cast<ShapedType>().getElementType());
  });
  if (dtype)
    return *dtype;
  // Hand-written IR may have no embedding: its first weight then says.
  module.walk([&](WeightOp op) {
    if (!dtype)
      dtype = dtypeOfElement(
          op.getResult().getType().cast<ShapedType>().getElementType());
  });
  return dtype.value_or(::lfm::DType::kF32);
}
