// The GGUF reader (lfm/Gguf.h): the files scripts/gguf/make_gguf_testdata.py
// wrote with llama.cpp's gguf-py, every metadata value type built by hand,
// and hostile files (truncated, lying counts, offsets, types, names) that
// must each be a clear error, never a crash or a huge allocation.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "lfm/Gguf.h"

namespace lfm {
namespace {

namespace fs = std::filesystem;

const std::string kDir = std::string(LFM_TEST_DATA_DIR) + "/gguf/";

std::vector<uint8_t> readBytes(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

// Writes `bytes` to a temporary file and opens it as a GGUF.
absl::StatusOr<std::shared_ptr<const GgufFile>> openBytes(const std::vector<uint8_t> &bytes) {
  static int counter = 0;
  fs::path path = fs::temp_directory_path() /
                  ("lfm_gguf_reader_test_" + std::to_string(::getpid()) + "_" +
                   std::to_string(counter++) + ".gguf");
  {
    std::ofstream f(path, std::ios::binary);
    f.write(reinterpret_cast<const char *>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  }
  auto gguf = GgufFile::open(path.string());
  fs::remove(path);  // the mapping stays valid
  return gguf;
}

// A GGUF image written field by field.
struct Builder {
  std::vector<uint8_t> bytes;
  template <class T>
  Builder &put(T v) {
    const uint8_t *p = reinterpret_cast<const uint8_t *>(&v);
    bytes.insert(bytes.end(), p, p + sizeof(T));
    return *this;
  }
  Builder &str(const std::string &s) {
    put<uint64_t>(s.size());
    bytes.insert(bytes.end(), s.begin(), s.end());
    return *this;
  }
  Builder &header(uint64_t tensors, uint64_t kvs, uint32_t version = 3) {
    bytes.insert(bytes.end(), {'G', 'G', 'U', 'F'});
    return put<uint32_t>(version).put<uint64_t>(tensors).put<uint64_t>(kvs);
  }
  Builder &key(const std::string &k, GgufType t) { return str(k).put<uint32_t>(uint32_t(t)); }
};

// Where `needle` occurs in `bytes` (the first time at or after `from`).
size_t find(const std::vector<uint8_t> &bytes, const std::string &needle, size_t from = 0) {
  auto it = std::search(bytes.begin() + from, bytes.end(), needle.begin(), needle.end());
  EXPECT_NE(it, bytes.end()) << needle;
  return static_cast<size_t>(it - bytes.begin());
}

template <class T>
void poke(std::vector<uint8_t> &bytes, size_t at, T v) {
  std::memcpy(bytes.data() + at, &v, sizeof(T));
}

// The tensor info of `name`: its name is the last occurrence of the
// length-prefixed string (the metadata holds no tensor names).
size_t tensorInfo(const std::vector<uint8_t> &bytes, const std::string &name) {
  std::string needle(8, '\0');
  uint64_t n = name.size();
  std::memcpy(needle.data(), &n, 8);
  needle += name;
  size_t at = find(bytes, needle);
  return at + needle.size();  // at n_dims
}

void expectError(const absl::StatusOr<std::shared_ptr<const GgufFile>> &gguf,
                 const std::string &part) {
  ASSERT_FALSE(gguf.ok()) << "expected an error with: " << part;
  EXPECT_NE(std::string(gguf.status().message()).find(part), std::string::npos) << std::string(gguf.status().message());
  EXPECT_NE(std::string(gguf.status().message()).find("GGUF '"), std::string::npos) << std::string(gguf.status().message());
}

TEST(GgufReader, ReadsWhatGgufPyWrote) {
  auto gguf = GgufFile::open(kDir + "case1_f32.gguf");
  ASSERT_TRUE(gguf.ok()) << gguf.status();
  const GgufFile &g = **gguf;
  EXPECT_EQ(g.version(), 3u);
  EXPECT_EQ(g.alignment(), 32u);
  EXPECT_EQ(g.dataOffset() % 32, 0u);
  EXPECT_EQ(*g.getString("general.architecture"), "lfm2");
  EXPECT_EQ(*g.getInt("lfm2.block_count"), 6);
  EXPECT_EQ(*g.getInt("lfm2.embedding_length"), 64);
  EXPECT_EQ(*g.getInt("lfm2.shortconv.l_cache"), 3);
  EXPECT_FLOAT_EQ(static_cast<float>(*g.getFloat("lfm2.rope.freq_base")), 1e6f);
  auto kv = g.getArray("lfm2.attention.head_count_kv");
  ASSERT_TRUE(kv.ok()) << kv.status();
  std::vector<int64_t> kv_heads;
  for (size_t i = 0; i < (*kv)->size(); ++i) kv_heads.push_back(*(*kv)->element(i).asInt());
  EXPECT_EQ(kv_heads, (std::vector<int64_t>{0, 0, 2, 0, 2, 0}));

  // Embedding and final norm (tied: no output), 4 conv layers (2 norms, in,
  // conv, out, 3 ffn) and 2 attention layers (2 norms, q, k, v, o, q/k norms,
  // 3 ffn).
  EXPECT_EQ(g.tensors().size(), 2u + 4 * 8 + 2 * 11);
  const GgufTensor *embed = g.tensor("token_embd.weight");
  ASSERT_NE(embed, nullptr);
  EXPECT_EQ(embed->dims, (std::vector<int64_t>{64, 320}));
  EXPECT_EQ(embed->shape(), (std::vector<int64_t>{320, 64}));
  EXPECT_EQ(embed->typeName(), "f32");
  EXPECT_EQ(embed->data.size(), 320u * 64 * 4);
  const GgufTensor *conv = g.tensor("blk.0.shortconv.conv.weight");
  ASSERT_NE(conv, nullptr);
  EXPECT_EQ(conv->dims, (std::vector<int64_t>{3, 64}));  // 2-D, as the converter stores it
  EXPECT_EQ(g.tensor("output.weight"), nullptr);          // tied

  // Type errors name the key and what it holds.
  auto wrong = g.getInt("general.architecture");
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(std::string(wrong.status().message()).find("'general.architecture' is a string"), std::string::npos) << std::string(wrong.status().message());
  auto missing = g.getInt("lfm2.nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(std::string(missing.status().message()).find("'lfm2.nope' is missing"), std::string::npos) << std::string(missing.status().message());
}

TEST(GgufReader, QuantizedTensorSizesFollowTheirBlocks) {
  auto gguf = GgufFile::open(kDir + "case1_q4_0.gguf");
  ASSERT_TRUE(gguf.ok()) << gguf.status();
  const GgufTensor *up = (*gguf)->tensor("blk.0.ffn_up.weight");
  ASSERT_NE(up, nullptr);
  EXPECT_EQ(up->typeName(), "q4_0");
  EXPECT_EQ(up->data.size(), 128u * 64 / 32 * 18);
  // The conv weight's rows (3) are no whole block: it stays f16.
  EXPECT_EQ((*gguf)->tensor("blk.0.shortconv.conv.weight")->typeName(), "f16");
  auto odd = GgufFile::open(kDir + "odd_types.gguf");
  ASSERT_TRUE(odd.ok()) << odd.status();
  EXPECT_EQ((*odd)->tensor("extra.q5_0")->typeName(), "q5_0");
  EXPECT_EQ((*odd)->tensor("extra.iq2_xxs")->typeName(), "iq2_xxs");
  EXPECT_EQ(ggmlTypeName(77), "type 77");
  EXPECT_TRUE(isLoadableGgmlType(14));   // q6_k
  EXPECT_FALSE(isLoadableGgmlType(6));   // q5_0
}

TEST(GgufReader, VersionTwoReadsTheSame) {
  std::vector<uint8_t> bytes = readBytes(kDir + "case1_q4_0.gguf");
  poke<uint32_t>(bytes, 4, 2);
  auto gguf = openBytes(bytes);
  ASSERT_TRUE(gguf.ok()) << gguf.status();
  EXPECT_EQ((*gguf)->version(), 2u);
  EXPECT_EQ((*gguf)->tensors().size(), 56u);
}

TEST(GgufReader, EveryValueTypeAndNestedArrays) {
  Builder b;
  b.header(0, 16);
  b.key("u8", GgufType::kUint8).put<uint8_t>(200);
  b.key("i8", GgufType::kInt8).put<int8_t>(-5);
  b.key("u16", GgufType::kUint16).put<uint16_t>(60000);
  b.key("i16", GgufType::kInt16).put<int16_t>(-30000);
  b.key("u32", GgufType::kUint32).put<uint32_t>(4000000000u);
  b.key("i32", GgufType::kInt32).put<int32_t>(-2000000000);
  b.key("f32", GgufType::kFloat32).put<float>(1.5f);
  b.key("bool", GgufType::kBool).put<uint8_t>(1);
  b.key("str", GgufType::kString).str("h\xc3\xa9llo");
  b.key("u64", GgufType::kUint64).put<uint64_t>(~uint64_t{0});
  b.key("i64", GgufType::kInt64).put<int64_t>(-(int64_t{1} << 40));
  b.key("f64", GgufType::kFloat64).put<double>(-2.25);
  b.key("ints", GgufType::kArray).put<uint32_t>(uint32_t(GgufType::kInt16)).put<uint64_t>(3);
  b.put<int16_t>(1).put<int16_t>(-2).put<int16_t>(3);
  b.key("strs", GgufType::kArray).put<uint32_t>(uint32_t(GgufType::kString)).put<uint64_t>(2);
  b.str("a").str("");
  // [[1.0], [], [2.0, 3.0]] of float32 arrays
  b.key("nested", GgufType::kArray).put<uint32_t>(uint32_t(GgufType::kArray)).put<uint64_t>(3);
  b.put<uint32_t>(uint32_t(GgufType::kFloat32)).put<uint64_t>(1).put<float>(1.0f);
  b.put<uint32_t>(uint32_t(GgufType::kFloat32)).put<uint64_t>(0);
  b.put<uint32_t>(uint32_t(GgufType::kFloat32)).put<uint64_t>(2).put<float>(2.0f).put<float>(3.0f);
  b.key("general.alignment", GgufType::kUint32).put<uint32_t>(64);

  auto gguf = openBytes(b.bytes);
  ASSERT_TRUE(gguf.ok()) << gguf.status();
  const GgufFile &g = **gguf;
  EXPECT_EQ(*g.getInt("u8"), 200);
  EXPECT_EQ(*g.getInt("i8"), -5);
  EXPECT_EQ(*g.getInt("u16"), 60000);
  EXPECT_EQ(*g.getInt("i16"), -30000);
  EXPECT_EQ(*g.getInt("u32"), 4000000000);
  EXPECT_EQ(*g.getInt("i32"), -2000000000);
  EXPECT_EQ(*g.getFloat("f32"), 1.5);
  EXPECT_EQ(g.find("bool")->asBool(), true);
  EXPECT_EQ(*g.getString("str"), "h\xc3\xa9llo");
  EXPECT_FALSE(g.getInt("u64").ok());  // above INT64_MAX
  EXPECT_EQ(g.find("u64")->describe(), "a uint64 (18446744073709551615)");
  EXPECT_EQ(*g.getInt("i64"), -(int64_t{1} << 40));
  EXPECT_EQ(*g.getFloat("f64"), -2.25);
  EXPECT_EQ(g.alignment(), 64u);
  const GgufValue *ints = g.find("ints");
  ASSERT_EQ(ints->size(), 3u);
  EXPECT_EQ(ints->elementType(), GgufType::kInt16);
  EXPECT_EQ(*ints->element(1).asInt(), -2);
  EXPECT_EQ(g.find("strs")->strings(), (std::vector<std::string_view>{"a", ""}));
  const GgufValue *nested = g.find("nested");
  ASSERT_EQ(nested->size(), 3u);
  EXPECT_EQ(nested->element(1).size(), 0u);
  ASSERT_EQ(nested->element(2).size(), 2u);
  EXPECT_EQ(*nested->element(2).element(1).asFloat(), 3.0);
  EXPECT_EQ(nested->describe(), "an array of 3 array");
}

TEST(GgufReader, HostileHeaders) {
  const std::vector<uint8_t> good = readBytes(kDir + "case1_q4_0.gguf");
  auto patched = [&](size_t at, auto value) {
    std::vector<uint8_t> bytes = good;
    poke(bytes, at, value);
    return openBytes(bytes);
  };
  expectError(patched(0, uint32_t{0x46554748}), "not a GGUF file");
  expectError(patched(4, uint32_t{1}), "GGUF version 1 is not supported");
  expectError(patched(4, uint32_t{4}), "GGUF version 4 is not supported");
  expectError(patched(4, uint32_t{0x03000000}), "big-endian");
  expectError(patched(8, uint64_t{1000000000000000000}), "header.tensor_count 1000000000000000000");
  expectError(patched(16, uint64_t{1000000000000000000}),
              "header.metadata_kv_count 1000000000000000000");
  expectError(patched(24, uint64_t{1} << 60), "metadata key 0 at byte 24 claims");

  // head_count_kv: key, u32 array type, u32 element type, u64 count.
  size_t kv = find(good, "lfm2.attention.head_count_kv") + 28;
  expectError(patched(kv + 4, uint32_t{99}), "unknown value type 99");
  expectError(patched(kv + 8, uint64_t{1000000000000000000}),
              "'lfm2.attention.head_count_kv' claims 1000000000000000000 elements");
  // A key that appears twice.
  Builder twice;
  twice.header(0, 2).key("a", GgufType::kUint8).put<uint8_t>(1);
  twice.key("a", GgufType::kUint8).put<uint8_t>(2);
  expectError(openBytes(twice.bytes), "metadata key 'a' appears twice");
}

TEST(GgufReader, HostileTensorInfos) {
  const std::vector<uint8_t> good = readBytes(kDir + "case1_q4_0.gguf");
  const size_t up = tensorInfo(good, "blk.0.ffn_up.weight");  // q4_0, dims [64, 128]
  auto patched = [&](size_t at, auto value) {
    std::vector<uint8_t> bytes = good;
    poke(bytes, at, value);
    return openBytes(bytes);
  };
  // n_dims u32 | dims 2 x u64 | type u32 | offset u64
  expectError(patched(up, uint32_t{5}), "'blk.0.ffn_up.weight' has 5 dimensions");
  expectError(patched(up + 4, uint64_t{63}), "not a whole number of its 32-element blocks");
  expectError(patched(up + 4, uint64_t{1} << 62), "whose product overflows");
  // 10^18 elements in all ([10^18, 128] overflows; [10^18, 1] does not, and
  // its bytes are checked against the file, never allocated).
  expectError(patched(up + 4, uint64_t{1000000000000000000}), "whose product overflows");
  {
    std::vector<uint8_t> bytes = good;
    poke(bytes, up + 4, uint64_t{1000000000000000000});
    poke(bytes, up + 12, uint64_t{1});
    expectError(openBytes(bytes), "lies outside the file");
  }
  expectError(patched(up + 12, uint64_t{1} << 40), "lies outside the file");
  expectError(patched(up + 12, ~uint64_t{0}), "too large");
  expectError(patched(up + 20, uint32_t{77}), "unknown ggml type 77");
  expectError(patched(up + 24, uint64_t{7}), "not a multiple of the alignment 32");
  expectError(patched(up + 24, uint64_t{1} << 62), "lies outside the file");
  expectError(patched(up + 24, ~uint64_t{0} - 31), "lies outside the file");
  // A tensor name that appears twice.
  {
    std::vector<uint8_t> bytes = good;
    size_t at = tensorInfo(bytes, "blk.1.ffn_up.weight") - 19;
    bytes[at + 4] = '0';
    expectError(openBytes(bytes), "tensor 'blk.0.ffn_up.weight' appears twice");
  }
  // general.alignment of the wrong type or not a power of two.
  {
    Builder b;
    b.header(0, 1).key("general.alignment", GgufType::kUint32).put<uint32_t>(24);
    expectError(openBytes(b.bytes), "general.alignment 24 is not a power of two");
    Builder c;
    c.header(0, 1).key("general.alignment", GgufType::kUint64).put<uint64_t>(32);
    expectError(openBytes(c.bytes), "general.alignment is a uint64");
  }
}

TEST(GgufReader, EveryTruncationIsAnError) {
  const std::vector<uint8_t> good = readBytes(kDir + "case1_q4_0.gguf");
  auto full = openBytes(good);
  ASSERT_TRUE(full.ok()) << full.status();
  uint64_t end = 0;
  for (const GgufTensor &t : (*full)->tensors())
    end = std::max<uint64_t>(end, (*full)->dataOffset() + t.offset + t.data.size());
  // Every cut inside the header and tensor infos, then a stride through the
  // data; each one must fail cleanly.
  std::vector<size_t> cuts;
  for (size_t n = 0; n < (*full)->dataOffset() + 40; ++n) cuts.push_back(n);
  for (size_t n = (*full)->dataOffset() + 40; n < end; n += 997) cuts.push_back(n);
  cuts.push_back(end - 1);
  for (size_t n : cuts) {
    std::vector<uint8_t> bytes(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
    auto gguf = openBytes(bytes);
    ASSERT_FALSE(gguf.ok()) << "a file cut at " << n << " bytes opened";
    EXPECT_NE(std::string(gguf.status().message()).find("GGUF '"), std::string::npos) << std::string(gguf.status().message());
  }
}

TEST(GgufReader, NestingAndHugeArraysAreBounded) {
  Builder deep;
  deep.header(0, 1).key("deep", GgufType::kArray);
  for (int i = 0; i < 100; ++i) deep.put<uint32_t>(uint32_t(GgufType::kArray)).put<uint64_t>(1);
  expectError(openBytes(deep.bytes), "nests arrays deeper than");

  Builder huge;
  huge.header(0, 1).key("huge", GgufType::kArray);
  huge.put<uint32_t>(uint32_t(GgufType::kString)).put<uint64_t>(uint64_t{1} << 61);
  expectError(openBytes(huge.bytes), "'huge' claims 2305843009213693952 elements");

  Builder bad_type;
  bad_type.header(0, 1).key("x", static_cast<GgufType>(13)).put<uint8_t>(0);
  expectError(openBytes(bad_type.bytes), "'x' has unknown value type 13");

  // A file of nothing but the header and no tensors is a valid, empty GGUF.
  Builder empty;
  empty.header(0, 0);
  auto gguf = openBytes(empty.bytes);
  ASSERT_TRUE(gguf.ok()) << gguf.status();
  EXPECT_TRUE((*gguf)->tensors().empty());
}

}  // namespace
}  // namespace lfm
