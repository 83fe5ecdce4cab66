// The optimized cpu kernels (the default) against the reference kernels
// (LFM_CPU_KERNELS=reference), the oracle, on odd shapes: rows 1-70, widths
// that are not multiples of any vector width, f32/bf16/f16 weights and
// activations, every prologue and epilogue, on every ISA path this CPU runs
// (LFM_CPU_ISA lowers the one the device picks). And batch invariance: a
// row's result is bit-identical alone and in steps of other sizes.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "../ScopedEnv.h"
#include "RuntimeTestUtil.h"
#include "TinyModel.h"

namespace lfm::testing {
namespace {

// "amx+panels": amx with LFM_CPU_BF16=panels (bf16 weights in f32-widened
// panels instead of AMX tiles).
const char *const kIsas[] = {"portable", "avx2", "avx512", "avx512bf16", "amx", "amx+panels"};
const DType kDTypes[] = {DType::kF32, DType::kBF16, DType::kF16};

std::string typeName(DType d) {
  return d == DType::kF32 ? "f32" : d == DType::kBF16 ? "bf16" : "f16";
}

// A rig on the reference kernels (isa null) or the optimized ones on `isa`.
absl::StatusOr<Rig> makeRig(const PlanBuilder &b, const char *isa, StateShape shape = {4, 96}) {
  const bool panels = isa != nullptr && std::string(isa) == "amx+panels";
  ScopedEnv kernels("LFM_CPU_KERNELS", isa == nullptr ? "reference" : nullptr);
  ScopedEnv isa_env("LFM_CPU_ISA", panels ? "amx" : isa);
  ScopedEnv bf16_env("LFM_CPU_BF16", panels ? "panels" : nullptr);
  return Rig::create(b, shape, /*threads=*/3);
}

struct LinearShape {
  int64_t k, n;
};

TEST(CpuFastKernels, LinearMatchesReferenceAndIsBatchInvariant) {
  const int64_t kMaxRows = 70;
  const int64_t row_counts[] = {1, 2, 3, 4, 5, 7, 13, 33, 70};
  for (const char *isa : kIsas) {
    for (DType wdt : kDTypes) {
      for (DType xdt : kDTypes) {
        for (LinearShape s : {LinearShape{1, 3}, LinearShape{7, 5}, LinearShape{17, 19},
                              LinearShape{33, 8}, LinearShape{100, 67}, LinearShape{160, 34},
                              // Column blocks of 20 and 33 (3 threads): pairs of
                              // 16-row weight groups on the AMX path.
                              LinearShape{45, 480}, LinearShape{300, 800}}) {
          for (int combo = 0; combo < 4; ++combo) {
            const int64_t norm = combo == 1 || combo == 3, epilogue = combo == 3 ? 2 : combo == 2;
            if (epilogue == 2 && s.n % 2 != 0) continue;
            SCOPED_TRACE(std::string(isa) + " w " + typeName(wdt) + " x " + typeName(xdt) +
                         " k " + std::to_string(s.k) + " n " + std::to_string(s.n) + " norm " +
                         std::to_string(norm) + " epilogue " + std::to_string(epilogue));
            const int64_t out = epilogue == 2 ? s.n / 2 : s.n;
            PlanBuilder b(16, kMaxRows);
            BufferRef x = b.activation(s.k, xdt);
            std::vector<BufferRef> operands = {x, b.weight({s.n, s.k}, randomValues(s.n * s.k, 3), wdt)};
            if (norm) operands.push_back(b.weight({s.k}, randomValues(s.k, 4)));
            BufferRef res = b.activation(out, xdt);
            if (epilogue == 1) operands.push_back(res);
            BufferRef y = b.activation(out, xdt);
            b.launch("linear", operands, {y}, {{"prologue_norm", norm}, {"epilogue", epilogue}},
                     {{"eps", 1e-5}});
            auto ref = makeRig(b, nullptr);
            auto fast = makeRig(b, isa);
            ASSERT_TRUE(ref.ok()) << ref.status();
            ASSERT_TRUE(fast.ok()) << fast.status();
            const std::vector<float> xv = randomValues(kMaxRows * s.k, 5),
                                     rv = randomValues(kMaxRows * out, 6);
            for (Rig *rig : {&*ref, &*fast}) {
              ASSERT_TRUE(rig->write(x, kMaxRows, xv).ok());
              ASSERT_TRUE(rig->write(res, kMaxRows, rv).ok());
            }
            ASSERT_TRUE(ref->run(TestStep().seqN(kMaxRows, 0, 0)).ok());
            const std::vector<float> want = ref->read(y, kMaxRows);
            // Rounding x to bf16 (the AVX512_BF16 and AMX paths) and 16-bit
            // outputs bound the difference; Σ|x_i w_i| <= k for these inputs.
            // (amx+panels: the shapes that do not fit panels stay on AMX.)
            const bool bf16_dot = wdt == DType::kBF16 && (std::string(isa) == "avx512bf16" ||
                                                          std::string(isa).starts_with("amx"));
            double tol = (bf16_dot ? 8e-3 : 2e-5) * (1.0 + s.k);
            if (epilogue == 2) tol *= 2.0 + std::sqrt(double(s.k));
            const double out_rel = xdt == DType::kF32 ? 0 : xdt == DType::kBF16 ? 1e-2 : 2e-3;
            std::vector<float> all_rows;
            for (int64_t rows : row_counts) {
              ASSERT_TRUE(fast->write(res, kMaxRows, rv).ok());  // the residual add is in place
              ASSERT_TRUE(fast->run(TestStep().seqN(static_cast<int>(rows), 0, 0)).ok());
              std::vector<float> got = fast->read(y, rows);
              if (rows == kMaxRows) all_rows = got;
              for (int64_t i = 0; i < rows * out; ++i) {
                ASSERT_NEAR(got[i], want[i], tol + out_rel * std::abs(want[i]))
                    << "rows " << rows << " at " << i;
              }
            }
            // Batch invariance: each row's bits do not depend on the step size.
            for (int64_t rows : row_counts) {
              ASSERT_TRUE(fast->write(res, kMaxRows, rv).ok());
              ASSERT_TRUE(fast->run(TestStep().seqN(static_cast<int>(rows), 0, 0)).ok());
              std::vector<float> got = fast->read(y, rows);
              for (int64_t i = 0; i < rows * out; ++i) {
                ASSERT_EQ(got[i], all_rows[i]) << "rows " << rows << " at " << i;
              }
            }
          }
        }
      }
    }
  }
}

// kv_cache_write + attention over two steps: sequence a (slot 2) alone, then
// beside other sequences; GQA with odd head sizes and every cache dtype.
TEST(CpuFastKernels, AttentionMatchesReferenceAndIsBatchInvariant) {
  struct Shape {
    int64_t heads, kv_heads, d;
  };
  for (const char *isa : kIsas) {
    for (DType dt : kDTypes) {
      for (Shape s : {Shape{4, 2, 3}, Shape{6, 3, 17}, Shape{2, 2, 64}, Shape{8, 2, 40}}) {
        SCOPED_TRACE(std::string(isa) + " " + typeName(dt) + " d " + std::to_string(s.d));
        PlanBuilder b(16, 64);
        BufferRef q = b.activation(s.heads * s.d, dt), k = b.activation(s.kv_heads * s.d, dt),
                  v = b.activation(s.kv_heads * s.d, dt), y = b.activation(s.heads * s.d, dt);
        auto [kc, vc] = b.kvCache(s.kv_heads, s.d, dt);
        b.launch("kv_cache_write", {k, v, kc, vc, kRowOffsets, kSlots, kStartPos}, {});
        b.launch("attention", {q, kc, vc, kRowOffsets, kSlots, kStartPos}, {y},
                 {{"heads", s.heads}, {"kv_heads", s.kv_heads}, {"head_dim", s.d}},
                 {{"scale", 1 / std::sqrt(double(s.d))}});
        auto ref = makeRig(b, nullptr);
        auto fast = makeRig(b, isa);
        auto fast_alone = makeRig(b, isa);
        ASSERT_TRUE(ref.ok() && fast.ok() && fast_alone.ok());
        // Step 1: a prompt of 37 tokens for a (slot 2), 11 for slot 0.
        // Step 2: a decodes one token beside 5 tokens of slot 1.
        const int64_t hq = s.heads * s.d, hk = s.kv_heads * s.d;
        auto feed = [&](Rig &rig, const TestStep &step, int64_t first_row, uint32_t seed) {
          const int64_t rows = step.rows();
          std::vector<float> qv = randomValues(64 * hq, seed), kv = randomValues(64 * hk, seed + 1),
                             vv = randomValues(64 * hk, seed + 2);
          auto part = [&](const std::vector<float> &a, int64_t w) {
            return std::vector<float>(a.begin() + first_row * w, a.begin() + (first_row + rows) * w);
          };
          EXPECT_TRUE(rig.write(q, rows, part(qv, hq)).ok());
          EXPECT_TRUE(rig.write(k, rows, part(kv, hk)).ok());
          EXPECT_TRUE(rig.write(v, rows, part(vv, hk)).ok());
          EXPECT_TRUE(rig.run(step).ok());
          return rig.read(y, rows);
        };
        TestStep prompt_both, decode_both, prompt_alone, decode_alone;
        prompt_both.seqN(11, 0, 0).seqN(37, 2, 0);
        decode_both.seqN(5, 1, 0).seqN(1, 2, 37);
        prompt_alone.seqN(37, 2, 0);
        decode_alone.seqN(1, 2, 37);
        std::vector<float> want_p = feed(*ref, prompt_both, 0, 7);
        std::vector<float> got_p = feed(*fast, prompt_both, 0, 7);
        std::vector<float> want_d = feed(*ref, decode_both, 0, 9);
        std::vector<float> got_d = feed(*fast, decode_both, 0, 9);
        const double tol = dt == DType::kF32 ? 1e-5 : dt == DType::kBF16 ? 1e-2 : 2e-3;
        for (size_t i = 0; i < want_p.size(); ++i) ASSERT_NEAR(got_p[i], want_p[i], tol) << i;
        for (size_t i = 0; i < want_d.size(); ++i) ASSERT_NEAR(got_d[i], want_d[i], tol) << i;
        // a alone: its rows are rows 11.. of the prompt step, row 5 of the decode step.
        std::vector<float> alone_p = feed(*fast_alone, prompt_alone, 11, 7);
        std::vector<float> alone_d = feed(*fast_alone, decode_alone, 5, 9);
        for (int64_t i = 0; i < 37 * hq; ++i) ASSERT_EQ(alone_p[i], got_p[11 * hq + i]) << i;
        for (int64_t i = 0; i < hq; ++i) ASSERT_EQ(alone_d[i], got_d[5 * hq + i]) << i;
      }
    }
  }
}

// short_conv and gated_short_conv: the same bits as the reference, with
// history across uneven chunks of two sequences, hidden not a multiple of
// the channel block, every dtype.
TEST(CpuFastKernels, ShortConvMatchesReferenceBitForBit) {
  for (DType dt : kDTypes) {
    for (int64_t kernel : {3, 4}) {
      SCOPED_TRACE(typeName(dt) + " L " + std::to_string(kernel));
      const int64_t h = 300;
      PlanBuilder b(16, 64);
      BufferRef bcx = b.activation(3 * h, dt), x = b.activation(h, dt);
      BufferRef yg = b.activation(h, dt), yp = b.activation(h, dt);
      BufferRef w = b.weight({h, kernel}, randomValues(h * kernel, 21), dt);
      BufferRef sg = b.convState(h, kernel, dt), sp = b.convState(h, kernel, dt);
      b.launch("gated_short_conv", {bcx, w, sg, kRowOffsets, kSlots, kStartPos}, {yg});
      b.launch("short_conv", {x, w, sp, kRowOffsets, kSlots, kStartPos}, {yp});
      auto ref = makeRig(b, nullptr);
      auto fast = makeRig(b, "avx512bf16");
      ASSERT_TRUE(ref.ok() && fast.ok()) << ref.status();
      int32_t pos[2] = {0, 0};
      for (auto [n0, n1] : {std::pair{5, 1}, std::pair{1, 2}, std::pair{1, 1}, std::pair{7, 3}}) {
        TestStep step;
        step.seqN(n0, 1, pos[0]).seqN(n1, 3, pos[1]);
        pos[0] += n0, pos[1] += n1;
        const int64_t rows = step.rows();
        std::vector<float> bv = randomValues(rows * 3 * h, 30 + pos[0]),
                           xv = randomValues(rows * h, 40 + pos[1]);
        for (Rig *rig : {&*ref, &*fast}) {
          ASSERT_TRUE(rig->write(bcx, rows, bv).ok());
          ASSERT_TRUE(rig->write(x, rows, xv).ok());
          ASSERT_TRUE(rig->run(step).ok());
        }
        EXPECT_EQ(ref->read(yg, rows), fast->read(yg, rows));
        EXPECT_EQ(ref->read(yp, rows), fast->read(yp, rows));
      }
    }
  }
}

// The whole tiny LFM2 (conv, attention, SwiGLU, lm_head): a sequence's
// logits are bit-identical decoded alone and beside other sequences, and
// close to the reference kernels'.
TEST(CpuFastKernels, ModelLogitsAreBatchInvariant) {
  for (const char *isa : {"avx2", "avx512bf16", "amx", "amx+panels"})
  for (DType dt : {DType::kF32, DType::kBF16}) {
    SCOPED_TRACE(std::string(isa) + " " + typeName(dt));
    TinyWeights w;
    PlanBuilder b = tinyFusedPlan(w, dt);
    auto alone = makeRig(b, isa);
    auto crowd = makeRig(b, isa);
    auto ref = makeRig(b, nullptr);
    ASSERT_TRUE(alone.ok() && crowd.ok() && ref.ok()) << alone.status();
    const std::vector<int32_t> prompt = {1, 5, 2, 9, 4, 7, 3};
    std::vector<float> a(kVocab), c(3 * kVocab), r(kVocab);
    TestStep s1a, s1c, s1r;
    s1a.seq(prompt, 2, 0).logit_rows = {6};
    s1c.seq({3, 3, 1}, 0, 0).seq(prompt, 2, 0).seq({8, 2}, 1, 0).logit_rows = {2, 9, 11};
    s1r = s1a;
    ASSERT_TRUE(alone->run(s1a, a).ok());
    ASSERT_TRUE(crowd->run(s1c, c).ok());
    ASSERT_TRUE(ref->run(s1r, r).ok());
    for (int64_t i = 0; i < kVocab; ++i) {
      ASSERT_EQ(a[i], c[kVocab + i]) << i;
      ASSERT_NEAR(a[i], r[i], dt == DType::kF32 ? 1e-4 : 0.1) << i;
    }
    for (int step = 0; step < 4; ++step) {
      TestStep da, dc;
      da.seq({step + 1}, 2, 7 + step).logit_rows = {0};
      dc.seq({4}, 0, 3 + step).seq({step + 1}, 2, 7 + step).seq({6}, 1, 2 + step).logit_rows = {0, 1, 2};
      ASSERT_TRUE(alone->run(da, a).ok());
      ASSERT_TRUE(crowd->run(dc, c).ok());
      for (int64_t i = 0; i < kVocab; ++i) ASSERT_EQ(a[i], c[kVocab + i]) << "step " << step;
    }
  }
}

}  // namespace
}  // namespace lfm::testing
