// A tiny LFM2-shaped model as a hand-built plan with fused ops: a gated
// conv layer and a GQA attention layer, each followed by a SwiGLU MLP, with a
// tied lm_head over the logit rows. Its config is complete, so the plan also
// passes verifyPlan and can be written as an artifact.
#ifndef LFM_TESTS_RUNTIME_TINYMODEL_H
#define LFM_TESTS_RUNTIME_TINYMODEL_H

#include <cmath>

#include "RuntimeTestUtil.h"

namespace lfm::testing {

inline constexpr int64_t kVocab = 11, kHidden = 8, kHeads = 2, kKvHeads = 1, kHeadDim = 4,
                  kFfn = 6, kKernel = 3;
inline constexpr double kEps = 1e-5, kTheta = 10000.0;

// The model's weights, shared by the fused and unfused plans.
struct TinyWeights {
  std::vector<float> embed = randomValues(kVocab * kHidden, 1);
  std::vector<float> norm[5] = {randomValues(kHidden, 2), randomValues(kHidden, 3),
                                randomValues(kHidden, 4), randomValues(kHidden, 5),
                                randomValues(kHidden, 6)};
  std::vector<float> in_proj = randomValues(3 * kHidden * kHidden, 7);
  std::vector<float> conv = randomValues(kHidden * kKernel, 8);
  std::vector<float> out_proj = randomValues(kHidden * kHidden, 9);
  std::vector<float> qkv = randomValues((kHeads + 2 * kKvHeads) * kHeadDim * kHidden, 10);
  std::vector<float> q_norm = randomValues(kHeadDim, 11), k_norm = randomValues(kHeadDim, 12);
  std::vector<float> o_proj = randomValues(kHidden * kHeads * kHeadDim, 13);
  std::vector<float> w13 = randomValues(2 * kFfn * kHidden, 14);  // W1 rows, then W3 rows
  std::vector<float> w2 = randomValues(kHidden * kFfn, 15);
};

inline std::vector<float> rows(const std::vector<float> &m, int64_t first, int64_t count, int64_t width) {
  return {m.begin() + first * width, m.begin() + (first + count) * width};
}

// The plan with fused ops: linear prologues and epilogues, gated_short_conv,
// qk_norm_rope_cache, add_rms_norm, gather_rows before the lm_head.
inline PlanBuilder tinyFusedPlan(const TinyWeights &w, DType dt = DType::kF32) {
  PlanBuilder b(kVocab, /*max_tokens=*/16);
  b.plan.dtype = dt;
  ModelConfig &c = b.plan.config;
  c.hidden_size = kHidden;
  c.intermediate_size = kFfn;
  c.num_attention_heads = kHeads;
  c.num_key_value_heads = kKvHeads;
  c.head_dim = kHeadDim;
  c.conv_kernel = kKernel;
  c.norm_eps = kEps;
  c.rope_theta = kTheta;
  c.eos_token_id = 2;
  c.layer_types = {LayerKind::kConv, LayerKind::kAttention};
  const int64_t qkv_w = (kHeads + 2 * kKvHeads) * kHeadDim;
  const std::map<std::string, double> eps = {{"eps", kEps}};
  BufferRef embed = b.weight({kVocab, kHidden}, w.embed, dt);
  BufferRef h0 = b.activation(kHidden, dt);
  b.launch("embedding", {inputRef(InputId::kTokens), embed}, {h0});
  // Layer 0: gated short conv.
  BufferRef bcx = b.activation(3 * kHidden, dt);
  b.launch("linear", {h0, b.weight({3 * kHidden, kHidden}, w.in_proj, dt), b.weight({kHidden}, w.norm[0])},
           {bcx}, {{"prologue_norm", 1}}, eps);
  BufferRef conv = b.activation(kHidden, dt);
  b.launch("gated_short_conv",
           {bcx, b.weight({kHidden, kKernel}, w.conv, dt), b.convState(kHidden, kKernel, dt, /*layer=*/0),
            kRowOffsets, kSlots, kStartPos},
           {conv});
  BufferRef h1 = b.activation(kHidden, dt);
  b.launch("linear", {conv, b.weight({kHidden, kHidden}, w.out_proj, dt), h0}, {h1},
           {{"epilogue", 1}});
  BufferRef f1 = b.activation(kFfn, dt), h2 = b.activation(kHidden, dt);
  b.launch("linear", {h1, b.weight({2 * kFfn, kHidden}, w.w13, dt), b.weight({kHidden}, w.norm[1])},
           {f1}, {{"prologue_norm", 1}, {"epilogue", 2}}, eps);
  b.launch("linear", {f1, b.weight({kHidden, kFfn}, w.w2, dt), h1}, {h2}, {{"epilogue", 1}});
  // Layer 1: attention.
  BufferRef qkv = b.activation(qkv_w, dt), q = b.activation(kHeads * kHeadDim, dt);
  b.launch("linear", {h2, b.weight({qkv_w, kHidden}, w.qkv, dt), b.weight({kHidden}, w.norm[2])},
           {qkv}, {{"prologue_norm", 1}}, eps);
  auto [kc, vc] = b.kvCache(kKvHeads, kHeadDim, dt, /*layer=*/1);
  const std::map<std::string, int64_t> heads = {
      {"heads", kHeads}, {"kv_heads", kKvHeads}, {"head_dim", kHeadDim}};
  b.launch("qk_norm_rope_cache",
           {qkv, b.weight({kHeadDim}, w.q_norm), b.weight({kHeadDim}, w.k_norm), kc, vc,
            kRowOffsets, kSlots, kStartPos},
           {q}, heads, {{"eps", kEps}, {"theta", kTheta}});
  BufferRef att = b.activation(kHeads * kHeadDim, dt);
  b.launch("attention", {q, kc, vc, kRowOffsets, kSlots, kStartPos}, {att}, heads,
           {{"scale", 1 / std::sqrt(double(kHeadDim))}});
  BufferRef o = b.activation(kHidden, dt);
  b.launch("linear", {att, b.weight({kHidden, kHeads * kHeadDim}, w.o_proj, dt)}, {o});
  BufferRef n3 = b.activation(kHidden, dt), h3 = b.activation(kHidden, dt);
  b.launch("add_rms_norm", {o, h2, b.weight({kHidden}, w.norm[3])}, {n3, h3}, {}, eps);
  BufferRef f3 = b.activation(kFfn, dt), h4 = b.activation(kHidden, dt);
  b.launch("linear", {n3, b.weight({2 * kFfn, kHidden}, w.w13, dt)}, {f3}, {{"epilogue", 2}});
  b.launch("linear", {f3, b.weight({kHidden, kFfn}, w.w2, dt), h3}, {h4}, {{"epilogue", 1}});
  // Final norm fused into the tied lm_head, over the logit rows only.
  BufferRef last = b.activation(kHidden, dt, RowSpace::kLogitRows);
  b.launch("gather_rows", {h4, inputRef(InputId::kLogitRows)}, {last});
  b.launch("linear", {last, embed, b.weight({kHidden}, w.norm[4])}, {kLogits},
           {{"prologue_norm", 1}}, eps);
  return b;
}

}  // namespace lfm::testing

#endif  // LFM_TESTS_RUNTIME_TINYMODEL_H
