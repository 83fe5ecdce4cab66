// The hand-built LFM2 plan of the golden tests (an LFM2 graph with the
// fused ops, built from a config.json object and a checkpoint) and the
// helpers that run and compare its logits; shared by the cpu golden test and
// the GGUF checkpoint test.
#ifndef LFM_TESTS_GOLDENPLAN_H
#define LFM_TESTS_GOLDENPLAN_H

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "RuntimeTestUtil.h"
#include "lfm/Safetensors.h"
#include "lfm/Session.h"

namespace lfm::testing {

inline std::vector<float> readF32(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(f)), {});
  std::vector<float> v(bytes.size() / 4);
  std::memcpy(v.data(), bytes.data(), v.size() * 4);
  return v;
}

// An LFM2 plan with the fused ops, from a config.json object; weights come
// from the checkpoint by Hugging Face tensor name, converted to `dtype` (norm
// weights stay f32).
inline absl::StatusOr<Plan> lfm2Plan(const nlohmann::json &cfg, const Checkpoint &checkpoint,
                                     DType dtype) {
  const int64_t vocab = cfg["vocab_size"], hidden = cfg["hidden_size"];
  const int64_t heads = cfg["num_attention_heads"], kv_heads = cfg["num_key_value_heads"];
  const int64_t d = hidden / heads, kernel = cfg["conv_L_cache"];
  const double eps = cfg["norm_eps"], theta = cfg["rope_theta"];
  auto w1 = checkpoint.tensor("model.layers.0.feed_forward.w1.weight");
  if (!w1.ok()) return w1.status();
  const int64_t ffn = (*w1)->shape[0];  // after block_auto_adjust_ff_dim

  PlanBuilder b(vocab, /*max_tokens=*/64);
  Plan &p = b.plan;
  p.dtype = dtype;
  auto weight = [&](std::vector<int64_t> shape, std::vector<std::string> tensors, DType dt) {
    WeightSpec spec;
    spec.name = tensors[0];
    spec.dtype = dt;
    spec.shape = shape;
    for (const std::string &t : tensors) {
      auto tensor = checkpoint.tensor(t);
      spec.sources.push_back({t, tensor.ok() ? (*tensor)->shape : std::vector<int64_t>{}});
    }
    p.weights.push_back(spec);
    return BufferRef{BufferRef::kWeight, static_cast<int32_t>(p.weights.size() - 1)};
  };
  auto act = [&](int64_t width, RowSpace rows = RowSpace::kTokens) {
    return b.activation(width, dtype, rows);
  };
  const std::map<std::string, double> eps_attr = {{"eps", eps}};

  BufferRef embed = weight({vocab, hidden}, {"model.embed_tokens.weight"}, dtype);
  BufferRef h = act(hidden);
  b.launch("embedding", {inputRef(InputId::kTokens), embed}, {h});
  const auto &types = cfg["layer_types"];
  for (size_t l = 0; l < types.size(); ++l) {
    const std::string pre = "model.layers." + std::to_string(l) + ".";
    BufferRef op_norm = weight({hidden}, {pre + "operator_norm.weight"}, DType::kF32);
    BufferRef mixed = act(hidden), h_mid = act(hidden);
    if (types[l] == "conv") {
      BufferRef bcx = act(3 * hidden);
      b.launch("linear", {h, weight({3 * hidden, hidden}, {pre + "conv.in_proj.weight"}, dtype), op_norm},
               {bcx}, {{"prologue_norm", 1}}, eps_attr);
      b.launch("gated_short_conv",
               {bcx, weight({hidden, kernel}, {pre + "conv.conv.weight"}, dtype),
                b.convState(hidden, kernel, dtype, static_cast<int32_t>(l)), kRowOffsets, kSlots,
                kStartPos},
               {mixed});
      b.launch("linear", {mixed, weight({hidden, hidden}, {pre + "conv.out_proj.weight"}, dtype), h},
               {h_mid}, {{"epilogue", 1}});
    } else {
      const int64_t qkv_w = (heads + 2 * kv_heads) * d;
      BufferRef qkv = act(qkv_w), q = act(heads * d);
      b.launch("linear",
               {h,
                weight({qkv_w, hidden},
                       {pre + "self_attn.q_proj.weight", pre + "self_attn.k_proj.weight",
                        pre + "self_attn.v_proj.weight"},
                       dtype),
                op_norm},
               {qkv}, {{"prologue_norm", 1}}, eps_attr);
      auto [kc, vc] = b.kvCache(kv_heads, d, dtype, static_cast<int32_t>(l));
      const std::map<std::string, int64_t> head_attrs = {
          {"heads", heads}, {"kv_heads", kv_heads}, {"head_dim", d}};
      b.launch("qk_norm_rope_cache",
               {qkv, weight({d}, {pre + "self_attn.q_layernorm.weight"}, DType::kF32),
                weight({d}, {pre + "self_attn.k_layernorm.weight"}, DType::kF32), kc, vc,
                kRowOffsets, kSlots, kStartPos},
               {q}, head_attrs, {{"eps", eps}, {"theta", theta}});
      BufferRef att = act(heads * d);
      b.launch("attention", {q, kc, vc, kRowOffsets, kSlots, kStartPos}, {att}, head_attrs,
               {{"scale", 1 / std::sqrt(double(d))}});
      b.launch("linear",
               {att, weight({hidden, heads * d}, {pre + "self_attn.out_proj.weight"}, dtype), h},
               {h_mid}, {{"epilogue", 1}});
    }
    BufferRef f = act(ffn), h_out = act(hidden);
    b.launch("linear",
             {h_mid,
              weight({2 * ffn, hidden},
                     {pre + "feed_forward.w1.weight", pre + "feed_forward.w3.weight"}, dtype),
              weight({hidden}, {pre + "ffn_norm.weight"}, DType::kF32)},
             {f}, {{"prologue_norm", 1}, {"epilogue", 2}}, eps_attr);
    b.launch("linear", {f, weight({hidden, ffn}, {pre + "feed_forward.w2.weight"}, dtype), h_mid},
             {h_out}, {{"epilogue", 1}});
    h = h_out;
  }
  BufferRef last = act(hidden, RowSpace::kLogitRows);
  b.launch("gather_rows", {h, inputRef(InputId::kLogitRows)}, {last});
  b.launch("linear",
           {last, embed, weight({hidden}, {"model.embedding_norm.weight"}, DType::kF32)},
           {kLogits}, {{"prologue_norm", 1}}, eps_attr);
  return p;
}

// Feeds the case's tokens in chunks and returns all rows of logits.
inline std::vector<float> runChunks(Session &s, const std::vector<int32_t> &tokens, size_t chunk) {
  EXPECT_TRUE(s.claim(0).ok());
  std::vector<float> all;
  for (size_t pos = 0; pos < tokens.size(); pos += chunk) {
    size_t n = std::min(chunk, tokens.size() - pos);
    SequenceStep seq{0, std::span<const int32_t>(tokens).subspan(pos, n)};
    auto out = s.step({&seq, 1}, {.all_logits = true});
    EXPECT_TRUE(out.ok()) << out.status();
    if (!out.ok()) break;
    all.insert(all.end(), out->logits.begin(), out->logits.end());
  }
  EXPECT_TRUE(s.release(0).ok());
  return all;
}

struct Agreement {
  double max_abs = 0;
  int64_t argmax_same = 0, rows = 0;
};

inline Agreement compare(const std::vector<float> &got, const std::vector<float> &want, int64_t vocab) {
  Agreement a;
  if (got.size() != want.size()) return a;
  a.rows = static_cast<int64_t>(got.size()) / vocab;
  for (int64_t r = 0; r < a.rows; ++r) {
    int64_t ga = 0, wa = 0;
    for (int64_t v = 0; v < vocab; ++v) {
      a.max_abs = std::max(a.max_abs, double(std::abs(got[r * vocab + v] - want[r * vocab + v])));
      if (got[r * vocab + v] > got[r * vocab + ga]) ga = v;
      if (want[r * vocab + v] > want[r * vocab + wa]) wa = v;
    }
    a.argmax_same += ga == wa;
  }
  return a;
}

// The plan of a golden case folder (its config.json and checkpoint).
inline absl::StatusOr<Plan> lfm2Plan(const std::string &dir, DType dtype) {
  nlohmann::json cfg = nlohmann::json::parse(std::ifstream(dir + "/config.json"));
  auto checkpoint = Checkpoint::open(dir);
  if (!checkpoint.ok()) return checkpoint.status();
  return lfm2Plan(cfg, *checkpoint, dtype);
}

}  // namespace lfm::testing

#endif  // LFM_TESTS_GOLDENPLAN_H
