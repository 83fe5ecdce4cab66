// The f32 weight panels of the cpu device (runtime/src/cpu/WeightPanels.h):
// the layout, which weights a plan lets it repack, and that a repacked
// weight still reads and writes as the plan's row-major values.
#include <gtest/gtest.h>

#include <cstring>

#include "../ScopedEnv.h"
#include "RuntimeTestUtil.h"
#include "cpu/WeightPanels.h"

namespace lfm::testing {
namespace {

using cpu::packPanels;
using cpu::panelIndex;
using cpu::panelsFit;
using cpu::unpackPanels;

std::vector<uint8_t> bytesOf(const std::vector<float> &v) {
  std::vector<uint8_t> b(v.size() * sizeof(float));
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

TEST(WeightPanels, LayoutIsSixteenRowsByKByLane) {
  const int64_t n = 32, k = 5;
  std::vector<float> w(n * k);
  for (int64_t c = 0; c < n; ++c)
    for (int64_t i = 0; i < k; ++i) w[c * k + i] = static_cast<float>(100 * c + i);
  const std::vector<uint8_t> packed = packPanels(bytesOf(w), n, k);
  ASSERT_EQ(packed.size(), w.size() * sizeof(float));
  const auto *p = reinterpret_cast<const float *>(packed.data());
  // Panel 1 (rows 16-31), element 3 of k, lane 1 = row 17.
  EXPECT_EQ(panelIndex(17, 3, k), (1 * k + 3) * 16 + 1);
  EXPECT_EQ(p[(1 * k + 3) * 16 + 1], 1703.0f);
  EXPECT_EQ(p[0], 0.0f);
  EXPECT_EQ(p[1], 100.0f);   // row 1, element 0: the next lane
  EXPECT_EQ(p[16], 1.0f);    // row 0, element 1: the next vector
  std::vector<float> back(n * k);
  unpackPanels(p, n, k, back.data());
  EXPECT_EQ(back, w);
}

TEST(WeightPanels, OnlyLinearOnlyF32WeightsOfWholePanelsFit) {
  PlanBuilder b(64, 8);
  BufferRef x = b.activation(16), y = b.activation(32), h = b.activation(24);
  BufferRef fits = b.weight({32, 16}, randomValues(32 * 16, 1));
  BufferRef ragged = b.weight({24, 16}, randomValues(24 * 16, 2));
  BufferRef half = b.weight({32, 16}, randomValues(32 * 16, 3), DType::kBF16);
  BufferRef swiglu_odd = b.weight({48, 16}, randomValues(48 * 16, 4));  // halves of 24
  BufferRef tied = b.weight({64, 16}, randomValues(64 * 16, 5));        // embedding + lm_head
  BufferRef unused = b.weight({16, 16}, randomValues(16 * 16, 6));
  b.launch("embedding", {inputRef(InputId::kTokens), tied}, {x});
  b.launch("linear", {x, fits}, {y}, {{"prologue_norm", 0}, {"epilogue", 0}});
  b.launch("linear", {x, ragged}, {h}, {{"prologue_norm", 0}, {"epilogue", 0}});
  b.launch("linear", {x, half}, {y}, {{"prologue_norm", 0}, {"epilogue", 0}});
  b.launch("linear", {x, swiglu_odd}, {h}, {{"prologue_norm", 0}, {"epilogue", 2}});
  BufferRef logits = b.activation(64);
  b.launch("linear", {x, tied}, {logits}, {{"prologue_norm", 0}, {"epilogue", 0}});
  EXPECT_TRUE(panelsFit(b.plan, fits.index));
  EXPECT_FALSE(panelsFit(b.plan, ragged.index));
  EXPECT_FALSE(panelsFit(b.plan, half.index));
  EXPECT_FALSE(panelsFit(b.plan, swiglu_odd.index));
  EXPECT_FALSE(panelsFit(b.plan, tied.index));
  EXPECT_FALSE(panelsFit(b.plan, unused.index));
}

// On an ISA with the panel tile the device repacks the weight; reading it
// back gives the plan's values, and a weight written through the device is
// what the next step computes with.
TEST(WeightPanels, RepackedWeightReadsAndWritesRowMajor) {
  for (const char *isa : {"avx512", "portable"}) {
    SCOPED_TRACE(isa);
    const int64_t n = 32, k = 7, rows = 3;
    PlanBuilder b(16, 4);
    BufferRef x = b.activation(k), y = b.activation(n);
    const std::vector<float> wv = randomValues(n * k, 7);
    BufferRef w = b.weight({n, k}, wv);
    b.launch("linear", {x, w}, {y}, {{"prologue_norm", 0}, {"epilogue", 0}});
    ScopedEnv isa_env("LFM_CPU_ISA", isa);
    auto rig = Rig::create(b, {2, 8}, /*threads=*/2);
    ASSERT_TRUE(rig.ok()) << rig.status();
    absl::StatusOr<std::vector<float>> read = rig->device->readBuffer(w, 0, nullptr);
    ASSERT_TRUE(read.ok()) << read.status();
    EXPECT_EQ(*read, wv);
    std::vector<float> w2(n * k, 0.0f);
    for (int64_t c = 0; c < n; ++c) w2[c * k + c % k] = static_cast<float>(c + 1);
    ASSERT_TRUE(rig->device->writeBuffer(w, 0, nullptr, w2).ok());
    const std::vector<float> xv = randomValues(rows * k, 8);
    ASSERT_TRUE(rig->write(x, rows, xv).ok());
    ASSERT_TRUE(rig->run(TestStep().seqN(static_cast<int>(rows), 0, 0)).ok());
    const std::vector<float> got = rig->read(y, rows);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < n; ++c)
        EXPECT_EQ(got[r * n + c], xv[r * k + c % k] * static_cast<float>(c + 1)) << r << " " << c;
  }
}

}  // namespace
}  // namespace lfm::testing
