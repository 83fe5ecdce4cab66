// Tests for the LFM2 config.json parser: the released and golden configs,
// defaults, legacy keys, and every class of bad config.
#include "models/Lfm2Config.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace lfm::models {
namespace {

using json = nlohmann::json;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

const fs::path kDataDir = LFM_TEST_DATA_DIR;

// The smallest valid config; each test changes what it is about.
json minimalConfig() {
  return json{
      {"model_type", "lfm2"},
      {"vocab_size", 320},
      {"hidden_size", 64},
      {"intermediate_size", 128},
      {"num_hidden_layers", 4},
      {"num_attention_heads", 4},
      {"num_key_value_heads", 2},
      {"layer_types", {"conv", "full_attention", "conv", "full_attention"}},
  };
}

absl::StatusOr<ModelConfig> parse(const json &config) {
  return parseLfm2Config(config.dump(), "config.json");
}

ModelConfig parseOk(const json &config) {
  absl::StatusOr<ModelConfig> result = parse(config);
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? *result : ModelConfig{};
}

ModelConfig loadOk(const fs::path &path) {
  absl::StatusOr<ModelConfig> result = loadLfm2Config(path.string());
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? *result : ModelConfig{};
}

std::vector<LayerKind> attentionAt(int64_t numLayers, std::initializer_list<int> indices) {
  std::vector<LayerKind> layers(numLayers, LayerKind::kConv);
  for (int i : indices)
    layers[i] = LayerKind::kAttention;
  return layers;
}

// A fresh directory under the system temp dir, removed at the end of a test.
class TempDir {
public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("lfm2_config_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path &path() const { return path_; }
  fs::path write(const std::string &name, const std::string &text) const {
    fs::path file = path_ / name;
    std::ofstream(file, std::ios::binary) << text;
    return file;
  }

private:
  static inline int counter_ = 0;
  fs::path path_;
};

// ---------------------------------------------------------------------------
// Released configs (legacy keys as shipped).

TEST(ReleasedConfigs, Lfm2_350M) {
  ModelConfig c = loadOk(kDataDir / "configs/lfm2-350m.json");
  EXPECT_EQ(c.vocab_size, 65536);
  EXPECT_EQ(c.hidden_size, 1024);
  EXPECT_EQ(c.intermediate_size, 4608);
  EXPECT_EQ(c.num_attention_heads, 16);
  EXPECT_EQ(c.num_key_value_heads, 8);
  EXPECT_EQ(c.head_dim, 64);
  EXPECT_EQ(c.numLayers(), 16);
  EXPECT_EQ(c.numAttentionLayers(), 6);
  EXPECT_EQ(c.torch_dtype, "bfloat16");
}

TEST(ReleasedConfigs, Lfm2_700M) {
  ModelConfig c = loadOk(kDataDir / "configs/lfm2-700m.json");
  EXPECT_EQ(c.hidden_size, 1536);
  EXPECT_EQ(c.intermediate_size, 6912);
  EXPECT_EQ(c.num_attention_heads, 24);
  EXPECT_EQ(c.head_dim, 64);
  EXPECT_EQ(c.numLayers(), 16);
}

TEST(ReleasedConfigs, Lfm2_1_2B_UsesBlockFfDimAndFullAttnIdxs) {
  ModelConfig c = loadOk(kDataDir / "configs/lfm2-1.2b.json");
  EXPECT_EQ(c.hidden_size, 2048);
  // block_ff_dim (12288) is adjusted, not intermediate_size (8192).
  EXPECT_EQ(c.intermediate_size, 8192);
  EXPECT_EQ(c.numConvLayers(), 10);
  EXPECT_EQ(c.numAttentionLayers(), 6);
  EXPECT_EQ(c.layer_types, attentionAt(16, {2, 5, 8, 10, 12, 14}));
  EXPECT_EQ(c.head_dim, 64);
  EXPECT_EQ(c.num_key_value_heads, 8);
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_DOUBLE_EQ(c.rope_theta, 1e6);
  EXPECT_DOUBLE_EQ(c.norm_eps, 1e-5);
  EXPECT_EQ(c.eos_token_id, 7);
  EXPECT_EQ(c.bos_token_id, 1);
  EXPECT_EQ(c.pad_token_id, 0);
  EXPECT_EQ(c.conv_kernel, 3);
  EXPECT_FALSE(c.conv_bias);
  EXPECT_EQ(c.max_position_embeddings, 128000);
}

TEST(ReleasedConfigs, Lfm2_2_6B_NoAutoAdjust) {
  ModelConfig c = loadOk(kDataDir / "configs/lfm2-2.6b.json");
  EXPECT_EQ(c.intermediate_size, 10752);
  EXPECT_EQ(c.numConvLayers(), 22);
  EXPECT_EQ(c.numAttentionLayers(), 8);
  EXPECT_EQ(c.head_dim, 64);
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_DOUBLE_EQ(c.rope_theta, 1e6);
  EXPECT_EQ(c.eos_token_id, 7);
}

// ---------------------------------------------------------------------------
// Golden configs (modern keys, as transformers saves them).

TEST(GoldenConfigs, Case1FromCheckpointFolder) {
  ModelConfig c = loadOk(kDataDir / "golden/case1_gqa_12tok");
  EXPECT_EQ(c.vocab_size, 320);
  EXPECT_EQ(c.hidden_size, 64);
  EXPECT_EQ(c.intermediate_size, 128);
  EXPECT_EQ(c.num_attention_heads, 4);
  EXPECT_EQ(c.num_key_value_heads, 2);
  EXPECT_EQ(c.head_dim, 16);
  EXPECT_EQ(c.layer_types, attentionAt(6, {2, 4}));
  EXPECT_EQ(c.torch_dtype, "float32");
  EXPECT_EQ(c.eos_token_id, 2);
}

TEST(GoldenConfigs, Case3AutoAdjustAndLongerConv) {
  ModelConfig c = loadOk(kDataDir / "golden/case3_h128_L4_autoff");
  EXPECT_EQ(c.intermediate_size, 256);
  EXPECT_EQ(c.conv_kernel, 4);
  EXPECT_EQ(c.head_dim, 16);
  EXPECT_EQ(c.layer_types, attentionAt(8, {1, 4, 6}));
}

TEST(GoldenConfigs, Case4HeadDim64Bf16) {
  ModelConfig c = loadOk(kDataDir / "golden/case4_hd64_bf16/config.json");
  EXPECT_EQ(c.intermediate_size, 256);
  EXPECT_EQ(c.num_attention_heads, 2);
  EXPECT_EQ(c.num_key_value_heads, 1);
  EXPECT_EQ(c.head_dim, 64);
  EXPECT_EQ(c.torch_dtype, "bfloat16");
  EXPECT_EQ(c.layer_types, attentionAt(8, {2, 4, 7}));
}

// ---------------------------------------------------------------------------
// Effective FFN width.

TEST(EffectiveFfnWidth, ReleasedModels) {
  EXPECT_EQ(effectiveFfnWidth(6656, true, 1.0, 256), 4608);
  EXPECT_EQ(effectiveFfnWidth(10240, true, 1.0, 256), 6912);
  EXPECT_EQ(effectiveFfnWidth(12288, true, 1.0, 256), 8192);
  EXPECT_EQ(effectiveFfnWidth(10752, false, 1.0, 256), 10752);
}

TEST(EffectiveFfnWidth, MultiplierAndRounding) {
  // int(2*100/3) = 66; int(1.5*66) = 99; rounded up to 128.
  EXPECT_EQ(effectiveFfnWidth(100, true, 1.5, 64), 128);
  EXPECT_EQ(effectiveFfnWidth(99, true, 1.0, 1), 66);
  EXPECT_EQ(effectiveFfnWidth(384, true, 1.0, 256), 256);
  // Without auto-adjust the multiplier and multiple are ignored.
  EXPECT_EQ(effectiveFfnWidth(100, false, 3.0, 256), 100);
}

TEST(EffectiveFfnWidth, SaturatesInsteadOfOverflowing) {
  EXPECT_EQ(effectiveFfnWidth(kMaxDimension, true, 1e300, 256), int64_t{1} << 62);
  EXPECT_EQ(effectiveFfnWidth(100, true, 1.0, 0), 66);
}

TEST(EffectiveFfnWidth, MultiplierReadFromConfig) {
  json config = minimalConfig();
  config["intermediate_size"] = 300;
  config["block_auto_adjust_ff_dim"] = true;
  config["block_ffn_dim_multiplier"] = 1.3;
  config["block_multiple_of"] = 32;
  // int(2*300/3) = 200; int(1.3*200) = 260; rounded up to 288.
  EXPECT_EQ(parseOk(config).intermediate_size, 288);
  config["block_ffn_dim_multiplier"] = nullptr; // None: no multiplier
  EXPECT_EQ(parseOk(config).intermediate_size, 224);
}

// ---------------------------------------------------------------------------
// Defaults.

TEST(Defaults, MatchTransformers) {
  ModelConfig c = parseOk(minimalConfig());
  EXPECT_EQ(c.model_type, "lfm2");
  EXPECT_EQ(c.head_dim, 16);
  EXPECT_EQ(c.conv_kernel, 3);
  EXPECT_FALSE(c.conv_bias);
  EXPECT_DOUBLE_EQ(c.norm_eps, 1e-5);
  EXPECT_DOUBLE_EQ(c.rope_theta, 1e6);
  EXPECT_EQ(c.max_position_embeddings, 128000);
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_EQ(c.bos_token_id, 1);
  EXPECT_EQ(c.eos_token_id, 2);
  EXPECT_EQ(c.pad_token_id, 0);
  EXPECT_EQ(c.torch_dtype, "float32");
  // block_auto_adjust_ff_dim defaults to true: int(2*128/3) = 85 -> 256.
  EXPECT_EQ(c.intermediate_size, 256);
}

TEST(Defaults, NullCountsAsAbsent) {
  json config = minimalConfig();
  config["rope_theta"] = nullptr;
  config["norm_eps"] = nullptr;
  config["conv_L_cache"] = nullptr;
  config["torch_dtype"] = nullptr;
  ModelConfig c = parseOk(config);
  EXPECT_DOUBLE_EQ(c.rope_theta, 1e6);
  EXPECT_DOUBLE_EQ(c.norm_eps, 1e-5);
  EXPECT_EQ(c.conv_kernel, 3);
  EXPECT_EQ(c.torch_dtype, "float32");
}

TEST(Defaults, NullTokenIdMeansNone) {
  json config = minimalConfig();
  config["pad_token_id"] = nullptr;
  EXPECT_EQ(parseOk(config).pad_token_id, -1);
}

TEST(Defaults, ExplicitValuesAreKept) {
  json config = minimalConfig();
  config["conv_bias"] = true;
  config["conv_L_cache"] = 5;
  config["norm_eps"] = 1e-6;
  config["rope_theta"] = 10000; // an integer is a fine number
  config["max_position_embeddings"] = 4096;
  config["tie_word_embeddings"] = false;
  config["torch_dtype"] = "float16";
  config["bos_token_id"] = 10;
  config["eos_token_id"] = 11;
  config["pad_token_id"] = 12;
  config["block_auto_adjust_ff_dim"] = false;
  ModelConfig c = parseOk(config);
  EXPECT_TRUE(c.conv_bias);
  EXPECT_EQ(c.conv_kernel, 5);
  EXPECT_DOUBLE_EQ(c.norm_eps, 1e-6);
  EXPECT_DOUBLE_EQ(c.rope_theta, 1e4);
  EXPECT_EQ(c.max_position_embeddings, 4096);
  EXPECT_FALSE(c.tie_word_embeddings);
  EXPECT_EQ(c.torch_dtype, "float16");
  EXPECT_EQ(c.bos_token_id, 10);
  EXPECT_EQ(c.eos_token_id, 11);
  EXPECT_EQ(c.pad_token_id, 12);
  EXPECT_EQ(c.intermediate_size, 128);
}

TEST(Defaults, UnknownKeysAreIgnored) {
  json config = minimalConfig();
  config["block_use_swiglu"] = true;
  config["architectures"] = {"Lfm2ForCausalLM"};
  config["some_future_key"] = {{"nested", {1, 2, 3}}};
  parseOk(config);
}

// ---------------------------------------------------------------------------
// Legacy keys.

TEST(LegacyKeys, BlockFfDimOverridesIntermediateSize) {
  json config = minimalConfig();
  config["block_auto_adjust_ff_dim"] = false;
  config["block_ff_dim"] = 192;
  EXPECT_EQ(parseOk(config).intermediate_size, 192);
  config.erase("intermediate_size");
  EXPECT_EQ(parseOk(config).intermediate_size, 192);
}

TEST(LegacyKeys, BlockDimStandsInForHiddenSize) {
  json config = minimalConfig();
  config.erase("hidden_size");
  config["block_dim"] = 64;
  EXPECT_EQ(parseOk(config).hidden_size, 64);
  config["hidden_size"] = 64;
  EXPECT_EQ(parseOk(config).hidden_size, 64);
}

TEST(LegacyKeys, NumHeadsStandsInForNumAttentionHeads) {
  json config = minimalConfig();
  config.erase("num_attention_heads");
  config["num_heads"] = 8;
  ModelConfig c = parseOk(config);
  EXPECT_EQ(c.num_attention_heads, 8);
  EXPECT_EQ(c.head_dim, 8);
}

TEST(LegacyKeys, FullAttnIdxsGiveTheLayout) {
  json config = minimalConfig();
  config.erase("layer_types");
  config["full_attn_idxs"] = {3, 0};
  EXPECT_EQ(parseOk(config).layer_types, attentionAt(4, {0, 3}));
  config["full_attn_idxs"] = json::array(); // all conv
  EXPECT_EQ(parseOk(config).numAttentionLayers(), 0);
}

TEST(LegacyKeys, FullAttnIdxsAgreeingWithLayerTypes) {
  json config = minimalConfig();
  config["full_attn_idxs"] = {1, 3};
  EXPECT_EQ(parseOk(config).layer_types, attentionAt(4, {1, 3}));
}

TEST(LegacyKeys, TieEmbeddingWinsOverTieWordEmbeddings) {
  json config = minimalConfig();
  config["tie_embedding"] = false;
  EXPECT_FALSE(parseOk(config).tie_word_embeddings);
  config["tie_word_embeddings"] = true; // transformers reads tie_embedding first
  EXPECT_FALSE(parseOk(config).tie_word_embeddings);
}

TEST(LegacyKeys, ThetaWinsOverRopeTheta) {
  json config = minimalConfig();
  config["theta"] = 5e5;
  EXPECT_DOUBLE_EQ(parseOk(config).rope_theta, 5e5);
  config["rope_theta"] = 1e6;
  EXPECT_DOUBLE_EQ(parseOk(config).rope_theta, 5e5);
}

TEST(LegacyKeys, RopeParametersTheta) {
  json config = minimalConfig();
  config["rope_parameters"] = {{"rope_type", "default"}, {"rope_theta", 2e5}};
  EXPECT_DOUBLE_EQ(parseOk(config).rope_theta, 2e5);
  config["rope_theta"] = 3e5; // the top-level key wins
  EXPECT_DOUBLE_EQ(parseOk(config).rope_theta, 3e5);
}

TEST(LegacyKeys, ExplicitHeadDim) {
  json config = minimalConfig();
  config["head_dim"] = 32; // num_heads * head_dim need not equal hidden_size
  EXPECT_EQ(parseOk(config).head_dim, 32);
  config["num_attention_heads"] = 3; // no longer needs to divide hidden_size
  config["num_key_value_heads"] = 1;
  EXPECT_EQ(parseOk(config).num_attention_heads, 3);
}

TEST(LegacyKeys, BlockNormEps) {
  json config = minimalConfig();
  config["block_norm_eps"] = 1e-6;
  EXPECT_DOUBLE_EQ(parseOk(config).norm_eps, 1e-6);
  config["norm_eps"] = 1e-6;
  EXPECT_DOUBLE_EQ(parseOk(config).norm_eps, 1e-6);
}

TEST(LegacyKeys, DtypeStandsInForTorchDtype) {
  json config = minimalConfig();
  config["dtype"] = "bfloat16";
  EXPECT_EQ(parseOk(config).torch_dtype, "bfloat16");
}

// ---------------------------------------------------------------------------
// Bad configs: each case edits the minimal config and names what the error
// must mention (the source name is always checked too).

struct BadCase {
  std::string name;
  std::function<void(json &)> edit;
  std::vector<std::string> mentions;
};

void PrintTo(const BadCase &c, std::ostream *os) { *os << c.name; }

class BadConfig : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadConfig, NamesFileAndField) {
  json config = minimalConfig();
  GetParam().edit(config);
  absl::StatusOr<ModelConfig> result = parse(config);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  std::string message(result.status().message());
  EXPECT_THAT(message, ::testing::StartsWith("config.json: "));
  for (const std::string &fragment : GetParam().mentions)
    EXPECT_THAT(message, HasSubstr(fragment));
}

auto setField(const std::string &key, json value) {
  return [key, value](json &c) { c[key] = value; };
}
auto eraseField(const std::string &key) {
  return [key](json &c) { c.erase(key); };
}

const BadCase kBadCases[] = {
    // Model type.
    {"MissingModelType", eraseField("model_type"), {"'model_type'", "required"}},
    {"UnsupportedModelType", setField("model_type", "lfm2_moe"), {"'model_type'", "'lfm2_moe'"}},
    {"ModelTypeNotString", setField("model_type", 2), {"'model_type'", "must be a string"}},
    // Missing required fields.
    {"MissingVocab", eraseField("vocab_size"), {"'vocab_size'", "required"}},
    {"MissingHidden", eraseField("hidden_size"), {"'hidden_size'", "required", "block_dim"}},
    {"NullHidden", setField("hidden_size", nullptr), {"'hidden_size'", "null"}},
    {"MissingIntermediate", eraseField("intermediate_size"), {"'intermediate_size'", "required"}},
    {"MissingLayers", eraseField("num_hidden_layers"), {"'num_hidden_layers'", "required"}},
    {"MissingHeads", eraseField("num_attention_heads"), {"'num_attention_heads'", "required"}},
    {"MissingKvHeads", eraseField("num_key_value_heads"), {"'num_key_value_heads'", "required"}},
    {"MissingLayout", eraseField("layer_types"), {"layer_types", "full_attn_idxs"}},
    // Wrong JSON types.
    {"StringForInt",
     setField("vocab_size", "320"),
     {"'vocab_size'", "must be an integer", "a string"}},
    {"FloatForInt",
     setField("hidden_size", 64.0),
     {"'hidden_size'", "must be an integer", "floating"}},
    {"BoolForInt",
     setField("num_hidden_layers", true),
     {"'num_hidden_layers'", "must be an integer"}},
    {"ArrayForInt", setField("num_key_value_heads", {2}), {"'num_key_value_heads'", "an array"}},
    {"IntBeyond64Bits",
     setField("vocab_size", 18446744073709551615ULL),
     {"'vocab_size'", "too large"}},
    {"StringForBool", setField("conv_bias", "false"), {"'conv_bias'", "must be a boolean"}},
    {"IntForBool",
     setField("tie_word_embeddings", 1),
     {"'tie_word_embeddings'", "must be a boolean"}},
    {"StringForNumber", setField("norm_eps", "1e-5"), {"'norm_eps'", "must be a number"}},
    {"ObjectForDtype", setField("torch_dtype", {{"a", 1}}), {"'torch_dtype'", "must be a string"}},
    {"LayerTypesNotArray", setField("layer_types", "conv"), {"'layer_types'", "must be an array"}},
    {"LayerTypeNotString",
     setField("layer_types", {"conv", 1, "conv", "conv"}),
     {"'layer_types[1]'", "must be a string"}},
    {"FullAttnIdxsNotArray",
     [](json &c) {
       c.erase("layer_types");
       c["full_attn_idxs"] = 2;
     },
     {"'full_attn_idxs'", "must be an array"}},
    {"FullAttnIdxFloat",
     [](json &c) {
       c.erase("layer_types");
       c["full_attn_idxs"] = {1.5};
     },
     {"'full_attn_idxs[0]'", "must be an integer"}},
    {"TokenIdList", setField("eos_token_id", {2, 7}), {"'eos_token_id'", "must be an integer"}},
    // Layer layout.
    {"UnknownLayerType",
     setField("layer_types", {"conv", "mamba", "conv", "conv"}),
     {"'layer_types[1]'", "'mamba'"}},
    {"AttentionIsNotALayerType",
     setField("layer_types", {"conv", "attention", "conv", "conv"}),
     {"'layer_types[1]'", "'attention'"}},
    {"LayerTypesTooShort",
     setField("layer_types", {"conv", "conv"}),
     {"'layer_types'", "2 entries", "'num_hidden_layers' is 4"}},
    {"LayerTypesTooLong",
     setField("layer_types", {"conv", "conv", "conv", "conv", "conv"}),
     {"'layer_types'", "5 entries"}},
    {"FullAttnIdxOutOfRange",
     [](json &c) {
       c.erase("layer_types");
       c["full_attn_idxs"] = {1, 4};
     },
     {"'full_attn_idxs[1]'", "(4)", "'num_hidden_layers' is 4"}},
    {"FullAttnIdxNegative",
     [](json &c) {
       c.erase("layer_types");
       c["full_attn_idxs"] = {-1};
     },
     {"'full_attn_idxs[0]'", "(-1)"}},
    {"FullAttnIdxDuplicate",
     [](json &c) {
       c.erase("layer_types");
       c["full_attn_idxs"] = {1, 3, 1};
     },
     {"'full_attn_idxs[2]'", "(1)", "repeats"}},
    {"FullAttnIdxsDisagreeWithLayerTypes",
     setField("full_attn_idxs", {0}),
     {"'full_attn_idxs'", "'layer_types'"}},
    // Heads.
    {"KvHeadsDoNotDivideHeads",
     setField("num_key_value_heads", 3),
     {"field 'num_key_value_heads' (3) must divide 'num_attention_heads' (4)"}},
    {"HeadsDoNotDivideHidden",
     [](json &c) {
       c["num_attention_heads"] = 6;
       c["num_key_value_heads"] = 3;
     },
     {"'num_attention_heads' (6) must divide 'hidden_size' (64)", "head_dim"}},
    {"OddHeadDim", setField("head_dim", 15), {"'head_dim' (15)", "even"}},
    {"OddDerivedHeadDim",
     [](json &c) {
       c["hidden_size"] = 60;
       c["num_attention_heads"] = 4;
     },
     {"'head_dim' (15", "even"}},
    // Non-positive and out-of-range sizes.
    {"ZeroVocab", setField("vocab_size", 0), {"'vocab_size' (0) must be positive"}},
    {"NegativeHidden", setField("hidden_size", -64), {"'hidden_size' (-64) must be positive"}},
    {"ZeroLayers", setField("num_hidden_layers", 0), {"'num_hidden_layers' (0) must be positive"}},
    {"TooManyLayers",
     setField("num_hidden_layers", 1 << 20),
     {"'num_hidden_layers'", "at most 65536"}},
    {"ZeroHeads",
     setField("num_attention_heads", 0),
     {"'num_attention_heads' (0) must be positive"}},
    {"NegativeKvHeads",
     setField("num_key_value_heads", -2),
     {"'num_key_value_heads' (-2) must be positive"}},
    {"ZeroHeadDim", setField("head_dim", 0), {"'head_dim' (0) must be positive"}},
    {"ZeroIntermediate",
     setField("intermediate_size", 0),
     {"'intermediate_size' (0) must be positive"}},
    {"ZeroBlockFfDim", setField("block_ff_dim", 0), {"'block_ff_dim' (0) must be positive"}},
    {"EffectiveFfnWidthZero",
     [](json &c) {
       c["intermediate_size"] = 1;
       c["block_multiple_of"] = 1;
     },
     {"'intermediate_size' (1)", "effective FFN width of 0"}},
    {"HugeMultiplier",
     setField("block_ffn_dim_multiplier", 1e300),
     {"'intermediate_size'", "effective FFN width"}},
    {"ZeroMultiplier",
     setField("block_ffn_dim_multiplier", 0.0),
     {"'block_ffn_dim_multiplier'", "positive"}},
    {"ZeroMultipleOf",
     setField("block_multiple_of", 0),
     {"'block_multiple_of' (0) must be positive"}},
    {"ZeroConvCache", setField("conv_L_cache", 0), {"'conv_L_cache' (0) must be positive"}},
    {"HugeHidden",
     setField("hidden_size", int64_t{1} << 40),
     {"'hidden_size'", "at most 2147483647"}},
    {"ZeroMaxPositions",
     setField("max_position_embeddings", 0),
     {"'max_position_embeddings' (0) must be positive"}},
    {"ZeroNormEps", setField("norm_eps", 0.0), {"'norm_eps'", "must be positive"}},
    {"NegativeNormEps", setField("norm_eps", -1e-5), {"'norm_eps'", "must be positive"}},
    {"NegativeRopeTheta", setField("rope_theta", -1.0), {"'rope_theta'", "must be positive"}},
    {"ZeroTheta", setField("theta", 0), {"'theta'", "must be positive"}},
    // Token ids.
    {"NegativeEos", setField("eos_token_id", -1), {"'eos_token_id' (-1)", "non-negative"}},
    {"EosBeyondVocab",
     setField("eos_token_id", 320),
     {"'eos_token_id' (320)", "'vocab_size' (320)"}},
    // dtype.
    {"UnknownDtype", setField("torch_dtype", "int8"), {"'torch_dtype'", "'int8'", "bfloat16"}},
    // Legacy keys that must agree.
    {"BlockDimDisagrees",
     setField("block_dim", 128),
     {"'block_dim' (128) disagrees with 'hidden_size' (64)"}},
    {"ConvDimDisagrees", setField("conv_dim", 128), {"'conv_dim' (128)", "'hidden_size' (64)"}},
    {"NumHeadsDisagrees",
     setField("num_heads", 8),
     {"'num_heads' (8) disagrees with 'num_attention_heads' (4)"}},
    {"BlockNormEpsDisagrees",
     [](json &c) {
       c["norm_eps"] = 1e-5;
       c["block_norm_eps"] = 1e-6;
     },
     {"'block_norm_eps' (1e-06) disagrees with 'norm_eps' (1e-05)"}},
    {"DtypeDisagrees",
     [](json &c) {
       c["torch_dtype"] = "float32";
       c["dtype"] = "bfloat16";
     },
     {"'dtype'", "'torch_dtype'"}},
    {"BadLegacyHeadsType",
     [](json &c) {
       c.erase("num_attention_heads");
       c["num_heads"] = "4";
     },
     {"'num_heads'", "must be an integer"}},
    // RoPE variants the graph cannot express.
    {"RopeScaling",
     setField("rope_scaling", {{"rope_type", "yarn"}, {"factor", 4.0}}),
     {"'rope_scaling.rope_type'", "'yarn'"}},
    {"RopeScalingLegacyType",
     setField("rope_scaling", {{"type", "linear"}}),
     {"'rope_scaling.type'", "'linear'"}},
    {"RopeParametersNotObject",
     setField("rope_parameters", 5),
     {"'rope_parameters'", "must be an object"}},
    {"RopeParametersBadTheta",
     setField("rope_parameters", {{"rope_theta", -3.0}}),
     {"'rope_parameters.rope_theta'", "positive"}},
};

INSTANTIATE_TEST_SUITE_P(All, BadConfig, ::testing::ValuesIn(kBadCases),
                         [](const ::testing::TestParamInfo<BadCase> &info) {
                           return info.param.name;
                         });

// ---------------------------------------------------------------------------
// Not a config at all.

absl::Status parseText(std::string_view text) {
  return parseLfm2Config(text, "weird.json").status();
}

TEST(BadJson, InvalidJsonGivesThePosition) {
  absl::Status status = parseText("{\n  \"vocab_size\": 320,\n  oops\n}");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("weird.json: invalid JSON"));
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("weird.json: invalid JSON: at line 3, column 3"));
}

TEST(BadJson, EmptyAndTruncated) {
  EXPECT_THAT(parseText("").message(), HasSubstr("weird.json: invalid JSON"));
  EXPECT_THAT(parseText("{\"model_type\": \"lf").message(), HasSubstr("invalid JSON"));
}

TEST(BadJson, TopLevelNotAnObject) {
  EXPECT_THAT(parseText("[1, 2]").message(),
              HasSubstr("weird.json: the top level must be a JSON object, got an array"));
  EXPECT_THAT(parseText("42").message(), HasSubstr("got an integer"));
  EXPECT_THAT(parseText("null").message(), HasSubstr("got null"));
}

// Nesting is bounded before parsing (lfm/JsonNesting.h): a deep value is
// refused wherever it is, an unknown key included.
TEST(BadJson, DeepNestingIsRefused) {
  constexpr int kDepth = 200000;
  std::string deep = std::string(kDepth, '[') + std::string(kDepth, ']');
  EXPECT_THAT(parseText(deep).message(),
              HasSubstr("weird.json: JSON nested deeper than 128 levels (at byte 128)"));
  std::string unclosed = "{\"x\": " + std::string(kDepth, '[');
  EXPECT_THAT(parseText(unclosed).message(), HasSubstr("nested deeper than 128 levels"));
  std::string text = minimalConfig().dump();
  text.insert(1, "\"hidden_size_deep\": " + deep + ", ");
  EXPECT_THAT(parseLfm2Config(text, "deep.json").status().message(),
              HasSubstr("deep.json: JSON nested deeper than 128 levels"));
  // At the bound it parses (the key is unknown, so ignored); brackets in
  // strings do not count.
  std::string at_bound = std::string(127, '[') + std::string(127, ']');
  text = minimalConfig().dump();
  text.insert(1, "\"deep\": " + at_bound + ", \"s\": \"" + std::string(1000, '[') + "\", ");
  EXPECT_TRUE(parseLfm2Config(text, "deep.json").ok())
      << parseLfm2Config(text, "deep.json").status();
}

TEST(BadJson, HugeNumbersDoNotCrash) {
  EXPECT_THAT(std::string(parseText("{\"vocab_size\": 1e999}").message()),
              ::testing::AllOf(HasSubstr("weird.json: invalid JSON: number overflow"),
                               ::testing::Not(HasSubstr("json.exception"))));
  json config = minimalConfig();
  std::string text = config.dump();
  text.replace(text.find("320"), 3, "123456789012345678901234567890");
  EXPECT_THAT(parseLfm2Config(text, "big.json").status().message(),
              HasSubstr("'vocab_size' must be an integer"));
  text = config.dump();
  text.replace(text.find("320"), 3, "-9223372036854775808");
  EXPECT_THAT(parseLfm2Config(text, "big.json").status().message(),
              HasSubstr("'vocab_size' (-9223372036854775808) must be positive"));
}

TEST(BadJson, LongStringsAreClipped) {
  json config = minimalConfig();
  config["model_type"] = std::string(100000, 'x');
  std::string message(parse(config).status().message());
  EXPECT_THAT(message, HasSubstr("'model_type'"));
  EXPECT_LT(message.size(), 300u);
}

TEST(BadJson, InvalidUtf8) {
  EXPECT_THAT(parseText("{\"model_type\": \"\xff\"}").message(), HasSubstr("invalid JSON"));
}

// ---------------------------------------------------------------------------
// Loading from disk.

TEST(Load, FileAndFolder) {
  TempDir dir;
  fs::path file = dir.write("config.json", minimalConfig().dump(2));
  EXPECT_EQ(loadOk(file).hidden_size, 64);
  EXPECT_EQ(loadOk(dir.path()).hidden_size, 64);
}

TEST(Load, ErrorsNameTheFile) {
  TempDir dir;
  json config = minimalConfig();
  config["vocab_size"] = 0;
  fs::path file = dir.write("my-config.json", config.dump());
  absl::Status status = loadLfm2Config(file.string()).status();
  EXPECT_THAT(status.message(), HasSubstr(file.string() + ": field 'vocab_size'"));

  fs::path folderConfig = dir.write("config.json", "{ nope");
  status = loadLfm2Config(dir.path().string()).status();
  EXPECT_THAT(status.message(), HasSubstr(folderConfig.string() + ": invalid JSON"));
}

TEST(Load, MissingFile) {
  TempDir dir;
  fs::path missing = dir.path() / "nope.json";
  absl::Status status = loadLfm2Config(missing.string()).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(status.message(), HasSubstr(missing.string()));
}

TEST(Load, FolderWithoutConfig) {
  TempDir dir;
  dir.write("model.safetensors", "");
  absl::Status status = loadLfm2Config(dir.path().string()).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(status.message(), HasSubstr(dir.path().string()));
  EXPECT_THAT(status.message(), HasSubstr("config.json"));
}

TEST(Load, EmptyFile) {
  TempDir dir;
  fs::path file = dir.write("config.json", "");
  EXPECT_THAT(loadLfm2Config(file.string()).status().message(),
              HasSubstr(file.string() + ": invalid JSON"));
}

TEST(Load, ConfigJsonThatIsAFolder) {
  TempDir dir;
  fs::create_directories(dir.path() / "config.json");
  absl::Status status = loadLfm2Config(dir.path().string()).status();
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(status.message(), HasSubstr("config.json"));
}

TEST(Load, NotARegularFile) {
  absl::Status status = loadLfm2Config("/dev/zero").status();
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(status.message(), HasSubstr("/dev/zero"));
}

TEST(Load, EmptyPath) { EXPECT_FALSE(loadLfm2Config("").ok()); }

} // namespace
} // namespace lfm::models
