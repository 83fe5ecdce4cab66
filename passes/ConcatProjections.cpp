//===- ConcatProjections.cpp - one linear for sibling projections ---------===//
//
// q/k/v (and w1/w3) read the same activation: one matmul over their stacked
// weights reads it once and launches once. The stacking happens in the
// weight plan at load time (`lfm.weight` with several sources), not in the
// graph, so there is no concat kernel.
//
//===----------------------------------------------------------------------===//

#include "passes/LinearParts.h"
#include "passes/PassDetail.h"

#include "llvm/ADT/MapVector.h"

namespace mlir::lfm {
#define GEN_PASS_DEF_CONCATPROJECTIONS
#include "passes/Passes.h.inc"
} // namespace mlir::lfm

using namespace mlir;
using namespace mlir::lfm;

namespace {

/// What sibling linears must share to be stacked: the input, the weight's
/// element type and in_features (implied by the input), its quantized format
/// (rows are quantized independently, so stacking rows of one format is
/// exact), and the result's element type (the f32 lm_head never joins a bf16
/// projection).
struct SiblingKey {
  Value input;
  Type weightElement;
  Attribute quant; // null: unquantized
  Type resultElement;
  bool operator==(const SiblingKey &other) const {
    return input == other.input && weightElement == other.weightElement &&
           quant == other.quant && resultElement == other.resultElement;
  }
};

} // namespace

namespace llvm {
template <> struct DenseMapInfo<SiblingKey> {
  static SiblingKey getEmptyKey() {
    return {DenseMapInfo<mlir::Value>::getEmptyKey(), {}, {}, {}};
  }
  static SiblingKey getTombstoneKey() {
    return {DenseMapInfo<mlir::Value>::getTombstoneKey(), {}, {}, {}};
  }
  static unsigned getHashValue(const SiblingKey &key) {
    return hash_combine(DenseMapInfo<mlir::Value>::getHashValue(key.input),
                        key.weightElement.getAsOpaquePointer(),
                        key.quant.getAsOpaquePointer(),
                        key.resultElement.getAsOpaquePointer());
  }
  static bool isEqual(const SiblingKey &a, const SiblingKey &b) {
    return a == b;
  }
};
} // namespace llvm

namespace {

Type elementOf(Value value) {
  return value.getType().cast<ShapedType>().getElementType();
}

/// The rows each source of `weight` contributes (its `source_rows`, or all
/// rows for a single source).
SmallVector<int64_t> sourceRows(WeightOp weight) {
  SmallVector<int64_t> rows;
  if (std::optional<ArrayAttr> attr = weight.getSourceRows()) {
    for (Attribute row : *attr)
      rows.push_back(row.cast<IntegerAttr>().getInt());
    return rows;
  }
  rows.push_back(weight.getType().cast<RankedTensorType>().getDimSize(0));
  return rows;
}

/// Replaces `group` (linears in program order) with one linear over their
/// stacked weights and a slice per original result.
void stack(ArrayRef<LinearOp> group) {
  LinearOp first = group.front();
  OpBuilder builder(first);
  SmallVector<Attribute> sources;
  SmallVector<int64_t> rows;
  int64_t totalRows = 0;
  for (LinearOp linear : group) {
    auto weight = linear.getWeight().getDefiningOp<WeightOp>();
    llvm::append_range(sources, weight.getSources());
    llvm::append_range(rows, sourceRows(weight));
    totalRows += widthOf(linear.getResult());
  }
  auto firstWeight = first.getWeight().getType().cast<RankedTensorType>();
  auto stackedType = RankedTensorType::get(
      {totalRows, firstWeight.getDimSize(1)}, firstWeight.getElementType());
  auto stacked = builder.create<WeightOp>(first.getWeight().getLoc(),
                                          stackedType,
                                          builder.getArrayAttr(sources),
                                          builder.getI64ArrayAttr(rows),
                                          first.getWeight()
                                              .getDefiningOp<WeightOp>()
                                              .getQuantAttr());
  auto wideType = RankedTensorType::get({ShapedType::kDynamic, totalRows},
                                        elementOf(first.getResult()));
  auto wide = builder.create<LinearOp>(first.getLoc(), wideType,
                                       first.getInput(), stacked);
  // All slices first: the builder inserts before `first`, erased below.
  SmallVector<Value> slices;
  int64_t offset = 0;
  for (LinearOp linear : group) {
    slices.push_back(builder.create<SliceOp>(
        linear.getLoc(), linear.getResult().getType(), wide,
        builder.getI64IntegerAttr(offset)));
    offset += widthOf(linear.getResult());
  }
  for (auto [index, linearRef] : llvm::enumerate(group)) {
    LinearOp linear = linearRef;
    Operation *weight = linear.getWeight().getDefiningOp();
    linear.getResult().replaceAllUsesWith(slices[index]);
    linear.erase();
    if (weight->use_empty())
      weight->erase();
  }
}

struct ConcatProjectionsPass
    : lfm::impl::ConcatProjectionsBase<ConcatProjectionsPass> {
  void runOnOperation() override {
    llvm::MapVector<SiblingKey, SmallVector<LinearOp>> groups;
    getOperation().walk([&](LinearOp linear) {
      // Only weights the weight plan can stack (lfm.weight ops), and only
      // siblings in the input's block, where program order is launch order.
      if (!linear.getWeight().getDefiningOp<WeightOp>() ||
          linear->getBlock() != linear.getInput().getParentBlock())
        return;
      SiblingKey key{linear.getInput(), elementOf(linear.getWeight()),
                     linear.getWeight().getDefiningOp<WeightOp>().getQuantAttr(),
                     elementOf(linear.getResult())};
      groups[key].push_back(linear);
    });
    for (auto &[key, group] : groups)
      if (group.size() > 1)
        stack(group);
  }
};

} // namespace

std::unique_ptr<Pass> mlir::lfm::createConcatProjectionsPass() {
  return std::make_unique<ConcatProjectionsPass>();
}
