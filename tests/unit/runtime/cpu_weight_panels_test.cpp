// The f32 weight panels of the cpu device (runtime/src/cpu/WeightPanels.h):
// the layout, which weights a plan lets it repack, and that a repacked
// weight still reads and writes as the plan's row-major values.
#include <gtest/gtest.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <cstring>
#include <optional>
#include <string>

#include "../ScopedEnv.h"
#include "RuntimeTestUtil.h"
#include "cpu/DotKernels.h"
#include "cpu/QuantDot.h"
#include "cpu/WeightPanels.h"
#include "lfm/DTypeConvert.h"
#include "lfm/QuantFormats.h"

namespace lfm::testing {
namespace {

using cpu::packPanels;
using cpu::PanelLayout;
using cpu::panelIndex;
using cpu::panelsFit;
using cpu::unpackPanels;

std::vector<uint8_t> bytesOf(const std::vector<float> &v) {
  std::vector<uint8_t> b(v.size() * sizeof(float));
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

// n x k 16-bit values 100 c + i (row c, element i), as bytes.
std::vector<uint8_t> codedRows(int64_t n, int64_t k) {
  std::vector<uint16_t> w(n * k);
  for (int64_t c = 0; c < n; ++c)
    for (int64_t i = 0; i < k; ++i) w[c * k + i] = static_cast<uint16_t>(100 * c + i);
  std::vector<uint8_t> bytes(w.size() * 2);
  std::memcpy(bytes.data(), w.data(), bytes.size());
  return bytes;
}

TEST(WeightPanels, F32PanelsAreSixteenRowsByKByLane) {
  const int64_t n = 32, k = 5;
  std::vector<float> w(n * k);
  for (int64_t c = 0; c < n; ++c)
    for (int64_t i = 0; i < k; ++i) w[c * k + i] = static_cast<float>(100 * c + i);
  const std::vector<uint8_t> packed = packPanels(PanelLayout::kF32Panels, bytesOf(w), n, k);
  ASSERT_EQ(packed.size(), w.size() * sizeof(float));
  const auto *p = reinterpret_cast<const float *>(packed.data());
  // Panel 1 (rows 16-31), element 3 of k, lane 1 = row 17.
  EXPECT_EQ(panelIndex(PanelLayout::kF32Panels, 17, 3, k), (1 * k + 3) * 16 + 1);
  EXPECT_EQ(p[(1 * k + 3) * 16 + 1], 1703.0f);
  EXPECT_EQ(p[0], 0.0f);
  EXPECT_EQ(p[1], 100.0f);   // row 1, element 0: the next lane
  EXPECT_EQ(p[16], 1.0f);    // row 0, element 1: the next vector
  EXPECT_EQ(unpackPanels(PanelLayout::kF32Panels, packed, n, k), bytesOf(w));
}

TEST(WeightPanels, Bf16TilesAreSixteenRowsOf32ByChunk) {
  const int64_t n = 32, k = 64;
  const std::vector<uint8_t> bytes = codedRows(n, k);
  const std::vector<uint8_t> packed = packPanels(PanelLayout::kBf16Tiles, bytes, n, k);
  ASSERT_EQ(packed.size(), bytes.size());
  const auto *p = reinterpret_cast<const uint16_t *>(packed.data());
  // Group 1 (rows 16-31), chunk 1 (elements 32-63): tile 3 of 1 KB; row 17
  // is its row 1, element 40 its column 8.
  EXPECT_EQ(panelIndex(PanelLayout::kBf16Tiles, 17, 40, k), ((1 * 2 + 1) * 16 + 1) * 32 + 8);
  EXPECT_EQ(p[((1 * 2 + 1) * 16 + 1) * 32 + 8], 1740);
  EXPECT_EQ(p[31], 31);        // row 0's first chunk: one tile row
  EXPECT_EQ(p[32], 100);       // then row 1's
  EXPECT_EQ(p[16 * 32], 32);   // then row 0's second chunk: the next tile
  EXPECT_EQ(unpackPanels(PanelLayout::kBf16Tiles, packed, n, k), bytes);
}

#if defined(__x86_64__)
// This thread's AMX tile configuration (64 bytes), as other AMX code on a
// thread (oneDNN's matmul) sets, releases and reads it.
__attribute__((target("amx-tile"))) void releaseAmxTiles() { _tile_release(); }
__attribute__((target("amx-tile"))) void loadAmxConfig(const uint8_t *c) { _tile_loadconfig(c); }
__attribute__((target("amx-tile"))) void storeAmxConfig(uint8_t *c) { _tile_storeconfig(c); }
#endif

// The AMX tile loads its tile configuration itself on every call and puts
// the thread's back after it: after other code on the thread released the
// tiles it gives the same bits (a configuration loaded once per thread
// faulted with SIGILL here) and leaves them released; another
// configuration stays loaded across it (ours left loaded gave oneDNN's
// matmul zeros).
TEST(WeightPanels, AmxTileKeepsOtherCodesTileConfiguration) {
#if defined(__x86_64__)
  if (cpu::detectedIsa() != cpu::Isa::kAmx) GTEST_SKIP() << "skipped: no AMX on this CPU";
  const int64_t n = 32, k = 64, rows = 3;
  const std::vector<float> wv = randomValues(n * k, 5), x = randomValues(rows * k, 6);
  std::vector<uint8_t> bytes(n * k * 2);
  for (int64_t i = 0; i < n * k; ++i) {
    const uint16_t h = floatToBf16(wv[i]);
    std::memcpy(bytes.data() + 2 * i, &h, 2);
  }
  const std::vector<uint8_t> packed = packPanels(PanelLayout::kBf16Tiles, bytes, n, k);
  std::vector<uint16_t> xt(cpu::xTileHalves(rows, k));
  for (int64_t r = 0; r < rows; ++r) cpu::packXRowTiles(x.data() + r * k, r, k, xt.data());
  const cpu::DotTileFn tile = cpu::amxTiledBf16Tile();
  ASSERT_NE(tile, nullptr);
  std::vector<float> first(rows * n), again(rows * n, -1.0f);
  uint8_t other[64] = {}, after[64];
  other[0] = 1;                    // palette 1
  other[16] = 32;                  // tile 0: 32 bytes a row
  other[48] = 4;                   // by 4 rows
  loadAmxConfig(other);
  tile(xt.data(), k, rows, packed.data(), k, k, 0, n, first.data(), n);
  storeAmxConfig(after);
  EXPECT_EQ(std::memcmp(after, other, 64), 0) << "the caller's tile configuration is gone";
  releaseAmxTiles();
  tile(xt.data(), k, rows, packed.data(), k, k, 0, n, again.data(), n);
  storeAmxConfig(after);
  EXPECT_EQ(after[0], 0) << "the tiles are configured after the call";
  for (int64_t i = 0; i < rows * n; ++i) {
    ASSERT_EQ(std::memcmp(&first[i], &again[i], 4), 0) << i;
    ASSERT_NE(first[i], 0.0f) << i;
  }
#else
  GTEST_SKIP() << "skipped: no AMX on this architecture";
#endif
}

TEST(WeightPanels, Bf16PairsAreSixteenRowsByPairOfK) {
  const int64_t n = 32, k = 6;
  const std::vector<uint8_t> bytes = codedRows(n, k);
  const std::vector<uint8_t> packed = packPanels(PanelLayout::kBf16Pairs, bytes, n, k);
  const auto *p = reinterpret_cast<const uint16_t *>(packed.data());
  // Panel 1, pair 2 (elements 4 and 5), lane 1 = row 17.
  EXPECT_EQ(panelIndex(PanelLayout::kBf16Pairs, 17, 5, k), ((1 * 3 + 2) * 16 + 1) * 2 + 1);
  EXPECT_EQ(p[((1 * 3 + 2) * 16 + 1) * 2 + 1], 1705);
  EXPECT_EQ(p[1], 1);     // row 0's pair 0: elements 0, 1
  EXPECT_EQ(p[2], 100);   // then row 1's
  EXPECT_EQ(p[32], 2);    // then row 0's pair 1: the next vector
  EXPECT_EQ(unpackPanels(PanelLayout::kBf16Pairs, packed, n, k), bytes);
}

TEST(WeightPanels, Bf16PanelsAreF32PanelsOfHalves) {
  const int64_t n = 16, k = 3;
  const std::vector<uint8_t> bytes = codedRows(n, k);
  const std::vector<uint8_t> packed = packPanels(PanelLayout::kBf16Panels, bytes, n, k);
  const auto *p = reinterpret_cast<const uint16_t *>(packed.data());
  EXPECT_EQ(panelIndex(PanelLayout::kBf16Panels, 5, 2, k), 2 * 16 + 5);
  EXPECT_EQ(p[2 * 16 + 5], 502);
  EXPECT_EQ(unpackPanels(PanelLayout::kBf16Panels, packed, n, k), bytes);
}

// n rows of `blocks` quantized blocks of `bytes` bytes: byte i of block b of
// row c is row_step c + block_step b + i (mod 256).
std::vector<uint8_t> codedBlocks(int64_t n, int64_t blocks, int64_t bytes, int row_step,
                                 int block_step) {
  std::vector<uint8_t> w(n * blocks * bytes);
  for (int64_t c = 0; c < n; ++c)
    for (int64_t b = 0; b < blocks; ++b)
      for (int64_t i = 0; i < bytes; ++i)
        w[(c * blocks + b) * bytes + i] = static_cast<uint8_t>(row_step * c + block_step * b + i);
  return w;
}

TEST(WeightPanels, Q4_0PanelsAreEightRowsByBlock) {
  const int64_t n = 16, k = 64, blocks = 2;
  const std::vector<uint8_t> w = codedBlocks(n, blocks, 18, 100, 20);
  const std::vector<uint8_t> packed = packPanels(PanelLayout::kQ4_0Panels, w, n, k);
  ASSERT_EQ(packed.size(), w.size());
  // Unit (panel 1, block 1) starts at 3 * 144: row 9's scale at lane 1,
  // then chunk 2 (nibble bytes 8-11) of row 9 at 16 + 64 + 4.
  const int64_t unit = 3 * 144;
  EXPECT_EQ(cpu::quantPanelByte(PanelLayout::kQ4_0Panels, 9, 1, 0, blocks), unit + 2);
  EXPECT_EQ(packed[unit + 2], static_cast<uint8_t>(900 + 20));
  EXPECT_EQ(packed[unit + 3], static_cast<uint8_t>(900 + 21));
  EXPECT_EQ(cpu::quantPanelByte(PanelLayout::kQ4_0Panels, 9, 1, 2 + 8, blocks), unit + 16 + 64 + 4);
  EXPECT_EQ(packed[unit + 16 + 64 + 4], static_cast<uint8_t>(900 + 20 + 10));
  EXPECT_EQ(packed[unit + 16 + 64 + 7], static_cast<uint8_t>(900 + 20 + 13));
  EXPECT_EQ(packed[16], 2);    // row 0's first nibble byte after the 8 scales
  EXPECT_EQ(packed[20], 102);  // then row 1's
  EXPECT_EQ(unpackPanels(PanelLayout::kQ4_0Panels, packed, n, k), w);
}

TEST(WeightPanels, Q8_0PanelsAreEightRowsByBlock) {
  const int64_t n = 8, k = 64, blocks = 2;
  const std::vector<uint8_t> w = codedBlocks(n, blocks, 34, 60, 40);
  const std::vector<uint8_t> packed = packPanels(PanelLayout::kQ8_0Panels, w, n, k);
  ASSERT_EQ(packed.size(), w.size());
  // Unit (panel 0, block 1) at 272: row 3's code 29 (byte 31) in chunk 7,
  // lane 3, byte 1.
  const int64_t unit = 272;
  EXPECT_EQ(cpu::quantPanelByte(PanelLayout::kQ8_0Panels, 3, 1, 31, blocks),
            unit + 16 + 32 * 7 + 4 * 3 + 1);
  EXPECT_EQ(packed[unit + 16 + 32 * 7 + 12 + 1], static_cast<uint8_t>(180 + 40 + 31));
  EXPECT_EQ(packed[unit + 6], static_cast<uint8_t>(180 + 40));  // its scale
  EXPECT_EQ(unpackPanels(PanelLayout::kQ8_0Panels, packed, n, k), w);
}

// Quantized weights in their format's panels when only linears and
// embeddings read them.
TEST(WeightPanels, QuantPanelsFitLinearOnlyWeightsOfTheirFormat) {
  PlanBuilder b(64, 8);
  BufferRef x = b.activation(64), y = b.activation(32);
  BufferRef q4 = b.quantWeight(32, 64, randomValues(32 * 64, 1), QuantFormat::kQ4_0);
  BufferRef q8 = b.quantWeight(32, 64, randomValues(32 * 64, 2), QuantFormat::kQ8_0);
  BufferRef dense = b.weight({32, 64}, randomValues(32 * 64, 3));
  BufferRef tied = b.quantWeight(64, 64, randomValues(64 * 64, 4), QuantFormat::kQ4_0);
  BufferRef logits = b.activation(64);
  b.launch("embedding", {inputRef(InputId::kTokens), tied}, {x});
  for (BufferRef w : {q4, q8, dense})
    b.launch("linear", {x, w}, {y}, {{"prologue_norm", 0}, {"epilogue", 0}});
  b.launch("linear", {x, tied}, {logits}, {{"prologue_norm", 0}, {"epilogue", 0}});
  const PanelLayout q4_0 = PanelLayout::kQ4_0Panels;
  EXPECT_TRUE(panelsFit(b.plan, q4.index, q4_0));
  EXPECT_FALSE(panelsFit(b.plan, q4.index, PanelLayout::kF32Panels));
  EXPECT_FALSE(panelsFit(b.plan, q8.index, q4_0));
  EXPECT_TRUE(panelsFit(b.plan, q8.index, PanelLayout::kQ8_0Panels));
  EXPECT_FALSE(panelsFit(b.plan, q4.index, PanelLayout::kQ4_KPanels));
  EXPECT_FALSE(panelsFit(b.plan, q4.index, PanelLayout::kQ8_0Panels));
  EXPECT_FALSE(panelsFit(b.plan, dense.index, q4_0));
  EXPECT_TRUE(panelsFit(b.plan, tied.index, q4_0));  // the embedding reads it too
  EXPECT_EQ(cpu::quantPanelLayoutFor(cpu::Isa::kAvx2, QuantFormat::kQ4_0, true), q4_0);
  EXPECT_EQ(cpu::quantPanelLayoutFor(cpu::Isa::kAvx2, QuantFormat::kQ4_0, false),
            PanelLayout::kRowMajor);  // LFM_CPU_QUANT_X=f32: the float-x tiles
  EXPECT_EQ(cpu::quantPanelLayoutFor(cpu::Isa::kAvx2, QuantFormat::kQ8_0, true),
            PanelLayout::kQ8_0Panels);
  EXPECT_EQ(cpu::quantPanelLayoutFor(cpu::Isa::kAvx2, QuantFormat::kQ4_K, true),
            PanelLayout::kQ4_KPanels);
  EXPECT_EQ(cpu::quantPanelLayoutFor(cpu::Isa::kAvx2, QuantFormat::kQ6_K, true),
            PanelLayout::kQ6_KPanels);
  EXPECT_EQ(cpu::quantPanelLayoutFor(cpu::Isa::kPortable, QuantFormat::kQ4_0, true),
            PanelLayout::kRowMajor);
  // AVX-512 CPUs take the same panels (faster than their row-major tiles),
  // through the VNNI tiles where they have AVX512-VNNI.
  const PanelLayout q4_k = PanelLayout::kQ4_KPanels;
  for (cpu::Isa isa : {cpu::Isa::kAvx512, cpu::Isa::kAvx512Bf16, cpu::Isa::kAmx}) {
    EXPECT_EQ(cpu::quantPanelLayoutFor(isa, QuantFormat::kQ4_K, true), q4_k);
    EXPECT_EQ(cpu::panelKernel(isa, q4_k).tile,
              cpu::haveAvx512Vnni() ? cpu::vnniQuantPanelTile(q4_k) : cpu::avx2QuantPanelTile(q4_k));
  }
  EXPECT_EQ(cpu::panelKernel(cpu::Isa::kAvx2, q4_k).tile, cpu::avx2QuantPanelTile(q4_k));
  EXPECT_EQ(cpu::panelKernel(cpu::Isa::kPortable, q4_k).tile, nullptr);
}

// A quantized weight the avx2 device repacked reads back as its dequantized
// values; writing floats to a quantized weight is refused.
TEST(WeightPanels, RepackedQuantWeightReadsDequantized) {
  for (QuantFormat f : kAllQuantFormats)
  for (const char *isa : {"avx2", "portable"}) {
    SCOPED_TRACE(std::string(isa) + " " + quantFormatName(f));
    const int64_t n = 32, k = quantBlockElems(f) == 256 ? 512 : 96;
    const std::vector<float> wv = randomValues(n * k, 7);
    PlanBuilder b(16, 4);
    BufferRef x = b.activation(k), y = b.activation(n);
    BufferRef w = b.quantWeight(n, k, wv, f);
    b.launch("linear", {x, w}, {y}, {{"prologue_norm", 0}, {"epilogue", 0}});
    ScopedEnv isa_env("LFM_CPU_ISA", isa);
    auto rig = Rig::create(b, {2, 8}, /*threads=*/2);
    ASSERT_TRUE(rig.ok()) << rig.status();
    std::vector<uint8_t> q = quantizeRows(f, wv.data(), n, k).value();
    std::vector<float> want(n * k);
    ASSERT_TRUE(dequantizeRows(f, q.data(), n, k, want.data()).ok());
    absl::StatusOr<std::vector<float>> read = rig->device->readBuffer(w, 0, nullptr);
    ASSERT_TRUE(read.ok()) << read.status();
    EXPECT_EQ(*read, want);
    absl::Status write = rig->device->writeBuffer(w, 0, nullptr, want);
    EXPECT_EQ(write.code(), absl::StatusCode::kInvalidArgument) << write;
    EXPECT_NE(write.message().find("quantized"), std::string::npos) << write;
  }
}

// One 256-element block of each of 8 rows, coded as codedBlocks(8, 1,
// bytes, 30, 0), in `layout`: the packed bytes (their round trip checked).
std::vector<uint8_t> packedKBlock(PanelLayout layout, int64_t bytes) {
  const std::vector<uint8_t> w = codedBlocks(8, 1, bytes, 30, 0);
  std::vector<uint8_t> packed = packPanels(layout, w, 8, 256);
  EXPECT_EQ(packed.size(), w.size());
  EXPECT_EQ(unpackPanels(layout, packed, 8, 256), w);
  return packed;
}

TEST(WeightPanels, Q4_KPanelsAreEightRowsByBlock) {
  const std::vector<uint8_t> packed = packedKBlock(PanelLayout::kQ4_KPanels, 144);
  const auto at = [](int64_t c, int64_t i) {
    return cpu::quantPanelByte(PanelLayout::kQ4_KPanels, c, 0, i, 1);
  };
  EXPECT_EQ(at(5, 1), 2 * 5 + 1);              // d
  EXPECT_EQ(at(5, 2), 16 + 2 * 5);             // dmin
  EXPECT_EQ(at(5, 4 + 4 + 3), 32 + 32 + 4 * 5 + 3);  // scale word 1, byte 3
  EXPECT_EQ(at(5, 16 + 32 + 9), 128 + 256 + 32 * 2 + 4 * 5 + 1);  // qs pair 1, chunk 2
  EXPECT_EQ(packed[128 + 256 + 32 * 2 + 4 * 5 + 1], static_cast<uint8_t>(150 + 16 + 32 + 9));
}

TEST(WeightPanels, Q6_KPanelsAreEightRowsByBlock) {
  const std::vector<uint8_t> packed = packedKBlock(PanelLayout::kQ6_KPanels, 210);
  const auto at = [](int64_t c, int64_t i) {
    return cpu::quantPanelByte(PanelLayout::kQ6_KPanels, c, 0, i, 1);
  };
  EXPECT_EQ(at(3, 5), 32 * 1 + 4 * 3 + 1);               // ql byte 5
  EXPECT_EQ(at(3, 128 + 6), 1024 + 32 * 1 + 4 * 3 + 2);  // qh byte 6
  EXPECT_EQ(at(3, 192 + 15), 1536 + 32 * 3 + 4 * 3 + 3);  // scale 15
  EXPECT_EQ(at(3, 209), 1664 + 2 * 3 + 1);                // d
  EXPECT_EQ(packed[1664 + 2 * 3 + 1], static_cast<uint8_t>(90 + 209));
}

TEST(WeightPanels, OnlyLinearOnlyWeightsOfWholePanelsFit) {
  PlanBuilder b(64, 8);
  BufferRef x = b.activation(16), y = b.activation(32), h = b.activation(24);
  BufferRef fits = b.weight({32, 16}, randomValues(32 * 16, 1));
  BufferRef ragged = b.weight({24, 16}, randomValues(24 * 16, 2));
  BufferRef half = b.weight({32, 16}, randomValues(32 * 16, 3), DType::kBF16);  // k < 32
  BufferRef half64 = b.weight({32, 64}, randomValues(32 * 64, 3), DType::kBF16);
  BufferRef f16 = b.weight({32, 64}, randomValues(32 * 64, 3), DType::kF16);
  BufferRef x64 = b.activation(64);
  BufferRef swiglu_odd = b.weight({48, 16}, randomValues(48 * 16, 4));  // halves of 24
  BufferRef tied = b.weight({64, 16}, randomValues(64 * 16, 5));        // embedding + lm_head
  BufferRef other = b.weight({32, 16}, randomValues(32 * 16, 6));  // also another operand
  BufferRef unused = b.weight({16, 16}, randomValues(16 * 16, 6));
  b.launch("embedding", {inputRef(InputId::kTokens), tied}, {x});
  b.launch("linear", {x, fits}, {y}, {{"prologue_norm", 0}, {"epilogue", 0}});
  b.launch("linear", {x, ragged}, {h}, {{"prologue_norm", 0}, {"epilogue", 0}});
  b.launch("linear", {x, half}, {y}, {{"prologue_norm", 0}, {"epilogue", 0}});
  b.launch("linear", {x64, half64}, {y}, {{"prologue_norm", 0}, {"epilogue", 0}});
  b.launch("linear", {x64, f16}, {y}, {{"prologue_norm", 0}, {"epilogue", 0}});
  b.launch("linear", {x, swiglu_odd}, {h}, {{"prologue_norm", 0}, {"epilogue", 2}});
  BufferRef logits = b.activation(64);
  b.launch("linear", {x, tied}, {logits}, {{"prologue_norm", 0}, {"epilogue", 0}});
  b.launch("linear", {x, other}, {y}, {{"prologue_norm", 0}, {"epilogue", 0}});
  b.launch("linear", {y, fits, other}, {x}, {{"prologue_norm", 0}, {"epilogue", 1}});
  const PanelLayout f32 = PanelLayout::kF32Panels, tiles = PanelLayout::kBf16Tiles,
                    pairs = PanelLayout::kBf16Pairs;
  EXPECT_TRUE(panelsFit(b.plan, fits.index, f32));
  EXPECT_FALSE(panelsFit(b.plan, fits.index, tiles));  // the layout's dtype only
  EXPECT_FALSE(panelsFit(b.plan, fits.index, PanelLayout::kRowMajor));
  EXPECT_FALSE(panelsFit(b.plan, ragged.index, f32));
  EXPECT_FALSE(panelsFit(b.plan, half.index, tiles));  // k = 16: no whole tile of 32
  EXPECT_TRUE(panelsFit(b.plan, half.index, pairs));
  EXPECT_TRUE(panelsFit(b.plan, half.index, PanelLayout::kBf16Panels));
  EXPECT_TRUE(panelsFit(b.plan, half64.index, tiles));
  EXPECT_FALSE(panelsFit(b.plan, f16.index, pairs));
  EXPECT_FALSE(panelsFit(b.plan, swiglu_odd.index, f32));
  EXPECT_TRUE(panelsFit(b.plan, tied.index, f32));
  EXPECT_FALSE(panelsFit(b.plan, other.index, f32));
  EXPECT_FALSE(panelsFit(b.plan, unused.index, f32));
}

// On an ISA with the panel tile the device repacks the weight; reading it
// back gives the plan's values, and a weight written through the device is
// what the next step computes with.
TEST(WeightPanels, RepackedWeightReadsAndWritesRowMajor) {
  struct Case {
    const char *isa;
    DType dtype;
    const char *bf16 = nullptr;  // LFM_CPU_BF16
  };
  for (Case cs : {Case{"avx512", DType::kF32}, Case{"amx", DType::kBF16},
                  Case{"avx512bf16", DType::kBF16}, Case{"amx", DType::kBF16, "panels"},
                  Case{"avx2", DType::kF32}, Case{"avx2", DType::kBF16},
                  Case{"portable", DType::kF32}}) {
    SCOPED_TRACE(std::string(cs.isa) + (cs.dtype == DType::kF32 ? " f32" : " bf16"));
    const int64_t n = 32, k = 64, rows = 3;
    PlanBuilder b(16, 4);
    BufferRef x = b.activation(k), y = b.activation(n);
    // Values that bf16 holds exactly.
    std::vector<float> wv(n * k);
    for (int64_t i = 0; i < n * k; ++i) wv[i] = static_cast<float>(i % 13) - 6.0f;
    BufferRef w = b.weight({n, k}, wv, cs.dtype);
    b.launch("linear", {x, w}, {y}, {{"prologue_norm", 0}, {"epilogue", 0}});
    ScopedEnv isa_env("LFM_CPU_ISA", cs.isa);
    ScopedEnv bf16_env("LFM_CPU_BF16", cs.bf16);
    auto rig = Rig::create(b, {2, 8}, /*threads=*/2);
    ASSERT_TRUE(rig.ok()) << rig.status();
    absl::StatusOr<std::vector<float>> read = rig->device->readBuffer(w, 0, nullptr);
    ASSERT_TRUE(read.ok()) << read.status();
    EXPECT_EQ(*read, wv);
    std::vector<float> w2(n * k, 0.0f);
    for (int64_t c = 0; c < n; ++c) w2[c * k + c % k] = static_cast<float>(c + 1);
    ASSERT_TRUE(rig->device->writeBuffer(w, 0, nullptr, w2).ok());
    std::vector<float> xv(rows * k);
    for (int64_t i = 0; i < rows * k; ++i) xv[i] = static_cast<float>(i % 7) - 3.0f;
    ASSERT_TRUE(rig->write(x, rows, xv).ok());
    ASSERT_TRUE(rig->run(TestStep().seqN(static_cast<int>(rows), 0, 0)).ok());
    const std::vector<float> got = rig->read(y, rows);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < n; ++c)
        EXPECT_EQ(got[r * n + c], xv[r * k + c % k] * static_cast<float>(c + 1)) << r << " " << c;
  }
}

// A tied table in panels: the embedding gathers its rows from the panel
// layout, bit for bit the reference kernels' rows, and the lm_head over it
// matches theirs within `tol`. `table` is the plan's [vocab, hidden] weight.
void checkTiedTable(const PlanBuilder &b, BufferRef x, BufferRef logits, const char *isa,
                    const char *bf16, double tol) {
  std::optional<ScopedEnv> reference;
  reference.emplace("LFM_CPU_KERNELS", "reference");
  auto ref = Rig::create(b, {2, 8}, 2);
  reference.reset();
  ScopedEnv isa_env("LFM_CPU_ISA", isa);
  ScopedEnv bf16_env("LFM_CPU_BF16", bf16);
  auto fast = Rig::create(b, {2, 8}, 2);
  ASSERT_TRUE(ref.ok() && fast.ok());
  const std::vector<int32_t> tokens = {0, 17, 47, 16, 31};
  TestStep s1, s2;
  s1.seq(tokens, 0, 0);
  s2.seq(tokens, 0, 0);
  ASSERT_TRUE(ref->run(s1).ok());
  ASSERT_TRUE(fast->run(s2).ok());
  EXPECT_EQ(fast->read(x, 5), ref->read(x, 5));
  const std::vector<float> want = ref->read(logits, 5), got = fast->read(logits, 5);
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << i;
}

TEST(WeightPanels, TiedEmbeddingReadsRowsFromPanels) {
  struct Case {
    const char *isa;
    DType dtype;
    const char *bf16 = nullptr;  // LFM_CPU_BF16
  };
  for (Case cs : {Case{"avx512", DType::kF32}, Case{"amx", DType::kBF16},
                  Case{"avx512bf16", DType::kBF16}, Case{"amx", DType::kBF16, "panels"},
                  Case{"avx2", DType::kF32}, Case{"avx2", DType::kBF16}}) {
    SCOPED_TRACE(std::string(cs.isa) + (cs.dtype == DType::kF32 ? " f32" : " bf16") +
                 (cs.bf16 ? " panels" : ""));
    const int64_t vocab = 48, hidden = 64;
    PlanBuilder b(vocab, 8);
    BufferRef table = b.weight({vocab, hidden}, randomValues(vocab * hidden, 9), cs.dtype);
    BufferRef x = b.activation(hidden), logits = b.activation(vocab);
    b.launch("embedding", {inputRef(InputId::kTokens), table}, {x});
    b.launch("linear", {x, table}, {logits}, {{"prologue_norm", 0}, {"epilogue", 0}});
    ASSERT_TRUE(panelsFit(b.plan, table.index, cpu::panelLayoutFor(cpu::Isa::kAmx, cs.dtype)));
    checkTiedTable(b, x, logits, cs.isa, cs.bf16, 0.05 * hidden);
  }
}

// The same for a quantized table in the AVX2 quantized panels (the lm_head
// with x quantized to Q8 blocks: within amax / 254 per element of x).
TEST(WeightPanels, TiedQuantEmbeddingReadsRowsFromPanels) {
  for (QuantFormat f : kAllQuantFormats) {
    SCOPED_TRACE(quantFormatName(f));
    const int64_t vocab = 48, hidden = 256;
    PlanBuilder b(vocab, 8);
    BufferRef table = b.quantWeight(vocab, hidden, randomValues(vocab * hidden, 9), f);
    BufferRef x = b.activation(hidden), logits = b.activation(vocab);
    b.launch("embedding", {inputRef(InputId::kTokens), table}, {x});
    b.launch("linear", {x, table}, {logits}, {{"prologue_norm", 0}, {"epilogue", 0}});
    ASSERT_TRUE(panelsFit(b.plan, table.index,
                          cpu::quantPanelLayoutFor(cpu::Isa::kAvx2, f, /*quantize_x=*/true)));
    checkTiedTable(b, x, logits, "avx2", nullptr, 4e-3 * hidden);
  }
}

}  // namespace
}  // namespace lfm::testing
