//===- QuantizeWeights.cpp - block-quantized linear and embedding weights -===//
//
// `lfm-compile --quantize FORMAT`. Only the `quant` attribute changes: the
// weight plan quantizes the checkpoint's rows at load time (or takes a
// GGUF's blocks as they are), and the kernels dequantize as they read.
//
//===----------------------------------------------------------------------===//

#include "ir/LfmQuant.h"
#include "passes/PassDetail.h"

namespace mlir::lfm {
#define GEN_PASS_DECL_QUANTIZEWEIGHTS
#define GEN_PASS_DEF_QUANTIZEWEIGHTS
#include "passes/Passes.h.inc"
} // namespace mlir::lfm

using namespace mlir;
using namespace mlir::lfm;
using ::lfm::QuantFormat;

namespace {

/// The formats to try for `weight`, best first: the embedding table (and so a
/// tied lm_head) keeps more bits than the linears.
SmallVector<QuantFormat, 2> candidates(WeightOp weight, QuantFormat linear) {
  bool embedding = llvm::any_of(weight.getResult().getUsers(), [](Operation *op) {
    return isa<EmbeddingOp>(op);
  });
  if (!embedding)
    return {linear};
  if (linear == QuantFormat::kQ8_0)
    return {QuantFormat::kQ8_0};
  return {QuantFormat::kQ6_K, QuantFormat::kQ8_0};
}

struct QuantizeWeightsPass
    : mlir::lfm::impl::QuantizeWeightsBase<QuantizeWeightsPass> {
  QuantizeWeightsPass() = default;
  explicit QuantizeWeightsPass(StringRef name) { format = name.str(); }

  void runOnOperation() override {
    std::optional<QuantFormat> linear = parseQuantName(format);
    if (!linear || *linear == QuantFormat::kQ6_K) {
      getOperation().emitError() << "lfm-quantize-weights: unknown format '"
                                 << format << "': expected q8_0, q4_0 or q4_k";
      return signalPassFailure();
    }
    Builder builder(&getContext());
    getOperation().walk([&](WeightOp weight) {
      auto type = weight.getResult().getType().cast<RankedTensorType>();
      if (weight.getQuant() || type.getRank() != 2 ||
          weight.getResult().use_empty() ||
          !llvm::all_of(weight.getResult().getUses(), readsQuantizedRows))
        return;
      int64_t k = type.getDimSize(1);
      for (QuantFormat candidate : candidates(weight, *linear)) {
        if (k % ::lfm::quantBlockElems(candidate) == 0) {
          weight.setQuantAttr(
              builder.getStringAttr(::lfm::quantFormatName(candidate)));
          return;
        }
      }
      weight.emitWarning()
          << "stays unquantized: its " << k
          << " columns are not a multiple of the " << format << " block of "
          << ::lfm::quantBlockElems(*linear);
    });
  }
};

} // namespace

std::unique_ptr<Pass> mlir::lfm::createQuantizeWeightsPass(StringRef format) {
  if (format.empty())
    return std::make_unique<QuantizeWeightsPass>();
  return std::make_unique<QuantizeWeightsPass>(format);
}
