// The cuda device on a GPU, against the cpu device (the oracle):
//   - every launch alone, on the same inputs (the cpu device's values of its
//     operands written into both devices), over a prefill step, a decode
//     step and a mixed step, so that a wrong kernel is named, not just a
//     wrong logit;
//   - whole sessions (chunked prefill, batched decode) end to end;
//   - decode CUDA graphs against direct launches.
// The artifacts come from $LFM_CUDA_TEST_ARTIFACTS (a folder of .lfma files
// compiled with CUDA kernels; scripts/gpu-check prepares it). Without a GPU
// or without artifacts the tests print SKIPPED and why. The per-launch
// harness itself runs everywhere, cpu against cpu, on a hand-built plan.
//
// Tolerances per launch (inputs identical, so only one kernel's rounding
// and summation order differ): f32 |d| <= 1e-4 + 1e-3 |ref|; 16-bit
// storage |d| <= 2e-2 + 2e-2 |ref| (one or two ulps of bf16).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>

#include "RuntimeTestUtil.h"
#include "TinyModel.h"
#include "absl/strings/str_cat.h"
#include "lfm/Artifact.h"
#include "lfm/CudaProbe.h"
#include "lfm/PlanLayout.h"
#include "lfm/Session.h"
#include "lfm/WeightLoader.h"

namespace lfm::testing {
namespace {

struct Tolerance {
  double atol, rtol;
};

Tolerance toleranceFor(DType dtype) {
  return dtype == DType::kF32 ? Tolerance{1e-4, 1e-3} : Tolerance{2e-2, 2e-2};
}

// max |got - want| / (atol + rtol |want|): <= 1 passes.
double relativeError(const std::vector<float> &got, const std::vector<float> &want, Tolerance t) {
  if (got.size() != want.size()) return INFINITY;
  double worst = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(got[i]) != std::isnan(want[i])) return INFINITY;
    double d = std::fabs(double(got[i]) - want[i]) / (t.atol + t.rtol * std::fabs(want[i]));
    worst = std::max(worst, d);
  }
  return worst;
}

std::string refName(BufferRef ref) {
  static constexpr const char *kKinds[] = {"input", "weight", "activation", "conv state",
                                           "key cache", "value cache", "logits"};
  return absl::StrCat(kKinds[ref.kind], " ", ref.index);
}

bool isStored(BufferRef ref) { return ref.kind != BufferRef::kInput && ref.kind != BufferRef::kWeight; }

// The rows argument of read/writeBuffer for `ref` in a step.
int64_t rowsOf(const Plan &plan, const PlanLayout &layout, BufferRef ref, const TestStep &step) {
  const int64_t tokens = step.rows(), logit_rows = static_cast<int64_t>(step.logit_rows.size());
  if (ref.kind == BufferRef::kActivation) {
    return plan.activations[ref.index].rows == RowSpace::kTokens ? tokens : logit_rows;
  }
  if (ref.kind == BufferRef::kLogits) {
    return layout.logits_rows == RowSpace::kTokens ? tokens : logit_rows;
  }
  return 0;
}

// Runs each launch of `plan` alone on `ref` and `test`, over `steps` in
// order, with the operands both devices see taken from `ref`'s results so
// far. Returns one line per launch whose results (or the state it updates)
// differ beyond `tol`; `log` gets the worst error of every launch.
std::vector<std::string> compareLaunches(Device &ref, Device &test, const Plan &plan,
                                         const HostWeights &weights,
                                         const std::vector<KernelInfo> &kernels,
                                         const std::vector<TestStep> &steps, StateShape shape,
                                         Tolerance tol, std::string *log) {
  std::vector<std::string> failures;
  std::map<std::pair<int, int>, std::vector<float>> mirror;  // (kind, index) -> values
  auto key = [](BufferRef r) { return std::make_pair(int(r.kind), int(r.index)); };
  EXPECT_TRUE(ref.setKernels(kernels).ok());
  EXPECT_TRUE(test.setKernels(kernels).ok());
  for (size_t s = 0; s < steps.size(); ++s) {
    const TestStep &step = steps[s];
    for (size_t li = 0; li < plan.launches.size(); ++li) {
      const Launch &launch = plan.launches[li];
      Plan one = plan;
      one.launches = {launch};
      // The cuda device verifies every plan it loads; the cpu device does
      // not, so check here that a one-launch plan passes.
      if (absl::Status v = verifyPlan(one); !v.ok()) {
        failures.push_back(absl::StrCat("launch ", li, " alone: ", v.message()));
        return failures;
      }
      absl::StatusOr<PlanLayout> layout = layoutPlan(one);
      if (!layout.ok()) {
        failures.push_back(absl::StrCat("launch ", li, ": ", layout.status().message()));
        return failures;
      }
      // Buffers the launch reads or writes that live in device memory.
      std::vector<BufferRef> touched;
      for (const auto *list : {&launch.operands, &launch.results}) {
        for (BufferRef r : *list) {
          if (isStored(r)) touched.push_back(r);
        }
      }
      std::map<std::pair<int, int>, std::vector<float>> outputs[2];
      Device *devices[2] = {&ref, &test};
      for (int d = 0; d < 2; ++d) {
        Device &dev = *devices[d];
        absl::Status st = dev.load(one, weights);
        if (!st.ok()) {
          failures.push_back(absl::StrCat("launch ", li, " (", opName(launch.op), ") on ", dev.name(),
                                          ": load: ", st.message()));
          return failures;
        }
        absl::StatusOr<std::unique_ptr<DeviceState>> state = dev.allocateState(shape);
        if (!state.ok()) {
          failures.push_back(absl::StrCat("allocateState: ", state.status().message()));
          return failures;
        }
        for (BufferRef r : touched) {
          auto it = mirror.find(key(r));
          if (it == mirror.end()) continue;  // never written yet: zeros on both
          std::vector<float> values = it->second;
          int64_t rows = rowsOf(one, *layout, r, step);
          // Activations of an earlier step may have another row count.
          absl::StatusOr<std::vector<float>> current = dev.readBuffer(r, rows, state->get());
          if (!current.ok()) continue;
          values.resize(current->size(), 0.0f);
          EXPECT_TRUE(dev.writeBuffer(r, rows, state->get(), values).ok()) << refName(r);
        }
        st = dev.execute(step.inputs(), **state, {});
        if (!st.ok()) {
          failures.push_back(absl::StrCat("step ", s, " launch ", li, " (", opName(launch.op), ") on ",
                                          dev.name(), ": ", st.message()));
          return failures;
        }
        for (BufferRef r : touched) {
          absl::StatusOr<std::vector<float>> v =
              dev.readBuffer(r, rowsOf(one, *layout, r, step), state->get());
          if (v.ok()) outputs[d][key(r)] = std::move(*v);
        }
      }
      double worst = 0;
      std::string worst_ref;
      for (BufferRef r : touched) {
        double e = relativeError(outputs[1][key(r)], outputs[0][key(r)], tol);
        if (e > worst) {
          worst = e;
          worst_ref = refName(r);
        }
      }
      std::string line = absl::StrCat("step ", s, " launch ", li, " ", opName(launch.op),
                                      launch.kernel >= 0 && launch.kernel < int(kernels.size())
                                          ? absl::StrCat(" [", kernels[launch.kernel].name, "]")
                                          : "",
                                      ": worst error ", worst, " of tolerance",
                                      worst_ref.empty() ? "" : absl::StrCat(" (", worst_ref, ")"));
      if (log != nullptr) absl::StrAppend(log, line, "\n");
      if (!(worst <= 1.0)) failures.push_back(line);
      for (auto &[k, v] : outputs[0]) mirror[k] = std::move(v);
    }
  }
  return failures;
}

// A prefill step of two sequences, a decode step, and a mixed step.
// A prefill step of two sequences, a decode step, a mixed step and, where
// the plan takes that many tokens per step, a long step (a 70-row sequence
// beside a decode): the large-rows kernels (tiled GEMMs, flash attention).
std::vector<TestStep> testSteps(const Plan &plan, uint32_t seed) {
  const int64_t vocab = plan.config.vocab_size;
  std::mt19937 rng(seed);
  auto tokens = [&](int n) {
    std::vector<int32_t> t(n);
    for (int32_t &x : t) x = static_cast<int32_t>(rng() % vocab);
    return t;
  };
  auto lastRows = [](TestStep &s) {
    for (size_t i = 1; i < s.row_offsets.size(); ++i) s.logit_rows.push_back(s.row_offsets[i] - 1);
    return s;
  };
  std::vector<TestStep> steps(3);
  steps[0].seq(tokens(7), 0, 0).seq(tokens(3), 1, 0);
  steps[1].seq(tokens(1), 0, 7).seq(tokens(1), 1, 3);
  steps[2].seq(tokens(4), 0, 8).seq(tokens(1), 1, 4);
  if (plan.max_tokens_per_step >= 71) steps.emplace_back().seq(tokens(70), 2, 0).seq(tokens(1), 0, 12);
  for (TestStep &s : steps) lastRows(s);
  return steps;
}

std::vector<std::vector<float>> sessionLogits(std::unique_ptr<Device> device,
                                              const Artifact &artifact, const HostWeights &weights,
                                              int decode,
                                              const std::vector<std::vector<float>> *reference);
double maxAbsDiff(const std::vector<std::vector<float>> &a, const std::vector<std::vector<float>> &b,
                  int *argmax_mismatches);

std::unique_ptr<Device> cpuDevice() {
  absl::StatusOr<CreatedDevice> d = createDevice({DeviceKind::kCpu, 0});
  return d.ok() ? std::move(d->device) : nullptr;
}

// The harness on a plan without kernels, cpu against cpu: every launch must
// match exactly, so the test itself is sound before a GPU ever runs it.
TEST(CudaGpuHarness, CpuAgainstCpuMatchesEveryLaunch) {
  TinyWeights w;
  PlanBuilder b = tinyFusedPlan(w);
  auto ref = cpuDevice(), test = cpuDevice();
  std::string log;
  std::vector<std::string> failures =
      compareLaunches(*ref, *test, b.plan, b.weights, {}, testSteps(b.plan, 1),
                      {4, 128}, {0, 0}, &log);
  EXPECT_TRUE(failures.empty()) << failures.front() << "\n" << log;
  EXPECT_NE(log.find("step 2 launch"), std::string::npos) << log;
}

// The harness on the real plans of the test artifacts (sub-plans of one
// launch must load and run), still cpu against cpu: runs without a GPU.
TEST(CudaGpuHarness, CpuAgainstCpuOnTheArtifacts) {
  const char *dir = std::getenv("LFM_CUDA_TEST_ARTIFACTS");
  if (dir == nullptr || !std::filesystem::is_directory(dir)) {
    GTEST_SKIP() << "SKIPPED: LFM_CUDA_TEST_ARTIFACTS is not set";
  }
  int checked = 0;
  for (const auto &e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() != ".lfma") continue;
    SCOPED_TRACE(e.path().string());
    absl::StatusOr<Artifact> artifact = readArtifact(e.path().string());
    ASSERT_TRUE(artifact.ok()) << artifact.status();
    HostWeights weights = randomWeights(artifact->plan, 3);
    auto ref = cpuDevice(), test = cpuDevice();
    std::vector<std::string> failures = compareLaunches(
        *ref, *test, artifact->plan, weights, artifact->kernels,
        testSteps(artifact->plan, 4), {4, 128}, {0, 0}, nullptr);
    EXPECT_TRUE(failures.empty()) << failures.front();
    auto want = sessionLogits(cpuDevice(), *artifact, weights, 6, nullptr);
    auto got = sessionLogits(cpuDevice(), *artifact, weights, 6, &want);
    int flips = 0;
    EXPECT_EQ(maxAbsDiff(got, want, &flips), 0.0);
    EXPECT_EQ(want.size(), 3u + 1u + 6u * 2u);  // chunk steps (2 rows, then 1, 1), decode
    ++checked;
  }
  EXPECT_GT(checked, 0);
}

// The GPU and the artifacts, or a skip that says what is missing.
class CudaGpu : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<CudaDeviceInfo> info = probeCudaDevice();
    if (!info.ok()) GTEST_SKIP() << "SKIPPED: no CUDA GPU: " << info.status().message();
    const char *dir = std::getenv("LFM_CUDA_TEST_ARTIFACTS");
    if (dir == nullptr || !std::filesystem::is_directory(dir)) {
      GTEST_SKIP() << "SKIPPED: set LFM_CUDA_TEST_ARTIFACTS to a folder of .lfma files with "
                      "CUDA kernels (scripts/gpu-check prepares one)";
    }
    for (const auto &e : std::filesystem::directory_iterator(dir)) {
      if (e.path().extension() == ".lfma") artifacts_.push_back(e.path().string());
    }
    std::sort(artifacts_.begin(), artifacts_.end());
    if (artifacts_.empty()) GTEST_SKIP() << "SKIPPED: no .lfma files in " << dir;
    std::cerr << "GPU: " << info->name << " (" << info->smTarget() << "), " << artifacts_.size()
              << " artifacts\n";
  }

  std::unique_ptr<Device> cudaDevice() {
    absl::StatusOr<CreatedDevice> d = createDevice({DeviceKind::kCuda, 0});
    EXPECT_TRUE(d.ok()) << d.status();
    return d.ok() ? std::move(d->device) : nullptr;
  }

  std::vector<std::string> artifacts_;
};

TEST_F(CudaGpu, EveryLaunchMatchesTheCpuDevice) {
  for (const std::string &path : artifacts_) {
    SCOPED_TRACE(path);
    absl::StatusOr<Artifact> artifact = readArtifact(path);
    ASSERT_TRUE(artifact.ok()) << artifact.status();
    HostWeights weights = randomWeights(artifact->plan, 7);
    auto ref = cpuDevice();
    auto gpu = cudaDevice();
    ASSERT_NE(gpu, nullptr);
    std::string log;
    std::vector<std::string> failures = compareLaunches(
        *ref, *gpu, artifact->plan, weights, artifact->kernels,
        testSteps(artifact->plan, 2), {4, 128},
        toleranceFor(artifact->plan.dtype), &log);
    std::cerr << path << ":\n" << log;
    EXPECT_TRUE(failures.empty()) << failures.size() << " launches differ, first: "
                                  << (failures.empty() ? "" : failures.front());
  }
}

// Logits of a session run: a chunked prefill of two prompts, then `decode`
// batched decode steps feeding back the argmax of `reference`'s rows (the
// same rows of the same steps), so that both devices see the same tokens.
std::vector<std::vector<float>> sessionLogits(std::unique_ptr<Device> device,
                                              const Artifact &artifact, const HostWeights &weights,
                                              int decode,
                                              const std::vector<std::vector<float>> *reference) {
  std::vector<std::vector<float>> out;
  EXPECT_TRUE(device->setKernels(artifact.kernels).ok());
  auto session = Session::create(std::move(device), artifact.plan, weights, {2, 512});
  EXPECT_TRUE(session.ok()) << session.status();
  if (!session.ok()) return out;
  Session &s = **session;
  EXPECT_TRUE(s.claim(0).ok());
  EXPECT_TRUE(s.claim(1).ok());
  const int64_t vocab = artifact.plan.config.vocab_size;
  std::vector<int32_t> p0, p1;
  for (int i = 0; i < 37; ++i) p0.push_back((i * 7 + 3) % vocab);
  for (int i = 0; i < 11; ++i) p1.push_back((i * 13 + 1) % vocab);
  size_t last[2] = {0, 0};  // index in `out` of each sequence's latest row
  auto run = [&](const std::vector<SequenceStep> &batch) {
    auto r = s.step(batch);
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok()) return false;
    for (int64_t i = 0; i < r->rows(); ++i) {
      last[batch[i].request_id] = out.size();
      out.emplace_back(r->row(i).begin(), r->row(i).end());
    }
    return true;
  };
  // Prefill in chunks of 16 (p1 whole, in the first step).
  for (size_t at = 0; at < p0.size(); at += 16) {
    std::vector<int32_t> chunk(p0.begin() + at, p0.begin() + std::min(p0.size(), at + 16));
    std::vector<SequenceStep> batch = {{0, chunk}};
    if (at == 0) batch.push_back({1, p1});
    if (!run(batch)) return out;
  }
  for (int t = 0; t < decode; ++t) {
    const auto &source = reference != nullptr ? *reference : out;
    int32_t next[2];
    for (int i = 0; i < 2; ++i) {
      if (last[i] >= source.size()) return out;
      const std::vector<float> &row = source[last[i]];
      next[i] = static_cast<int32_t>(std::max_element(row.begin(), row.end()) - row.begin());
    }
    if (!run({{0, {&next[0], 1}}, {1, {&next[1], 1}}})) return out;
  }
  return out;
}

double maxAbsDiff(const std::vector<std::vector<float>> &a, const std::vector<std::vector<float>> &b,
                  int *argmax_mismatches) {
  double worst = 0;
  *argmax_mismatches = 0;
  if (a.size() != b.size()) return INFINITY;
  for (size_t r = 0; r < a.size(); ++r) {
    for (size_t i = 0; i < a[r].size(); ++i) worst = std::max(worst, double(std::fabs(a[r][i] - b[r][i])));
    if (std::max_element(a[r].begin(), a[r].end()) - a[r].begin() !=
        std::max_element(b[r].begin(), b[r].end()) - b[r].begin()) {
      ++*argmax_mismatches;
    }
  }
  return worst;
}

TEST_F(CudaGpu, SessionsMatchTheCpuDevice) {
  for (const std::string &path : artifacts_) {
    SCOPED_TRACE(path);
    absl::StatusOr<Artifact> artifact = readArtifact(path);
    ASSERT_TRUE(artifact.ok()) << artifact.status();
    HostWeights weights = randomWeights(artifact->plan, 11);
    auto want = sessionLogits(cpuDevice(), *artifact, weights, 24, nullptr);
    auto got = sessionLogits(cudaDevice(), *artifact, weights, 24, &want);
    int flips = 0;
    double diff = maxAbsDiff(got, want, &flips);
    std::cerr << path << ": session max |diff| " << diff << ", argmax mismatches " << flips
              << " of " << want.size() << " rows\n";
    // Errors compound over layers and steps: f32 within 1e-3 (the golden
    // bound) with no argmax change; 16-bit within the golden bf16 bounds.
    const bool f32 = artifact->plan.dtype == DType::kF32;
    EXPECT_LE(diff, f32 ? 1e-3 : 0.75);
    EXPECT_LE(flips, f32 ? 0 : 2);
  }
}

TEST_F(CudaGpu, DecodeGraphsMatchDirectLaunches) {
  for (const std::string &path : artifacts_) {
    SCOPED_TRACE(path);
    absl::StatusOr<Artifact> artifact = readArtifact(path);
    ASSERT_TRUE(artifact.ok()) << artifact.status();
    HostWeights weights = randomWeights(artifact->plan, 5);
    setenv("LFM_CUDA_GRAPHS", "0", 1);
    auto direct = sessionLogits(cudaDevice(), *artifact, weights, 300, nullptr);
    unsetenv("LFM_CUDA_GRAPHS");
    auto graphs = sessionLogits(cudaDevice(), *artifact, weights, 300, &direct);
    int flips = 0;
    double diff = maxAbsDiff(graphs, direct, &flips);
    std::cerr << path << ": graphs vs direct max |diff| " << diff << "\n";
    // Graph steps round max_context up (DecodeGraphs.h), which may change
    // how a kernel splits the context, hence the summation order.
    const bool f32 = artifact->plan.dtype == DType::kF32;
    EXPECT_LE(diff, f32 ? 1e-3 : 0.25);
    EXPECT_LE(flips, f32 ? 0 : 2);
  }
}

}  // namespace
}  // namespace lfm::testing
