//===- AttentionSpec.cpp - What both attention forms read -----------------===//
//
// readAttentionSpec checks an attention launch's operands and binds them,
// and attentionTemplateVars fills the template variables that the split-KV
// and the flash form share (AttentionSpec.h).
//
//===----------------------------------------------------------------------===//

#include "codegen/cuda/emitters/AttentionSpec.h"

#include "codegen/cuda/emitters/SequenceInputs.h"

using namespace ::lfm;

namespace mlir::lfm::cuda {
namespace {

// The head-shape constants that open both forms' kernels.
constexpr llvm::StringLiteral kShapeConstants =
    R"(  constexpr int kHeads = ${HEADS};
  constexpr int kKvHeads = ${KV_HEADS};
  constexpr int kGroup = kHeads / kKvHeads;  // q heads per kv head
  constexpr int kHeadDim = ${D};)";

} // namespace

llvm::Expected<AttentionSpec> readAttentionSpec(const EmitContext &ctx) {
  if (llvm::Error err = expectArity(ctx, 6, 1))
    return std::move(err);
  AttentionSpec spec;
  llvm::Expected<HeadShape> shape = headShape(ctx);
  if (!shape)
    return shape.takeError();
  spec.shape = *shape;
  llvm::Expected<double> scale = floatAttr(ctx, ::lfm::FloatAttr::kScale);
  if (!scale)
    return scale.takeError();
  spec.scale = *scale;
  const int64_t d = shape->headDim;
  spec.group = shape->heads / shape->kvHeads;

  const Launch &launch = ctx.launch;
  spec.q = describeBuffer(ctx.plan, launch.operands[0]);
  spec.keys = describeBuffer(ctx.plan, launch.operands[1]);
  spec.values = describeBuffer(ctx.plan, launch.operands[2]);
  spec.y = describeBuffer(ctx.plan, launch.results[0]);
  if (spec.q.rows != RowSpace::kTokens || spec.y.rows != RowSpace::kTokens)
    return emitError(ctx, "queries and result must have token rows");
  if (spec.q.width != shape->heads * d || spec.y.width != shape->heads * d)
    return emitError(
        ctx, "the queries and the result must be heads * head_dim wide");
  if (spec.keys.ref.kind != BufferRef::kKeyCache ||
      spec.values.ref.kind != BufferRef::kValueCache ||
      spec.keys.width != shape->kvHeads * d ||
      spec.values.width != shape->kvHeads * d)
    return emitError(ctx,
                     "operands 1 and 2 must be the layer's K and V caches");

  spec.bind = bindBuffer("q", spec.q, 0, false) +
              bindBuffer("key_cache", spec.keys, 1, false) +
              bindBuffer("value_cache", spec.values, 2, false);
  llvm::Expected<std::string> sequenceInputs = bindSequenceInputs(ctx, 3);
  if (!sequenceInputs)
    return sequenceInputs.takeError();
  spec.bind += *sequenceInputs;
  spec.bind += bindBuffer("y", spec.y, 6, true);
  return spec;
}

std::vector<std::pair<std::string, std::string>>
attentionTemplateVars(const EmitContext &ctx, const AttentionSpec &spec) {
  const HeadShape &shape = spec.shape;
  const int64_t d = shape.headDim;
  std::vector<std::pair<std::string, std::string>> vars = {
      {"ENTRY", ctx.entryPoint},
      {"HEADS", std::to_string(shape.heads)},
      {"KV_HEADS", std::to_string(shape.kvHeads)},
      {"D", std::to_string(d)},
      {"VEC", std::to_string(chooseChunk({d}))},
      {"SCALE", floatLiteral(spec.scale)},
      {"BIND", spec.bind},
      {"KTYPE", storageType(spec.keys.dtype).str()},
      {"VTYPE", storageType(spec.values.dtype).str()},
  };
  vars.emplace_back("SHAPE_CONSTANTS", fillTemplate(kShapeConstants, vars));
  return vars;
}

} // namespace mlir::lfm::cuda
