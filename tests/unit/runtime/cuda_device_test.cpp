// The cuda device where there is no usable GPU: the driver loader says which
// library failed (or what cuInit returned), `--device cuda` exits 1 with that
// message and `--device auto` runs on the cpu device, saying so. The driver
// is forced away with LFM_LIBCUDA, so these tests hold on GPU machines too.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "TinyModel.h"
#include "cuda/CudaContext.h"
#include "cuda/CudaModules.h"
#include "cuda/DecodeGraphs.h"
#include "lfm/Artifact.h"
#include "lfm/CudaProbe.h"
#include "lfm/Device.h"

namespace lfm::testing {
namespace {

constexpr const char *kMissing = "/nonexistent/lfm-test/libcuda.so.1";
constexpr const char *kStub = "/usr/local/cuda/lib64/stubs/libcuda.so";
// $LFM_RUN overrides the build's lfm-run, for a build folder that has moved
// (scripts/gpu-check's kit on a GPU machine).
const std::string kLfmRun = std::getenv("LFM_RUN") != nullptr
                                ? std::string(std::getenv("LFM_RUN"))
                                : std::string(LFM_BINARY_DIR) + "/tools/lfm-run";

// Sets LFM_LIBCUDA for one test and restores it after.
class ScopedLibcuda {
 public:
  explicit ScopedLibcuda(const char *path) {
    if (const char *old = std::getenv("LFM_LIBCUDA")) old_ = old;
    setenv("LFM_LIBCUDA", path, 1);
  }
  ~ScopedLibcuda() {
    if (old_.empty()) {
      unsetenv("LFM_LIBCUDA");
    } else {
      setenv("LFM_LIBCUDA", old_.c_str(), 1);
    }
  }

 private:
  std::string old_;
};

TEST(CudaDriver, MissingLibraryIsAClearError) {
  ScopedLibcuda env(kMissing);
  absl::StatusOr<CudaDeviceInfo> info = probeCudaDevice();
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(info.status().message().find("cannot load the CUDA driver library"), std::string::npos)
      << info.status();
  EXPECT_NE(info.status().message().find(kMissing), std::string::npos) << info.status();
}

// The toolkit's stub libcuda exports every driver symbol but has no driver
// behind it: loading it checks that each versioned name in the entry-point
// table exists in the CUDA 13 driver ABI, and that a cuInit failure is
// reported as such.
TEST(CudaDriver, StubLibraryResolvesEverySymbolThenFailsInCuInit) {
  if (!std::filesystem::exists(kStub)) GTEST_SKIP() << "SKIPPED: no CUDA toolkit stub at " << kStub;
  ScopedLibcuda env(kStub);
  absl::StatusOr<CudaDeviceInfo> info = probeCudaDevice();
  ASSERT_FALSE(info.ok());
  EXPECT_NE(info.status().message().find("cuInit failed"), std::string::npos) << info.status();
}

TEST(CudaDriver, CudaDeviceKindFailsAndAutoFallsBack) {
  ScopedLibcuda env(kMissing);
  absl::StatusOr<CreatedDevice> cuda = createDevice({DeviceKind::kCuda, 1});
  ASSERT_FALSE(cuda.ok());
  EXPECT_EQ(cuda.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(cuda.status().message().find("CUDA device not available"), std::string::npos);
  EXPECT_NE(cuda.status().message().find(kMissing), std::string::npos) << cuda.status();

  absl::StatusOr<CreatedDevice> autoDevice = createDevice({DeviceKind::kAuto, 1});
  ASSERT_TRUE(autoDevice.ok()) << autoDevice.status();
  EXPECT_EQ(autoDevice->device->name(), "cpu");
  EXPECT_NE(autoDevice->note.find("using the cpu device"), std::string::npos) << autoDevice->note;
  EXPECT_NE(autoDevice->note.find(kMissing), std::string::npos) << autoDevice->note;
}

TEST(CudaDriver, CpuDeviceIgnoresKernels) {
  absl::StatusOr<CreatedDevice> cpu = createDevice({DeviceKind::kCpu, 1});
  ASSERT_TRUE(cpu.ok());
  KernelInfo k;
  k.name = "unused";
  EXPECT_TRUE(cpu->device->setKernels({&k, 1}).ok());
}

KernelBinary binary(const std::string &target) {
  KernelBinary b;
  b.target = target;
  b.kind = target.rfind("sm_", 0) == 0 ? KernelBinary::Kind::kCubin : KernelBinary::Kind::kPtx;
  return b;
}

TEST(CudaModules, PicksTheExactCubinThenPtxThenACompatibleCubin) {
  KernelInfo k;
  k.binaries = {binary("sm_80"), binary("sm_90"), binary("compute_80"), binary("compute_90")};
  EXPECT_EQ(cuda::selectBinary(k, 9, 0)->target, "sm_90");
  EXPECT_EQ(cuda::selectBinary(k, 8, 0)->target, "sm_80");
  // No sm_86 CUBIN: the highest PTX not above 8.6 (JIT) beats sm_80's CUBIN.
  EXPECT_EQ(cuda::selectBinary(k, 8, 6)->target, "compute_80");
  // A newer GPU (Blackwell) JITs the newest PTX.
  EXPECT_EQ(cuda::selectBinary(k, 10, 0)->target, "compute_90");
  EXPECT_EQ(cuda::selectBinary(k, 7, 5), nullptr);

  KernelInfo cubins;
  cubins.binaries = {binary("sm_80"), binary("sm_90a")};
  EXPECT_EQ(cuda::selectBinary(cubins, 8, 9)->target, "sm_80");  // same major, lower minor
  EXPECT_EQ(cuda::selectBinary(cubins, 9, 0), nullptr);           // sm_90a is never guessed
  EXPECT_EQ(cuda::selectBinary(cubins, 12, 0), nullptr);
}

TEST(DecodeGraphs, ContextBucketsAreUpperBoundsWithinTheCache) {
  EXPECT_EQ(cuda::bucketContext(1, 4096), 256);
  EXPECT_EQ(cuda::bucketContext(256, 4096), 256);
  EXPECT_EQ(cuda::bucketContext(257, 4096), 512);
  EXPECT_EQ(cuda::bucketContext(4000, 4096), 4096);
  EXPECT_EQ(cuda::bucketContext(100, 128), 128);
  EXPECT_EQ(cuda::bucketContext(5, 5), 5);
}

TEST(CudaContext, PeakBandwidthFromClockOrTable) {
  // H100 SXM: 2619 MHz HBM3, 5120-bit bus -> 3.35 TB/s.
  EXPECT_NEAR(cuda::peakMemoryBandwidth("NVIDIA H100 80GB HBM3", 2619000, 5120), 3.352e12, 1e10);
  EXPECT_DOUBLE_EQ(cuda::peakMemoryBandwidth("NVIDIA H200", 0, 0), 4.8e12);
  EXPECT_DOUBLE_EQ(cuda::peakMemoryBandwidth("NVIDIA H100 PCIe", 0, 0), 2.0e12);
  EXPECT_DOUBLE_EQ(cuda::peakMemoryBandwidth("Some GPU", 0, 0), 0);
}

struct Result {
  int code = -1;
  std::string out, err;
};

Result runLfm(const std::string &env, const std::string &args) {
  const std::string err_path = ::testing::TempDir() + "/cuda_device_test_stderr.txt";
  std::string cmd = env + " " + kLfmRun + " " + args + " 2>" + err_path;
  Result r;
  FILE *p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream f(err_path);
  std::stringstream s;
  s << f.rdbuf();
  r.err = s.str();
  return r;
}

class LfmRunWithoutGpu : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    artifact_ = ::testing::TempDir() + "/cuda_device_test.lfma";
    TinyWeights w;
    PlanBuilder b = tinyFusedPlan(w);
    Artifact artifact;
    artifact.plan = b.plan;
    ASSERT_TRUE(writeArtifact(artifact, &b.weights, artifact_).ok());
  }
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(kLfmRun)) << "build lfm-run first: " << kLfmRun;
  }
  static std::string artifact_;
};
std::string LfmRunWithoutGpu::artifact_;

TEST_F(LfmRunWithoutGpu, DeviceCudaExitsOneWithTheReason) {
  Result r = runLfm(std::string("LFM_LIBCUDA=") + kMissing,
                    artifact_ + " --device cuda --prompt-ids 1,2 --max-new-tokens 1");
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_NE(r.err.find("CUDA device not available"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(kMissing), std::string::npos) << r.err;
}

TEST_F(LfmRunWithoutGpu, DeviceAutoRunsOnTheCpuAndSaysSo) {
  Result r = runLfm(std::string("LFM_LIBCUDA=") + kMissing,
                    artifact_ + " --device auto --prompt-ids 1,2 --max-new-tokens 2 --ignore-eos");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("using the cpu device"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("cpu device"), std::string::npos) << r.err;
  EXPECT_FALSE(r.out.empty());
}

}  // namespace
}  // namespace lfm::testing
