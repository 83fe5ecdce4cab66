// The quantized block formats (lfm/QuantFormats.h) against goldens from
// llama.cpp's own code (tests/data/quant, made by
// scripts/quant/make_quant_goldens.py): quantizeRows must give ggml's
// reference quantizers' bytes exactly, dequantizeRows ggml's values bit for
// bit, on random weights and edge cases (zeros, one huge value, negative
// only, an offset, tiny and subnormal magnitudes, a ramp, wildly different
// block scales). And the format table, sizes and the errors.
#include "lfm/QuantFormats.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"

namespace lfm {
namespace {

std::vector<uint8_t> readBytes(const std::string &name) {
  std::ifstream in(std::string(LFM_TEST_DATA_DIR) + "/quant/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << name;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<float> readFloats(const std::string &name) {
  std::vector<uint8_t> bytes = readBytes(name);
  std::vector<float> out(bytes.size() / 4);
  std::memcpy(out.data(), bytes.data(), out.size() * 4);
  return out;
}

struct GoldenCase {
  std::string name;
  int64_t rows, k, offset;
};

std::vector<GoldenCase> goldenCases() {
  std::ifstream in(std::string(LFM_TEST_DATA_DIR) + "/quant/manifest.json");
  nlohmann::json manifest = nlohmann::json::parse(in);
  std::vector<GoldenCase> cases;
  for (const auto &c : manifest.at("cases")) {
    cases.push_back({c.at("name"), c.at("rows"), c.at("k"), c.at("offset")});
  }
  return cases;
}

uint32_t bitsOf(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

TEST(QuantFormats, QuantizeAndDequantizeMatchGgmlGoldens) {
  const std::vector<GoldenCase> cases = goldenCases();
  ASSERT_GE(cases.size(), 8u);
  const std::vector<float> inputs = readFloats("inputs.f32");
  for (QuantFormat f : kAllQuantFormats) {
    const std::string name = quantFormatName(f);
    const std::vector<uint8_t> golden_q = readBytes(name + ".q");
    const std::vector<float> golden_y = readFloats(name + ".dequant.f32");
    ASSERT_EQ(golden_y.size(), inputs.size()) << name;
    int64_t q_offset = 0;
    for (const GoldenCase &c : cases) {
      SCOPED_TRACE(name + " " + c.name);
      const absl::StatusOr<int64_t> bytes = quantMatrixBytes(f, c.rows, c.k);
      ASSERT_TRUE(bytes.ok()) << bytes.status();
      ASSERT_LE(q_offset + *bytes, static_cast<int64_t>(golden_q.size()));
      absl::StatusOr<std::vector<uint8_t>> q = quantizeRows(f, &inputs[c.offset], c.rows, c.k);
      ASSERT_TRUE(q.ok()) << q.status();
      ASSERT_EQ(static_cast<int64_t>(q->size()), *bytes);
      for (int64_t i = 0; i < *bytes; ++i) {
        ASSERT_EQ((*q)[i], golden_q[q_offset + i]) << "byte " << i;
      }
      // Dequantize ggml's bytes (not ours), so a quantizer bug cannot hide
      // a dequantizer bug.
      std::vector<float> y(c.rows * c.k);
      ASSERT_TRUE(dequantizeRows(f, &golden_q[q_offset], c.rows, c.k, y.data()).ok());
      for (int64_t i = 0; i < c.rows * c.k; ++i) {
        ASSERT_EQ(bitsOf(y[i]), bitsOf(golden_y[c.offset + i]))
            << "element " << i << ": " << y[i] << " vs " << golden_y[c.offset + i];
      }
      q_offset += *bytes;
    }
    EXPECT_EQ(q_offset, static_cast<int64_t>(golden_q.size())) << name;
  }
}

TEST(QuantFormats, QuantizationErrorIsWithinTheFormatsStep) {
  // A sanity bound independent of the goldens: |x - dequant(quant(x))| is
  // below a fraction of the row's largest magnitude (8 bits: 1/127 of it,
  // 4 bits: 1/7; K-quants use scales of scales, so a looser bound).
  const int64_t k = 512;
  std::vector<float> x(k);
  for (int64_t i = 0; i < k; ++i) x[i] = std::sin(0.37f * i) * (1.0f + (i % 7));
  const float amax = 7.0f;
  const struct {
    QuantFormat f;
    float rel;
  } bounds[] = {{QuantFormat::kQ8_0, 1.0f / 127}, {QuantFormat::kQ4_0, 1.0f / 7},
                {QuantFormat::kQ4_K, 1.0f / 7}, {QuantFormat::kQ6_K, 1.0f / 31}};
  for (const auto &b : bounds) {
    absl::StatusOr<std::vector<uint8_t>> q = quantizeRows(b.f, x.data(), 1, k);
    ASSERT_TRUE(q.ok()) << q.status();
    std::vector<float> y(k);
    ASSERT_TRUE(dequantizeRows(b.f, q->data(), 1, k, y.data()).ok());
    float worst = 0;
    for (int64_t i = 0; i < k; ++i) worst = std::max(worst, std::fabs(x[i] - y[i]));
    EXPECT_GT(worst, 0.0f) << quantFormatName(b.f);
    EXPECT_LE(worst, amax * b.rel) << quantFormatName(b.f);
  }
}

TEST(QuantFormats, TableMatchesGgml) {
  const struct {
    QuantFormat f;
    const char *name;
    int64_t elems, bytes;
    uint32_t ggml;
  } expected[] = {{QuantFormat::kQ8_0, "q8_0", 32, 34, 8},
                  {QuantFormat::kQ4_0, "q4_0", 32, 18, 2},
                  {QuantFormat::kQ4_K, "q4_k", 256, 144, 12},
                  {QuantFormat::kQ6_K, "q6_k", 256, 210, 14}};
  for (const auto &e : expected) {
    EXPECT_STREQ(quantFormatName(e.f), e.name);
    EXPECT_EQ(quantBlockElems(e.f), e.elems);
    EXPECT_EQ(quantBlockBytes(e.f), e.bytes);
    EXPECT_EQ(ggmlTypeOf(e.f), e.ggml);
    absl::StatusOr<QuantFormat> parsed = parseQuantFormat(e.name);
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, e.f);
    absl::StatusOr<QuantFormat> from_ggml = quantFormatFromGgmlType(e.ggml);
    ASSERT_TRUE(from_ggml.ok());
    EXPECT_EQ(*from_ggml, e.f);
    absl::StatusOr<int64_t> row = quantRowBytes(e.f, 4 * e.elems);
    ASSERT_TRUE(row.ok());
    EXPECT_EQ(*row, 4 * e.bytes);
    absl::StatusOr<int64_t> matrix = quantMatrixBytes(e.f, 3, 4 * e.elems);
    ASSERT_TRUE(matrix.ok());
    EXPECT_EQ(*matrix, 12 * e.bytes);
  }
  EXPECT_EQ(*parseQuantFormat("Q4_K"), QuantFormat::kQ4_K);
}

TEST(QuantFormats, BadInputIsAnErrorNamingIt) {
  absl::StatusOr<QuantFormat> unknown = parseQuantFormat("q5_0");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("q5_0"), absl::string_view::npos);
  absl::StatusOr<QuantFormat> ggml_q5 = quantFormatFromGgmlType(6);
  ASSERT_FALSE(ggml_q5.ok());
  EXPECT_NE(ggml_q5.status().message().find("6"), absl::string_view::npos);

  absl::StatusOr<int64_t> ragged = quantRowBytes(QuantFormat::kQ4_K, 320);
  ASSERT_FALSE(ragged.ok());
  EXPECT_NE(ragged.status().message().find("q4_k"), absl::string_view::npos);
  EXPECT_NE(ragged.status().message().find("320"), absl::string_view::npos);
  EXPECT_FALSE(quantRowBytes(QuantFormat::kQ8_0, 0).ok());
  EXPECT_FALSE(quantRowBytes(QuantFormat::kQ8_0, -32).ok());
  EXPECT_FALSE(quantMatrixBytes(QuantFormat::kQ8_0, -1, 32).ok());
  EXPECT_FALSE(quantMatrixBytes(QuantFormat::kQ8_0, std::numeric_limits<int64_t>::max() / 2,
                                1 << 20)
                   .ok());

  std::vector<float> x(64, 1.0f);
  x[45] = std::numeric_limits<float>::quiet_NaN();
  absl::StatusOr<std::vector<uint8_t>> q = quantizeRows(QuantFormat::kQ8_0, x.data(), 2, 32);
  ASSERT_FALSE(q.ok());
  EXPECT_NE(q.status().message().find("row 1 column 13"), absl::string_view::npos)
      << q.status();
  x[45] = std::numeric_limits<float>::infinity();
  EXPECT_FALSE(quantizeRows(QuantFormat::kQ6_K, x.data(), 1, 64).ok());
  std::vector<float> y(48);
  EXPECT_FALSE(dequantizeRows(QuantFormat::kQ4_0, std::vector<uint8_t>(64).data(), 1, 48,
                              y.data())
                   .ok());
}

}  // namespace
}  // namespace lfm
