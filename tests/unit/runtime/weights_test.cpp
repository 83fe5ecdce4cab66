// Binding weights to a plan: loading golden checkpoint tensors per a weight
// plan (conversion, concatenation order, views), the errors for tensors that
// are missing or misshapen, embedded weights, and random weights.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "lfm/Artifact.h"
#include "lfm/DTypeConvert.h"
#include "lfm/Safetensors.h"
#include "lfm/WeightLoader.h"

namespace lfm {
namespace {

namespace fs = std::filesystem;

const std::string kGolden = std::string(LFM_TEST_DATA_DIR) + "/golden";
const std::string kCase1 = kGolden + "/case1_gqa_12tok";
const std::string kCase3 = kGolden + "/case3_h128_L4_autoff";
const std::string kCase4 = kGolden + "/case4_hd64_bf16";

std::string message(const absl::Status &st) { return std::string(st.message()); }

// case1_gqa_12tok: hidden 64, 4 heads of 16 (2 kv heads), ffn 128, conv L 3.
ModelConfig case1Config() {
  ModelConfig c;
  c.vocab_size = 320;
  c.hidden_size = 64;
  c.intermediate_size = 128;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 2;
  c.head_dim = 16;
  c.conv_kernel = 3;
  c.layer_types = {LayerKind::kConv, LayerKind::kConv,      LayerKind::kAttention,
                   LayerKind::kConv, LayerKind::kAttention, LayerKind::kConv};
  return c;
}

enum : size_t { QKV, CONV, NORM, W13 };

// A weight plan over case1's tensors: matrices in `dtype`, norms in f32.
Plan case1WeightPlan(DType dtype) {
  Plan p;
  p.config = case1Config();
  p.dtype = dtype;
  p.weights = {
      {"layers.2.qkv",
       dtype,
       {128, 64},
       {{"model.layers.2.self_attn.q_proj.weight", {64, 64}},
        {"model.layers.2.self_attn.k_proj.weight", {32, 64}},
        {"model.layers.2.self_attn.v_proj.weight", {32, 64}}}},
      {"layers.0.conv", dtype, {64, 3}, {{"model.layers.0.conv.conv.weight", {64, 1, 3}}}},
      {"layers.0.operator_norm",
       DType::kF32,
       {64},
       {{"model.layers.0.operator_norm.weight", {64}}}},
      {"layers.3.w13",
       dtype,
       {256, 64},
       {{"model.layers.3.feed_forward.w1.weight", {128, 64}},
        {"model.layers.3.feed_forward.w3.weight", {128, 64}}}},
  };
  return p;
}

float floatAt(const std::vector<uint8_t> &buffer, DType t, size_t i) {
  if (t == DType::kF32) {
    float f;
    std::memcpy(&f, buffer.data() + 4 * i, 4);
    return f;
  }
  uint16_t h;
  std::memcpy(&h, buffer.data() + 2 * i, 2);
  return t == DType::kBF16 ? bf16ToFloat(h) : f16ToFloat(h);
}

// The checkpoint tensor as floats.
std::vector<float> tensorFloats(const Checkpoint &ckpt, const std::string &name) {
  auto t = ckpt.tensor(name);
  EXPECT_TRUE(t.ok()) << t.status();
  std::vector<float> out(static_cast<size_t>((*t)->numel()));
  std::vector<uint8_t> bytes(out.size() * 4);
  EXPECT_TRUE(convertTensor(**t, name, DType::kF32, bytes).ok());
  std::memcpy(out.data(), bytes.data(), bytes.size());
  return out;
}

// Expects buffer[offset .. offset + src.size()) == src rounded to `t`.
void expectSegment(const std::vector<uint8_t> &buffer, DType t, size_t offset,
                   const std::vector<float> &src, const std::string &what) {
  for (size_t i = 0; i < src.size(); ++i) {
    float expected = src[i];
    if (t == DType::kBF16) expected = bf16ToFloat(floatToBf16(expected));
    if (t == DType::kF16) expected = f16ToFloat(floatToF16(expected));
    ASSERT_EQ(floatAt(buffer, t, offset + i), expected) << what << " element " << i;
  }
}

class WeightLoaderTest : public ::testing::TestWithParam<DType> {};

TEST_P(WeightLoaderTest, LoadsConcatenatesAndConverts) {
  DType dtype = GetParam();
  Plan plan = case1WeightPlan(dtype);
  auto weights = loadWeights(plan, kCase1, nullptr);
  ASSERT_TRUE(weights.ok()) << weights.status();
  ASSERT_TRUE(checkHostWeights(plan, *weights).ok());
  EXPECT_EQ(weights->buffers[QKV].size(), 128u * 64 * dtypeSize(dtype));
  EXPECT_EQ(weights->buffers[NORM].size(), 64u * 4);

  auto ckpt = Checkpoint::open(kCase1);
  ASSERT_TRUE(ckpt.ok());
  // q rows, then k rows, then v rows.
  expectSegment(weights->buffers[QKV], dtype, 0,
                tensorFloats(*ckpt, "model.layers.2.self_attn.q_proj.weight"), "q");
  expectSegment(weights->buffers[QKV], dtype, 64 * 64,
                tensorFloats(*ckpt, "model.layers.2.self_attn.k_proj.weight"), "k");
  expectSegment(weights->buffers[QKV], dtype, 96 * 64,
                tensorFloats(*ckpt, "model.layers.2.self_attn.v_proj.weight"), "v");
  // [64,1,3] viewed as [64,3]: the same elements in the same order.
  expectSegment(weights->buffers[CONV], dtype, 0,
                tensorFloats(*ckpt, "model.layers.0.conv.conv.weight"), "conv");
  expectSegment(weights->buffers[NORM], DType::kF32, 0,
                tensorFloats(*ckpt, "model.layers.0.operator_norm.weight"), "norm");
  expectSegment(weights->buffers[W13], dtype, 0,
                tensorFloats(*ckpt, "model.layers.3.feed_forward.w1.weight"), "w1");
  expectSegment(weights->buffers[W13], dtype, 128 * 64,
                tensorFloats(*ckpt, "model.layers.3.feed_forward.w3.weight"), "w3");
}

INSTANTIATE_TEST_SUITE_P(Dtypes, WeightLoaderTest,
                         ::testing::Values(DType::kF32, DType::kBF16, DType::kF16),
                         [](const auto &info) { return std::string(dtypeName(info.param)); });

TEST(WeightLoader, Bf16CheckpointToF32IsExact) {
  Plan plan;
  plan.weights = {
      {"embed", DType::kF32, {512, 128}, {{"model.embed_tokens.weight", {512, 128}}}},
      {"embed_bf16", DType::kBF16, {512, 128}, {{"model.embed_tokens.weight", {512, 128}}}}};
  auto weights = loadWeights(plan, kCase4, nullptr);
  ASSERT_TRUE(weights.ok()) << weights.status();
  EXPECT_EQ(floatAt(weights->buffers[0], DType::kF32, 0), -0.326171875f);  // bf16 0xbea7
  auto ckpt = Checkpoint::open(kCase4);
  ASSERT_TRUE(ckpt.ok());
  // BF16 -> BF16 keeps the bytes.
  auto t = ckpt->tensor("model.embed_tokens.weight");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(0, std::memcmp(weights->buffers[1].data(), (*t)->data.data(), (*t)->data.size()));
}

TEST(WeightLoader, ConcatenatesAcrossShards) {
  Plan plan;
  plan.weights = {{"mixed",
                   DType::kF32,
                   {416, 128},
                   {{"model.embed_tokens.weight", {384, 128}},                 // shard 1
                    {"model.layers.4.self_attn.k_proj.weight", {32, 128}}}}};  // shard 2
  auto weights = loadWeights(plan, kCase3, nullptr);
  ASSERT_TRUE(weights.ok()) << weights.status();
  EXPECT_FLOAT_EQ(floatAt(weights->buffers[0], DType::kF32, 384 * 128), -0.060828160494565964f);
}

TEST(WeightLoader, ReportsProgressUpToTheTotal) {
  Plan plan = case1WeightPlan(DType::kF32);
  std::vector<std::pair<int64_t, int64_t>> calls;
  auto weights = loadWeights(plan, kCase1,
                             [&](int64_t done, int64_t total) { calls.emplace_back(done, total); });
  ASSERT_TRUE(weights.ok());
  ASSERT_FALSE(calls.empty());
  int64_t total = 0;
  for (const auto &b : weights->buffers) total += static_cast<int64_t>(b.size());
  for (size_t i = 1; i < calls.size(); ++i) EXPECT_GE(calls[i].first, calls[i - 1].first);
  EXPECT_EQ(calls.back(), std::make_pair(total, total));
}

TEST(WeightLoader, StderrProgressIsQuietForSmallWorkAndTalksForLarge) {
  testing::internal::CaptureStderr();
  ProgressFn quiet = stderrProgress("loading weights");
  for (int i = 1; i <= 10; ++i) quiet(i * 1000, 10000);
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");

  testing::internal::CaptureStderr();
  ProgressFn loud = stderrProgress("loading weights", /*quiet_below_bytes=*/0);
  for (int i = 1; i <= 100; ++i) loud(i * 100, 10000);
  std::string out = testing::internal::GetCapturedStderr();
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 10) << out;
  EXPECT_NE(out.find("loading weights: 100%"), std::string::npos) << out;
}

// ---------------------------------------------------------------------------
// Errors.

void expectError(const absl::StatusOr<HostWeights> &w, const std::string &fragment) {
  ASSERT_FALSE(w.ok()) << "expected an error mentioning '" << fragment << "'";
  EXPECT_NE(message(w.status()).find(fragment), std::string::npos) << w.status();
}

TEST(WeightLoaderErrors, MissingTensor) {
  Plan plan = case1WeightPlan(DType::kF32);
  plan.weights[QKV].sources[1].tensor = "model.layers.2.self_attn.kk_proj.weight";
  expectError(loadWeights(plan, kCase1, nullptr),
              "weight 'layers.2.qkv': tensor 'model.layers.2.self_attn.kk_proj.weight' is not in "
              "checkpoint '" +
                  kCase1 + "'");
}

TEST(WeightLoaderErrors, WrongShape) {
  Plan plan = case1WeightPlan(DType::kF32);
  plan.weights[CONV].sources[0].shape = {64, 3};  // the checkpoint has [64,1,3]
  expectError(loadWeights(plan, kCase1, nullptr),
              "weight 'layers.0.conv': tensor 'model.layers.0.conv.conv.weight' in '" + kCase1 +
                  "/model.safetensors' has shape [64,1,3], expected [64,3]");
}

TEST(WeightLoaderErrors, SourcesDoNotFillTheShape) {
  Plan plan = case1WeightPlan(DType::kF32);
  plan.weights[QKV].sources.pop_back();
  expectError(
      loadWeights(plan, kCase1, nullptr),
      "weight 'layers.2.qkv': its sources hold 6144 elements but its shape [128,64] holds 8192");
  plan = case1WeightPlan(DType::kF32);
  plan.weights[QKV].shape = {64, 64};
  expectError(loadWeights(plan, kCase1, nullptr),
              "its sources hold more elements than its shape [64,64]");
}

TEST(WeightLoaderErrors, BadCheckpointPath) {
  expectError(loadWeights(case1WeightPlan(DType::kF32), kGolden + "/no_such_case", nullptr),
              "does not exist");
}

TEST(WeightLoaderErrors, UnsupportedDtype) {
  fs::path dir = fs::temp_directory_path() / ("lfm_weights_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::string header = R"({"w":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}})";
  std::string bytes(8, '\0');
  bytes[0] = static_cast<char>(header.size());
  bytes += header + std::string(16, '\0');
  std::string p = (dir / "model.safetensors").string();
  std::ofstream(p, std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  Plan plan;
  plan.weights = {{"w", DType::kF32, {2}, {{"w", {2}}}}};
  expectError(loadWeights(plan, dir.string(), nullptr), "tensor 'w' in '" + p + "' has dtype I64");
  fs::remove_all(dir);
}

// ---------------------------------------------------------------------------
// Embedded weights: what loadWeights produced survives an artifact.

TEST(EmbeddedWeights, RoundTripThroughAnArtifact) {
  Plan plan = case1WeightPlan(DType::kBF16);
  auto weights = loadWeights(plan, kCase1, nullptr);
  ASSERT_TRUE(weights.ok()) << weights.status();
  Artifact artifact;
  artifact.plan = plan;
  std::string p =
      (fs::temp_directory_path() / ("lfm_weights_test_" + std::to_string(::getpid()) + ".lfma"))
          .string();
  absl::Status st = writeArtifact(artifact, &*weights, p);
  ASSERT_TRUE(st.ok()) << st;
  auto read = readArtifact(p);
  ASSERT_TRUE(read.ok()) << read.status();
  auto embedded = readEmbeddedWeights(*read);
  ASSERT_TRUE(embedded.ok()) << embedded.status();
  EXPECT_EQ(embedded->buffers, weights->buffers);
  fs::remove(p);
}

// ---------------------------------------------------------------------------
// Random weights.

TEST(RandomWeights, DeterministicWithTheRightShapesAndScales) {
  Plan plan = case1WeightPlan(DType::kBF16);
  plan.weights.push_back(
      {"big", DType::kF16, {300, 1000}, {{"x", {300, 1000}}}});  // several chunks
  HostWeights a = randomWeights(plan, 42), b = randomWeights(plan, 42), c = randomWeights(plan, 43);
  ASSERT_TRUE(checkHostWeights(plan, a).ok());
  EXPECT_EQ(a.buffers, b.buffers);
  for (size_t i = 0; i < plan.weights.size(); ++i) EXPECT_NE(a.buffers[i], c.buffers[i]) << i;

  for (size_t i = 0; i < plan.weights.size(); ++i) {
    const WeightSpec &w = plan.weights[i];
    size_t n = a.buffers[i].size() / dtypeSize(w.dtype);
    double sum = 0;
    for (size_t j = 0; j < n; ++j) {
      float v = floatAt(a.buffers[i], w.dtype, j);
      ASSERT_TRUE(std::isfinite(v));
      if (w.shape.size() == 1) {
        ASSERT_GE(v, 0.9f);
        ASSERT_LE(v, 1.1f);
      } else {
        ASSERT_LE(std::fabs(v), 1.01f / std::sqrt(static_cast<float>(w.shape[1])));
      }
      sum += v;
    }
    if (w.shape.size() > 1) {  // centered: within 5 standard deviations of the mean
      double scale = 1.0 / std::sqrt(static_cast<double>(w.shape[1]));
      EXPECT_LT(std::fabs(sum / n), 5 * scale / std::sqrt(3.0 * n)) << w.name;
    }
  }
}

}  // namespace
}  // namespace lfm
