// The cuda device's host side against a fake libcuda (tests/fake_cuda): which
// binary it loads, the grid, block and LfmKernelArgs of every launch, the
// step inputs and weights in device memory where the args point, the result
// copies, logits coming back, decode steps recorded once as a CUDA graph and
// replayed (but launched one by one between timing events while launch
// timing is on), and the JIT log in load errors. Kernels do nothing there, so
// numerics are the GPU tests' (cuda_gpu_test.cpp); this checks the plumbing
// everywhere.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <numeric>

#include "../../fake_cuda/FakeCuda.h"
#include "TinyModel.h"
#include "lfm/CudaProbe.h"
#include "lfm/KernelAbi.h"

namespace lfm::testing {
namespace {

// Points LFM_LIBCUDA at the fake for one test; clears its log.
class FakeDriver : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("LFM_LIBCUDA", LFM_FAKE_CUDA, 1);
    unsetenv("FAKE_CUDA_CC");
    unsetenv("LFM_CUDA_GRAPHS");
    void *lib = dlopen(LFM_FAKE_CUDA, RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(lib, nullptr) << dlerror();
    auto get = reinterpret_cast<FakeCudaLog *(*)()>(dlsym(lib, "fake_cuda_log"));
    ASSERT_NE(get, nullptr);
    log_ = get();
    log_->clear();
  }
  void TearDown() override {
    unsetenv("LFM_LIBCUDA");
    unsetenv("FAKE_CUDA_CC");
    unsetenv("LFM_CUDA_GRAPHS");
  }

  // The tiny plan with one fake kernel per launch: grid.x = T, 32 threads.
  static std::vector<KernelInfo> kernelsFor(Plan &plan, const std::string &ptx_extra = "") {
    std::vector<KernelInfo> kernels;
    for (size_t i = 0; i < plan.launches.size(); ++i) {
      KernelInfo k;
      k.name = "k" + std::to_string(i) + "_" + opName(plan.launches[i].op);
      k.entry_point = k.name;
      k.binaries = {{"sm_90", KernelBinary::Kind::kCubin, bytes("CUBIN sm_90 " + k.name)},
                    {"compute_90", KernelBinary::Kind::kPtx, bytes("PTX 90 " + k.name + ptx_extra)}};
      k.geometry.block = {32, 1, 1};
      k.geometry.grid_rule = kAffineGridRule;
      k.geometry.grid_args = {1, 0, 0, 0, 0, 1,  0, 0, 0, 0, 1, 1,
                              0, 0, 0, 0, 1, 1,  0, 0, 0, 0, 0, 1};
      kernels.push_back(k);
      plan.launches[i].kernel = static_cast<int32_t>(i);
    }
    return kernels;
  }
  static std::vector<uint8_t> bytes(const std::string &s) { return {s.begin(), s.end()}; }

  static LfmKernelArgs argsOf(const FakeLaunch &l) {
    LfmKernelArgs a;
    std::memcpy(&a, l.args.data(), sizeof a);
    return a;
  }

  struct Loaded {
    PlanBuilder b;
    std::unique_ptr<Device> device;
    std::unique_ptr<DeviceState> state;
  };
  Loaded load(const std::string &ptx_extra = "") {
    Loaded l{tinyFusedPlan(TinyWeights{}), nullptr, nullptr};
    std::vector<KernelInfo> kernels = kernelsFor(l.b.plan, ptx_extra);
    absl::StatusOr<CreatedDevice> d = createDevice({DeviceKind::kCuda, 1});
    EXPECT_TRUE(d.ok()) << d.status();
    if (!d.ok()) return l;
    l.device = std::move(d->device);
    EXPECT_TRUE(l.device->setKernels(kernels).ok());
    absl::Status s = l.device->load(l.b.plan, l.b.weights);
    EXPECT_TRUE(s.ok()) << s;
    if (!s.ok()) return l;
    auto state = l.device->allocateState({4, 64});
    EXPECT_TRUE(state.ok()) << state.status();
    if (state.ok()) l.state = std::move(*state);
    return l;
  }

  FakeCudaLog *log_ = nullptr;
};

TEST_F(FakeDriver, ProbeReadsTheDevice) {
  absl::StatusOr<CudaDeviceInfo> info = probeCudaDevice();
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->name, "Fake H200");
  EXPECT_EQ(info->smTarget(), "sm_90");
  EXPECT_NEAR(info->peak_bandwidth, 4.917e12, 1e10);
}

TEST_F(FakeDriver, LoadsTheCubinForItsArchElseThePtx) {
  Loaded l = load();
  ASSERT_NE(l.state, nullptr);
  ASSERT_EQ(log_->loaded_images.size(), l.b.plan.launches.size());
  for (const std::string &image : log_->loaded_images) EXPECT_EQ(image.rfind("CUBIN sm_90", 0), 0u);

  log_->clear();
  setenv("FAKE_CUDA_CC", "100", 1);  // a newer GPU: JIT the PTX
  Loaded newer = load();
  ASSERT_FALSE(log_->loaded_images.empty());
  for (const std::string &image : log_->loaded_images) EXPECT_EQ(image.rfind("PTX 90", 0), 0u);

  setenv("FAKE_CUDA_CC", "80", 1);  // nothing runs on 8.0
  Loaded older{tinyFusedPlan(TinyWeights{}), nullptr, nullptr};
  auto kernels = kernelsFor(older.b.plan);
  auto d = createDevice({DeviceKind::kCuda, 1});
  ASSERT_TRUE(d.ok());
  ASSERT_TRUE(d->device->setKernels(kernels).ok());
  absl::Status s = d->device->load(older.b.plan, older.b.weights);
  EXPECT_NE(s.message().find("no binary for Fake H200 (sm_80)"), std::string::npos) << s;
}

TEST_F(FakeDriver, JitErrorsCarryTheDriverErrorAndTheLog) {
  setenv("FAKE_CUDA_CC", "100", 1);
  PlanBuilder b = tinyFusedPlan(TinyWeights{});
  auto kernels = kernelsFor(b.plan, " FAKE_BAD");
  auto d = createDevice({DeviceKind::kCuda, 1});
  ASSERT_TRUE(d.ok());
  ASSERT_TRUE(d->device->setKernels(kernels).ok());
  absl::Status s = d->device->load(b.plan, b.weights);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("CUDA_ERROR_INVALID_PTX"), std::string::npos) << s;
  EXPECT_NE(s.message().find("ptxas fatal : fake JIT failure"), std::string::npos) << s;
  EXPECT_NE(s.message().find("compute_90 PTX"), std::string::npos) << s;
}

TEST_F(FakeDriver, LaunchWithoutAKernelIsAnError) {
  PlanBuilder b = tinyFusedPlan(TinyWeights{});
  auto d = createDevice({DeviceKind::kCuda, 1});
  ASSERT_TRUE(d.ok());
  absl::Status s = d->device->load(b.plan, b.weights);
  EXPECT_NE(s.message().find("cuda device: launch 0"), std::string::npos) << s;
  EXPECT_NE(s.message().find("has no generated kernel"), std::string::npos) << s;
}

// bindModelKernels: auto keeps a GPU that can run the kernels, and leaves
// one that cannot (no kernels at all, or none built for its arch) for the
// cpu device, saying why; an explicit cuda device reports the reason.
TEST_F(FakeDriver, AutoFallsBackWhenTheGpuCannotRunTheKernels) {
  PlanBuilder b = tinyFusedPlan(TinyWeights{});
  const Plan without_kernels = b.plan;
  std::vector<KernelInfo> kernels = kernelsFor(b.plan);

  auto bind = [&](DeviceKind kind, const Plan &plan, std::span<const KernelInfo> table,
                  CreatedDevice &out) {
    absl::StatusOr<CreatedDevice> d = createDevice({kind, 1});
    EXPECT_TRUE(d.ok()) << d.status();
    if (!d.ok()) return d.status();
    out = std::move(*d);
    return bindModelKernels({kind, 1}, out, plan, table);
  };

  CreatedDevice gpu;
  ASSERT_TRUE(bind(DeviceKind::kAuto, b.plan, kernels, gpu).ok());
  EXPECT_EQ(gpu.device->name(), "cuda:0");
  EXPECT_TRUE(gpu.note.empty()) << gpu.note;

  CreatedDevice none;
  ASSERT_TRUE(bind(DeviceKind::kAuto, without_kernels, {}, none).ok());
  EXPECT_EQ(none.device->name(), "cpu");
  EXPECT_NE(none.note.find("cuda:0 cannot run this artifact"), std::string::npos) << none.note;
  EXPECT_NE(none.note.find("has no generated kernel"), std::string::npos) << none.note;
  EXPECT_TRUE(none.device->load(without_kernels, b.weights).ok());

  setenv("FAKE_CUDA_CC", "80", 1);  // only sm_90 CUBIN and compute_90 PTX
  CreatedDevice older;
  ASSERT_TRUE(bind(DeviceKind::kAuto, b.plan, kernels, older).ok());
  EXPECT_EQ(older.device->name(), "cpu");
  EXPECT_NE(older.note.find("no binary for Fake H200 (sm_80)"), std::string::npos) << older.note;

  CreatedDevice strict;
  absl::Status s = bind(DeviceKind::kCuda, b.plan, kernels, strict);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_NE(s.message().find("cuda device: kernel 0 (k0_"), std::string::npos) << s;
  EXPECT_NE(s.message().find("recompile with --target sm_80"), std::string::npos) << s;
}

TEST_F(FakeDriver, EveryLaunchGetsItsGridAndArgs) {
  Loaded l = load();
  ASSERT_NE(l.state, nullptr);
  TestStep step;
  step.seq({1, 5, 9}, 2, 0).seq({4, 7}, 0, 0);
  step.logit_rows = {2, 4};
  log_->clear();
  ASSERT_TRUE(l.device->execute(step.inputs(), *l.state, {}).ok());
  const Plan &plan = l.b.plan;
  ASSERT_EQ(log_->launches.size(), plan.launches.size());
  EXPECT_EQ(log_->captures, 0);  // a prefill step launches directly
  for (size_t i = 0; i < plan.launches.size(); ++i) {
    const FakeLaunch &fl = log_->launches[i];
    const Launch &launch = plan.launches[i];
    SCOPED_TRACE(fl.entry);
    EXPECT_EQ(fl.entry, "k" + std::to_string(i) + "_" + opName(launch.op));
    EXPECT_EQ(fl.grid, (std::array<unsigned, 3>{5, 1, 1}));
    EXPECT_EQ(fl.block, (std::array<unsigned, 3>{32, 1, 1}));
    LfmKernelArgs a = argsOf(fl);
    EXPECT_EQ(a.num_tokens, 5);
    EXPECT_EQ(a.num_seqs, 2);
    EXPECT_EQ(a.num_logit_rows, 2);
    EXPECT_EQ(a.max_seq_len, 64);
    EXPECT_EQ(a.max_context, 3);
    EXPECT_EQ(a.num_slots, 4);
    EXPECT_EQ(a.scratch_bytes, 0);
    // Where the args point: the step inputs and the weights, uploaded.
    for (size_t o = 0; o < launch.operands.size(); ++o) {
      BufferRef ref = launch.operands[o];
      ASSERT_NE(a.buf[o], nullptr);
      if (ref.kind == BufferRef::kInput) {
        const auto *in = static_cast<const int32_t *>(a.buf[o]);
        std::span<const int32_t> want = std::array<std::span<const int32_t>, 5>{
            step.inputs().tokens, step.inputs().row_offsets, step.inputs().slots,
            step.inputs().start_pos, step.inputs().logit_rows}[ref.index];
        EXPECT_EQ(std::vector<int32_t>(in, in + want.size()),
                  std::vector<int32_t>(want.begin(), want.end()));
      } else if (ref.kind == BufferRef::kWeight) {
        const auto &host = l.b.weights.buffers[ref.index];
        EXPECT_EQ(std::memcmp(a.buf[o], host.data(), host.size()), 0) << "weight " << ref.index;
        EXPECT_EQ(reinterpret_cast<uintptr_t>(a.buf[o]) % 16, 0u);
      }
    }
    for (size_t k = launch.operands.size() + launch.results.size(); k < kMaxKernelBuffers; ++k) {
      EXPECT_EQ(a.buf[k], nullptr);
    }
  }
}

// Launch::large_rows_kernel: the variant runs when the launch's row count
// (T, or R for launches that write logit rows) reaches the threshold.
TEST_F(FakeDriver, LargeRowsVariantIsPickedByRowCount) {
  PlanBuilder b = tinyFusedPlan(TinyWeights{});
  std::vector<KernelInfo> kernels = kernelsFor(b.plan);
  const size_t n = b.plan.launches.size();
  for (size_t i = 0; i < n; ++i) {
    KernelInfo k = kernels[i];
    k.name = k.entry_point = "big" + std::to_string(i) + "_" + opName(b.plan.launches[i].op);
    k.binaries = {{"sm_90", KernelBinary::Kind::kCubin, bytes("CUBIN sm_90 " + k.name)}};
    k.geometry.block = {64, 1, 1};
    b.plan.launches[i].large_rows_kernel = static_cast<int32_t>(kernels.size());
    b.plan.launches[i].large_rows_threshold = 4;
    kernels.push_back(k);
  }
  auto d = createDevice({DeviceKind::kCuda, 1});
  ASSERT_TRUE(d.ok()) << d.status();
  ASSERT_TRUE(d->device->setKernels(kernels).ok());
  absl::Status s = d->device->load(b.plan, b.weights);
  ASSERT_TRUE(s.ok()) << s;
  auto state = d->device->allocateState({4, 64});
  ASSERT_TRUE(state.ok()) << state.status();
  const Plan &plan = b.plan;
  int logit_launches = 0;
  for (int64_t tokens : {5, 3}) {
    SCOPED_TRACE("T = " + std::to_string(tokens));
    TestStep step;
    if (tokens == 5) {
      step.seq({1, 5, 9}, 2, 0).seq({4, 7}, 0, 0);
    } else {
      step.seq({1, 5}, 2, 0).seq({4}, 0, 0);
    }
    step.logit_rows = {1, static_cast<int32_t>(tokens - 1)};
    log_->clear();
    ASSERT_TRUE(d->device->execute(step.inputs(), **state, {}).ok());
    ASSERT_EQ(log_->launches.size(), n);
    for (size_t i = 0; i < n; ++i) {
      const Launch &launch = plan.launches[i];
      const bool logit_rows = launchRows(plan, launch, 100, 2) == 2;
      logit_launches += logit_rows;
      // R = 2 < 4 always; T = 5 >= 4 picks the variant, T = 3 does not.
      const bool large = !logit_rows && tokens >= 4;
      EXPECT_EQ(log_->launches[i].entry,
                (large ? "big" : "k") + std::to_string(i) + "_" + opName(launch.op));
      EXPECT_EQ(log_->launches[i].block[0], large ? 64u : 32u);
    }
  }
  EXPECT_GT(logit_launches, 0);  // the plan has launches in both row spaces
}

TEST_F(FakeDriver, LogitsAndBuffersRoundTrip) {
  Loaded l = load();
  ASSERT_NE(l.state, nullptr);
  const int64_t vocab = l.b.plan.config.vocab_size;
  // The fake kernels write nothing: the logits a step returns are what the
  // buffer held, which shows the copy back picks the right rows.
  std::vector<float> logits_buffer(2 * vocab);
  for (size_t i = 0; i < logits_buffer.size(); ++i) logits_buffer[i] = 0.5f * i;
  ASSERT_TRUE(l.device->writeBuffer({BufferRef::kLogits, 0}, 2, l.state.get(), logits_buffer).ok());
  TestStep step;
  step.seq({1, 2, 3}, 0, 0).seq({4}, 1, 0);
  step.logit_rows = {2, 3};
  std::vector<float> logits(2 * vocab);
  ASSERT_TRUE(l.device->execute(step.inputs(), *l.state, logits).ok());
  EXPECT_EQ(logits, logits_buffer);

  for (BufferRef ref : {BufferRef{BufferRef::kConvState, 0}, BufferRef{BufferRef::kKeyCache, 0},
                        BufferRef{BufferRef::kValueCache, 0}, BufferRef{BufferRef::kActivation, 0}}) {
    auto zeros = l.device->readBuffer(ref, 3, l.state.get());
    ASSERT_TRUE(zeros.ok()) << zeros.status();
    std::vector<float> values = randomValues(zeros->size(), 9);
    ASSERT_TRUE(l.device->writeBuffer(ref, 3, l.state.get(), values).ok());
    auto back = l.device->readBuffer(ref, 3, l.state.get());
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, values);
  }
  auto w = l.device->readBuffer({BufferRef::kWeight, 0}, 0, nullptr);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(encode(*w, l.b.plan.weights[0].dtype), l.b.weights.buffers[0]);
}

TEST_F(FakeDriver, DecodeStepsAreRecordedOnceAndReplayed) {
  Loaded l = load();
  ASSERT_NE(l.state, nullptr);
  const size_t per_step = l.b.plan.launches.size();
  TestStep prefill;
  prefill.seq({1, 2, 3}, 0, 0).seq({4, 5}, 1, 0);
  prefill.logit_rows = {2, 4};
  ASSERT_TRUE(l.device->execute(prefill.inputs(), *l.state, {}).ok());
  log_->clear();
  for (int t = 0; t < 3; ++t) {
    TestStep decode;
    decode.seq({6}, 0, 3 + t).seq({7}, 1, 2 + t);
    decode.logit_rows = {0, 1};
    ASSERT_TRUE(l.device->execute(decode.inputs(), *l.state, {}).ok());
  }
  EXPECT_EQ(log_->captures, 1);
  EXPECT_EQ(log_->instantiations, 1);
  EXPECT_EQ(log_->graph_launches, 3);
  ASSERT_EQ(log_->launches.size(), 3 * per_step);
  LfmKernelArgs a = argsOf(log_->launches.back());
  EXPECT_EQ(a.num_tokens, 2);
  EXPECT_EQ(a.num_seqs, 2);
  EXPECT_EQ(a.max_context, 64);  // the bucket, capped at max_seq_len
  // Every replay reads its step's inputs from one fixed place, where each
  // step uploads them first: the last step's tokens are there.
  const Launch &first = l.b.plan.launches[0];
  ASSERT_EQ(first.operands[0], (BufferRef{BufferRef::kInput, int32_t(InputId::kTokens)}));
  EXPECT_EQ(argsOf(log_->launches[0]).buf[0], argsOf(log_->launches[2 * per_step]).buf[0]);
  const auto *tokens = static_cast<const int32_t *>(argsOf(log_->launches[0]).buf[0]);
  EXPECT_EQ(tokens[0], 6);
  EXPECT_EQ(tokens[1], 7);

  // Another batch size is another graph.
  TestStep one;
  one.seq({8}, 0, 6);
  one.logit_rows = {0};
  ASSERT_TRUE(l.device->execute(one.inputs(), *l.state, {}).ok());
  EXPECT_EQ(log_->captures, 2);

  // Without graphs every step launches directly.
  setenv("LFM_CUDA_GRAPHS", "0", 1);
  Loaded direct = load();
  ASSERT_NE(direct.state, nullptr);
  log_->clear();
  ASSERT_TRUE(direct.device->execute(one.inputs(), *direct.state, {}).ok());
  EXPECT_EQ(log_->captures, 0);
  EXPECT_EQ(log_->launches.size(), per_step);
  EXPECT_EQ(argsOf(log_->launches[0]).max_context, 7);
}

TEST_F(FakeDriver, LaunchTimingRecordsEventsAroundEveryLaunchWithoutGraphs) {
  Loaded l = load();
  ASSERT_NE(l.state, nullptr);
  const size_t per_step = l.b.plan.launches.size();
  EXPECT_TRUE(l.device->lastLaunchTimes().empty());
  ASSERT_TRUE(l.device->setLaunchTiming(true).ok());
  TestStep decode;
  decode.seq({6}, 0, 0);
  decode.logit_rows = {0};
  // An event before each launch, one after the last: event i is recorded
  // when i launches have run.
  std::vector<size_t> expected(per_step + 1);
  std::iota(expected.begin(), expected.end(), size_t{0});
  for (int t = 0; t < 2; ++t) {
    log_->clear();
    ASSERT_TRUE(l.device->execute(decode.inputs(), *l.state, {}).ok());
    EXPECT_EQ(log_->captures, 0);
    EXPECT_EQ(log_->graph_launches, 0);
    ASSERT_EQ(log_->launches.size(), per_step);
    EXPECT_EQ(log_->event_records, expected);
    // The first step creates the events, later ones reuse them.
    EXPECT_EQ(log_->events_created, t == 0 ? static_cast<int>(per_step + 1) : 0);
    std::span<const LaunchTime> times = l.device->lastLaunchTimes();
    ASSERT_EQ(times.size(), per_step);
    double total = 0;
    for (size_t i = 0; i < per_step; ++i) {
      EXPECT_GE(times[i].seconds, 0) << i;
      EXPECT_EQ(times[i].kernel, static_cast<int32_t>(i));
      total += times[i].seconds;
    }
    EXPECT_GT(total, 0);
  }
  // Off: the events go, and decode steps are graphs again.
  log_->clear();
  ASSERT_TRUE(l.device->setLaunchTiming(false).ok());
  EXPECT_EQ(log_->events_destroyed, static_cast<int>(per_step + 1));
  EXPECT_TRUE(l.device->lastLaunchTimes().empty());
  ASSERT_TRUE(l.device->execute(decode.inputs(), *l.state, {}).ok());
  EXPECT_EQ(log_->captures, 1);
  EXPECT_TRUE(log_->event_records.empty());
}

}  // namespace
}  // namespace lfm::testing
