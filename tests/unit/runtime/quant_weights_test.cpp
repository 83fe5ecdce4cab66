// Quantized weight specs (WeightSpec::quant) outside the kernels: loading a
// checkpoint quantizes its rows with ggml's reference quantizer (stacked
// sources row for row), random weights, the artifact round trip, byte counts
// and verifyPlan's checks.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "RuntimeTestUtil.h"
#include "lfm/Artifact.h"
#include "lfm/PlanLayout.h"
#include "lfm/QuantFormats.h"
#include "lfm/Safetensors.h"
#include "lfm/WeightLoader.h"

namespace lfm::testing {
namespace {

namespace fs = std::filesystem;
const std::string kCase1 = std::string(LFM_TEST_DATA_DIR) + "/golden/case1_gqa_12tok";

std::vector<float> tensorFloats(const Checkpoint &ckpt, const std::string &name) {
  auto t = ckpt.tensor(name);
  EXPECT_TRUE(t.ok()) << t.status();
  std::vector<float> out(static_cast<size_t>((*t)->numel()));
  EXPECT_TRUE(convertTensor(**t, name, DType::kF32,
                            {reinterpret_cast<uint8_t *>(out.data()), out.size() * 4})
                  .ok());
  return out;
}

// case1's stacked QKV [128, 64] and its token embedding [320, 64].
Plan quantPlan(QuantFormat qkv, QuantFormat embed) {
  Plan p = PlanBuilder().plan;  // a complete config, no launches
  p.weights = {{"qkv",
                DType::kBF16,
                {128, 64},
                {{"model.layers.2.self_attn.q_proj.weight", {64, 64}},
                 {"model.layers.2.self_attn.k_proj.weight", {32, 64}},
                 {"model.layers.2.self_attn.v_proj.weight", {32, 64}}},
                qkv},
               {"embed",
                DType::kBF16,
                {320, 64},
                {{"model.embed_tokens.weight", {320, 64}}},
                embed}};
  return p;
}

TEST(QuantWeights, LoadQuantizesStackedSourcesRowForRow) {
  for (QuantFormat f : {QuantFormat::kQ8_0, QuantFormat::kQ4_0}) {
    SCOPED_TRACE(quantFormatName(f));
    Plan plan = quantPlan(f, QuantFormat::kQ8_0);
    auto weights = loadWeights(plan, kCase1, nullptr);
    ASSERT_TRUE(weights.ok()) << weights.status();
    ASSERT_TRUE(checkHostWeights(plan, *weights).ok());
    auto ckpt = Checkpoint::open(kCase1);
    ASSERT_TRUE(ckpt.ok()) << ckpt.status();
    std::vector<float> rows;
    for (const WeightSource &s : plan.weights[0].sources) {
      std::vector<float> t = tensorFloats(*ckpt, s.tensor);
      rows.insert(rows.end(), t.begin(), t.end());
    }
    EXPECT_EQ(weights->buffers[0], quantizeRows(f, rows.data(), 128, 64).value());
    EXPECT_EQ(weightBytes(plan.weights[0]), 128 * quantRowBytes(f, 64).value());
    std::vector<float> table = tensorFloats(*ckpt, "model.embed_tokens.weight");
    EXPECT_EQ(weights->buffers[1], quantizeRows(QuantFormat::kQ8_0, table.data(), 320, 64).value());
  }
}

TEST(QuantWeights, GgufBlocksAreTakenAsTheyAreOrRequantized) {
  const std::string path = std::string(LFM_TEST_DATA_DIR) + "/gguf/case1_q8_0.gguf";
  auto ckpt = Checkpoint::open(path);
  ASSERT_TRUE(ckpt.ok()) << ckpt.status();
  auto raw = [&](const std::string &name) {
    const SafetensorsTensor *t = *ckpt->tensor(name);
    EXPECT_EQ(t->ggml_type, 8u) << name;  // q8_0
    return std::vector<uint8_t>(t->data.begin(), t->data.end());
  };
  // The same format: the GGUF's bytes, stacked.
  Plan plan = quantPlan(QuantFormat::kQ8_0, QuantFormat::kQ8_0);
  auto weights = loadWeights(plan, path, nullptr);
  ASSERT_TRUE(weights.ok()) << weights.status();
  std::vector<uint8_t> qkv;
  for (const WeightSource &s : plan.weights[0].sources) {
    std::vector<uint8_t> r = raw(s.tensor);
    qkv.insert(qkv.end(), r.begin(), r.end());
  }
  EXPECT_EQ(weights->buffers[0], qkv);
  EXPECT_EQ(weights->buffers[1], raw("model.embed_tokens.weight"));
  // Another format: dequantized (ggml's floats), then quantized.
  plan = quantPlan(QuantFormat::kQ4_0, QuantFormat::kQ8_0);
  weights = loadWeights(plan, path, nullptr);
  ASSERT_TRUE(weights.ok()) << weights.status();
  std::vector<float> rows(128 * 64);
  ASSERT_TRUE(dequantizeRows(QuantFormat::kQ8_0, qkv.data(), 128, 64, rows.data()).ok());
  EXPECT_EQ(weights->buffers[0], quantizeRows(QuantFormat::kQ4_0, rows.data(), 128, 64).value());
}

TEST(QuantWeights, LoadRejectsRowsThatAreNotWholeBlocks) {
  // 64 columns are not whole q4_k blocks (256).
  Plan plan = quantPlan(QuantFormat::kQ4_K, QuantFormat::kQ8_0);
  absl::StatusOr<HostWeights> weights = loadWeights(plan, kCase1, nullptr);
  ASSERT_FALSE(weights.ok());
  EXPECT_NE(weights.status().message().find("weight 'qkv' (q4_k)"), std::string::npos)
      << weights.status();
}

TEST(QuantWeights, EmbeddedQuantizedWeightsRoundTripThroughAnArtifact) {
  Plan plan = quantPlan(QuantFormat::kQ4_0, QuantFormat::kQ8_0);
  auto weights = loadWeights(plan, kCase1, nullptr);
  ASSERT_TRUE(weights.ok()) << weights.status();
  Artifact artifact;
  artifact.plan = plan;
  std::string p = (fs::temp_directory_path() /
                   ("lfm_quant_weights_test_" + std::to_string(::getpid()) + ".lfma"))
                      .string();
  absl::Status written = writeArtifact(artifact, &*weights, p);
  ASSERT_TRUE(written.ok()) << written;
  auto read = readArtifact(p);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->plan.weights.size(), 2u);
  EXPECT_EQ(read->plan.weights[0].quant, QuantFormat::kQ4_0);
  EXPECT_EQ(read->plan.weights[1].quant, QuantFormat::kQ8_0);
  auto embedded = readEmbeddedWeights(*read);
  ASSERT_TRUE(embedded.ok()) << embedded.status();
  EXPECT_EQ(embedded->buffers, weights->buffers);
  fs::remove(p);
}

TEST(QuantWeights, RandomWeightsAreQuantizedRows) {
  Plan plan = quantPlan(QuantFormat::kQ4_0, QuantFormat::kQ8_0);
  plan.weights.push_back({"big", DType::kF32, {300, 1024}, {{"x", {300, 1024}}}, QuantFormat::kQ4_K});
  HostWeights a = randomWeights(plan, 1), b = randomWeights(plan, 1);
  ASSERT_TRUE(checkHostWeights(plan, a).ok());
  EXPECT_EQ(a.buffers, b.buffers);
  std::vector<float> big(300 * 1024);
  ASSERT_TRUE(dequantizeRows(QuantFormat::kQ4_K, a.buffers[2].data(), 300, 1024, big.data()).ok());
  double sum_sq = 0;
  for (float v : big) {
    ASSERT_LE(std::abs(v), 1.5f / 32.0f);  // +-1/sqrt(1024), with 4-bit error
    sum_sq += v * v;
  }
  EXPECT_GT(sum_sq / big.size(), 1e-4);  // not all zero
}

TEST(QuantWeights, VerifyPlanChecksShapesAndUses) {
  {
    PlanBuilder b(16, 8);
    BufferRef x = b.activation(64), y = b.activation(32);
    b.launch("linear", {x, b.quantWeight(32, 64, randomValues(32 * 64, 1), QuantFormat::kQ4_0)},
             {y}, {{"prologue_norm", 0}, {"epilogue", 0}});
    EXPECT_TRUE(verifyPlan(b.plan).ok()) << verifyPlan(b.plan);
    b.plan.weights[0].shape = {32, 48};  // not whole blocks
    b.plan.weights[0].sources[0].shape = {32, 48};
    absl::Status st = verifyPlan(b.plan);
    EXPECT_NE(st.message().find("not a positive multiple of the block size 32"), std::string::npos)
        << st;
  }
  {
    // A norm weight is 1-D: it cannot be rows of blocks.
    PlanBuilder b(16, 8);
    BufferRef x = b.activation(32), y = b.activation(32);
    BufferRef w = b.weight({32}, randomValues(32, 1));
    b.plan.weights[0].quant = QuantFormat::kQ8_0;
    b.launch("rms_norm", {x, w}, {y}, {}, {{"eps", 1e-5}});
    absl::Status st = verifyPlan(b.plan);
    EXPECT_NE(st.message().find("quantized as q8_0 but has rank 1"), std::string::npos) << st;
  }
  {
    // A conv weight of whole blocks is still read as elements: only a
    // linear's weight or an embedding's table may be quantized.
    PlanBuilder b(16, 8);
    BufferRef x = b.activation(32), y = b.activation(32);
    BufferRef w = b.quantWeight(32, 32, randomValues(32 * 32, 1), QuantFormat::kQ8_0);
    BufferRef state = b.convState(32, 32);
    b.launch("short_conv", {x, w, state, kRowOffsets, kSlots, kStartPos}, {y});
    absl::Status st = verifyPlan(b.plan);
    EXPECT_NE(st.message().find("is quantized as q8_0; only a linear's weight or an embedding's "
                                "table may be"),
              std::string::npos)
        << st;
  }
}

}  // namespace
}  // namespace lfm::testing
