//===- ConfigFromIr.cpp - The model config a module implies ---------------===//

#include "driver/ConfigFromIr.h"

#include "driver/Errors.h"
#include "driver/StorageType.h"
#include "ir/LfmDialect.h"
#include "ir/LfmNames.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir::lfm::driver {

llvm::Expected<::lfm::ModelConfig> configFromIr(ModuleOp module) {
  auto func = module.lookupSymbol<func::FuncOp>(kForwardFunctionName);
  if (!func)
    return makeError(llvm::Twine("the IR has no function @") +
                     kForwardFunctionName);
  ::lfm::ModelConfig config;
  ArrayRef<Type> results = func.getFunctionType().getResults();
  auto logits = results.size() == 1 ? results[0].dyn_cast<RankedTensorType>()
                                    : RankedTensorType();
  if (!logits || logits.getRank() != 2 || logits.isDynamicDim(1))
    return makeError("@" + kForwardFunctionName +
                     " must return one [rows, vocab] logits tensor");
  config.vocab_size = logits.getDimSize(1);
  config.hidden_size = config.vocab_size;
  func.walk([&](EmbeddingOp op) {
    config.hidden_size =
        op.getResult().getType().cast<RankedTensorType>().getDimSize(1);
  });
  config.intermediate_size = config.hidden_size;

  bool sawCache = false, sawConv = false;
  for (Type type : func.getArgumentTypes()) {
    if (auto conv = type.dyn_cast<ConvStateType>()) {
      config.layer_types.push_back(::lfm::LayerKind::kConv);
      if (!sawConv)
        config.conv_kernel = conv.getWindow() + 1;
      sawConv = true;
    } else if (auto kv = type.dyn_cast<KvCacheType>()) {
      config.layer_types.push_back(::lfm::LayerKind::kAttention);
      if (!sawCache) {
        config.num_key_value_heads = kv.getKvHeads();
        config.head_dim = kv.getHeadDim();
      }
      sawCache = true;
    }
  }
  if (config.layer_types.empty())
    return makeError("@" + kForwardFunctionName +
                     " has no state arguments to count the model's layers "
                     "by: give the model's config (--config)");
  if (!sawCache) {
    config.num_attention_heads = config.num_key_value_heads = 1;
    config.head_dim = config.hidden_size;
  } else {
    // The first op with `heads` (attention or its fused q/k norm) decides.
    config.num_attention_heads = config.num_key_value_heads;
    func.walk([&](Operation *op) {
      auto heads = op->getAttrOfType<IntegerAttr>("heads");
      if (!heads)
        return WalkResult::advance();
      config.num_attention_heads = heads.getInt();
      return WalkResult::interrupt();
    });
  }
  switch (storageDType(module)) {
  case ::lfm::DType::kBF16:
    config.torch_dtype = "bfloat16";
    break;
  case ::lfm::DType::kF16:
    config.torch_dtype = "float16";
    break;
  default:
    config.torch_dtype = "float32";
  }
  return config;
}

} // namespace mlir::lfm::driver
