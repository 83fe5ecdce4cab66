// Quantized weights on the cpu device (WeightSpec::quant): the reference
// kernels (the oracle) give exactly what they give for a dense f32 weight of
// the dequantized values (dequantizeRows, ggml's dequantize_row_*), and the
// optimized ones (QuantDot.h tiles) match the reference within f32 rounding
// and are batch invariant, with x float32 (LFM_CPU_QUANT_X=f32) and with x
// quantized to Q8 blocks (the default; within that rounding); for linear in
// every prologue/epilogue form and for embedding, on odd row counts and
// every ISA this CPU runs.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "../ScopedEnv.h"
#include "RuntimeTestUtil.h"
#include "lfm/QuantFormats.h"

namespace lfm::testing {
namespace {

const char *const kIsas[] = {"portable", "avx2", "avx512"};

// quant_x: LFM_CPU_QUANT_X (null: the default, x quantized to Q8 blocks).
absl::StatusOr<Rig> makeRig(const PlanBuilder &b, const char *isa,
                            const char *quant_x = nullptr) {
  ScopedEnv kernels("LFM_CPU_KERNELS", isa == nullptr ? "reference" : nullptr);
  ScopedEnv isa_env("LFM_CPU_ISA", isa);
  ScopedEnv quant_x_env("LFM_CPU_QUANT_X", quant_x);
  return Rig::create(b, {4, 96}, /*threads=*/3);
}

std::vector<float> dequantized(QuantFormat f, const std::vector<float> &v, int64_t n, int64_t k) {
  std::vector<uint8_t> q = quantizeRows(f, v.data(), n, k).value();
  std::vector<float> out(n * k);
  EXPECT_TRUE(dequantizeRows(f, q.data(), n, k, out.data()).ok());
  return out;
}

struct Case {
  QuantFormat format;
  int64_t k, n;
};

TEST(CpuQuantKernels, LinearMatchesDequantizedReferenceAndIsBatchInvariant) {
  const int64_t kMaxRows = 37;
  const int64_t row_counts[] = {1, 2, 5, 13, 37};
  const Case cases[] = {{QuantFormat::kQ8_0, 32, 3},   {QuantFormat::kQ8_0, 96, 38},
                        {QuantFormat::kQ4_0, 64, 19},  {QuantFormat::kQ4_0, 160, 34},
                        // n a multiple of 32: q4_0, q8_0, q4_k, q6_k panels on AVX2
                        // (WeightPanels.h)
                        {QuantFormat::kQ4_0, 96, 64},  {QuantFormat::kQ8_0, 64, 32},
                        {QuantFormat::kQ4_K, 512, 32}, {QuantFormat::kQ6_K, 256, 32},
                        {QuantFormat::kQ4_K, 256, 22}, {QuantFormat::kQ6_K, 512, 9}};
  for (const Case &c : cases) {
    for (DType xdt : {DType::kF32, DType::kBF16}) {
      for (int combo = 0; combo < 4; ++combo) {
        const int64_t norm = combo == 1 || combo == 3, epilogue = combo == 3 ? 2 : combo == 2;
        if (epilogue == 2 && c.n % 2 != 0) continue;
        SCOPED_TRACE(std::string(quantFormatName(c.format)) + " k " + std::to_string(c.k) +
                     " n " + std::to_string(c.n) + " x " + dtypeName(xdt) + " norm " +
                     std::to_string(norm) + " epilogue " + std::to_string(epilogue));
        const int64_t out = epilogue == 2 ? c.n / 2 : c.n;
        const std::vector<float> wv = randomValues(c.n * c.k, 3);
        // The same launch over the quantized weight and over a dense f32
        // weight holding its dequantized values.
        auto build = [&](bool quantized, BufferRef &x, BufferRef &res, BufferRef &y) {
          PlanBuilder b(16, kMaxRows);
          x = b.activation(c.k, xdt);
          BufferRef w = quantized ? b.quantWeight(c.n, c.k, wv, c.format, xdt)
                                  : b.weight({c.n, c.k}, dequantized(c.format, wv, c.n, c.k));
          std::vector<BufferRef> operands = {x, w};
          if (norm) operands.push_back(b.weight({c.k}, randomValues(c.k, 4)));
          res = b.activation(out, xdt);
          if (epilogue == 1) operands.push_back(res);
          y = b.activation(out, xdt);
          b.launch("linear", operands, {y}, {{"prologue_norm", norm}, {"epilogue", epilogue}},
                   {{"eps", 1e-5}});
          return b;
        };
        BufferRef x, res, y;
        PlanBuilder quant = build(true, x, res, y);
        PlanBuilder dense = build(false, x, res, y);
        const std::vector<float> xv = randomValues(kMaxRows * c.k, 5),
                                 rv = randomValues(kMaxRows * out, 6);
        auto run = [&](const PlanBuilder &b, const char *isa, int64_t rows,
                       const char *quant_x = nullptr) {
          auto rig = makeRig(b, isa, quant_x);
          EXPECT_TRUE(rig.ok()) << rig.status();
          EXPECT_TRUE(rig->write(x, kMaxRows, xv).ok());
          EXPECT_TRUE(rig->write(res, kMaxRows, rv).ok());
          EXPECT_TRUE(rig->run(TestStep().seqN(static_cast<int>(rows), 0, 0)).ok());
          return rig->read(y, rows);
        };
        const std::vector<float> want = run(dense, nullptr, kMaxRows);
        // The reference dequantizes rows exactly as dequantizeRows: bit for bit.
        ASSERT_EQ(run(quant, nullptr, kMaxRows), want);
        const double out_rel = xdt == DType::kF32 ? 0 : 1e-2;
        for (const char *quant_x : {"f32", "q8"}) {
          // x quantized to Q8 blocks errs by up to amax / 254 per element
          // (|x_i|, |w_i| <= 1 here): Σ|w_i| amax_b / 254 <= k / 254.
          const bool q8 = std::string(quant_x) == "q8";
          double tol = (q8 ? 4e-3 : 2e-5) * (1.0 + c.k);
          if (epilogue == 2) tol *= 2.0 + std::sqrt(double(c.k));
          for (const char *isa : kIsas) {
            SCOPED_TRACE(std::string(isa) + " x " + quant_x);
            const std::vector<float> all = run(quant, isa, kMaxRows, quant_x);
            for (int64_t i = 0; i < kMaxRows * out; ++i)
              ASSERT_NEAR(all[i], want[i], tol + out_rel * std::abs(want[i])) << "at " << i;
            for (int64_t rows : row_counts) {
              const std::vector<float> got = run(quant, isa, rows, quant_x);
              for (int64_t i = 0; i < rows * out; ++i)
                ASSERT_EQ(got[i], all[i]) << "batch invariance: rows " << rows << " at " << i;
            }
          }
        }
      }
    }
  }
}

TEST(CpuQuantKernels, EmbeddingGathersDequantizedRows) {
  for (QuantFormat f : kAllQuantFormats) {
    const int64_t vocab = 11, k = quantBlockElems(f) * 2;
    SCOPED_TRACE(quantFormatName(f));
    const std::vector<float> table = randomValues(vocab * k, 7);
    PlanBuilder b(vocab, 8);
    BufferRef w = b.quantWeight(vocab, k, table, f, DType::kBF16);
    BufferRef y = b.activation(k, DType::kF32);
    b.launch("embedding", {inputRef(InputId::kTokens), w}, {y});
    const std::vector<float> rows = dequantized(f, table, vocab, k);
    for (const char *isa : {static_cast<const char *>(nullptr), "portable"}) {
      auto rig = makeRig(b, isa);
      ASSERT_TRUE(rig.ok()) << rig.status();
      TestStep step;
      step.seq({3, 0, 10}, 0, 0).seq({4}, 1, 5);
      ASSERT_TRUE(rig->run(step).ok());
      const std::vector<float> got = rig->read(y, 4);
      int64_t t = 0;
      for (int tok : {3, 0, 10, 4})
        for (int64_t c = 0; c < k; ++c, ++t) ASSERT_EQ(got[t], rows[tok * k + c]) << t;
    }
  }
}

}  // namespace
}  // namespace lfm::testing
