// LFM2 GGUFs as checkpoints (lfm/GgufLfm2.h): the config equals the HF
// config.json, every tensor equals the safetensors one under its HF name and
// shape, loadWeights takes the .gguf path, and the golden case runs from the
// GGUF with the logits it has from safetensors. Quantized tensors are a
// clear "needs a quantized weight plan" error for now.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "GoldenPlan.h"
#include "lfm/DTypeConvert.h"
#include "lfm/Gguf.h"
#include "lfm/GgufLfm2.h"
#include "lfm/Safetensors.h"
#include "lfm/WeightLoader.h"

namespace lfm::testing {
namespace {

const std::string kData = std::string(LFM_TEST_DATA_DIR);
const std::string kCase1 = kData + "/golden/case1_gqa_12tok";

std::string gguf(const std::string &name) { return kData + "/gguf/" + name; }

bool contains(const absl::Status &status, const std::string &part) {
  return std::string(status.message()).find(part) != std::string::npos;
}

std::vector<float> toF32(const SafetensorsTensor &t) {
  std::vector<float> out(static_cast<size_t>(t.numel()));
  absl::Status st = convertTensor(t, "test", DType::kF32,
                                  {reinterpret_cast<uint8_t *>(out.data()), out.size() * 4});
  EXPECT_TRUE(st.ok()) << st;
  return out;
}

TEST(GgufCheckpoint, ConfigEqualsTheHfConfig) {
  nlohmann::json hf = nlohmann::json::parse(std::ifstream(kCase1 + "/config.json"));
  auto file = GgufFile::open(gguf("case1_f32.gguf"));
  ASSERT_TRUE(file.ok()) << file.status();
  auto config = lfm2ConfigFromGguf(**file);
  ASSERT_TRUE(config.ok()) << config.status();
  for (const char *key : {"model_type", "vocab_size", "hidden_size", "intermediate_size",
                          "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
                          "max_position_embeddings", "norm_eps", "rope_theta", "conv_L_cache",
                          "conv_bias", "tie_word_embeddings", "layer_types", "torch_dtype"})
    EXPECT_EQ((*config)[key], hf[key]) << key;
  EXPECT_EQ((*config)["norm_eps"].get<double>(), 1e-5);  // not float32(1e-5)
  EXPECT_EQ((*config)["block_auto_adjust_ff_dim"], false);

  auto bf16 = GgufFile::open(gguf("case1_bf16.gguf"));
  ASSERT_TRUE(bf16.ok()) << bf16.status();
  EXPECT_EQ((*lfm2ConfigFromGguf(**bf16))["torch_dtype"], "bfloat16");
}

TEST(GgufCheckpoint, ConfigOfTheDemoModel) {
  // models/lfm2-kjv: rope_theta under rope_parameters, eos <|im_end|>.
  auto file = GgufFile::open(gguf("kjv_tokenizer.gguf"));
  ASSERT_TRUE(file.ok()) << file.status();
  auto config = lfm2ConfigFromGguf(**file);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ((*config)["rope_theta"], 10000.0);
  EXPECT_EQ((*config)["max_position_embeddings"], 4096);
  EXPECT_EQ((*config)["intermediate_size"], 768);
  EXPECT_EQ((*config)["vocab_size"], 4096);
  EXPECT_EQ((*config)["bos_token_id"], 1);
  EXPECT_EQ((*config)["eos_token_id"], 7);
  EXPECT_EQ((*config)["pad_token_id"], 0);
}

TEST(GgufCheckpoint, NamesMapToHf) {
  EXPECT_EQ(lfm2HfTensorName("blk.12.attn_q.weight"), "model.layers.12.self_attn.q_proj.weight");
  EXPECT_EQ(lfm2HfTensorName("blk.0.shortconv.conv.weight"), "model.layers.0.conv.conv.weight");
  EXPECT_EQ(lfm2HfTensorName("token_embd_norm.weight"), "model.embedding_norm.weight");
  EXPECT_EQ(lfm2HfTensorName("output.weight"), "lm_head.weight");
  EXPECT_EQ(lfm2HfTensorName("blk.x.attn_q.weight"), std::nullopt);
  EXPECT_EQ(lfm2HfTensorName("blk.01.attn_q.weight"), std::nullopt);
  EXPECT_EQ(lfm2HfTensorName("blk.1.attn_qq.weight"), std::nullopt);
}

// Every safetensors tensor is in the GGUF under its name and shape, with the
// values the converter's dtype rounding gives (bit-equal for f32 and for
// norms, which the converter keeps in f32).
class GgufTensors : public ::testing::TestWithParam<std::pair<const char *, DType>> {};

TEST_P(GgufTensors, EqualTheSafetensors) {
  auto [file, dtype] = GetParam();
  auto hf = Checkpoint::open(kCase1);
  ASSERT_TRUE(hf.ok()) << hf.status();
  auto g = Checkpoint::open(gguf(file));
  ASSERT_TRUE(g.ok()) << g.status();
  ASSERT_NE(g->gguf(), nullptr);
  EXPECT_EQ(g->tensorNames(), hf->tensorNames());
  for (const std::string &name : hf->tensorNames()) {
    SCOPED_TRACE(name);
    const SafetensorsTensor &want = **hf->tensor(name);
    auto got = g->tensor(name);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ((*got)->shape, want.shape);
    EXPECT_EQ(g->fileOf(name), gguf(file));
    std::vector<float> expected = toF32(want);
    if (want.shape.size() > 1 && dtype != DType::kF32) {
      EXPECT_EQ((*got)->dtype, dtype == DType::kF16 ? "F16" : "BF16");
      for (float &x : expected)
        x = dtype == DType::kF16 ? f16ToFloat(floatToF16(x)) : bf16ToFloat(floatToBf16(x));
    } else {
      EXPECT_EQ((*got)->dtype, "F32");
    }
    std::vector<float> actual = toF32(**got);
    ASSERT_EQ(actual.size(), expected.size());
    EXPECT_EQ(std::memcmp(actual.data(), expected.data(), actual.size() * 4), 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Dtypes, GgufTensors,
                         ::testing::Values(std::pair{"case1_f32.gguf", DType::kF32},
                                           std::pair{"case1_f16.gguf", DType::kF16},
                                           std::pair{"case1_bf16.gguf", DType::kBF16}));

// The golden case run from the GGUF (plan from the GGUF's config): f32 gives
// the safetensors logits bit for bit; f16 and bf16 weights stay near them.
TEST(GgufCheckpoint, GoldenCaseRunsFromTheGguf) {
  nlohmann::json info = nlohmann::json::parse(std::ifstream(kCase1 + "/tokens.json"));
  std::vector<int32_t> tokens = info["tokens"].get<std::vector<int32_t>>();
  std::vector<float> golden = readF32(kCase1 + "/logits_prefill.f32");
  auto logits = [&](const std::string &path) -> std::vector<float> {
    auto checkpoint = Checkpoint::open(path);
    EXPECT_TRUE(checkpoint.ok()) << checkpoint.status();
    if (!checkpoint.ok()) return {};
    nlohmann::json cfg;
    if (checkpoint->gguf()) {
      auto c = lfm2ConfigFromGguf(*checkpoint->gguf());
      EXPECT_TRUE(c.ok()) << c.status();
      cfg = *c;
    } else {
      cfg = nlohmann::json::parse(std::ifstream(path + "/config.json"));
    }
    auto plan = lfm2Plan(cfg, *checkpoint, DType::kF32);
    EXPECT_TRUE(plan.ok()) << plan.status();
    if (!plan.ok()) return {};
    auto weights = loadWeights(*plan, path, nullptr);  // by path, as lfm-run --weights
    EXPECT_TRUE(weights.ok()) << weights.status();
    if (!weights.ok()) return {};
    auto device = createDevice({DeviceKind::kCpu, 1});
    auto session = Session::create(std::move(device->device), *plan, std::move(*weights), {1, 64});
    EXPECT_TRUE(session.ok()) << session.status();
    if (!session.ok()) return {};
    return runChunks(**session, tokens, tokens.size());
  };
  std::vector<float> from_safetensors = logits(kCase1);
  std::vector<float> from_f32 = logits(gguf("case1_f32.gguf"));
  ASSERT_EQ(from_f32.size(), golden.size());
  EXPECT_EQ(std::memcmp(from_f32.data(), from_safetensors.data(), from_f32.size() * 4), 0);
  const int64_t vocab = 320;
  Agreement a = compare(from_f32, golden, vocab);
  EXPECT_LT(a.max_abs, 1e-3);
  EXPECT_EQ(a.argmax_same, a.rows);
  for (const char *file : {"case1_f16.gguf", "case1_bf16.gguf"}) {
    Agreement r = compare(logits(gguf(file)), golden, vocab);
    EXPECT_EQ(r.rows, static_cast<int64_t>(tokens.size())) << file;
    // Only the weights are rounded (f32 compute); measured max abs 0.035
    // (f16) and 0.34 (bf16) on logits of this random model, every argmax kept.
    EXPECT_LT(r.max_abs, std::string(file) == "case1_f16.gguf" ? 0.07 : 0.6) << file;
    EXPECT_EQ(r.argmax_same, r.rows) << file;
    std::printf("%s: max abs %.3g of the golden logits, argmax %lld of %lld\n", file, r.max_abs,
                static_cast<long long>(r.argmax_same), static_cast<long long>(r.rows));
  }
}

TEST(GgufCheckpoint, QuantizedTensorsNeedAQuantizedPlan) {
  auto checkpoint = Checkpoint::open(gguf("case1_q8_0.gguf"));
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status();
  const SafetensorsTensor *up = *checkpoint->tensor("model.layers.0.feed_forward.w3.weight");
  EXPECT_EQ(up->dtype, "Q8_0");
  EXPECT_EQ(up->ggml_type, 8u);
  EXPECT_EQ(up->gguf_name, "blk.0.ffn_up.weight");
  EXPECT_EQ(up->shape, (std::vector<int64_t>{128, 64}));
  EXPECT_EQ(up->data.size(), 128u * 64 / 32 * 34);  // raw q8_0 blocks
  nlohmann::json cfg = *lfm2ConfigFromGguf(*checkpoint->gguf());
  auto plan = lfm2Plan(cfg, *checkpoint, DType::kF32);
  ASSERT_TRUE(plan.ok()) << plan.status();
  auto weights = loadWeights(*plan, gguf("case1_q8_0.gguf"), nullptr);
  ASSERT_FALSE(weights.ok());
  EXPECT_TRUE(contains(weights.status(), "model.embed_tokens.weight")) << weights.status();
  EXPECT_TRUE(contains(weights.status(), "'token_embd.weight' in")) << weights.status();
  EXPECT_TRUE(contains(weights.status(), "is q8_0: a quantized weight plan is needed"))
      << weights.status();

  auto odd = Checkpoint::open(gguf("odd_types.gguf"));
  ASSERT_TRUE(odd.ok()) << odd.status();
  auto q5 = supportedDType(**odd->tensor("extra.q5_0"), odd->fileOf("extra.q5_0"));
  ASSERT_FALSE(q5.ok());
  EXPECT_TRUE(contains(q5.status(), "is q5_0, which lfm does not load")) << q5.status();
  auto q4 = supportedDType(**odd->tensor("model.layers.0.conv.in_proj.weight"), "odd");
  EXPECT_TRUE(contains(q4.status(), "is q4_0: a quantized weight plan")) << q4.status();
}

TEST(GgufCheckpoint, OtherArchitecturesAreRefused) {
  std::vector<uint8_t> bytes;
  {
    std::ifstream f(gguf("llama_spm_tokenizer.gguf"), std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(f), {});
  }
  auto at = std::search(bytes.begin(), bytes.end(), std::begin("lfm2"), std::end("lfm2") - 1);
  ASSERT_NE(at, bytes.end());
  std::copy_n("gpt2", 4, at);  // general.architecture is the first "lfm2"
  std::string path = ::testing::TempDir() + "/other_arch.gguf";
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char *>(bytes.data()),
                                              static_cast<std::streamsize>(bytes.size()));
  auto checkpoint = Checkpoint::open(path);
  ASSERT_FALSE(checkpoint.ok());
  EXPECT_TRUE(contains(checkpoint.status(), "general.architecture is 'gpt2'")) << checkpoint.status();
}

}  // namespace
}  // namespace lfm::testing
