//===- Lfm2Importer.cpp - LFM2 config to lfm graph IR ---------------------===//
//
// Mirrors transformers' modeling_lfm2.py: embedding, then per layer
// `operator_norm -> (ShortConv | attention) -> add -> ffn_norm -> SwiGLU MLP
// -> add`, then `embedding_norm` and the (tied) lm_head. Weight ops carry the
// checkpoint tensor names so the weight plan can bind them.
//
//===----------------------------------------------------------------------===//

#include "models/Lfm2Importer.h"

#include "ir/LfmDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/Twine.h"

#include <cmath>

using namespace mlir;
using namespace mlir::lfm;

namespace {

/// Builds one forward function; one instance per import.
class Lfm2GraphBuilder {
public:
  Lfm2GraphBuilder(MLIRContext &context, const ::lfm::ModelConfig &config,
                   Type dtype)
      : builder(&context), config(config), dtype(dtype) {}

  OwningOpRef<ModuleOp> build();

private:
  struct StepInputs {
    Value tokens, rowOffsets, slots, startPos, logitRows;
  };

  RankedTensorType activation(int64_t width, Type element) const {
    return RankedTensorType::get({ShapedType::kDynamic, width}, element);
  }
  RankedTensorType activation(int64_t width) const {
    return activation(width, dtype);
  }
  Value weight(ArrayRef<int64_t> shape, Type element, const llvm::Twine &name);
  Value matrix(int64_t rows, int64_t cols, const llvm::Twine &name) {
    return weight({rows, cols}, dtype, name);
  }
  Value normWeight(int64_t size, const llvm::Twine &name) {
    return weight({size}, builder.getF32Type(), name);
  }
  Value linear(Value input, Value weightValue, Type resultElement = {});
  Value rmsNorm(Value input, const llvm::Twine &weightName,
                std::optional<int64_t> group = std::nullopt);

  Value convBlock(Value h, int64_t layer, Value state, const StepInputs &in);
  Value attentionBlock(Value h, int64_t layer, Value cache,
                       const StepInputs &in);
  Value feedForward(Value h, int64_t layer);

  std::string layerPrefix(int64_t layer) const {
    return "model.layers." + std::to_string(layer) + ".";
  }

  OpBuilder builder;
  const ::lfm::ModelConfig &config;
  Type dtype;
  Location loc = builder.getUnknownLoc();
};

} // namespace

Value Lfm2GraphBuilder::weight(ArrayRef<int64_t> shape, Type element,
                               const llvm::Twine &name) {
  return builder.create<WeightOp>(loc, RankedTensorType::get(shape, element),
                                  builder.getStrArrayAttr({name.str()}));
}

Value Lfm2GraphBuilder::linear(Value input, Value weightValue,
                               Type resultElement) {
  auto weightType = weightValue.getType().cast<RankedTensorType>();
  Type element = resultElement ? resultElement : dtype;
  return builder.create<LinearOp>(
      loc, activation(weightType.getDimSize(0), element), input, weightValue);
}

Value Lfm2GraphBuilder::rmsNorm(Value input, const llvm::Twine &weightName,
                                std::optional<int64_t> group) {
  int64_t width = input.getType().cast<RankedTensorType>().getDimSize(1);
  Value w = normWeight(group.value_or(width), weightName);
  IntegerAttr groupAttr =
      group ? builder.getI64IntegerAttr(*group) : IntegerAttr();
  return builder.create<RmsNormOp>(loc, input.getType(), input, w,
                                   builder.getF64FloatAttr(config.norm_eps),
                                   groupAttr);
}

Value Lfm2GraphBuilder::convBlock(Value h, int64_t layer, Value state,
                                  const StepInputs &in) {
  int64_t hidden = config.hidden_size;
  std::string prefix = layerPrefix(layer) + "conv.";
  Value bcx = linear(h, matrix(3 * hidden, hidden, prefix + "in_proj.weight"));
  auto slice = [&](int64_t index) -> Value {
    return builder.create<SliceOp>(loc, activation(hidden), bcx,
                                   builder.getI64IntegerAttr(index * hidden));
  };
  // in_proj's output splits as B, C, x (in that order).
  Value b = slice(0), c = slice(1), x = slice(2);
  Value bx = builder.create<MulOp>(loc, b, x);
  Value convWeight = weight({hidden, 1, config.conv_kernel}, dtype,
                            prefix + "conv.weight");
  Value conv = builder.create<ShortConvOp>(loc, bx.getType(), bx, convWeight,
                                           state, in.rowOffsets, in.slots,
                                           in.startPos);
  Value y = builder.create<MulOp>(loc, c, conv);
  return linear(y, matrix(hidden, hidden, prefix + "out_proj.weight"));
}

Value Lfm2GraphBuilder::attentionBlock(Value h, int64_t layer, Value cache,
                                       const StepInputs &in) {
  int64_t hidden = config.hidden_size, headDim = config.head_dim;
  int64_t qWidth = config.num_attention_heads * headDim;
  int64_t kvWidth = config.num_key_value_heads * headDim;
  std::string prefix = layerPrefix(layer) + "self_attn.";
  Value q = linear(h, matrix(qWidth, hidden, prefix + "q_proj.weight"));
  Value k = linear(h, matrix(kvWidth, hidden, prefix + "k_proj.weight"));
  Value v = linear(h, matrix(kvWidth, hidden, prefix + "v_proj.weight"));
  // Per-head RMSNorm of q and k comes before RoPE.
  q = rmsNorm(q, prefix + "q_layernorm.weight", headDim);
  k = rmsNorm(k, prefix + "k_layernorm.weight", headDim);
  auto rope = [&](Value x) -> Value {
    return builder.create<RopeOp>(
        loc, x.getType(), x, in.rowOffsets, in.startPos,
        builder.getI64IntegerAttr(headDim),
        builder.getF64FloatAttr(config.rope_theta));
  };
  q = rope(q);
  k = rope(k);
  builder.create<KvCacheWriteOp>(loc, k, v, cache, in.rowOffsets, in.slots,
                                 in.startPos);
  Value o = builder.create<AttentionOp>(
      loc, q.getType(), q, cache, in.rowOffsets, in.slots, in.startPos,
      builder.getI64IntegerAttr(config.num_attention_heads),
      builder.getF64FloatAttr(1.0 / std::sqrt(static_cast<double>(headDim))));
  return linear(o, matrix(hidden, qWidth, prefix + "out_proj.weight"));
}

Value Lfm2GraphBuilder::feedForward(Value h, int64_t layer) {
  int64_t hidden = config.hidden_size, ffn = config.intermediate_size;
  std::string prefix = layerPrefix(layer) + "feed_forward.";
  Value gate = linear(h, matrix(ffn, hidden, prefix + "w1.weight"));
  Value up = linear(h, matrix(ffn, hidden, prefix + "w3.weight"));
  Value act = builder.create<SiluOp>(loc, gate);
  Value prod = builder.create<MulOp>(loc, act, up);
  return linear(prod, matrix(hidden, ffn, prefix + "w2.weight"));
}

OwningOpRef<ModuleOp> Lfm2GraphBuilder::build() {
  MLIRContext *context = builder.getContext();
  context->getOrLoadDialect<LfmDialect>();
  context->getOrLoadDialect<func::FuncDialect>();
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  builder.setInsertionPointToEnd(module->getBody());

  auto indexVector = RankedTensorType::get({ShapedType::kDynamic},
                                           builder.getIntegerType(32));
  SmallVector<Type> argTypes(5, indexVector);
  SmallVector<std::string> argNames = {"tokens", "row_offsets", "slots",
                                       "start_pos", "logit_rows"};
  int64_t window = config.conv_kernel - 1;
  for (auto [layer, kind] : llvm::enumerate(config.layer_types)) {
    if (kind == ::lfm::LayerKind::kConv) {
      argTypes.push_back(
          ConvStateType::get(context, window, config.hidden_size, dtype));
      argNames.push_back("conv_state_" + std::to_string(layer));
    } else {
      argTypes.push_back(KvCacheType::get(context, config.num_key_value_heads,
                                          config.head_dim, dtype));
      argNames.push_back("kv_cache_" + std::to_string(layer));
    }
  }
  auto logitsType = activation(config.vocab_size, builder.getF32Type());
  auto func = builder.create<func::FuncOp>(
      loc, kForwardFunctionName,
      builder.getFunctionType(argTypes, {logitsType}));
  for (auto [index, name] : llvm::enumerate(argNames))
    func.setArgAttr(index, "lfm.name", builder.getStringAttr(name));
  Block *body = func.addEntryBlock();
  builder.setInsertionPointToStart(body);

  StepInputs in{body->getArgument(0), body->getArgument(1),
                body->getArgument(2), body->getArgument(3),
                body->getArgument(4)};
  int64_t hidden = config.hidden_size;
  Value embedTable = matrix(config.vocab_size, hidden, "model.embed_tokens.weight");
  Value x = builder.create<EmbeddingOp>(loc, activation(hidden), in.tokens,
                                        embedTable);
  for (auto [layer, kind] : llvm::enumerate(config.layer_types)) {
    int64_t index = static_cast<int64_t>(layer);
    loc = NameLoc::get(builder.getStringAttr("model.layers." +
                                             std::to_string(index)));
    Value state = body->getArgument(5 + index);
    Value h = rmsNorm(x, layerPrefix(index) + "operator_norm.weight");
    Value mixed = kind == ::lfm::LayerKind::kConv
                      ? convBlock(h, index, state, in)
                      : attentionBlock(h, index, state, in);
    x = builder.create<AddOp>(loc, x, mixed);
    Value f = feedForward(
        rmsNorm(x, layerPrefix(index) + "ffn_norm.weight"), index);
    x = builder.create<AddOp>(loc, x, f);
  }
  loc = NameLoc::get(builder.getStringAttr("lm_head"));
  Value normed = rmsNorm(x, "model.embedding_norm.weight");
  Value head = config.tie_word_embeddings
                   ? embedTable
                   : matrix(config.vocab_size, hidden, "lm_head.weight");
  Value logits = linear(normed, head, builder.getF32Type());
  // Logits for the requested rows only; a pass moves this gather before the
  // final norm so that lm_head runs on those rows alone.
  Value selected = builder.create<GatherRowsOp>(loc, logits.getType(), logits,
                                                in.logitRows);
  builder.create<func::ReturnOp>(loc, selected);

  if (failed(verify(*module)))
    return nullptr;
  return module;
}

OwningOpRef<ModuleOp> mlir::lfm::importLfm2(MLIRContext &context,
                                            const ::lfm::ModelConfig &config,
                                            Type dtype) {
  return Lfm2GraphBuilder(context, config, dtype).build();
}
