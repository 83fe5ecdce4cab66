// Sessions over a hand-built two-layer LFM2-shaped plan (a gated conv layer
// and a GQA attention layer, each with a SwiGLU MLP): the prefill modes give
// the same logits, batched sequences give the same logits as each alone, the
// fused and unfused forms of the plan agree, and bad steps change nothing.
#include <gtest/gtest.h>

#include <cmath>

#include "RuntimeTestUtil.h"
#include "TinyModel.h"
#include "lfm/Session.h"

namespace lfm::testing {
namespace {

// The same model with one op per step of the math, reusing regions where
// values died.
PlanBuilder untinyFusedPlan(const TinyWeights &w) {
  PlanBuilder b(kVocab, 16);
  const int64_t qkv_w = (kHeads + 2 * kKvHeads) * kHeadDim;
  const std::map<std::string, double> eps = {{"eps", kEps}};
  auto act = [&](int64_t width) { return b.activation(width); };
  auto norm = [&](BufferRef x, const std::vector<float> &wv) {
    BufferRef y = act(kHidden);
    b.launch("rms_norm", {x, b.weight({kHidden}, wv)}, {y}, {}, eps);
    return y;
  };
  auto linear = [&](BufferRef x, std::vector<int64_t> shape, const std::vector<float> &wv) {
    BufferRef y = act(shape[0]);
    b.launch("linear", {x, b.weight(shape, wv)}, {y});
    return y;
  };
  auto binary = [&](const char *op, BufferRef x, BufferRef y, int64_t width) {
    BufferRef z = act(width);
    b.launch(op, {x, y}, {z});
    return z;
  };
  auto slice = [&](BufferRef x, int64_t offset, int64_t width) {
    BufferRef y = act(width);
    b.launch("slice", {x}, {y}, {{"offset", offset}});
    return y;
  };
  auto mlp = [&](BufferRef h, const std::vector<float> &nw) {
    BufferRef n = norm(h, nw);
    BufferRef g = linear(n, {kFfn, kHidden}, rows(w.w13, 0, kFfn, kHidden));
    BufferRef u = linear(n, {kFfn, kHidden}, rows(w.w13, kFfn, kFfn, kHidden));
    BufferRef s = act(kFfn);
    b.launch("silu", {g}, {s});
    BufferRef m = binary("mul", s, u, kFfn);
    return binary("add", linear(m, {kHidden, kFfn}, w.w2), h, kHidden);
  };

  BufferRef h0 = act(kHidden);
  b.launch("embedding", {inputRef(InputId::kTokens), b.weight({kVocab, kHidden}, w.embed)}, {h0});
  BufferRef bcx = linear(norm(h0, w.norm[0]), {3 * kHidden, kHidden}, w.in_proj);
  BufferRef bx = binary("mul", slice(bcx, 0, kHidden), slice(bcx, 2 * kHidden, kHidden), kHidden);
  BufferRef conv = act(kHidden);
  b.launch("short_conv",
           {bx, b.weight({kHidden, kKernel}, w.conv), b.convState(kHidden, kKernel), kRowOffsets,
            kSlots, kStartPos},
           {conv});
  BufferRef gated = binary("mul", slice(bcx, kHidden, kHidden), conv, kHidden);
  BufferRef h1 = binary("add", linear(gated, {kHidden, kHidden}, w.out_proj), h0, kHidden);
  BufferRef h2 = mlp(h1, w.norm[1]);

  BufferRef qkv = linear(norm(h2, w.norm[2]), {qkv_w, kHidden}, w.qkv);
  auto head_norm_rope = [&](BufferRef x, int64_t width, const std::vector<float> &nw) {
    BufferRef n = act(width), r = act(width);
    b.launch("rms_norm", {x, b.weight({kHeadDim}, nw)}, {n}, {{"group", kHeadDim}}, eps);
    b.launch("rope", {n, kRowOffsets, kStartPos}, {r}, {{"head_dim", kHeadDim}},
             {{"theta", kTheta}});
    return r;
  };
  BufferRef q = head_norm_rope(slice(qkv, 0, kHeads * kHeadDim), kHeads * kHeadDim, w.q_norm);
  BufferRef k = head_norm_rope(slice(qkv, kHeads * kHeadDim, kKvHeads * kHeadDim),
                               kKvHeads * kHeadDim, w.k_norm);
  BufferRef v = slice(qkv, (kHeads + kKvHeads) * kHeadDim, kKvHeads * kHeadDim);
  auto [kc, vc] = b.kvCache(kKvHeads, kHeadDim);
  b.launch("kv_cache_write", {k, v, kc, vc, kRowOffsets, kSlots, kStartPos}, {});
  BufferRef att = act(kHeads * kHeadDim);
  b.launch("attention", {q, kc, vc, kRowOffsets, kSlots, kStartPos}, {att},
           {{"heads", kHeads}, {"kv_heads", kKvHeads}, {"head_dim", kHeadDim}},
           {{"scale", 1 / std::sqrt(double(kHeadDim))}});
  BufferRef h3 = binary("add", linear(att, {kHidden, kHeads * kHeadDim}, w.o_proj), h2, kHidden);
  BufferRef h4 = mlp(h3, w.norm[3]);
  // Logits for every token row; the device picks the logit rows.
  b.launch("linear", {norm(h4, w.norm[4]), b.weight({kVocab, kHidden}, w.embed)}, {kLogits});

  // Pack activations into regions: each takes the first region whose last
  // value died before the launch that first touches this one.
  const Plan &p = b.plan;
  std::vector<int64_t> first(p.activations.size(), -1), last(p.activations.size(), -1);
  for (size_t li = 0; li < p.launches.size(); ++li) {
    for (const auto *refs : {&p.launches[li].operands, &p.launches[li].results}) {
      for (BufferRef r : *refs) {
        if (r.kind != BufferRef::kActivation) continue;
        if (first[r.index] < 0) first[r.index] = li;
        last[r.index] = li;
      }
    }
  }
  std::vector<int64_t> region_free_at;
  for (size_t a = 0; a < p.activations.size(); ++a) {
    size_t r = 0;
    while (r < region_free_at.size() && region_free_at[r] >= first[a]) ++r;
    if (r == region_free_at.size()) region_free_at.push_back(0);
    region_free_at[r] = last[a];
    b.plan.activations[a].region = static_cast<int32_t>(r);
  }
  return b;
}

absl::StatusOr<std::unique_ptr<Session>> makeSession(const PlanBuilder &b,
                                                     SessionOptions options = {4, 32}) {
  auto created = createDevice({DeviceKind::kCpu, 2});
  if (!created.ok()) return created.status();
  return Session::create(std::move(created->device), b.plan, b.weights, options);
}

const std::vector<int32_t> kPromptA = {1, 5, 9, 2, 7, 3, 10, 4, 0};
const std::vector<int32_t> kPromptB = {6, 6, 2, 8, 1};

// Feeds `prompt` to request 1 in chunks of `chunk` tokens and returns the
// logits of every position, [len][vocab].
std::vector<float> prefillLogits(Session &s, const std::vector<int32_t> &prompt, size_t chunk) {
  EXPECT_TRUE(s.claim(1).ok());
  std::vector<float> all;
  for (size_t pos = 0; pos < prompt.size(); pos += chunk) {
    size_t n = std::min(chunk, prompt.size() - pos);
    SequenceStep seq{1, std::span<const int32_t>(prompt).subspan(pos, n)};
    auto out = s.step({&seq, 1}, {.all_logits = true});
    EXPECT_TRUE(out.ok()) << out.status();
    if (!out.ok()) return {};
    EXPECT_EQ(out->rows(), static_cast<int64_t>(n));
    all.insert(all.end(), out->logits.begin(), out->logits.end());
  }
  EXPECT_TRUE(s.release(1).ok());
  return all;
}

void expectClose(const std::vector<float> &a, const std::vector<float> &b, double tol) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], tol) << "at " << i;
}

TEST(Session, PrefillWholeChunkedAndTokenByTokenAgree) {
  for (DType dt : {DType::kF32, DType::kBF16}) {
    SCOPED_TRACE(dtypeSize(dt) == 4 ? "f32" : "bf16");
    TinyWeights w;
    auto s = makeSession(tinyFusedPlan(w, dt));
    ASSERT_TRUE(s.ok()) << s.status();
    std::vector<float> whole = prefillLogits(**s, kPromptA, kPromptA.size());
    ASSERT_EQ(whole.size(), kPromptA.size() * kVocab);
    // Logits are not all alike (the test would be vacuous otherwise).
    EXPECT_GT(std::abs(whole[0] - whole[kVocab * 5]), 1e-3);
    // The whole-prompt chunk computes exactly what shorter chunks compute.
    expectClose(prefillLogits(**s, kPromptA, 1), whole, 1e-5);
    expectClose(prefillLogits(**s, kPromptA, 4), whole, 1e-5);
  }
}

TEST(Session, BatchedSequencesMatchEachAlone) {
  TinyWeights w;
  auto s = makeSession(tinyFusedPlan(w));
  ASSERT_TRUE(s.ok()) << s.status();
  std::vector<float> alone_a = prefillLogits(**s, kPromptA, kPromptA.size());
  std::vector<float> alone_b = prefillLogits(**s, kPromptB, kPromptB.size());

  // Both prompts in one step (b in a higher request id but claimed first, so
  // the slots differ from the solo runs), then a mixed step of a 1-token
  // decode for a and nothing for b, then both again.
  Session &session = **s;
  ASSERT_TRUE(session.claim(20).ok());
  ASSERT_TRUE(session.claim(10).ok());
  std::span<const int32_t> a(kPromptA), b(kPromptB);
  SequenceStep first[] = {{10, a.subspan(0, 6)}, {20, b.subspan(0, 2)}};
  auto out1 = session.step(first, {.all_logits = true});
  ASSERT_TRUE(out1.ok()) << out1.status();
  ASSERT_EQ(out1->row_offsets, (std::vector<int64_t>{0, 6, 8}));
  SequenceStep second[] = {{10, a.subspan(6, 1)}};
  auto out2 = session.step(second, {.all_logits = true});
  ASSERT_TRUE(out2.ok()) << out2.status();
  SequenceStep third[] = {{20, b.subspan(2, 3)}, {10, a.subspan(7, 2)}};
  auto out3 = session.step(third, {.all_logits = true});
  ASSERT_TRUE(out3.ok()) << out3.status();

  auto row = [&](const std::vector<float> &m, int64_t r) {
    return std::vector<float>(m.begin() + r * kVocab, m.begin() + (r + 1) * kVocab);
  };
  auto srow = [&](const StepResult &o, int64_t r) {
    return std::vector<float>(o.row(r).begin(), o.row(r).end());
  };
  for (int t = 0; t < 6; ++t) expectClose(srow(*out1, t), row(alone_a, t), 1e-5);
  for (int t = 0; t < 2; ++t) expectClose(srow(*out1, 6 + t), row(alone_b, t), 1e-5);
  expectClose(srow(*out2, 0), row(alone_a, 6), 1e-5);
  for (int t = 0; t < 3; ++t) expectClose(srow(*out3, t), row(alone_b, 2 + t), 1e-5);
  for (int t = 0; t < 2; ++t) expectClose(srow(*out3, 3 + t), row(alone_a, 7 + t), 1e-5);
  EXPECT_EQ(*session.length(10), 9);
  EXPECT_EQ(*session.length(20), 5);
}

TEST(Session, DefaultReturnsTheLastRowOfEachSequence) {
  TinyWeights w;
  auto s = makeSession(tinyFusedPlan(w));
  ASSERT_TRUE(s.ok()) << s.status();
  std::vector<float> alone_a = prefillLogits(**s, kPromptA, kPromptA.size());
  std::vector<float> alone_b = prefillLogits(**s, kPromptB, kPromptB.size());
  ASSERT_TRUE((*s)->claim(1).ok());
  ASSERT_TRUE((*s)->claim(2).ok());
  SequenceStep batch[] = {{1, kPromptA}, {2, kPromptB}};
  auto out = (*s)->step(batch);
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->rows(), 2);
  std::vector<float> last_a(out->lastRow(0).begin(), out->lastRow(0).end());
  std::vector<float> last_b(out->lastRow(1).begin(), out->lastRow(1).end());
  expectClose(last_a, {alone_a.end() - kVocab, alone_a.end()}, 1e-5);
  expectClose(last_b, {alone_b.end() - kVocab, alone_b.end()}, 1e-5);
}

TEST(Session, FusedAndUnfusedPlansAgree) {
  TinyWeights w;
  PlanBuilder packed = untinyFusedPlan(w);
  int32_t regions = 0;
  for (const ActivationSpec &a : packed.plan.activations) regions = std::max(regions, a.region + 1);
  EXPECT_LT(regions, static_cast<int32_t>(packed.plan.activations.size()) / 2);
  auto fused = makeSession(tinyFusedPlan(w));
  auto unfused = makeSession(packed);
  ASSERT_TRUE(fused.ok()) << fused.status();
  ASSERT_TRUE(unfused.ok()) << unfused.status();
  for (size_t chunk : {kPromptA.size(), size_t{1}, size_t{4}}) {
    expectClose(prefillLogits(**unfused, kPromptA, chunk),
                prefillLogits(**fused, kPromptA, kPromptA.size()), 1e-4);
  }
}

TEST(Session, BadStepsAreErrorsAndChangeNothing) {
  TinyWeights w;
  auto s = makeSession(tinyFusedPlan(w), {2, 12});
  ASSERT_TRUE(s.ok()) << s.status();
  Session &session = **s;
  ASSERT_TRUE(session.claim(1).ok());
  ASSERT_TRUE(session.claim(2).ok());
  EXPECT_FALSE(session.claim(3).ok());  // the pool has 2 slots
  SequenceStep a{1, std::span<const int32_t>(kPromptA).subspan(0, 8)};
  ASSERT_TRUE(session.step({&a, 1}).ok());

  const std::vector<int32_t> bad_token = {3, 11}, empty, long_prompt(17, 1), four(4, 2);
  auto message = [&](std::vector<SequenceStep> batch) {
    auto out = session.step(batch);
    EXPECT_FALSE(out.ok());
    return std::string(out.status().message());
  };
  EXPECT_NE(message({{2, bad_token}}).find("request 2, token 1 is 11"), std::string::npos);
  EXPECT_NE(message({{2, empty}}).find("request 2 has no tokens"), std::string::npos);
  EXPECT_NE(message({{2, long_prompt}}).find("at most 16"), std::string::npos);
  EXPECT_NE(message({{5, four}}).find("request 5"), std::string::npos);
  EXPECT_NE(message({{2, four}, {2, four}}).find("twice"), std::string::npos);
  // Request 2 fits but request 1 (8 of 12 tokens) does not: neither runs.
  std::string capacity = message({{2, four}, {1, {kPromptA.data(), 5}}});
  EXPECT_NE(capacity.find("request 1"), std::string::npos) << capacity;
  EXPECT_NE(capacity.find("capacity of 12"), std::string::npos) << capacity;
  EXPECT_FALSE(session.step({}).ok());
  EXPECT_EQ(*session.length(1), 8);
  EXPECT_EQ(*session.length(2), 0);

  // The failed steps left the state as it was: continuing gives the logits
  // of an uninterrupted run.
  SequenceStep rest{1, std::span<const int32_t>(kPromptA).subspan(8, 1)};
  auto out = session.step({&rest, 1});
  ASSERT_TRUE(out.ok()) << out.status();
  std::vector<float> got(out->lastRow(0).begin(), out->lastRow(0).end());
  ASSERT_TRUE(session.release(1).ok());
  std::vector<float> whole = prefillLogits(session, kPromptA, kPromptA.size());
  expectClose(got, {whole.end() - kVocab, whole.end()}, 1e-5);
}

TEST(Session, OptionsAndDefaults) {
  TinyWeights w;
  PlanBuilder b = tinyFusedPlan(w);
  b.plan.default_slots = 3;
  b.plan.default_max_seq_len = 20;
  auto s = makeSession(b, {});
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ((*s)->pool().shape().slots, 3);
  EXPECT_EQ((*s)->pool().shape().max_seq_len, 20);
  EXPECT_FALSE(Session::create(nullptr, b.plan, b.weights, {}).ok());
}

}  // namespace
}  // namespace lfm::testing
