// The safetensors reader and checkpoint layouts: the golden checkpoints load
// with the right names, shapes and values; corrupted and lying files are
// clear errors that name the file and the tensor.
#include "lfm/Safetensors.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "lfm/DTypeConvert.h"

namespace lfm {
namespace {

namespace fs = std::filesystem;

const std::string kGolden = std::string(LFM_TEST_DATA_DIR) + "/golden";
const std::string kCase1 = kGolden + "/case1_gqa_12tok";
const std::string kCase3 = kGolden + "/case3_h128_L4_autoff";
const std::string kCase4 = kGolden + "/case4_hd64_bf16";

float f32At(const SafetensorsTensor &t, int64_t i) {
  float f;
  std::memcpy(&f, t.data.data() + 4 * i, 4);
  return f;
}
uint16_t u16At(const SafetensorsTensor &t, int64_t i) {
  uint16_t h;
  std::memcpy(&h, t.data.data() + 2 * i, 2);
  return h;
}

std::string message(const absl::Status &st) { return std::string(st.message()); }

#define EXPECT_ERROR_MENTIONS(status_expr, fragment)                                 \
  do {                                                                               \
    absl::Status st_ = (status_expr);                                                \
    ASSERT_FALSE(st_.ok()) << "expected an error mentioning '" << (fragment) << "'"; \
    EXPECT_NE(message(st_).find(fragment), std::string::npos) << st_;                \
  } while (0)

// ---------------------------------------------------------------------------
// Golden checkpoints.

TEST(SafetensorsGolden, SingleFileF32) {
  auto ckpt = Checkpoint::open(kCase1);
  ASSERT_TRUE(ckpt.ok()) << ckpt.status();
  EXPECT_EQ(ckpt->tensorNames().size(), 56u);  // __metadata__ is not a tensor
  auto embed = ckpt->tensor("model.embed_tokens.weight");
  ASSERT_TRUE(embed.ok()) << embed.status();
  const SafetensorsTensor &t = **embed;
  EXPECT_EQ(t.dtype, "F32");
  EXPECT_EQ(t.shape, (std::vector<int64_t>{320, 64}));
  EXPECT_EQ(t.numel(), 320 * 64);
  EXPECT_EQ(t.data.size(), 320u * 64 * 4);
  EXPECT_FLOAT_EQ(f32At(t, 0), 0.17279209196567535f);
  EXPECT_FLOAT_EQ(f32At(t, 3), -0.6515786051750183f);
  EXPECT_FLOAT_EQ(f32At(t, 320 * 64 - 1), 0.07588434219360352f);

  auto conv = ckpt->tensor("model.layers.0.conv.conv.weight");
  ASSERT_TRUE(conv.ok());
  EXPECT_EQ((*conv)->shape, (std::vector<int64_t>{64, 1, 3}));
  EXPECT_FLOAT_EQ(f32At(**conv, 1), 0.23897308111190796f);
  EXPECT_EQ(ckpt->fileOf("model.embed_tokens.weight"), kCase1 + "/model.safetensors");
}

TEST(SafetensorsGolden, OneFilePath) {
  auto file = SafetensorsFile::open(kCase1 + "/model.safetensors");
  ASSERT_TRUE(file.ok()) << file.status();
  const SafetensorsTensor *k = file->find("model.layers.2.self_attn.k_proj.weight");
  ASSERT_NE(k, nullptr);
  EXPECT_EQ(k->shape, (std::vector<int64_t>{32, 64}));
  EXPECT_FLOAT_EQ(f32At(*k, 1), 0.20006415247917175f);
  EXPECT_EQ(file->find("no.such.tensor"), nullptr);
  EXPECT_EQ(file->find("__metadata__"), nullptr);

  auto ckpt = Checkpoint::open(kCase1 + "/model.safetensors");
  ASSERT_TRUE(ckpt.ok()) << ckpt.status();
  EXPECT_TRUE(ckpt->tensor("model.layers.2.self_attn.k_proj.weight").ok());
}

TEST(SafetensorsGolden, Bf16MatricesAndF32Norms) {
  auto ckpt = Checkpoint::open(kCase4);
  ASSERT_TRUE(ckpt.ok()) << ckpt.status();
  EXPECT_EQ(ckpt->tensorNames().size(), 75u);
  auto embed = ckpt->tensor("model.embed_tokens.weight");
  ASSERT_TRUE(embed.ok());
  EXPECT_EQ((*embed)->dtype, "BF16");
  EXPECT_EQ((*embed)->shape, (std::vector<int64_t>{512, 128}));
  EXPECT_EQ(u16At(**embed, 0), 0xbea7);
  EXPECT_EQ(u16At(**embed, 512 * 128 - 1), 0xbf97);
  auto norm = ckpt->tensor("model.layers.0.operator_norm.weight");
  ASSERT_TRUE(norm.ok());
  EXPECT_EQ((*norm)->dtype, "F32");
  EXPECT_FLOAT_EQ(f32At(**norm, 1), 1.0692476034164429f);

  // Conversion from BF16 through float32.
  std::vector<uint8_t> out(512 * 128 * 4);
  ASSERT_TRUE(convertTensor(**embed, "case4", DType::kF32, out).ok());
  float first;
  std::memcpy(&first, out.data(), 4);
  EXPECT_EQ(first, -0.326171875f);
  // BF16 -> BF16 is a copy; F32 -> BF16 rounds.
  std::vector<uint8_t> same(512 * 128 * 2);
  ASSERT_TRUE(convertTensor(**embed, "case4", DType::kBF16, same).ok());
  EXPECT_EQ(0, std::memcmp(same.data(), (*embed)->data.data(), same.size()));
  std::vector<uint8_t> half(128 * 2);
  ASSERT_TRUE(convertTensor(**norm, "case4", DType::kF16, half).ok());
  uint16_t h;
  std::memcpy(&h, half.data() + 2, 2);
  EXPECT_EQ(h, floatToF16(1.0692476034164429f));
  // A wrongly sized output is an error, not an overrun.
  std::vector<uint8_t> small(10);
  EXPECT_FALSE(convertTensor(**norm, "case4", DType::kF32, small).ok());
}

TEST(SafetensorsGolden, ShardedWithIndex) {
  auto ckpt = Checkpoint::open(kCase3);
  ASSERT_TRUE(ckpt.ok()) << ckpt.status();
  EXPECT_EQ(ckpt->tensorNames().size(), 75u);
  auto k = ckpt->tensor("model.layers.4.self_attn.k_proj.weight");
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_EQ((*k)->shape, (std::vector<int64_t>{32, 128}));
  EXPECT_FLOAT_EQ(f32At(**k, 0), -0.060828160494565964f);
  EXPECT_EQ(ckpt->fileOf("model.layers.4.self_attn.k_proj.weight"),
            kCase3 + "/model-00002-of-00002.safetensors");
  EXPECT_EQ(ckpt->fileOf("model.embed_tokens.weight"),
            kCase3 + "/model-00001-of-00002.safetensors");
  auto conv = ckpt->tensor("model.layers.5.conv.conv.weight");
  ASSERT_TRUE(conv.ok());
  EXPECT_EQ((*conv)->shape, (std::vector<int64_t>{128, 1, 4}));
}

TEST(SafetensorsGolden, MissingTensorNamesItAndTheCheckpoint) {
  auto ckpt = Checkpoint::open(kCase1);
  ASSERT_TRUE(ckpt.ok());
  auto t = ckpt->tensor("model.layers.9.conv.conv.weight");
  EXPECT_ERROR_MENTIONS(
      t.status(), "tensor 'model.layers.9.conv.conv.weight' is not in checkpoint '" + kCase1 + "'");
}

// ---------------------------------------------------------------------------
// Corrupted files.

class SafetensorsCorruptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("lfm_safetensors_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string &name) const { return (dir_ / name).string(); }

  static void writeRaw(const std::string &p, const std::string &bytes) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  // A safetensors file: 8-byte length, `header`, `data_bytes` zero bytes.
  static std::string file(const std::string &header, size_t data_bytes,
                          uint64_t declared_length = ~0ull) {
    uint64_t n = declared_length == ~0ull ? header.size() : declared_length;
    std::string out(8, '\0');
    for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(n >> (8 * i));
    return out + header + std::string(data_bytes, '\0');
  }
  absl::Status openWith(const std::string &bytes) {
    std::string p = path("bad.safetensors");
    writeRaw(p, bytes);
    return SafetensorsFile::open(p).status();
  }

  fs::path dir_;
};

const char *kGoodHeader =
    R"({"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}})";

TEST_F(SafetensorsCorruptTest, AWellFormedFileOpens) {
  EXPECT_TRUE(openWith(file(kGoodHeader, 24)).ok());
  // Trailing bytes after the last tensor are allowed by the format.
  EXPECT_TRUE(openWith(file(kGoodHeader, 30)).ok());
}

TEST_F(SafetensorsCorruptTest, TruncatedFiles) {
  std::string good = file(kGoodHeader, 24);
  EXPECT_ERROR_MENTIONS(openWith(""), "is not a safetensors file: only 0 bytes");
  EXPECT_ERROR_MENTIONS(openWith(good.substr(0, 5)), "only 5 bytes");
  EXPECT_ERROR_MENTIONS(openWith(good.substr(0, 20)), "runs past the end of the file");
  EXPECT_ERROR_MENTIONS(
      openWith(good.substr(0, good.size() - 1)),
      "tensor 'w': data_offsets [0, 24] are not within the data section (23 bytes)");
  // Every shorter prefix is an error too, and names the file.
  for (size_t n = 0; n < good.size(); ++n)
    EXPECT_ERROR_MENTIONS(openWith(good.substr(0, n)), "bad.safetensors");
}

TEST_F(SafetensorsCorruptTest, HeaderLengthLies) {
  EXPECT_ERROR_MENTIONS(openWith(file(kGoodHeader, 24, 1ull << 40)), "exceeds 100 MB");
  EXPECT_ERROR_MENTIONS(openWith(file(kGoodHeader, 24, 5000)), "runs past the end of the file");
  EXPECT_ERROR_MENTIONS(openWith(file(kGoodHeader, 24, 10)), "not valid JSON");
}

TEST_F(SafetensorsCorruptTest, OffsetsBeyondTheFile) {
  EXPECT_ERROR_MENTIONS(
      openWith(file(R"({"w":{"dtype":"F32","shape":[2,3],"data_offsets":[1000,1024]}})", 24)),
      "data_offsets [1000, 1024] are not within the data section (24 bytes)");
  EXPECT_ERROR_MENTIONS(
      openWith(file(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", 24)),
      "data_offsets [8, 0]");
  EXPECT_ERROR_MENTIONS(
      openWith(
          file(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,18446744073709551615]}})", 24)),
      "not within the data section");
}

TEST_F(SafetensorsCorruptTest, SizeMismatch) {
  EXPECT_ERROR_MENTIONS(
      openWith(file(R"({"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}})", 24)),
      "tensor 'w': data_offsets span 20 bytes but F32 [2,3] needs 24");
  EXPECT_ERROR_MENTIONS(
      openWith(file(R"({"w":{"dtype":"BF16","shape":[2,3],"data_offsets":[0,24]}})", 24)),
      "needs 12");
  // A shape whose product overflows is caught before multiplying.
  EXPECT_ERROR_MENTIONS(
      openWith(file(
          R"({"w":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,24]}})", 24)),
      "needs more bytes than the file has");
}

TEST_F(SafetensorsCorruptTest, BadJson) {
  EXPECT_ERROR_MENTIONS(openWith(file(R"({"w":{"dtype":"F32",)", 24)), "not valid JSON");
  EXPECT_ERROR_MENTIONS(openWith(file(R"([1,2,3])", 24)), "does not start with '{'");
  EXPECT_ERROR_MENTIONS(openWith(file(R"({"w":[1,2]})", 24)), "tensor 'w': entry is not an object");
  EXPECT_ERROR_MENTIONS(openWith(file(R"({"w":{"shape":[2],"data_offsets":[0,8]}})", 24)),
                        "tensor 'w': missing or non-string \"dtype\"");
  EXPECT_ERROR_MENTIONS(
      openWith(file(R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 24)),
      "a shape dimension must be a non-negative integer, got -2");
  EXPECT_ERROR_MENTIONS(
      openWith(file(R"({"w":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}})", 24)),
      "non-negative integer");
  EXPECT_ERROR_MENTIONS(
      openWith(file(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0]}})", 24)),
      "\"data_offsets\" must be [begin, end]");
  // Nesting is bounded before parsing (lfm/JsonNesting.h).
  std::string deep(100000, '[');
  EXPECT_ERROR_MENTIONS(openWith(file("{\"w\":" + deep, 0)),
                        "the header nests JSON deeper than 128 levels (at byte 132)");
  EXPECT_ERROR_MENTIONS(openWith(file("{\"w\":" + deep + std::string(100000, ']') + "}", 0)),
                        "deeper than 128 levels");
}

TEST_F(SafetensorsCorruptTest, HugeElementCountsAreErrorsBeforeAllocating) {
  // 10^18 elements: its bytes are checked against the file, never allocated.
  EXPECT_ERROR_MENTIONS(
      openWith(
          file(R"({"w":{"dtype":"F32","shape":[1000000000000000000],"data_offsets":[0,24]}})", 24)),
      "needs more bytes than the file has");
  EXPECT_ERROR_MENTIONS(openWith(file(R"({"w":{"dtype":"BF16","shape":[1000000,1000000,1000000],)"
                                      R"("data_offsets":[0,2000000000000000000]}})",
                                      24)),
                        "needs more bytes than the file has");
}

TEST_F(SafetensorsCorruptTest, Dtypes) {
  EXPECT_ERROR_MENTIONS(
      openWith(file(R"({"w":{"dtype":"Q4","shape":[2],"data_offsets":[0,1]}})", 24)),
      "tensor 'w': unknown dtype 'Q4'");
  // A valid but unsupported dtype opens, and is rejected when used.
  std::string p = path("i64.safetensors");
  writeRaw(p, file(R"({"ids":{"dtype":"I64","shape":[3],"data_offsets":[0,24]}})", 24));
  auto f = SafetensorsFile::open(p);
  ASSERT_TRUE(f.ok()) << f.status();
  const SafetensorsTensor *ids = f->find("ids");
  ASSERT_NE(ids, nullptr);
  EXPECT_ERROR_MENTIONS(supportedDType(*ids, p).status(),
                        "tensor 'ids' in '" + p + "' has dtype I64");
  std::vector<uint8_t> out(12);
  EXPECT_ERROR_MENTIONS(convertTensor(*ids, p, DType::kF32, out), "has dtype I64");
}

// ---------------------------------------------------------------------------
// Checkpoint layouts.

TEST_F(SafetensorsCorruptTest, CheckpointLayoutErrors) {
  EXPECT_ERROR_MENTIONS(Checkpoint::open(path("nowhere")).status(), "does not exist");
  fs::create_directories(path("empty"));
  EXPECT_ERROR_MENTIONS(Checkpoint::open(path("empty")).status(),
                        "has neither model.safetensors nor model.safetensors.index.json");
  writeRaw(path("config.json"), "{}");
  EXPECT_ERROR_MENTIONS(Checkpoint::open(path("config.json")).status(),
                        "is not a safetensors file");
}

class ShardedCheckpointTest : public SafetensorsCorruptTest {
 protected:
  void SetUp() override {
    SafetensorsCorruptTest::SetUp();
    writeRaw(path("a.safetensors"),
             file(R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 8));
    writeRaw(path("b.safetensors"),
             file(R"({"y":{"dtype":"F16","shape":[4],"data_offsets":[0,8]}})", 8));
  }
  absl::Status openWithIndex(const std::string &index) {
    writeRaw(path("model.safetensors.index.json"), index);
    return Checkpoint::open(dir_.string()).status();
  }
};

TEST_F(ShardedCheckpointTest, AGoodIndexOpens) {
  writeRaw(path("model.safetensors.index.json"),
           R"({"metadata":{},"weight_map":{"x":"a.safetensors","y":"b.safetensors"}})");
  auto ckpt = Checkpoint::open(dir_.string());
  ASSERT_TRUE(ckpt.ok()) << ckpt.status();
  EXPECT_EQ(ckpt->tensorNames(), (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(ckpt->fileOf("y"), path("b.safetensors"));
}

TEST_F(ShardedCheckpointTest, IndexErrors) {
  EXPECT_ERROR_MENTIONS(openWithIndex(R"({"weight_map":)"),
                        "model.safetensors.index.json': not valid JSON");
  EXPECT_ERROR_MENTIONS(openWithIndex(R"({"metadata":{}})"), "missing the \"weight_map\" object");
  EXPECT_ERROR_MENTIONS(openWithIndex(R"({"weight_map":{"x":3}})"),
                        "weight_map[\"x\"] is not a file name");
  EXPECT_ERROR_MENTIONS(openWithIndex(R"({"weight_map":{"x":"../a.safetensors"}})"),
                        "is not a file in the folder");
  EXPECT_ERROR_MENTIONS(openWithIndex(R"({"weight_map":{"x":"c.safetensors"}})"),
                        "shard 'c.safetensors' listed in model.safetensors.index.json");
  EXPECT_ERROR_MENTIONS(openWithIndex(R"({"weight_map":{"y":"a.safetensors"}})"),
                        "puts tensor 'y' in 'a.safetensors', which does not contain it");
  writeRaw(path("b.safetensors"), "junk");
  EXPECT_ERROR_MENTIONS(openWithIndex(R"({"weight_map":{"y":"b.safetensors"}})"),
                        "b.safetensors' is not a safetensors file");
}

}  // namespace
}  // namespace lfm
