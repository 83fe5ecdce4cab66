// Each CPU reference kernel against expectations computed here with naive
// loops in double precision, on tiny sizes: several sequences with different
// start positions, GQA, conv history carried across steps in the state,
// rope positions, bf16 storage rounding, and the checks on bad plans.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "../ScopedEnv.h"
#include "RuntimeTestUtil.h"

namespace lfm::testing {
namespace {

constexpr double kTol = 2e-5;

void expectNear(const std::vector<float> &got, const std::vector<double> &want,
                double tol = kTol) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_NEAR(got[i], want[i], tol * std::max(1.0, std::abs(want[i]))) << "at " << i;
  }
}

std::vector<double> naiveRmsNorm(const std::vector<float> &x, int64_t width, int64_t group,
                                 const std::vector<float> &w, double eps) {
  std::vector<double> y(x.size());
  for (size_t g = 0; g < x.size(); g += group) {
    double ss = 0;
    for (int64_t i = 0; i < group; ++i) ss += double(x[g + i]) * x[g + i];
    double inv = 1.0 / std::sqrt(ss / group + eps);
    for (int64_t i = 0; i < group; ++i) y[g + i] = x[g + i] * inv * w[i];
  }
  (void)width;
  return y;
}

// NeoX rope of one head in place.
void naiveRope(double *head, int64_t d, int64_t pos, double theta) {
  for (int64_t j = 0; j < d / 2; ++j) {
    double a = pos * std::pow(theta, -2.0 * j / d);
    double x0 = head[j], x1 = head[j + d / 2];
    head[j] = x0 * std::cos(a) - x1 * std::sin(a);
    head[j + d / 2] = x1 * std::cos(a) + x0 * std::sin(a);
  }
}

TEST(CpuKernels, EmbeddingCopiesTableRowsAndConvertsDtype) {
  PlanBuilder b(/*vocab=*/5);
  std::vector<float> table = randomValues(5 * 3, 1);
  BufferRef w = b.weight({5, 3}, table, DType::kBF16);
  BufferRef y = b.activation(3, DType::kF32);
  b.launch("embedding", {inputRef(InputId::kTokens), w}, {y});
  auto rig = Rig::create(b);
  ASSERT_TRUE(rig.ok()) << rig.status();
  TestStep step;
  step.seq({3, 0}, 0, 0).seq({4}, 1, 5);
  ASSERT_TRUE(rig->run(step).ok());
  std::vector<double> want;
  for (int tok : {3, 0, 4}) {
    for (int c = 0; c < 3; ++c) want.push_back(roundTo(table[tok * 3 + c], DType::kBF16));
  }
  expectNear(rig->read(y, 3), want, 0);
}

TEST(CpuKernels, RmsNormWholeRowAndPerHeadGroups) {
  for (int64_t group : {8, 4}) {
    PlanBuilder b;
    std::vector<float> w = randomValues(group, 2);
    BufferRef x = b.activation(8);
    BufferRef wr = b.weight({group}, w);
    BufferRef y = b.activation(8);
    b.launch("rms_norm", {x, wr}, {y}, group == 8 ? std::map<std::string, int64_t>{}
                                                  : std::map<std::string, int64_t>{{"group", group}},
             {{"eps", 1e-5}});
    auto rig = Rig::create(b);
    ASSERT_TRUE(rig.ok()) << rig.status();
    std::vector<float> xv = randomValues(3 * 8, 3);
    ASSERT_TRUE(rig->write(x, 3, xv).ok());
    ASSERT_TRUE(rig->run(TestStep().seqN(3, 0, 0)).ok());
    expectNear(rig->read(y, 3), naiveRmsNorm(xv, 8, group, w, 1e-5));
  }
}

TEST(CpuKernels, AddRmsNormReturnsNormAndSum) {
  PlanBuilder b;
  std::vector<float> w = randomValues(6, 4);
  BufferRef x = b.activation(6), r = b.activation(6);
  BufferRef wr = b.weight({6}, w);
  BufferRef normed = b.activation(6), sum = b.activation(6);
  b.launch("add_rms_norm", {x, r, wr}, {normed, sum}, {}, {{"eps", 1e-6}});
  auto rig = Rig::create(b);
  ASSERT_TRUE(rig.ok()) << rig.status();
  std::vector<float> xv = randomValues(12, 5), rv = randomValues(12, 6), sv(12);
  for (int i = 0; i < 12; ++i) sv[i] = xv[i] + rv[i];
  ASSERT_TRUE(rig->write(x, 2, xv).ok());
  ASSERT_TRUE(rig->write(r, 2, rv).ok());
  ASSERT_TRUE(rig->run(TestStep().seqN(1, 0, 0).seqN(1, 1, 0)).ok());
  expectNear(rig->read(sum, 2), std::vector<double>(sv.begin(), sv.end()));
  expectNear(rig->read(normed, 2), naiveRmsNorm(sv, 6, 6, w, 1e-6));
}

TEST(CpuKernels, AddMulSiluSlice) {
  PlanBuilder b;
  BufferRef a = b.activation(4), c = b.activation(4);
  BufferRef sum = b.activation(4), prod = b.activation(4), act = b.activation(4);
  BufferRef part = b.activation(2);
  b.launch("add", {a, c}, {sum});
  b.launch("mul", {a, c}, {prod});
  b.launch("silu", {a}, {act});
  b.launch("slice", {a}, {part}, {{"offset", 1}});
  auto rig = Rig::create(b);
  ASSERT_TRUE(rig.ok()) << rig.status();
  std::vector<float> av = randomValues(8, 7), cv = randomValues(8, 8);
  ASSERT_TRUE(rig->write(a, 2, av).ok());
  ASSERT_TRUE(rig->write(c, 2, cv).ok());
  ASSERT_TRUE(rig->run(TestStep().seqN(2, 0, 0)).ok());
  std::vector<double> ws, wp, wa, wsl;
  for (int i = 0; i < 8; ++i) {
    ws.push_back(av[i] + cv[i]);
    wp.push_back(double(av[i]) * cv[i]);
    wa.push_back(av[i] / (1 + std::exp(-double(av[i]))));
    if (i % 4 == 1 || i % 4 == 2) wsl.push_back(av[i]);
  }
  expectNear(rig->read(sum, 2), ws);
  expectNear(rig->read(prod, 2), wp);
  expectNear(rig->read(act, 2), wa);
  expectNear(rig->read(part, 2), wsl, 0);
}

TEST(CpuKernels, Bf16StorageRoundsOnStore) {
  PlanBuilder b;
  BufferRef a = b.activation(3), c = b.activation(3);
  BufferRef sum = b.activation(3, DType::kBF16);
  BufferRef half = b.activation(3, DType::kF16);
  b.launch("add", {a, c}, {sum});
  b.launch("add", {a, c}, {half});
  auto rig = Rig::create(b);
  ASSERT_TRUE(rig.ok()) << rig.status();
  // 1 + 2^-9 is not a bf16 (8 significant bits): it rounds to 1. 1 + 3*2^-9
  // lies between 1 + 2^-8 and 1 + 2^-7 and rounds to 1 + 2^-7 (nearest even).
  std::vector<float> av = {1.0f, 1.0f, 3.0f};
  std::vector<float> cv = {0x1p-9f, 3 * 0x1p-9f, 0x1p-12f};
  ASSERT_TRUE(rig->write(a, 1, av).ok());
  ASSERT_TRUE(rig->write(c, 1, cv).ok());
  ASSERT_TRUE(rig->run(TestStep().seqN(1, 0, 0)).ok());
  expectNear(rig->read(sum, 1), {1.0, 1.0 + 0x1p-7, 3.0}, 0);
  // f16 has 11 significant bits: 1 + 2^-9 and 1 + 3*2^-9 are exact.
  expectNear(rig->read(half, 1), {1.0 + 0x1p-9, 1.0 + 3 * 0x1p-9, 3.0}, 0);
}

TEST(CpuKernels, GatherRowsPicksLogitRows) {
  PlanBuilder b;
  BufferRef x = b.activation(3);
  BufferRef y = b.activation(3, DType::kF32, RowSpace::kLogitRows);
  b.launch("gather_rows", {x, inputRef(InputId::kLogitRows)}, {y});
  auto rig = Rig::create(b);
  ASSERT_TRUE(rig.ok()) << rig.status();
  std::vector<float> xv = randomValues(4 * 3, 9);
  ASSERT_TRUE(rig->write(x, 4, xv).ok());
  TestStep step;
  step.seqN(3, 0, 0).seqN(1, 1, 2);
  step.logit_rows = {2, 3};
  ASSERT_TRUE(rig->run(step).ok());
  std::vector<double> want(xv.begin() + 6, xv.end());
  expectNear(rig->read(y, 2), want, 0);
}

// Linear in every form, against y[r][n] = sum_k x[r][k] W[n][k].
struct LinearCase {
  bool norm;
  int64_t epilogue;
};

TEST(CpuKernels, LinearPrologueAndEpilogues) {
  const int64_t rows = 3, k = 5, n = 6;
  for (LinearCase lc : {LinearCase{false, 0}, LinearCase{true, 0}, LinearCase{false, 1},
                        LinearCase{true, 2}}) {
    SCOPED_TRACE("norm " + std::to_string(lc.norm) + " epilogue " + std::to_string(lc.epilogue));
    PlanBuilder b;
    std::vector<float> wv = randomValues(n * k, 10), nw = randomValues(k, 11);
    int64_t out = lc.epilogue == 2 ? n / 2 : n;
    BufferRef x = b.activation(k);
    BufferRef w = b.weight({n, k}, wv);
    std::vector<BufferRef> operands = {x, w};
    if (lc.norm) operands.push_back(b.weight({k}, nw));
    BufferRef res = b.activation(out);
    if (lc.epilogue == 1) operands.push_back(res);
    BufferRef y = b.activation(out);
    b.launch("linear", operands, {y}, {{"prologue_norm", lc.norm}, {"epilogue", lc.epilogue}},
             {{"eps", 1e-5}});
    auto rig = Rig::create(b);
    ASSERT_TRUE(rig.ok()) << rig.status();
    std::vector<float> xv = randomValues(rows * k, 12), rv = randomValues(rows * out, 13);
    ASSERT_TRUE(rig->write(x, rows, xv).ok());
    ASSERT_TRUE(rig->write(res, rows, rv).ok());
    ASSERT_TRUE(rig->run(TestStep().seqN(2, 0, 0).seqN(1, 1, 0)).ok());

    std::vector<double> want;
    for (int64_t r = 0; r < rows; ++r) {
      std::vector<float> xr(xv.begin() + r * k, xv.begin() + (r + 1) * k);
      std::vector<double> xn(xr.begin(), xr.end());
      if (lc.norm) xn = naiveRmsNorm(xr, k, k, nw, 1e-5);
      std::vector<double> full(n);
      for (int64_t c = 0; c < n; ++c) {
        for (int64_t i = 0; i < k; ++i) full[c] += xn[i] * wv[c * k + i];
      }
      for (int64_t c = 0; c < out; ++c) {
        double v = full[c];
        if (lc.epilogue == 1) v += rv[r * out + c];
        if (lc.epilogue == 2) v = full[c] / (1 + std::exp(-full[c])) * full[c + out];
        want.push_back(v);
      }
    }
    expectNear(rig->read(y, rows), want);
  }
}

TEST(CpuKernels, LinearToLogitsFromGatheredOrTokenRows) {
  // The reference kernels: with bf16 weights the optimized ones may round x
  // to bf16 (the AVX512_BF16 path), which cpu_fast_kernels_test bounds.
  ScopedEnv reference("LFM_CPU_KERNELS", "reference");
  const int64_t k = 4, vocab = 7;
  std::vector<float> wv = randomValues(vocab * k, 14), xv = randomValues(3 * k, 15);
  for (bool gather : {true, false}) {
    SCOPED_TRACE(gather ? "gathered rows" : "token rows");
    PlanBuilder b(vocab);
    BufferRef x = b.activation(k);
    BufferRef w = b.weight({vocab, k}, wv, DType::kBF16);
    BufferRef in = x;
    if (gather) {
      in = b.activation(k, DType::kF32, RowSpace::kLogitRows);
      b.launch("gather_rows", {x, inputRef(InputId::kLogitRows)}, {in});
    }
    b.launch("linear", {in, w}, {kLogits});
    auto rig = Rig::create(b);
    ASSERT_TRUE(rig.ok()) << rig.status();
    ASSERT_TRUE(rig->write(x, 3, xv).ok());
    TestStep step;
    step.seqN(2, 0, 0).seqN(1, 1, 4);
    step.logit_rows = {1, 2};
    std::vector<float> logits(2 * vocab);
    ASSERT_TRUE(rig->run(step, logits).ok());
    std::vector<double> want;
    for (int r : {1, 2}) {
      for (int64_t v = 0; v < vocab; ++v) {
        double s = 0;
        for (int64_t i = 0; i < k; ++i) s += double(xv[r * k + i]) * roundTo(wv[v * k + i], DType::kBF16);
        want.push_back(s);
      }
    }
    expectNear(logits, want);
  }
}

// y[p][c] = sum_j w[c][j] * u[p - (L-1) + j][c] over a whole sequence, with
// u = 0 before position 0.
std::vector<double> naiveConv(const std::vector<double> &u, int64_t len, int64_t h,
                              const std::vector<float> &w, int64_t kernel) {
  std::vector<double> y(len * h);
  for (int64_t p = 0; p < len; ++p) {
    for (int64_t c = 0; c < h; ++c) {
      for (int64_t j = 0; j < kernel; ++j) {
        int64_t q = p - (kernel - 1) + j;
        if (q >= 0) y[p * h + c] += w[c * kernel + j] * u[q * h + c];
      }
    }
  }
  return y;
}

// Two sequences fed in uneven chunks over three steps (different start
// positions in one step, chunks shorter than the kernel), against the conv of
// each whole sequence; the state holds the last L-1 inputs afterwards.
TEST(CpuKernels, ShortConvCarriesHistoryAcrossSteps) {
  for (bool gated : {false, true}) {
    SCOPED_TRACE(gated ? "gated_short_conv" : "short_conv");
    const int64_t h = 5, kernel = 4;
    const int64_t in_w = gated ? 3 * h : h;
    PlanBuilder b;
    std::vector<float> wv = randomValues(h * kernel, 20);
    BufferRef x = b.activation(in_w);
    BufferRef w = b.weight({h, kernel}, wv);
    BufferRef state = b.convState(h, kernel);
    BufferRef y = b.activation(h);
    b.launch(gated ? "gated_short_conv" : "short_conv",
             {x, w, state, kRowOffsets, kSlots, kStartPos}, {y});
    auto rig = Rig::create(b, {3, 32});
    ASSERT_TRUE(rig.ok()) << rig.status();
    // Garbage in the state of fresh slots must not be read.
    ASSERT_TRUE(rig->write(state, 0, randomValues(3 * (kernel - 1) * h, 99)).ok());

    const int64_t len_a = 7, len_b = 5;
    std::vector<float> xa = randomValues(len_a * in_w, 21), xb = randomValues(len_b * in_w, 22);
    // (rows of a, rows of b) per step; a uses slot 2, b slot 0.
    const int chunks[3][2] = {{3, 1}, {1, 4}, {3, 0}};
    int64_t pa = 0, pb = 0;
    std::vector<float> ya, yb;
    for (const auto &chunk : chunks) {
      TestStep step;
      std::vector<float> xs;
      if (chunk[0]) {
        step.seqN(chunk[0], 2, static_cast<int32_t>(pa));
        xs.insert(xs.end(), xa.begin() + pa * in_w, xa.begin() + (pa + chunk[0]) * in_w);
      }
      if (chunk[1]) {
        step.seqN(chunk[1], 0, static_cast<int32_t>(pb));
        xs.insert(xs.end(), xb.begin() + pb * in_w, xb.begin() + (pb + chunk[1]) * in_w);
      }
      ASSERT_TRUE(rig->write(x, step.rows(), xs).ok());
      ASSERT_TRUE(rig->run(step).ok());
      std::vector<float> out = rig->read(y, step.rows());
      ya.insert(ya.end(), out.begin(), out.begin() + chunk[0] * h);
      yb.insert(yb.end(), out.begin() + chunk[0] * h, out.end());
      pa += chunk[0];
      pb += chunk[1];
    }

    auto expected = [&](const std::vector<float> &xv, int64_t len, std::vector<double> *u) {
      u->assign(len * h, 0);
      std::vector<double> gate(len * h);
      for (int64_t p = 0; p < len; ++p) {
        for (int64_t c = 0; c < h; ++c) {
          const float *row = &xv[p * in_w];
          (*u)[p * h + c] = gated ? double(row[c]) * row[2 * h + c] : row[c];
          gate[p * h + c] = gated ? row[h + c] : 1.0;
        }
      }
      std::vector<double> y = naiveConv(*u, len, h, wv, kernel);
      for (size_t i = 0; i < y.size(); ++i) y[i] *= gate[i];
      return y;
    };
    std::vector<double> ua, ub;
    expectNear(ya, expected(xa, len_a, &ua));
    expectNear(yb, expected(xb, len_b, &ub));

    // Slot 2 (a) and slot 0 (b) hold their last kernel-1 inputs, oldest first.
    std::vector<float> st = rig->read(state, 0);
    for (int64_t j = 0; j < kernel - 1; ++j) {
      for (int64_t c = 0; c < h; ++c) {
        EXPECT_NEAR(st[(2 * (kernel - 1) + j) * h + c], ua[(len_a - (kernel - 1) + j) * h + c], kTol);
        EXPECT_NEAR(st[(0 * (kernel - 1) + j) * h + c], ub[(len_b - (kernel - 1) + j) * h + c], kTol);
      }
    }
  }
}

TEST(CpuKernels, RopeRotatesEachHeadAtItsPosition) {
  const int64_t d = 6, heads = 2;
  PlanBuilder b;
  BufferRef x = b.activation(heads * d);
  BufferRef y = b.activation(heads * d);
  b.launch("rope", {x, kRowOffsets, kStartPos}, {y}, {{"head_dim", d}}, {{"theta", 10000.0}});
  auto rig = Rig::create(b, {2, 2048});
  ASSERT_TRUE(rig.ok()) << rig.status();
  std::vector<float> xv = randomValues(4 * heads * d, 30);
  ASSERT_TRUE(rig->write(x, 4, xv).ok());
  TestStep step;
  step.seqN(2, 0, 0).seqN(2, 1, 1000);  // positions 0, 1, 1000, 1001
  ASSERT_TRUE(rig->run(step).ok());
  std::vector<double> want(xv.begin(), xv.end());
  const int64_t pos[] = {0, 1, 1000, 1001};
  for (int t = 0; t < 4; ++t) {
    for (int hd = 0; hd < heads; ++hd) naiveRope(&want[(t * heads + hd) * d], d, pos[t], 10000.0);
  }
  expectNear(rig->read(y, 4), want, 1e-5);
}

// Naive causal GQA for one token of one sequence over its full k/v history.
std::vector<double> naiveAttention(const std::vector<float> &q_row,
                                   const std::vector<std::vector<float>> &k_rows,
                                   const std::vector<std::vector<float>> &v_rows, int64_t pos,
                                   int64_t heads, int64_t kv_heads, int64_t d, double scale) {
  std::vector<double> out(heads * d);
  for (int64_t hd = 0; hd < heads; ++hd) {
    int64_t g = hd / (heads / kv_heads);
    std::vector<double> s(pos + 1);
    double mx = -1e300;
    for (int64_t j = 0; j <= pos; ++j) {
      for (int64_t i = 0; i < d; ++i) s[j] += double(q_row[hd * d + i]) * k_rows[j][g * d + i];
      s[j] *= scale;
      mx = std::max(mx, s[j]);
    }
    double tot = 0;
    for (double &v : s) tot += (v = std::exp(v - mx));
    for (int64_t j = 0; j <= pos; ++j) {
      for (int64_t i = 0; i < d; ++i) out[hd * d + i] += s[j] / tot * v_rows[j][g * d + i];
    }
  }
  return out;
}

// kv_cache_write + attention over two steps for two sequences in different
// slots and positions, with 4 query heads sharing 2 kv heads.
TEST(CpuKernels, KvCacheWriteAndGqaAttention) {
  const int64_t heads = 4, kv_heads = 2, d = 3;
  const double scale = 1 / std::sqrt(3.0);
  PlanBuilder b;
  BufferRef q = b.activation(heads * d), k = b.activation(kv_heads * d),
            v = b.activation(kv_heads * d), y = b.activation(heads * d);
  auto [kc, vc] = b.kvCache(kv_heads, d);
  b.launch("kv_cache_write", {k, v, kc, vc, kRowOffsets, kSlots, kStartPos}, {});
  b.launch("attention", {q, kc, vc, kRowOffsets, kSlots, kStartPos}, {y},
           {{"heads", heads}, {"kv_heads", kv_heads}, {"head_dim", d}}, {{"scale", scale}});
  auto rig = Rig::create(b, {4, 16});
  ASSERT_TRUE(rig.ok()) << rig.status();

  // Sequence a (slot 3): 4 tokens then 1; sequence b (slot 1): 2 then 3.
  std::vector<std::vector<float>> ka, va, kb, vb;
  const int steps[2][2] = {{4, 2}, {1, 3}};
  uint32_t seed = 40;
  for (const auto &st : steps) {
    TestStep step;
    step.seqN(st[0], 3, static_cast<int32_t>(ka.size()))
        .seqN(st[1], 1, static_cast<int32_t>(kb.size()));
    const int64_t rows = step.rows();
    std::vector<float> qv = randomValues(rows * heads * d, seed++),
                       kv = randomValues(rows * kv_heads * d, seed++),
                       vv = randomValues(rows * kv_heads * d, seed++);
    ASSERT_TRUE(rig->write(q, rows, qv).ok());
    ASSERT_TRUE(rig->write(k, rows, kv).ok());
    ASSERT_TRUE(rig->write(v, rows, vv).ok());
    ASSERT_TRUE(rig->run(step).ok());
    std::vector<float> got = rig->read(y, rows);
    for (int64_t t = 0; t < rows; ++t) {
      bool in_a = t < st[0];
      auto &ks = in_a ? ka : kb;
      auto &vs = in_a ? va : vb;
      ks.emplace_back(kv.begin() + t * kv_heads * d, kv.begin() + (t + 1) * kv_heads * d);
      vs.emplace_back(vv.begin() + t * kv_heads * d, vv.begin() + (t + 1) * kv_heads * d);
      std::vector<float> q_row(qv.begin() + t * heads * d, qv.begin() + (t + 1) * heads * d);
      std::vector<double> want =
          naiveAttention(q_row, ks, vs, static_cast<int64_t>(ks.size()) - 1, heads, kv_heads, d, scale);
      std::vector<float> got_row(got.begin() + t * heads * d, got.begin() + (t + 1) * heads * d);
      expectNear(got_row, want);
    }
  }
  // The caches hold each sequence's rows at its positions in its slot.
  std::vector<float> keys = rig->read(kc, 0);
  for (size_t p = 0; p < ka.size(); ++p) {
    for (int64_t i = 0; i < kv_heads * d; ++i) {
      EXPECT_EQ(keys[(3 * 16 + p) * kv_heads * d + i], ka[p][i]);
    }
  }
}

TEST(CpuKernels, QkNormRopeCacheMatchesItsDefinition) {
  const int64_t heads = 2, kv_heads = 1, d = 4;
  const double theta = 500.0, eps = 1e-6;
  PlanBuilder b;
  std::vector<float> qn = randomValues(d, 50), kn = randomValues(d, 51);
  BufferRef qkv = b.activation((heads + 2 * kv_heads) * d);
  BufferRef qw = b.weight({d}, qn), kw = b.weight({d}, kn);
  auto [kc, vc] = b.kvCache(kv_heads, d);
  BufferRef q = b.activation(heads * d);
  b.launch("qk_norm_rope_cache", {qkv, qw, kw, kc, vc, kRowOffsets, kSlots, kStartPos}, {q},
           {{"heads", heads}, {"kv_heads", kv_heads}, {"head_dim", d}},
           {{"eps", eps}, {"theta", theta}});
  auto rig = Rig::create(b, {2, 8});
  ASSERT_TRUE(rig.ok()) << rig.status();
  const int64_t width = (heads + 2 * kv_heads) * d;
  std::vector<float> xv = randomValues(3 * width, 52);
  ASSERT_TRUE(rig->write(qkv, 3, xv).ok());
  TestStep step;
  step.seqN(1, 1, 5).seqN(2, 0, 0);  // positions 5 (slot 1), 0 and 1 (slot 0)
  ASSERT_TRUE(rig->run(step).ok());
  const int64_t pos[] = {5, 0, 1}, slot[] = {1, 0, 0};
  std::vector<double> want_q;
  std::vector<float> keys = rig->read(kc, 0), values = rig->read(vc, 0);
  for (int t = 0; t < 3; ++t) {
    std::vector<float> row(xv.begin() + t * width, xv.begin() + (t + 1) * width);
    std::vector<float> qpart(row.begin(), row.begin() + heads * d);
    std::vector<float> kpart(row.begin() + heads * d, row.begin() + (heads + kv_heads) * d);
    std::vector<double> qr = naiveRmsNorm(qpart, heads * d, d, qn, eps);
    std::vector<double> kr = naiveRmsNorm(kpart, kv_heads * d, d, kn, eps);
    for (int hd = 0; hd < heads; ++hd) naiveRope(&qr[hd * d], d, pos[t], theta);
    naiveRope(kr.data(), d, pos[t], theta);
    want_q.insert(want_q.end(), qr.begin(), qr.end());
    const int64_t cache_row = slot[t] * 8 + pos[t];
    for (int64_t i = 0; i < d; ++i) {
      EXPECT_NEAR(keys[cache_row * d + i], kr[i], kTol);
      EXPECT_EQ(values[cache_row * d + i], row[(heads + kv_heads) * d + i]);
    }
  }
  expectNear(rig->read(q, 3), want_q);
}

// A result never shares its region with an operand of its launch (a kernel
// reads its operands while it writes): such a plan is an error at load.
TEST(CpuKernels, ResultInTheRegionOfAnOperandIsAnError) {
  const int64_t k = 4;
  PlanBuilder b;
  BufferRef x = b.activation(k, DType::kF32, RowSpace::kTokens, /*region=*/0);
  BufferRef w = b.weight({k, k}, randomValues(k * k, 60));
  BufferRef y = b.activation(k, DType::kF32, RowSpace::kTokens, /*region=*/0);
  b.launch("linear", {x, w}, {y});
  auto rig = Rig::create(b);
  ASSERT_FALSE(rig.ok());
  EXPECT_NE(rig.status().message().find("result 0 shares region 0 with operand 0"),
            std::string::npos)
      << rig.status();
}

TEST(CpuKernels, BadPlansAreErrorsAtLoad) {
  {
    PlanBuilder b;
    BufferRef x = b.activation(4), y = b.activation(4);
    b.launch("silu", {x}, {y}).op = static_cast<OpKind>(kNumOpKinds);  // outside the schema
    auto rig = Rig::create(b);
    ASSERT_FALSE(rig.ok());
    EXPECT_NE(rig.status().message().find("is not in the op schema"), std::string::npos)
        << rig.status();
  }
  {
    PlanBuilder b;  // weight of the wrong width
    BufferRef x = b.activation(4), w = b.weight({3, 5}, randomValues(15, 1)), y = b.activation(3);
    b.launch("linear", {x, w}, {y});
    auto rig = Rig::create(b);
    ASSERT_FALSE(rig.ok());
    EXPECT_NE(rig.status().message().find("plan.launches[0] (linear)"), std::string::npos) << rig.status();
  }
  {
    PlanBuilder b;  // missing attribute
    BufferRef x = b.activation(4), w = b.weight({4}, randomValues(4, 1)), y = b.activation(4);
    b.launch("rms_norm", {x, w}, {y});
    auto rig = Rig::create(b);
    ASSERT_FALSE(rig.ok());
    EXPECT_NE(rig.status().message().find("eps"), std::string::npos) << rig.status();
  }
  {
    PlanBuilder b;  // a buffer index out of range
    BufferRef x = b.activation(4);
    b.launch("silu", {x}, {BufferRef{BufferRef::kActivation, 7}});
    EXPECT_FALSE(Rig::create(b).ok());
  }
  {
    PlanBuilder b;  // two live activations in one region
    BufferRef x = b.activation(4, DType::kF32, RowSpace::kTokens, 0);
    BufferRef u = b.activation(4, DType::kF32, RowSpace::kTokens, 1);
    BufferRef y = b.activation(4, DType::kF32, RowSpace::kTokens, 0);
    BufferRef z = b.activation(4, DType::kF32, RowSpace::kTokens, 2);
    b.launch("silu", {u}, {y});
    b.launch("add", {x, y}, {z});
    auto rig = Rig::create(b);
    ASSERT_FALSE(rig.ok());
    EXPECT_NE(rig.status().message().find("share region"), std::string::npos) << rig.status();
  }
  {
    PlanBuilder b;  // weights that do not match their specs
    BufferRef x = b.activation(4), w = b.weight({4}, randomValues(4, 1)), y = b.activation(4);
    b.launch("rms_norm", {x, w}, {y}, {}, {{"eps", 1e-5}});
    b.weights.buffers[0].pop_back();
    EXPECT_FALSE(Rig::create(b).ok());
  }
}

TEST(CpuKernels, BadStepInputsAreErrorsBeforeAnyKernel) {
  PlanBuilder b(/*vocab=*/10, /*max_tokens=*/4);
  BufferRef w = b.weight({10, 2}, randomValues(20, 1));
  BufferRef y = b.activation(2);
  b.launch("embedding", {inputRef(InputId::kTokens), w}, {y});
  auto rig = Rig::create(b, {2, 8});
  ASSERT_TRUE(rig.ok()) << rig.status();
  EXPECT_FALSE(rig->run(TestStep().seq({10}, 0, 0)).ok());            // token out of range
  EXPECT_FALSE(rig->run(TestStep().seq({-1}, 0, 0)).ok());            // negative token
  EXPECT_FALSE(rig->run(TestStep().seqN(5, 0, 0)).ok());               // > max tokens per step
  EXPECT_FALSE(rig->run(TestStep().seqN(1, 2, 0)).ok());               // slot out of range
  EXPECT_FALSE(rig->run(TestStep().seqN(1, 1, 0).seqN(1, 1, 3)).ok());  // slot twice
  EXPECT_FALSE(rig->run(TestStep().seqN(2, 0, 7)).ok());               // past capacity
  EXPECT_FALSE(rig->run(TestStep()).ok());                            // no tokens
  TestStep bad_rows;
  bad_rows.seqN(2, 0, 0).logit_rows = {2};
  EXPECT_FALSE(rig->run(bad_rows).ok());                              // logit row >= T
  absl::Status s = rig->run(TestStep().seqN(2, 1, 7));
  EXPECT_NE(s.message().find("capacity"), std::string::npos) << s;
  EXPECT_TRUE(rig->run(TestStep().seqN(1, 0, 7)).ok());
}

TEST(CpuKernels, StateFromAnotherDeviceIsRefused) {
  PlanBuilder b;
  BufferRef x = b.activation(2), y = b.activation(2);
  b.launch("silu", {x}, {y});
  auto one = Rig::create(b);
  auto two = Rig::create(b);
  ASSERT_TRUE(one.ok() && two.ok());
  TestStep step;
  step.seqN(1, 0, 0);
  EXPECT_FALSE(one->device->execute(step.inputs(), *two->state, {}).ok());
}

}  // namespace
}  // namespace lfm::testing
