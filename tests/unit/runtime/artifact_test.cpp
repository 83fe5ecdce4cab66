// The .lfma artifact: round trips, and every way a file can be truncated,
// corrupted or hostile, each of which must be a clear error (never a crash
// or a huge allocation).
#include "lfm/Artifact.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "LaunchByName.h"
#include "artifact/lfma_generated.h"
#include "lfm/WeightLoader.h"

namespace lfm {
namespace {

namespace fs = std::filesystem;

// ---------------------------------------------------------------------------
// A tiny plan that uses every op: 2 layers (conv, attention), hidden 8.

BufferRef act(int32_t i) { return {BufferRef::kActivation, i}; }
BufferRef weight(int32_t i) { return {BufferRef::kWeight, i}; }
BufferRef input(InputId id) { return {BufferRef::kInput, static_cast<int32_t>(id)}; }
const BufferRef kTokens = input(InputId::kTokens), kRowOffsets = input(InputId::kRowOffsets),
                kSlots = input(InputId::kSlots), kStartPos = input(InputId::kStartPos),
                kLogitRows = input(InputId::kLogitRows);
const BufferRef kConv0{BufferRef::kConvState, 0}, kKey0{BufferRef::kKeyCache, 0},
    kValue0{BufferRef::kValueCache, 0}, kLogits{BufferRef::kLogits, 0};

// Activation indices.
enum : int32_t { X, H, BCX, CONV, QKV, Q, ATTN, FFN, LAST, NORMED, K, V, H2 };
// Weight indices.
enum : int32_t {
  EMBED,
  NORM0,
  IN_PROJ,
  CONV_W,
  OUT_PROJ,
  QKV_W,
  Q_NORM,
  K_NORM,
  O_PROJ,
  W13,
  W2,
  FINAL_NORM
};

WeightSpec spec(std::string name, std::vector<int64_t> shape,
                std::vector<WeightSource> sources = {}) {
  if (sources.empty()) sources = {{name, shape}};
  return {name, shape.size() == 1 ? DType::kF32 : DType::kBF16, shape, sources};
}

Launch launch(std::string op, std::vector<BufferRef> operands, std::vector<BufferRef> results,
              std::map<std::string, int64_t> ints = {}, std::map<std::string, double> floats = {},
              int32_t layer = -1) {
  Launch l;
  l.op = testing::opNamed(op);
  l.operands = std::move(operands);
  l.results = std::move(results);
  testing::setAttrs(l, ints, floats);
  l.layer = layer;
  return l;
}

Plan tinyPlan() {
  Plan p;
  ModelConfig &c = p.config;
  c.vocab_size = 32;
  c.hidden_size = 8;
  c.intermediate_size = 16;
  c.num_attention_heads = 2;
  c.num_key_value_heads = 1;
  c.head_dim = 4;
  c.conv_kernel = 3;
  c.torch_dtype = "bfloat16";
  c.layer_types = {LayerKind::kConv, LayerKind::kAttention};
  p.dtype = DType::kBF16;
  p.weights = {
      spec("model.embed_tokens.weight", {32, 8}),
      spec("model.layers.0.operator_norm.weight", {8}),
      spec("model.layers.0.conv.in_proj.weight", {24, 8}),
      spec("layers.0.conv_w", {8, 3}, {{"model.layers.0.conv.conv.weight", {8, 1, 3}}}),
      spec("model.layers.0.conv.out_proj.weight", {8, 8}),
      spec("layers.1.qkv", {16, 8},
           {{"model.layers.1.self_attn.q_proj.weight", {8, 8}},
            {"model.layers.1.self_attn.k_proj.weight", {4, 8}},
            {"model.layers.1.self_attn.v_proj.weight", {4, 8}}}),
      spec("model.layers.1.self_attn.q_layernorm.weight", {4}),
      spec("model.layers.1.self_attn.k_layernorm.weight", {4}),
      spec("model.layers.1.self_attn.out_proj.weight", {8, 8}),
      spec("layers.0.w13", {32, 8},
           {{"model.layers.0.feed_forward.w1.weight", {16, 8}},
            {"model.layers.0.feed_forward.w3.weight", {16, 8}}}),
      spec("model.layers.0.feed_forward.w2.weight", {8, 16}),
      spec("model.embedding_norm.weight", {8}),
  };
  auto a = [](std::string name, int64_t width, RowSpace rows = RowSpace::kTokens) {
    return ActivationSpec{std::move(name), width, DType::kBF16, rows, 0};
  };
  p.activations = {a("x", 8),
                   a("h", 8),
                   a("bcx", 24),
                   a("conv", 8),
                   a("qkv", 16),
                   a("q", 8),
                   a("attn", 8),
                   a("ffn", 16),
                   a("last", 8, RowSpace::kLogitRows),
                   a("normed", 8, RowSpace::kLogitRows),
                   a("k", 4),
                   a("v", 4),
                   a("h2", 8)};
  for (size_t i = 0; i < p.activations.size(); ++i)
    p.activations[i].region = static_cast<int32_t>(i);
  p.conv_states = {{0, 8, 3, DType::kBF16}};
  p.kv_caches = {{1, 1, 4, DType::kBF16}};
  const std::map<std::string, double> eps = {{"eps", 1e-5}};
  p.launches = {
      launch("embedding", {kTokens, weight(EMBED)}, {act(X)}),
      // layer 0: conv block and mlp
      launch("rms_norm", {act(X), weight(NORM0)}, {act(H)}, {}, eps, 0),
      launch("linear", {act(H), weight(IN_PROJ)}, {act(BCX)}, {}, {}, 0),
      launch("gated_short_conv", {act(BCX), weight(CONV_W), kConv0, kRowOffsets, kSlots, kStartPos},
             {act(CONV)}, {}, {}, 0),
      launch("linear", {act(CONV), weight(OUT_PROJ), act(X)}, {act(X)}, {{"epilogue", 1}}, {}, 0),
      launch("linear", {act(X), weight(W13), weight(NORM0)}, {act(FFN)},
             {{"prologue_norm", 1}, {"epilogue", 2}}, eps, 0),
      launch("linear", {act(FFN), weight(W2), act(X)}, {act(X)}, {{"epilogue", 1}}, {}, 0),
      // layer 1: attention, unfused and fused forms
      launch("add_rms_norm", {act(X), act(H), weight(NORM0)}, {act(H2), act(X)}, {}, eps, 1),
      launch("linear", {act(H2), weight(QKV_W)}, {act(QKV)}, {}, {}, 1),
      launch("slice", {act(QKV)}, {act(Q)}, {{"offset", 0}}, {}, 1),
      launch("slice", {act(QKV)}, {act(K)}, {{"offset", 8}}, {}, 1),
      launch("slice", {act(QKV)}, {act(V)}, {{"offset", 12}}, {}, 1),
      launch("rms_norm", {act(Q), weight(Q_NORM)}, {act(Q)}, {{"group", 4}}, eps, 1),
      launch("rope", {act(Q), kRowOffsets, kStartPos}, {act(Q)}, {{"head_dim", 4}},
             {{"theta", 1e6}}, 1),
      launch("kv_cache_write", {act(K), act(V), kKey0, kValue0, kRowOffsets, kSlots, kStartPos}, {},
             {}, {}, 1),
      launch("qk_norm_rope_cache",
             {act(QKV), weight(Q_NORM), weight(K_NORM), kKey0, kValue0, kRowOffsets, kSlots,
              kStartPos},
             {act(Q)}, {{"heads", 2}, {"kv_heads", 1}, {"head_dim", 4}},
             {{"eps", 1e-5}, {"theta", 1e6}}, 1),
      launch("attention", {act(Q), kKey0, kValue0, kRowOffsets, kSlots, kStartPos}, {act(ATTN)},
             {{"heads", 2}, {"kv_heads", 1}, {"head_dim", 4}}, {{"scale", 0.5}}, 1),
      launch("linear", {act(ATTN), weight(O_PROJ)}, {act(H)}, {}, {}, 1),
      launch("add", {act(X), act(H)}, {act(X)}, {}, {}, 1),
      launch("silu", {act(H)}, {act(H2)}, {}, {}, 1),
      launch("mul", {act(H), act(H2)}, {act(H)}, {}, {}, 1),
      launch("short_conv", {act(H), weight(CONV_W), kConv0, kRowOffsets, kSlots, kStartPos},
             {act(H2)}),
      // logits
      launch("gather_rows", {act(X), kLogitRows}, {act(LAST)}),
      launch("rms_norm", {act(LAST), weight(FINAL_NORM)}, {act(NORMED)}, {}, eps),
      launch("linear", {act(NORMED), weight(EMBED)}, {kLogits}),
  };
  p.launches[2].kernel = 0;
  p.launches[3].kernel = 1;
  p.launches[2].large_rows_kernel = 1;  // a variant for steps of >= 8 rows
  p.launches[2].large_rows_threshold = 8;
  p.launches[2].large_rows_basis = LargeRowsBasis::kLongestSequence;
  p.default_max_seq_len = 64;
  p.default_slots = 2;
  p.max_tokens_per_step = 16;
  return p;
}

std::vector<KernelInfo> tinyKernels() {
  KernelInfo gemv;
  gemv.name = "layer0_in_proj";
  gemv.entry_point = "lfm_linear_0";
  gemv.cuda_source = "extern \"C\" __global__ void lfm_linear_0() {}\n";
  gemv.binaries = {
      {"compute_90", KernelBinary::Kind::kPtx, {'.', 'v', 'e', 'r', 's', 'i', 'o', 'n'}},
      {"sm_90", KernelBinary::Kind::kCubin, {0x7f, 'E', 'L', 'F', 0, 1, 2, 3}},
      {"sm_80", KernelBinary::Kind::kCubin, std::vector<uint8_t>(300, 0xab)}};
  gemv.geometry = {{128, 1, 1}, "affine", {0, 0, 0, 0, 2048, 4, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1}};
  gemv.dynamic_shared_bytes = 4096;
  KernelInfo conv;
  conv.name = "layer0_conv";
  conv.entry_point = "lfm_conv_0";
  conv.geometry = {{32, 4, 1}, "affine", {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 16, 4, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1}};
  return {gemv, conv};
}

Artifact tinyArtifact() {
  Artifact a;
  a.plan = tinyPlan();
  a.kernels = tinyKernels();
  return a;
}

// ---------------------------------------------------------------------------
// Files.

class ArtifactTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("lfm_artifact_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string &name) const { return (dir_ / name).string(); }

  static std::vector<uint8_t> readBytes(const std::string &p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  static void writeBytes(const std::string &p, const std::vector<uint8_t> &bytes) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char *>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
  }
  // Reads `bytes` as an artifact file.
  absl::StatusOr<Artifact> readFrom(const std::vector<uint8_t> &bytes) {
    std::string p = path("probe.lfma");
    // A fresh file each time: ext4 flushes a file rewritten in place on close.
    fs::remove(p);
    writeBytes(p, bytes);
    return readArtifact(p);
  }

  // A written artifact's bytes, with or without embedded weights.
  std::vector<uint8_t> written(bool embed, HostWeights *weights_out = nullptr) {
    Artifact a = tinyArtifact();
    HostWeights weights = randomWeights(a.plan, 11);
    std::string p = path("tiny.lfma");
    absl::Status st = writeArtifact(a, embed ? &weights : nullptr, p);
    EXPECT_TRUE(st.ok()) << st;
    if (weights_out != nullptr) *weights_out = weights;
    return readBytes(p);
  }

  fs::path dir_;
};

// Little-endian fields of the header (see lfm/Artifact.h).
uint32_t get32(const std::vector<uint8_t> &b, size_t at) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = v << 8 | b[at + i];
  return v;
}
uint64_t get64(const std::vector<uint8_t> &b, size_t at) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | b[at + i];
  return v;
}
template <typename T>
void put(std::vector<uint8_t> &b, size_t at, T v) {
  for (size_t i = 0; i < sizeof(T); ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

// An independent CRC-32 (bitwise), to re-seal headers and metadata that the
// tests tamper with on purpose, so the deeper checks are reached.
uint32_t crc32(const uint8_t *p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
  }
  return ~c;
}
void resealHeader(std::vector<uint8_t> &b) { put<uint32_t>(b, 60, crc32(b.data(), 60)); }
void resealMetadata(std::vector<uint8_t> &b) {
  put<uint32_t>(b, 48, crc32(b.data() + get64(b, 16), get64(b, 24)));
  resealHeader(b);
}

// A file made of the header and `metadata` (no weights), sealed.
std::vector<uint8_t> fileWithMetadata(const uint8_t *metadata, size_t size) {
  std::vector<uint8_t> b(64, 0);
  std::memcpy(b.data(), "LFMA", 4);
  put<uint32_t>(b, 4, kArtifactFormatVersion);
  put<uint32_t>(b, 8, 64);
  put<uint64_t>(b, 16, 64);
  put<uint64_t>(b, 24, size);
  b.insert(b.end(), metadata, metadata + size);
  resealMetadata(b);
  return b;
}

std::string message(const absl::Status &st) { return std::string(st.message()); }

// Byte positions in [begin, end) to tamper with: all of them for small
// ranges, else about 4000 evenly spaced ones and the last (each probe is a
// file round trip, and the tests share a machine).
std::vector<size_t> positions(size_t begin, size_t end) {
  std::vector<size_t> out;
  size_t step = 1 + (end - begin) / 4000;
  for (size_t i = begin; i < end; i += step) out.push_back(i);
  if (out.back() != end - 1) out.push_back(end - 1);
  return out;
}

// ---------------------------------------------------------------------------
// Round trips.

TEST_F(ArtifactTest, RoundTripsThePlanAndKernels) {
  Artifact a = tinyArtifact();
  ASSERT_TRUE(verifyArtifact(a).ok()) << verifyArtifact(a);
  ASSERT_TRUE(writeArtifact(a, nullptr, path("a.lfma")).ok());
  auto b = readArtifact(path("a.lfma"));
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->format_version, kArtifactFormatVersion);
  EXPECT_FALSE(b->has_embedded_weights);
  EXPECT_EQ(b->embedded_weights, nullptr);

  const Plan &p = a.plan, &q = b->plan;
  EXPECT_EQ(q.config.vocab_size, 32);
  EXPECT_EQ(q.config.head_dim, 4);
  EXPECT_EQ(q.config.torch_dtype, "bfloat16");
  EXPECT_EQ(q.config.norm_eps, p.config.norm_eps);
  EXPECT_EQ(q.config.rope_theta, p.config.rope_theta);
  EXPECT_EQ(q.config.layer_types, p.config.layer_types);
  EXPECT_EQ(q.config.tie_word_embeddings, p.config.tie_word_embeddings);
  EXPECT_EQ(q.dtype, DType::kBF16);
  ASSERT_EQ(q.weights.size(), p.weights.size());
  for (size_t i = 0; i < p.weights.size(); ++i) {
    EXPECT_EQ(q.weights[i].name, p.weights[i].name);
    EXPECT_EQ(q.weights[i].dtype, p.weights[i].dtype);
    EXPECT_EQ(q.weights[i].shape, p.weights[i].shape);
    ASSERT_EQ(q.weights[i].sources.size(), p.weights[i].sources.size());
    for (size_t j = 0; j < p.weights[i].sources.size(); ++j) {
      EXPECT_EQ(q.weights[i].sources[j].tensor, p.weights[i].sources[j].tensor);
      EXPECT_EQ(q.weights[i].sources[j].shape, p.weights[i].sources[j].shape);
    }
  }
  ASSERT_EQ(q.activations.size(), p.activations.size());
  for (size_t i = 0; i < p.activations.size(); ++i) {
    EXPECT_EQ(q.activations[i].name, p.activations[i].name);
    EXPECT_EQ(q.activations[i].width, p.activations[i].width);
    EXPECT_EQ(q.activations[i].rows, p.activations[i].rows);
    EXPECT_EQ(q.activations[i].region, p.activations[i].region);
    EXPECT_EQ(q.activations[i].dtype, p.activations[i].dtype);
  }
  ASSERT_EQ(q.conv_states.size(), 1u);
  EXPECT_EQ(q.conv_states[0].kernel, 3);
  ASSERT_EQ(q.kv_caches.size(), 1u);
  EXPECT_EQ(q.kv_caches[0].layer, 1);
  ASSERT_EQ(q.launches.size(), p.launches.size());
  for (size_t i = 0; i < p.launches.size(); ++i) {
    EXPECT_EQ(q.launches[i].op, p.launches[i].op);
    EXPECT_EQ(q.launches[i].ints, p.launches[i].ints);
    EXPECT_EQ(q.launches[i].floats, p.launches[i].floats);
    EXPECT_EQ(q.launches[i].operands, p.launches[i].operands);
    EXPECT_EQ(q.launches[i].results, p.launches[i].results);
    EXPECT_EQ(q.launches[i].layer, p.launches[i].layer);
    EXPECT_EQ(q.launches[i].kernel, p.launches[i].kernel);
    EXPECT_EQ(q.launches[i].large_rows_kernel, p.launches[i].large_rows_kernel);
    EXPECT_EQ(q.launches[i].large_rows_threshold, p.launches[i].large_rows_threshold);
    EXPECT_EQ(q.launches[i].large_rows_basis, p.launches[i].large_rows_basis);
  }
  EXPECT_EQ(q.launches[2].large_rows_kernel, 1);
  EXPECT_EQ(q.launches[2].large_rows_threshold, 8);
  EXPECT_EQ(q.launches[3].large_rows_kernel, -1);  // absent: the schema default
  EXPECT_EQ(q.launches[3].large_rows_threshold, 0);
  EXPECT_EQ(q.launches[2].large_rows_basis, LargeRowsBasis::kLongestSequence);
  EXPECT_EQ(q.launches[3].large_rows_basis, LargeRowsBasis::kLaunchRows);
  EXPECT_EQ(q.default_max_seq_len, 64);
  EXPECT_EQ(q.default_slots, 2);
  EXPECT_EQ(q.max_tokens_per_step, 16);
  EXPECT_EQ(b->kernels, a.kernels);

  // Writing what was read gives the same bytes: nothing is lost or invented.
  ASSERT_TRUE(writeArtifact(*b, nullptr, path("b.lfma")).ok());
  EXPECT_EQ(readBytes(path("a.lfma")), readBytes(path("b.lfma")));
}

TEST_F(ArtifactTest, RoundTripsAnEmptyKernelTable) {
  Artifact a = tinyArtifact();
  a.kernels.clear();
  for (Launch &l : a.plan.launches) {
    l.kernel = l.large_rows_kernel = -1;
    l.large_rows_threshold = 0;
    l.large_rows_basis = LargeRowsBasis::kLaunchRows;
  }
  ASSERT_TRUE(writeArtifact(a, nullptr, path("a.lfma")).ok());
  auto b = readArtifact(path("a.lfma"));
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_TRUE(b->kernels.empty());
}

TEST_F(ArtifactTest, RoundTripsTheTokenizerFiles) {
  Artifact a = tinyArtifact();
  a.tokenizer.tokenizer_json = R"({"model": {"type": "BPE"}, "note": "caf\u00e9 \u2014 \u0000"})";
  a.tokenizer.generation_config_json = R"({"eos_token_id": [7, 2]})";
  ASSERT_TRUE(writeArtifact(a, nullptr, path("a.lfma")).ok());
  auto b = readArtifact(path("a.lfma"));
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->tokenizer, a.tokenizer);
  EXPECT_TRUE(b->tokenizer.tokenizer_config_json.empty());
  // None: the section is absent and reads back empty.
  ASSERT_TRUE(writeArtifact(tinyArtifact(), nullptr, path("c.lfma")).ok());
  auto c = readArtifact(path("c.lfma"));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->tokenizer.empty());
}

TEST_F(ArtifactTest, TokenizerFilesThatAreNotJsonObjectsAreRejected) {
  const std::pair<TokenizerFiles, std::string> cases[] = {
      {{"{not json", "", ""}, "tokenizer.json: not valid JSON"},
      {{"", "[1, 2]", ""}, "tokenizer_config.json: not a JSON object"},
      {{"{}", "{}", "7"}, "generation_config.json: not a JSON object"},
  };
  for (const auto &[files, message] : cases) {
    Artifact a = tinyArtifact();
    a.tokenizer = files;
    absl::Status st = writeArtifact(a, nullptr, path("bad.lfma"));
    EXPECT_FALSE(st.ok());
    EXPECT_NE(st.message().find(message), std::string::npos) << st;
    EXPECT_FALSE(fs::exists(path("bad.lfma")));
  }
}

TEST_F(ArtifactTest, RoundTripsEmbeddedWeights) {
  HostWeights weights;
  std::vector<uint8_t> bytes = written(/*embed=*/true, &weights);
  uint64_t weights_offset = get64(bytes, 32);
  EXPECT_EQ(weights_offset % 64, 0u);
  EXPECT_EQ(get32(bytes, 12), 1u);  // embedded-weights flag
  auto a = readArtifact(path("tiny.lfma"));
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(a->has_embedded_weights);
  ASSERT_NE(a->embedded_weights, nullptr);
  for (size_t i = 0; i < weights.buffers.size(); ++i) {
    auto view = a->embedded_weights->bytes(i);
    EXPECT_EQ((view.data() - a->embedded_weights->bytes(0).data()) % 64, 0) << i;
  }
  auto loaded = readEmbeddedWeights(*a);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->buffers, weights.buffers);

  // The views outlive the Artifact they came from.
  auto views = a->embedded_weights;
  a = absl::UnknownError("dropped");
  EXPECT_EQ(std::vector<uint8_t>(views->bytes(0).begin(), views->bytes(0).end()),
            weights.buffers[0]);
}

TEST_F(ArtifactTest, WithoutEmbeddedWeightsReadEmbeddedWeightsSaysSo) {
  written(/*embed=*/false);
  auto a = readArtifact(path("tiny.lfma"));
  ASSERT_TRUE(a.ok()) << a.status();
  auto w = readEmbeddedWeights(*a);
  ASSERT_FALSE(w.ok());
  EXPECT_NE(message(w.status()).find("no embedded weights"), std::string::npos) << w.status();
}

TEST_F(ArtifactTest, WriterRejectsBadInputAndKeepsTheExistingFile) {
  std::string p = path("keep.lfma");
  writeBytes(p, {'o', 'l', 'd'});
  Artifact a = tinyArtifact();
  a.plan.launches[0].op = static_cast<OpKind>(kNumOpKinds);  // outside the schema
  absl::Status st = writeArtifact(a, nullptr, p);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(message(st).find("is not in the op schema"), std::string::npos) << st;
  EXPECT_EQ(readBytes(p), (std::vector<uint8_t>{'o', 'l', 'd'}));

  Artifact good = tinyArtifact();
  HostWeights wrong = randomWeights(good.plan, 1);
  wrong.buffers[3].pop_back();
  st = writeArtifact(good, &wrong, p);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(message(st).find("layers.0.conv_w"), std::string::npos) << st;
  EXPECT_EQ(readBytes(p), (std::vector<uint8_t>{'o', 'l', 'd'}));

  st = writeArtifact(good, nullptr, path("no/such/dir/x.lfma"));
  EXPECT_FALSE(st.ok());
  // No temporary files are left behind.
  size_t files = 0;
  for (const auto &entry : fs::directory_iterator(dir_)) files += entry.is_regular_file();
  EXPECT_EQ(files, 1u);
}

// ---------------------------------------------------------------------------
// Truncation: every section boundary, and a sweep over many sizes.

TEST_F(ArtifactTest, TruncationAnywhereIsAnError) {
  std::vector<uint8_t> full = written(/*embed=*/true);
  uint64_t metadata_end = 64 + get64(full, 24);
  uint64_t weights_offset = get64(full, 32);
  std::set<size_t> sizes = {0,
                            1,
                            3,
                            4,
                            7,
                            8,
                            63,
                            64,
                            65,
                            metadata_end - 1,
                            metadata_end,
                            metadata_end + 1,
                            weights_offset - 1,
                            weights_offset,
                            weights_offset + 1,
                            full.size() - 1};
  for (size_t s : positions(0, full.size())) sizes.insert(s);
  for (size_t s : sizes) {
    ASSERT_LT(s, full.size());
    auto a = readFrom({full.begin(), full.begin() + s});
    ASSERT_FALSE(a.ok()) << "truncated to " << s << " of " << full.size() << " bytes was accepted";
    EXPECT_NE(message(a.status()).find("probe.lfma"), std::string::npos) << a.status();
  }
  // ... and so is trailing data.
  std::vector<uint8_t> longer = full;
  longer.push_back(0);
  EXPECT_FALSE(readFrom(longer).ok());
}

TEST_F(ArtifactTest, TruncationMessagesSayWhere) {
  std::vector<uint8_t> full = written(/*embed=*/false);
  auto a = readFrom({full.begin(), full.begin() + 40});
  ASSERT_FALSE(a.ok());
  EXPECT_NE(message(a.status()).find("header"), std::string::npos) << a.status();
  EXPECT_NE(message(a.status()).find("truncated"), std::string::npos) << a.status();
  a = readFrom({full.begin(), full.end() - 10});
  ASSERT_FALSE(a.ok());
  EXPECT_NE(message(a.status()).find("metadata section"), std::string::npos) << a.status();
}

// ---------------------------------------------------------------------------
// Flipped bytes: in the header, metadata and padding they are errors; in the
// weight bytes they are accepted (weights are not checksummed: a flipped
// bit there changes one value, never what the runtime does).

TEST_F(ArtifactTest, EveryFlippedHeaderByteIsRejected) {
  std::vector<uint8_t> full = written(/*embed=*/true);
  for (size_t i = 0; i < 64; ++i) {
    for (uint8_t mask : {0x01, 0x80}) {
      std::vector<uint8_t> b = full;
      b[i] ^= mask;
      auto a = readFrom(b);
      EXPECT_FALSE(a.ok()) << "header byte " << i << " flipped was accepted";
    }
  }
}

TEST_F(ArtifactTest, EveryFlippedMetadataByteIsRejected) {
  std::vector<uint8_t> full = written(/*embed=*/true);
  uint64_t metadata_end = 64 + get64(full, 24);
  for (size_t i : positions(64, metadata_end)) {
    std::vector<uint8_t> b = full;
    b[i] ^= static_cast<uint8_t>(1u << (i % 8));
    auto a = readFrom(b);
    ASSERT_FALSE(a.ok()) << "metadata byte " << i << " flipped was accepted";
    EXPECT_NE(message(a.status()).find("checksum"), std::string::npos) << a.status();
  }
}

TEST_F(ArtifactTest, FlippedPaddingIsRejected) {
  std::vector<uint8_t> full = written(/*embed=*/true);
  uint64_t metadata_end = 64 + get64(full, 24), weights_offset = get64(full, 32);
  if (metadata_end == weights_offset) GTEST_SKIP() << "no padding in this layout";
  std::vector<uint8_t> b = full;
  b[metadata_end] ^= 1;
  EXPECT_FALSE(readFrom(b).ok());
}

TEST_F(ArtifactTest, FlippedWeightBytesAreAcceptedAndChangeOnlyThatByte) {
  HostWeights weights;
  std::vector<uint8_t> full = written(/*embed=*/true, &weights);
  uint64_t weights_offset = get64(full, 32);
  for (size_t i = weights_offset; i < full.size(); i += 97) {
    std::vector<uint8_t> b = full;
    b[i] ^= 0x10;
    auto a = readFrom(b);
    ASSERT_TRUE(a.ok()) << "weight byte " << i << ": " << a.status();
    auto w = readEmbeddedWeights(*a);
    ASSERT_TRUE(w.ok());
    size_t differing = 0;
    for (size_t k = 0; k < weights.buffers.size(); ++k)
      for (size_t j = 0; j < weights.buffers[k].size(); ++j)
        differing += w->buffers[k][j] != weights.buffers[k][j];
    EXPECT_LE(differing, 1u);  // 0 if the byte was alignment padding
  }
}

// Flips in the metadata that are re-sealed (valid checksums) reach the
// FlatBuffers verifier and the plan checks: still never accepted silently
// unless the plan stays valid, and never a crash.
TEST_F(ArtifactTest, ResealedMetadataCorruptionNeverCrashes) {
  std::vector<uint8_t> full = written(/*embed=*/true);
  uint64_t metadata_end = 64 + get64(full, 24);
  size_t rejected = 0, total = 0;
  for (size_t i : positions(64, metadata_end)) {
    for (uint8_t mask : {0x01, 0xff}) {
      std::vector<uint8_t> b = full;
      b[i] ^= mask;
      resealMetadata(b);
      auto a = readFrom(b);
      ++total;
      if (!a.ok()) {
        ++rejected;
        EXPECT_NE(message(a.status()).find("probe.lfma"), std::string::npos) << a.status();
      } else {
        // Whatever was accepted is a plan that verifies.
        EXPECT_TRUE(verifyArtifact(*a).ok());
      }
    }
  }
  EXPECT_GT(rejected, total / 4);
}

// ---------------------------------------------------------------------------
// Header fields.

TEST_F(ArtifactTest, WrongMagicIsNotAnArtifact) {
  std::vector<uint8_t> b = written(/*embed=*/false);
  b[3] = 'B';
  auto a = readFrom(b);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(message(a.status()).find("not an lfm artifact"), std::string::npos) << a.status();

  // A safetensors file handed to the reader by mistake.
  std::ifstream in(std::string(LFM_TEST_DATA_DIR) + "/golden/case1_gqa_12tok/model.safetensors",
                   std::ios::binary);
  std::vector<uint8_t> st((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  a = readFrom(st);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(message(a.status()).find("not an lfm artifact"), std::string::npos) << a.status();

  a = readArtifact(path("missing.lfma"));
  ASSERT_FALSE(a.ok());
  EXPECT_NE(message(a.status()).find("missing.lfma"), std::string::npos) << a.status();
}

TEST_F(ArtifactTest, WrongVersionSaysWhichVersions) {
  std::vector<uint8_t> b = written(/*embed=*/false);
  put<uint32_t>(b, 4, 7);
  auto a = readFrom(b);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(message(a.status()).find("format version 7"), std::string::npos) << a.status();
  EXPECT_NE(message(a.status()).find("reads version " + std::to_string(kArtifactFormatVersion)),
            std::string::npos)
      << a.status();
}

TEST_F(ArtifactTest, AbsurdHeaderFieldsAreRejected) {
  std::vector<uint8_t> full = written(/*embed=*/true);
  struct Case {
    const char *what;
    std::function<void(std::vector<uint8_t> &)> edit;
    const char *expect;
  };
  std::vector<Case> cases = {
      {"huge metadata size", [](auto &b) { put<uint64_t>(b, 24, uint64_t{1} << 62); },
       "metadata size"},
      {"metadata past the end", [](auto &b) { put<uint64_t>(b, 24, get64(b, 24) + (1u << 30)); },
       "truncated"},
      {"zero metadata", [](auto &b) { put<uint64_t>(b, 24, 0); }, "metadata size"},
      {"metadata offset", [](auto &b) { put<uint64_t>(b, 16, 128); }, "metadata offset"},
      {"huge weights size", [](auto &b) { put<uint64_t>(b, 40, ~uint64_t{0}); }, "weights section"},
      {"weights offset wraps", [](auto &b) { put<uint64_t>(b, 32, ~uint64_t{0} - 63); },
       "weights offset"},
      {"unknown flag", [](auto &b) { put<uint32_t>(b, 12, 3); }, "unknown flags"},
      {"no weight flag", [](auto &b) { put<uint32_t>(b, 12, 0); },
       "without the embedded-weights flag"},
      {"header size", [](auto &b) { put<uint32_t>(b, 8, 4096); }, "header size"},
      {"reserved", [](auto &b) { b[55] = 1; }, "reserved"},
  };
  for (const Case &c : cases) {
    std::vector<uint8_t> b = full;
    c.edit(b);
    resealHeader(b);
    auto a = readFrom(b);
    ASSERT_FALSE(a.ok()) << c.what;
    EXPECT_NE(message(a.status()).find(c.expect), std::string::npos)
        << c.what << ": " << a.status();
  }
}

// ---------------------------------------------------------------------------
// Hostile metadata, built with FlatBuffers directly and correctly sealed.

class HostileMetadataTest : public ArtifactTest {
 protected:
  // The tiny plan's metadata, with `edit` applied to the builder inputs.
  absl::StatusOr<Artifact> readHostile(flatbuffers::FlatBufferBuilder &b) {
    std::vector<uint8_t> file = fileWithMetadata(b.GetBufferPointer(), b.GetSize());
    return readFrom(file);
  }
};

flatbuffers::Offset<fb::ModelConfig> tinyConfig(flatbuffers::FlatBufferBuilder &b,
                                                std::vector<fb::LayerKind> kinds = {
                                                    fb::LayerKind::Conv}) {
  return fb::CreateModelConfigDirect(b, "lfm2", 32, 8, 16, 2, 1, 4, 3, false, 1e-5, 1e6, 128, true,
                                     1, 2, 0, "float32", &kinds);
}

// One launch table referenced `count` times.
void sharedLaunches(flatbuffers::FlatBufferBuilder &b, size_t count, size_t refs_per_launch) {
  std::vector<fb::BufferRef> refs(refs_per_launch, fb::BufferRef(0, fb::BufferKind::Activation));
  auto one = fb::CreateLaunchDirect(b, "add", nullptr, nullptr, &refs, &refs);
  std::vector<flatbuffers::Offset<fb::Launch>> launches(count, one);
  auto plan = fb::CreatePlanDirect(b, tinyConfig(b), fb::DType::F32, nullptr, nullptr, nullptr,
                                   nullptr, &launches, 64, 1, 16);
  b.Finish(fb::CreateArtifact(b, plan), fb::ArtifactIdentifier());
}

TEST_F(HostileMetadataTest, SharedTablesCannotAmplify) {
  {  // A million launches in a 4 MB file: over the count limit.
    flatbuffers::FlatBufferBuilder b;
    sharedLaunches(b, 1'000'000, 16);
    auto a = readHostile(b);
    ASSERT_FALSE(a.ok());
    EXPECT_NE(message(a.status()).find("plan.launches: 1000000 entries, at most 65536"),
              std::string::npos)
        << a.status();
  }
  {  // Within the count limit, but more tables than the bytes can hold.
    flatbuffers::FlatBufferBuilder b;
    sharedLaunches(b, 60'000, 0);
    auto a = readHostile(b);
    ASSERT_FALSE(a.ok());
    EXPECT_NE(message(a.status()).find("more tables than the metadata holds"), std::string::npos)
        << a.status();
  }
  {  // Within both, but each shared launch carries 256 bytes of operands.
    flatbuffers::FlatBufferBuilder b;
    sharedLaunches(b, 20'000, 16);
    auto a = readHostile(b);
    ASSERT_FALSE(a.ok());
    EXPECT_NE(message(a.status()).find("more data than the metadata holds"), std::string::npos)
        << a.status();
  }
}

TEST_F(HostileMetadataTest, SharedStringsCannotAmplify) {
  // 16000 weights whose names all point at one 64 KB string: 1 GB decoded.
  flatbuffers::FlatBufferBuilder b;
  auto name = b.CreateString(std::string(65536, 'w'));
  auto spec = fb::CreateWeightSpec(b, name, fb::DType::F32);
  std::vector<flatbuffers::Offset<fb::WeightSpec>> weights(16000, spec);
  auto plan = fb::CreatePlanDirect(b, tinyConfig(b), fb::DType::F32, &weights);
  b.Finish(fb::CreateArtifact(b, plan), fb::ArtifactIdentifier());
  auto a = readHostile(b);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(message(a.status()).find("more data than the metadata holds"), std::string::npos)
      << a.status();
}

TEST_F(HostileMetadataTest, AbsurdCountsAreRejected) {
  flatbuffers::FlatBufferBuilder b;
  std::vector<fb::LayerKind> kinds(100000, fb::LayerKind::Conv);
  auto plan = fb::CreatePlan(b, tinyConfig(b, kinds));
  b.Finish(fb::CreateArtifact(b, plan), fb::ArtifactIdentifier());
  auto a = readHostile(b);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(message(a.status()).find("plan.config.layer_types: 100000 entries"), std::string::npos)
      << a.status();
}

TEST_F(HostileMetadataTest, OutOfRangeEnumsAreRejected) {
  flatbuffers::FlatBufferBuilder b;
  std::vector<fb::LayerKind> kinds = {static_cast<fb::LayerKind>(7)};
  auto plan = fb::CreatePlan(b, tinyConfig(b, kinds));
  b.Finish(fb::CreateArtifact(b, plan), fb::ArtifactIdentifier());
  auto a = readHostile(b);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(message(a.status()).find("plan.config.layer_types[0]: invalid value 7"),
            std::string::npos)
      << a.status();
}

// Format version 2 names a launch's op by its OpKind; version 1 by a string,
// which readers still accept. Each launch must name one op, consistently.
TEST_F(HostileMetadataTest, LaunchOpKindsAreChecked) {
  struct Case {
    const char *op;
    flatbuffers::Optional<fb::OpKind> kind;
    const char *expect;
  } cases[] = {
      {nullptr, static_cast<fb::OpKind>(99), "plan.launches[0].kind: invalid value 99"},
      {"add", fb::OpKind::Mul, "op 'add' and kind 'mul' disagree"},
      {nullptr, flatbuffers::nullopt, "names no op"},
      {"fused_everything", flatbuffers::nullopt,
       "plan.launches[0].op: unknown op 'fused_everything' (known: embedding, rms_norm,"},
  };
  for (const Case &c : cases) {
    flatbuffers::FlatBufferBuilder b;
    std::vector<flatbuffers::Offset<fb::Launch>> launches = {fb::CreateLaunchDirect(
        b, c.op, nullptr, nullptr, nullptr, nullptr, -1, -1, -1, 0, 0, c.kind)};
    auto plan = fb::CreatePlanDirect(b, tinyConfig(b), fb::DType::F32, nullptr, nullptr, nullptr,
                                     nullptr, &launches, 64, 1, 16);
    b.Finish(fb::CreateArtifact(b, plan), fb::ArtifactIdentifier());
    auto a = readHostile(b);
    ASSERT_FALSE(a.ok()) << c.expect;
    EXPECT_NE(message(a.status()).find(c.expect), std::string::npos) << a.status();
  }
}

// Attributes are stored by name and read into the schema's typed slots: a
// name outside the schema, or one given twice, is rejected while decoding.
TEST_F(HostileMetadataTest, LaunchAttributeNamesAreChecked) {
  struct Case {
    std::vector<const char *> ints, floats;
    const char *expect;
  } cases[] = {
      {{"prolog_norm"}, {}, "plan.launches[0].ints[0]: unknown attribute 'prolog_norm' (known: "
                            "group, offset, prologue_norm, epilogue, heads, kv_heads, head_dim)"},
      {{}, {"eps", "epsilon"}, "plan.launches[0].floats[1]: unknown attribute 'epsilon'"},
      {{"epilogue", "prologue_norm", "epilogue"}, {},
       "plan.launches[0].ints[2]: duplicate attribute 'epilogue'"},
      {{}, {"eps", "eps"}, "plan.launches[0].floats[1]: duplicate attribute 'eps'"},
  };
  for (const Case &c : cases) {
    flatbuffers::FlatBufferBuilder b;
    std::vector<flatbuffers::Offset<fb::IntAttr>> ints;
    for (const char *name : c.ints) ints.push_back(fb::CreateIntAttrDirect(b, name, 0));
    std::vector<flatbuffers::Offset<fb::FloatAttr>> floats;
    for (const char *name : c.floats) floats.push_back(fb::CreateFloatAttrDirect(b, name, 1.0));
    std::vector<flatbuffers::Offset<fb::Launch>> launches = {
        fb::CreateLaunchDirect(b, nullptr, &ints, &floats, nullptr, nullptr, -1, -1, -1, 0, 0,
                               fb::OpKind::Linear)};
    auto plan = fb::CreatePlanDirect(b, tinyConfig(b), fb::DType::F32, nullptr, nullptr, nullptr,
                                     nullptr, &launches, 64, 1, 16);
    b.Finish(fb::CreateArtifact(b, plan), fb::ArtifactIdentifier());
    auto a = readHostile(b);
    ASSERT_FALSE(a.ok()) << c.expect;
    EXPECT_NE(message(a.status()).find(c.expect), std::string::npos) << a.status();
  }
}

TEST_F(HostileMetadataTest, MissingPlanAndGarbageAreRejected) {
  flatbuffers::FlatBufferBuilder b;
  b.Finish(fb::CreateArtifact(b), fb::ArtifactIdentifier());
  auto a = readHostile(b);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(message(a.status()).find("plan: missing"), std::string::npos) << a.status();

  std::vector<uint8_t> garbage(256, 0xff);
  std::memcpy(garbage.data() + 4, "LFMM", 4);  // right identifier, wrong everything else
  a = readFrom(fileWithMetadata(garbage.data(), garbage.size()));
  ASSERT_FALSE(a.ok());
  EXPECT_NE(message(a.status()).find("verifier"), std::string::npos) << a.status();
}

TEST_F(HostileMetadataTest, KernelBlockMustHaveThreeDims) {
  flatbuffers::FlatBufferBuilder b;
  std::vector<int32_t> block = {32, 1};
  auto kernel = fb::CreateKernelInfoDirect(b, "k", "k", nullptr, "", &block);
  std::vector<flatbuffers::Offset<fb::KernelInfo>> kernels = {kernel};
  auto plan = fb::CreatePlan(b, tinyConfig(b));
  b.Finish(fb::CreateArtifact(b, plan, b.CreateVector(kernels)), fb::ArtifactIdentifier());
  auto a = readHostile(b);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(message(a.status()).find("kernels[0].block: has 2 entries"), std::string::npos)
      << a.status();
}

// ---------------------------------------------------------------------------
// verifyPlan and verifyArtifact.

void expectRejected(const Plan &p, const std::string &fragment) {
  absl::Status st = verifyPlan(p);
  ASSERT_FALSE(st.ok()) << "expected an error mentioning '" << fragment << "'";
  EXPECT_NE(message(st).find(fragment), std::string::npos) << st;
}

TEST(VerifyPlanTest, AcceptsTheTinyPlan) {
  absl::Status st = verifyPlan(tinyPlan());
  EXPECT_TRUE(st.ok()) << st;
}

// Without gather_rows the lm_head reads token rows and the logits buffer has
// token rows too (logitsRowSpace): the devices pick the logit rows out.
TEST(VerifyPlanTest, AcceptsLogitsFromTokenRows) {
  Plan p = tinyPlan();
  p.launches[24].operands[0] = act(X);
  absl::Status st = verifyPlan(p);
  EXPECT_TRUE(st.ok()) << st;
}

TEST(VerifyPlanTest, RejectsBadIndices) {
  Plan p = tinyPlan();
  p.launches[1].operands[1].index = 99;
  expectRejected(p, "plan.launches[1] (rms_norm).operands[1]: index 99 is outside plan.weights");
  p = tinyPlan();
  p.launches[0].results[0].index = -1;
  expectRejected(p, "index -1 is outside plan.activations");
  p = tinyPlan();
  p.launches[3].operands[2].index = 1;  // conv state 1 does not exist
  expectRejected(p, "outside plan.conv_states");
  p = tinyPlan();
  p.launches[0].operands[0].index = kNumInputs;
  expectRejected(p, "outside the step inputs");
  p = tinyPlan();
  p.launches[3].layer = 5;
  expectRejected(p, ".layer: must be in [-1, 1], got 5");
  p = tinyPlan();
  p.activations[2].region = 100;
  expectRejected(p, "plan.activations[2] 'bcx'.region");
}

TEST(VerifyPlanTest, RejectsBadLargeRowsVariants) {
  Plan p = tinyPlan();
  p.launches[2].large_rows_kernel = -2;
  expectRejected(p, "plan.launches[2] (linear).large_rows_kernel: -2 is not an index or -1");
  p = tinyPlan();
  p.launches[2].large_rows_threshold = 0;
  expectRejected(p, "plan.launches[2] (linear).large_rows_threshold: must be in [1, ");
  p = tinyPlan();
  p.launches[3].large_rows_threshold = 4;
  expectRejected(p, "plan.launches[3] (gated_short_conv).large_rows_threshold: 4 without a "
                    "large_rows_kernel");
  p = tinyPlan();
  p.launches[4].large_rows_kernel = 0;
  p.launches[4].large_rows_threshold = 4;
  expectRejected(p, "plan.launches[4] (linear).large_rows_kernel: set without a default kernel");
  p = tinyPlan();
  p.launches[2].large_rows_basis = static_cast<LargeRowsBasis>(2);
  expectRejected(p, "plan.launches[2] (linear).large_rows_basis: 2 is not 0 (launch rows) or 1");
  p = tinyPlan();
  p.launches[3].large_rows_basis = LargeRowsBasis::kLongestSequence;
  expectRejected(p, "plan.launches[3] (gated_short_conv).large_rows_basis: 1 without a "
                    "large_rows_kernel");
}

TEST(VerifyPlanTest, RejectsUnknownOpsAndBadAttributes) {
  Plan p = tinyPlan();
  p.launches[4].op = static_cast<OpKind>(200);
  expectRejected(p, "plan.launches[4] (?, layer 0): op 200 is not in the op schema");
  p = tinyPlan();
  p.launches[1].clear(FloatAttr::kEps);
  expectRejected(p, "plan.launches[1] (rms_norm, layer 0): missing required attribute floats.eps");
  p = tinyPlan();
  p.launches[16].clear(IntAttr::kKvHeads);
  expectRejected(p, "missing required attribute ints.kv_heads");
  p = tinyPlan();
  p.launches[2].set(IntAttr::kGroup, 4);
  expectRejected(p, "attribute ints.group is not taken by linear (it takes prologue_norm, "
                    "epilogue)");
  p = tinyPlan();
  p.launches[1].set(FloatAttr::kTheta, 1.0);
  expectRejected(p, "attribute floats.theta is not taken by rms_norm (it takes eps)");
  p = tinyPlan();
  p.launches[4].set(IntAttr::kEpilogue, 3);
  expectRejected(p, "ints.epilogue must be 0, 1 or 2");
  p = tinyPlan();
  p.launches[16].set(FloatAttr::kScale, std::nan(""));
  expectRejected(p, "floats.scale must be positive and finite");
  p = tinyPlan();
  p.launches[16].set(IntAttr::kHeads, 3);
  p.launches[16].set(IntAttr::kKvHeads, 2);
  expectRejected(p, "heads (3) is not a multiple of kv_heads (2)");
}

TEST(VerifyPlanTest, RejectsWrongOperandCountsAndKinds) {
  Plan p = tinyPlan();
  p.launches[18].operands.pop_back();
  expectRejected(p, "plan.launches[18] (add, layer 1): has 1 operands, expected 2");
  p = tinyPlan();
  p.launches[14].results.push_back(act(H));
  expectRejected(p, "has 1 results, expected 0");
  p = tinyPlan();
  p.launches[1].operands[1] = act(H);
  expectRejected(p, "operand 1 must be a weight, got activation 'h'");
  p = tinyPlan();
  p.launches[0].operands[0] = kSlots;
  expectRejected(p, "operand 0 must be the tokens input");
  p = tinyPlan();
  p.launches[1].results[0] = weight(NORM0);  // writing into a weight
  expectRejected(p, "result 0 must be an activation");
  p = tinyPlan();
  p.launches[4].operands.pop_back();  // epilogue 1 needs its residual
  expectRejected(p, "has 2 operands, expected 3");
}

TEST(VerifyPlanTest, RejectsShapeMismatches) {
  Plan p = tinyPlan();
  p.launches[2].results[0] = act(X);  // in_proj gives 24 columns, x has 8
  expectRejected(p, "activation 'x' has width 8, expected 24 (the weight's rows)");
  p = tinyPlan();
  p.launches[18].operands[1] = act(BCX);
  expectRejected(p, "has width 8 but activation 'bcx' has width 24");
  p = tinyPlan();
  p.launches[9].set(IntAttr::kOffset, 12);  // q = qkv[:, 12:20] runs past 16 columns
  expectRejected(p, "columns [12, 20) are not within the 16 columns");
  p = tinyPlan();
  p.launches[16].set(IntAttr::kHeadDim, 8);
  expectRejected(p, "key cache 0 holds 1 heads of 4, expected 1 of 8");
  p = tinyPlan();
  p.launches[22].results[0] = act(H);  // gather_rows into token rows
  expectRejected(p, "must have one row per logit row");
  p = tinyPlan();
  // offset + width would overflow
  p.launches[9].set(IntAttr::kOffset, std::numeric_limits<int64_t>::max() - 4);
  expectRejected(p, "ints.offset 9223372036854775803 is outside the 16 columns");
  p = tinyPlan();
  p.launches[9].set(IntAttr::kOffset, -1);
  expectRejected(p, "ints.offset -1 is outside the 16 columns");
  p = tinyPlan();  // the logits have logit rows (the first launch writing them
                   // reads logit rows): a second one from token rows is wrong
  p.launches.push_back(launch("linear", {act(H), weight(EMBED)}, {kLogits}));
  expectRejected(p, "plan.launches[25] (linear): activation 'h' and the logits have different "
                    "row spaces");
  p = tinyPlan();
  p.weights[CONV_W].shape = {8, 4};
  p.weights[CONV_W].sources[0].shape = {8, 1, 4};
  expectRejected(p, "is for hidden 8 and kernel 3 but the conv weight is [8,4]");
}

TEST(VerifyPlanTest, RejectsBadTables) {
  Plan p = tinyPlan();
  p.weights[QKV_W].sources.pop_back();
  expectRejected(
      p, "plan.weights[5] 'layers.1.qkv': its sources hold 96 elements but its shape holds 128");
  p = tinyPlan();
  p.weights[QKV_W].shape = {16, 0};
  expectRejected(p, "plan.weights[5] 'layers.1.qkv'.shape[1]: 0 is not a positive size");
  p = tinyPlan();
  p.weights[0].dtype = DType::kI32;
  expectRejected(p, "plan.weights[0] 'model.embed_tokens.weight'.dtype: must be f32, bf16 or f16");
  p = tinyPlan();
  p.weights[2].name = p.weights[1].name;
  expectRejected(p, "duplicate name");
  p = tinyPlan();
  p.activations[0].width = int64_t{1} << 40;
  expectRejected(p, "plan.activations[0] 'x'.width: must be in [1, 16777216]");
  p = tinyPlan();
  p.conv_states[0].layer = 1;
  expectRejected(p, "plan.conv_states[0].layer: layer 1 is not a conv layer");
  p = tinyPlan();
  p.kv_caches[0].head_dim = 8;
  expectRejected(p, "plan.kv_caches[0].head_dim (config head_dim)");
  p = tinyPlan();
  p.default_slots = 0;
  expectRejected(p, "plan.default_slots");
}

TEST(VerifyPlanTest, RejectsBadConfigs) {
  Plan p = tinyPlan();
  p.config.num_key_value_heads = 3;
  expectRejected(p, "plan.config.num_key_value_heads: must be in [1, 2], got 3");
  p = tinyPlan();
  p.config.num_attention_heads = 4;
  p.config.num_key_value_heads = 3;
  expectRejected(p, "is not a multiple of num_key_value_heads");
  p = tinyPlan();
  p.config.hidden_size = 0;
  expectRejected(p, "plan.config.hidden_size");
  p = tinyPlan();
  p.config.layer_types.clear();
  expectRejected(p, "number of layers");
  p = tinyPlan();
  p.config.norm_eps = -1;
  expectRejected(p, "plan.config.norm_eps");
  p = tinyPlan();
  p.config.torch_dtype = "int8";
  expectRejected(p, "plan.config.torch_dtype");
}

TEST(VerifyArtifactTest, RejectsBadKernelTables) {
  Artifact a = tinyArtifact();
  a.plan.launches[5].kernel = 2;
  absl::Status st = verifyArtifact(a);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(message(st).find(
                "plan.launches[5] (linear).kernel: 2 is outside the kernel table (2 kernels)"),
            std::string::npos)
      << st;
  a = tinyArtifact();
  a.plan.launches[2].large_rows_kernel = 2;
  st = verifyArtifact(a);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(message(st).find("plan.launches[2] (linear).large_rows_kernel: 2 is outside the "
                             "kernel table (2 kernels)"),
            std::string::npos)
      << st;
  a = tinyArtifact();
  a.kernels[0].geometry.block = {64, 64, 1};
  st = verifyArtifact(a);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(message(st).find("kernels[0] 'layer0_in_proj'.geometry.block: 4096 threads"),
            std::string::npos)
      << st;
  a = tinyArtifact();
  a.kernels[0].binaries.push_back(a.kernels[0].binaries[1]);
  st = verifyArtifact(a);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(message(st).find("a second CUBIN for target sm_90"), std::string::npos) << st;
  a = tinyArtifact();
  a.kernels[1].entry_point.clear();
  EXPECT_FALSE(verifyArtifact(a).ok());
  a = tinyArtifact();
  a.kernels[0].dynamic_shared_bytes = -1;
  EXPECT_FALSE(verifyArtifact(a).ok());
}

}  // namespace
}  // namespace lfm
