// The emu device through the Device interface, with hand-written kernels
// that follow the kernel ABI (the generated ones are tested against the cpu
// device in tests/unit/compiler/emu_kernels_test.cpp): buffer binding of
// operands, results, step inputs and state, the launch rule, results that
// alias an operand's region, logits, and the errors of a plan it cannot run.
#include <gtest/gtest.h>

#include <cstdlib>

#include "RuntimeTestUtil.h"
#include "lfm/Artifact.h"
#include "lfm/KernelAbi.h"
#include "KernelArgsText.h"

namespace lfm::testing {
namespace {

const std::string kPrelude = kernelArgsText();

// y[t][c] = x[t][c] + c2[t][c] + start_pos[seq of t]: one block of 32
// threads per token row (grid.x = T).
constexpr const char *kAddPos = R"(
extern "C" __global__ void add_pos(LfmKernelArgs args) {
  const float *a = (const float *)args.buf[0], *b = (const float *)args.buf[1];
  const int *row_offsets = (const int *)args.buf[2], *start_pos = (const int *)args.buf[3];
  float *y = (float *)args.buf[4];
  const int t = blockIdx.x, width = 20;
  int seq = 0;
  while (row_offsets[seq + 1] <= t) ++seq;
  for (int c = threadIdx.x; c < width; c += blockDim.x)
    y[t * width + c] = a[t * width + c] + b[t * width + c] + start_pos[seq];
}
)";

// logits[r][v] = x[logit_rows[r]][0] * v, through the launch scratch. It
// reads token rows, so the logits buffer has token rows too (PlanLayout) and
// the device picks the logit rows out.
constexpr const char *kLogitsKernel = R"(
extern "C" __global__ void logits(LfmKernelArgs args) {
  const float *x = (const float *)args.buf[0];
  const int *rows = (const int *)args.buf[1];
  float *out = (float *)args.buf[2];
  float *scratch = (float *)args.scratch;
  const int r = blockIdx.x;
  if (threadIdx.x == 0) scratch[r] = x[rows[r] * 20];
  __syncthreads();
  for (int v = threadIdx.x; v < 11; v += blockDim.x) out[rows[r] * 11 + v] = scratch[r] * v;
}
)";

KernelInfo kernel(const std::string &entry, const char *body, std::vector<int64_t> grid_args) {
  KernelInfo k;
  k.name = entry;
  k.entry_point = entry;
  k.cuda_source = std::string(kPrelude) + body;
  k.geometry.block = {32, 1, 1};
  k.geometry.grid_rule = kAffineGridRule;
  k.geometry.grid_args = std::move(grid_args);
  return k;
}

// grid.x = T, scratch = 4 * R bytes.
std::vector<int64_t> perToken() {
  return {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1};
}
std::vector<int64_t> perLogitRow() {
  return {0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 4, 0, 0, 1};
}

std::unique_ptr<Device> emuDevice() {
  setenv("LFM_CACHE_DIR", LFM_BINARY_DIR "/emu-cache", 1);
  absl::StatusOr<CreatedDevice> d = createDevice({DeviceKind::kEmu, 2});
  EXPECT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->device->name(), "emu");
  return std::move(d->device);
}

// y = a + c + start_pos (add_pos), then logits from y.
struct AddThenLogits {
  PlanBuilder b{/*vocab=*/11};
  BufferRef a = b.activation(20, DType::kF32, RowSpace::kTokens, 0);
  BufferRef c = b.activation(20, DType::kF32, RowSpace::kTokens, 1);
  BufferRef y = b.activation(20, DType::kF32, RowSpace::kTokens, 2);
  std::vector<KernelInfo> kernels = {kernel("add_pos", kAddPos, perToken()),
                                     kernel("logits", kLogitsKernel, perLogitRow())};
  AddThenLogits() {
    b.launch("add", {a, c, kRowOffsets, kStartPos}, {y}).kernel = 0;
    b.launch("linear", {y, inputRef(InputId::kLogitRows)}, {kLogits}).kernel = 1;
  }
  std::unique_ptr<Device> load() {
    std::unique_ptr<Device> emu = emuDevice();
    EXPECT_TRUE(emu->setKernels(kernels).ok());
    absl::Status s = emu->load(b.plan, b.weights);
    EXPECT_TRUE(s.ok()) << s;
    return emu;
  }
};

TEST(EmuDevice, RunsHandWrittenKernelsWithLogits) {
  AddThenLogits m;
  const BufferRef a = m.a, c = m.c, y = m.y;
  std::unique_ptr<Device> emu = m.load();
  absl::Status s;
  auto state = emu->allocateState({3, 64});
  ASSERT_TRUE(state.ok());

  TestStep step;
  step.seqN(3, 2, 0).seqN(2, 0, 7);
  step.logit_rows = {2, 4};
  std::vector<float> av = randomValues(5 * 20, 1), cv = randomValues(5 * 20, 2);
  ASSERT_TRUE(emu->writeBuffer(a, 5, state->get(), av).ok());
  ASSERT_TRUE(emu->writeBuffer(c, 5, state->get(), cv).ok());
  std::vector<float> logits(2 * 11);
  s = emu->execute(step.inputs(), **state, logits);
  ASSERT_TRUE(s.ok()) << s;
  auto got = emu->readBuffer(y, 5, state->get());
  ASSERT_TRUE(got.ok());
  for (int t = 0; t < 5; ++t) {
    for (int col = 0; col < 20; ++col) {
      EXPECT_FLOAT_EQ((*got)[t * 20 + col], av[t * 20 + col] + cv[t * 20 + col] + (t < 3 ? 0 : 7));
    }
  }
  for (int r = 0; r < 2; ++r) {
    const int row = step.logit_rows[r];
    for (int v = 0; v < 11; ++v) EXPECT_FLOAT_EQ(logits[r * 11 + v], (*got)[row * 20] * v);
  }
}

TEST(EmuDevice, PlansItCannotRunAreErrors) {
  PlanBuilder b;
  BufferRef a = b.activation(20), c = b.activation(20), y = b.activation(20);
  b.launch("add", {a, c, kRowOffsets, kStartPos}, {y});  // kernel -1
  std::unique_ptr<Device> emu = emuDevice();
  absl::Status s = emu->load(b.plan, b.weights);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("emu device: launch 0 (add) has no generated kernel"),
            std::string::npos)
      << s;
  EXPECT_FALSE(emu->checkKernels(b.plan, {}).ok());

  b.plan.launches[0].kernel = 0;
  s = emu->load(b.plan, b.weights);  // no kernels given
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("setKernels"), std::string::npos) << s;

  KernelInfo sourceless = kernel("add_pos", "", perToken());
  sourceless.cuda_source.clear();
  s = emu->checkKernels(b.plan, {&sourceless, 1});
  EXPECT_NE(s.message().find("kernel 0 (add_pos, launch 0, add): has no CUDA C++ source"),
            std::string::npos)
      << s;

  KernelInfo broken = kernel("add_pos", "extern \"C\" __global__ void add_pos(LfmKernelArgs) { nope; }",
                             perToken());
  EXPECT_TRUE(emu->checkKernels(b.plan, {&broken, 1}).ok());
  ASSERT_TRUE(emu->setKernels({&broken, 1}).ok());
  s = emu->load(b.plan, b.weights);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("nope"), std::string::npos) << s;
  EXPECT_FALSE(emu->allocateState({1, 8}).ok()) << "no plan is loaded after a failed load";
}

TEST(EmuDevice, LaunchTimingTimesEveryLaunchThatRuns) {
  AddThenLogits m;
  std::unique_ptr<Device> emu = m.load();
  auto state = emu->allocateState({3, 64});
  ASSERT_TRUE(state.ok());
  EXPECT_TRUE(emu->lastLaunchTimes().empty());
  ASSERT_TRUE(emu->setLaunchTiming(true).ok());
  TestStep step;
  step.seqN(3, 2, 0).seqN(2, 0, 7);
  step.logit_rows = {2, 4};
  std::vector<float> logits(2 * 11);
  ASSERT_TRUE(emu->execute(step.inputs(), **state, logits).ok());
  std::span<const LaunchTime> times = emu->lastLaunchTimes();
  ASSERT_EQ(times.size(), 2u);
  EXPECT_GT(times[0].seconds, 0);
  EXPECT_GT(times[1].seconds, 0);
  EXPECT_EQ(times[0].kernel, 0);
  EXPECT_EQ(times[1].kernel, 1);

  // No logit rows: the logits launch has an empty grid and is skipped.
  step.logit_rows.clear();
  ASSERT_TRUE(emu->execute(step.inputs(), **state, {}).ok());
  times = emu->lastLaunchTimes();
  ASSERT_EQ(times.size(), 2u);
  EXPECT_GT(times[0].seconds, 0);
  EXPECT_EQ(times[1].seconds, 0);
  EXPECT_EQ(times[1].kernel, -1);

  ASSERT_TRUE(emu->setLaunchTiming(false).ok());
  EXPECT_TRUE(emu->lastLaunchTimes().empty());
}

}  // namespace
}  // namespace lfm::testing
