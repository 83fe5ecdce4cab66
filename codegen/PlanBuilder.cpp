//===- PlanBuilder.cpp - lfm IR to the runtime's execution plan -----------===//

#include "codegen/PlanBuilder.h"

#include "ir/LfmDialect.h"
#include "ir/LfmNames.h"
#include "ir/LfmQuant.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::lfm;

namespace {

/// The function's leading step inputs, in Plan InputId order.
constexpr unsigned kNumStepInputs = ::lfm::kNumInputs;

FailureOr<::lfm::DType> storageDType(Operation *op, Type type) {
  if (type.isF32())
    return ::lfm::DType::kF32;
  if (type.isBF16())
    return ::lfm::DType::kBF16;
  if (type.isF16())
    return ::lfm::DType::kF16;
  op->emitOpError() << "has no storage dtype for " << type;
  return failure();
}

/// The model layer an op was built for, from its `model.layers.N` location.
int32_t layerOf(Operation *op) {
  auto name = op->getLoc().dyn_cast<NameLoc>();
  if (!name)
    return -1;
  StringRef text = name.getName().getValue();
  int32_t layer;
  if (!text.consume_front("model.layers.") || text.getAsInteger(10, layer))
    return -1;
  return layer;
}

class PlanBuilder {
public:
  PlanBuilder(const ::lfm::ModelConfig &config) { plan.config = config; }
  FailureOr<::lfm::Plan> build(func::FuncOp func);

private:
  LogicalResult bindArguments(func::FuncOp func);
  LogicalResult addWeight(WeightOp op);
  LogicalResult addLaunch(Operation *op);
  FailureOr<::lfm::BufferRef> defineActivation(Operation *op, unsigned resultIndex,
                                               ::lfm::RowSpace rows);
  LogicalResult appendOperands(Operation *op, ::lfm::Launch &launch);
  LogicalResult addAttributes(Operation *op, ::lfm::Launch &launch);

  ::lfm::Plan plan;
  /// Where each SSA value lives; KV caches map to their K half (the V half
  /// has the same index).
  llvm::DenseMap<Value, ::lfm::BufferRef> buffers;
  llvm::DenseMap<Value, ::lfm::RowSpace> rowSpaces;
  llvm::StringMap<int32_t> weightIndex;
  Value logitsValue;
};

} // namespace

LogicalResult PlanBuilder::bindArguments(func::FuncOp func) {
  Block &entry = func.getBody().front();
  if (entry.getNumArguments() < kNumStepInputs)
    return func.emitOpError() << "needs " << kNumStepInputs
                              << " step inputs before the state arguments";
  for (unsigned i = 0; i < kNumStepInputs; ++i)
    buffers[entry.getArgument(i)] = {::lfm::BufferRef::kInput,
                                     static_cast<int32_t>(i)};
  for (unsigned i = kNumStepInputs; i < entry.getNumArguments(); ++i) {
    BlockArgument arg = entry.getArgument(i);
    int32_t layer = static_cast<int32_t>(i - kNumStepInputs);
    if (auto conv = arg.getType().dyn_cast<ConvStateType>()) {
      FailureOr<::lfm::DType> dtype = storageDType(func, conv.getElementType());
      if (failed(dtype))
        return failure();
      buffers[arg] = {::lfm::BufferRef::kConvState,
                      static_cast<int32_t>(plan.conv_states.size())};
      plan.conv_states.push_back(
          {layer, conv.getHidden(), conv.getWindow() + 1, *dtype});
    } else if (auto kv = arg.getType().dyn_cast<KvCacheType>()) {
      FailureOr<::lfm::DType> dtype = storageDType(func, kv.getElementType());
      if (failed(dtype))
        return failure();
      buffers[arg] = {::lfm::BufferRef::kKeyCache,
                      static_cast<int32_t>(plan.kv_caches.size())};
      plan.kv_caches.push_back(
          {layer, kv.getKvHeads(), kv.getHeadDim(), *dtype});
    } else {
      return func.emitOpError() << "argument #" << i
                                << " is neither a step input nor state";
    }
  }
  return success();
}

LogicalResult PlanBuilder::addWeight(WeightOp op) {
  auto type = op.getResult().getType().cast<RankedTensorType>();
  FailureOr<::lfm::DType> dtype = storageDType(op, type.getElementType());
  if (failed(dtype))
    return failure();
  std::vector<int64_t> shape(type.getShape().begin(), type.getShape().end());
  // Sources are stacked along dimension 0: each keeps the other dimensions
  // and its own share of rows (`source_rows`, verified to add up).
  std::vector<::lfm::WeightSource> sources;
  for (auto [index, attr] : llvm::enumerate(op.getSources())) {
    ::lfm::WeightSource source{attr.cast<StringAttr>().str(), shape};
    if (std::optional<ArrayAttr> rows = op.getSourceRows())
      source.shape[0] = (*rows)[index].cast<IntegerAttr>().getInt();
    sources.push_back(std::move(source));
  }
  std::string name = llvm::join(
      llvm::map_range(sources,
                      [](const ::lfm::WeightSource &s) { return s.tensor; }),
      "|");
  // A quantized weight's key names its format: the same tensors in another
  // format are another buffer.
  std::optional<::lfm::QuantFormat> quant = weightQuantFormat(op.getResult());
  std::string key = name + ":" + std::string(::lfm::dtypeName(*dtype));
  if (quant)
    key += std::string(":") + ::lfm::quantFormatName(*quant);
  auto [it, inserted] =
      weightIndex.try_emplace(key, static_cast<int32_t>(plan.weights.size()));
  if (inserted) {
    ::lfm::WeightSpec spec;
    spec.name = name;
    spec.dtype = *dtype;
    // The conv weight's checkpoint layout [H, 1, L] is used as [H, L].
    spec.shape = shape;
    if (shape.size() == 3 && shape[1] == 1)
      spec.shape = {shape[0], shape[2]};
    spec.sources = std::move(sources);
    spec.quant = quant;
    plan.weights.push_back(std::move(spec));
  }
  buffers[op.getResult()] = {::lfm::BufferRef::kWeight, it->second};
  return success();
}

FailureOr<::lfm::BufferRef>
PlanBuilder::defineActivation(Operation *op, unsigned resultIndex,
                              ::lfm::RowSpace rows) {
  Value value = op->getResult(resultIndex);
  auto type = value.getType().cast<RankedTensorType>();
  ::lfm::BufferRef ref;
  if (value == logitsValue) {
    ref = {::lfm::BufferRef::kLogits, 0};
  } else {
    FailureOr<::lfm::DType> dtype = storageDType(op, type.getElementType());
    if (failed(dtype))
      return failure();
    ::lfm::ActivationSpec spec;
    spec.name = (op->getName().stripDialect() + "." +
                 llvm::Twine(plan.activations.size()))
                    .str();
    if (int32_t layer = layerOf(op); layer >= 0)
      spec.name = "layer" + std::to_string(layer) + "." + spec.name;
    spec.width = type.getDimSize(1);
    spec.dtype = *dtype;
    spec.rows = rows;
    auto regions = op->getAttrOfType<ArrayAttr>(kRegionsAttr);
    if (!regions || regions.size() != op->getNumResults())
      return op->emitOpError("has no arena regions: run lfm-plan-buffers");
    spec.region = static_cast<int32_t>(
        regions[resultIndex].cast<IntegerAttr>().getInt());
    ref = {::lfm::BufferRef::kActivation,
           static_cast<int32_t>(plan.activations.size())};
    plan.activations.push_back(std::move(spec));
  }
  buffers[value] = ref;
  rowSpaces[value] = rows;
  return ref;
}

LogicalResult PlanBuilder::appendOperands(Operation *op,
                                          ::lfm::Launch &launch) {
  for (Value operand : op->getOperands()) {
    auto it = buffers.find(operand);
    if (it == buffers.end())
      return op->emitOpError("uses a value that has no buffer");
    launch.operands.push_back(it->second);
    // A KV cache operand stands for its K and V buffers.
    if (it->second.kind == ::lfm::BufferRef::kKeyCache)
      launch.operands.push_back(
          {::lfm::BufferRef::kValueCache, it->second.index});
  }
  return success();
}

LogicalResult PlanBuilder::addAttributes(Operation *op, ::lfm::Launch &launch) {
  for (NamedAttribute attr : op->getAttrs()) {
    // Pipeline annotations (launch index, regions) are not kernel attributes.
    StringRef name = attr.getName().getValue();
    if (name.starts_with("lfm."))
      continue;
    if (auto i = attr.getValue().dyn_cast<IntegerAttr>()) {
      std::optional<::lfm::IntAttr> id = ::lfm::findIntAttr(name);
      if (!id)
        return op->emitOpError("has attribute '")
               << name << "', which the op schema has no int attribute for";
      launch.set(*id, i.getInt());
    } else if (auto f = attr.getValue().dyn_cast<FloatAttr>()) {
      std::optional<::lfm::FloatAttr> id = ::lfm::findFloatAttr(name);
      if (!id)
        return op->emitOpError("has attribute '")
               << name << "', which the op schema has no float attribute for";
      launch.set(*id, f.getValueAsDouble());
    }
  }
  // Attributes the kernels need that the IR keeps in types or operands.
  auto addCacheShape = [&](Value cacheValue) {
    auto cache = cacheValue.getType().cast<KvCacheType>();
    launch.set(::lfm::IntAttr::kKvHeads, cache.getKvHeads());
    launch.set(::lfm::IntAttr::kHeadDim, cache.getHeadDim());
  };
  llvm::TypeSwitch<Operation *>(op)
      .Case<AttentionOp>(
          [&](AttentionOp attention) { addCacheShape(attention.getCache()); })
      .Case<QkNormRopeCacheOp>(
          [&](QkNormRopeCacheOp fused) { addCacheShape(fused.getCache()); })
      .Case<LinearOp>([&](LinearOp) {
        launch.set(::lfm::IntAttr::kPrologueNorm, 0);
        launch.set(::lfm::IntAttr::kEpilogue, 0);
      })
      .Case<FusedLinearOp>([&](FusedLinearOp linear) {
        launch.set(::lfm::IntAttr::kPrologueNorm, linear.getNormWeight() ? 1 : 0);
        launch.set(::lfm::IntAttr::kEpilogue, linear.getEpilogueCode());
      });
  return success();
}

/// The schema op an IR op launches: the op of its name, but for
/// `fused_linear`, which is the plan's `linear` with a prologue/epilogue.
static FailureOr<::lfm::OpKind> planOp(Operation *op) {
  if (isa<FusedLinearOp>(op))
    return ::lfm::OpKind::kLinear;
  if (std::optional<::lfm::OpKind> kind =
          ::lfm::findOp(op->getName().stripDialect()))
    return *kind;
  op->emitOpError("has no op in the plan's op schema (lfm/OpSchema.h)");
  return failure();
}

LogicalResult PlanBuilder::addLaunch(Operation *op) {
  auto launchIndex = op->getAttrOfType<IntegerAttr>(kLaunchAttr);
  if (!launchIndex ||
      launchIndex.getInt() != static_cast<int64_t>(plan.launches.size()))
    return op->emitOpError("is not launch #")
           << plan.launches.size() << ": run lfm-form-kernels";
  FailureOr<::lfm::OpKind> kind = planOp(op);
  if (failed(kind))
    return failure();
  ::lfm::Launch launch;
  launch.op = *kind;
  launch.layer = layerOf(op);
  if (failed(appendOperands(op, launch)) || failed(addAttributes(op, launch)))
    return failure();
  // Rows follow the data: gather_rows starts the logit-row space and every
  // op downstream of it stays there.
  ::lfm::RowSpace rows = isa<GatherRowsOp>(op) ? ::lfm::RowSpace::kLogitRows
                                               : ::lfm::RowSpace::kTokens;
  for (Value operand : op->getOperands())
    if (rowSpaces.lookup(operand) == ::lfm::RowSpace::kLogitRows)
      rows = ::lfm::RowSpace::kLogitRows;
  for (unsigned i = 0; i < op->getNumResults(); ++i) {
    FailureOr<::lfm::BufferRef> ref = defineActivation(op, i, rows);
    if (failed(ref))
      return failure();
    launch.results.push_back(*ref);
  }
  plan.launches.push_back(std::move(launch));
  return success();
}

FailureOr<::lfm::Plan> PlanBuilder::build(func::FuncOp func) {
  if (failed(bindArguments(func)))
    return failure();
  auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  if (ret.getNumOperands() != 1)
    return func.emitOpError("must return exactly the logits");
  logitsValue = ret.getOperand(0);
  if (!logitsValue.getDefiningOp() ||
      !logitsValue.getType().cast<RankedTensorType>().getElementType().isF32())
    return func.emitOpError("must return f32 logits computed by an op");

  for (Operation &op : func.getBody().front().without_terminator()) {
    LogicalResult result =
        llvm::TypeSwitch<Operation *, LogicalResult>(&op)
            .Case<WeightOp>([&](WeightOp weight) { return addWeight(weight); })
            .Default([&](Operation *other) {
              if (other->getDialect() !=
                  other->getContext()->getLoadedDialect<LfmDialect>()) {
                other->emitOpError("is not an lfm op and has no kernel");
                return failure();
              }
              return addLaunch(other);
            });
    if (failed(result))
      return failure();
  }
  if (buffers.lookup(logitsValue).kind != ::lfm::BufferRef::kLogits)
    return func.emitOpError("the returned logits were not produced");
  // The storage dtype is the one the importer gave the embedding table; in a
  // hand-written graph without one, its first weight's (f32 without weights).
  if (!plan.weights.empty())
    plan.dtype = plan.weights.front().dtype;
  for (auto embedding : func.getOps<EmbeddingOp>()) {
    FailureOr<::lfm::DType> dtype = storageDType(
        embedding, embedding.getTable().getType().cast<ShapedType>().getElementType());
    if (failed(dtype))
      return failure();
    plan.dtype = *dtype;
  }
  return std::move(plan);
}

FailureOr<::lfm::Plan> mlir::lfm::buildPlan(ModuleOp module,
                                            const ::lfm::ModelConfig &config) {
  auto func = module.lookupSymbol<func::FuncOp>(kForwardFunctionName);
  if (!func)
    return module.emitError() << "no function @" << kForwardFunctionName;
  return PlanBuilder(config).build(func);
}
