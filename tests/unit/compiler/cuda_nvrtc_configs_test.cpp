// Every kernel of every released LFM2 config (tests/data/configs) and every
// golden checkpoint (tests/data/golden), from the fused and the unfused
// pipeline, compiles with NVRTC for sm_80 and sm_90 and makes a valid
// artifact kernel table. Needs NVRTC (not a GPU); skips with a message
// without it. Binaries are cached in the build tree, so reruns are fast.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "codegen/cuda/CudaPrinter.h"
#include "codegen/cuda/KernelEmitter.h"
#include "codegen/cuda/Nvrtc.h"
#include "driver/Compile.h"
#include "lfm/Artifact.h"
#include "llvm/Support/Error.h"

namespace {

namespace fs = std::filesystem;
using mlir::lfm::cuda::CompileOptions;
using mlir::lfm::cuda::CompileStats;

// The plan lfm-compile builds for `path` (a config.json or a checkpoint), from
// the compiler driver lfm-compile calls.
std::optional<lfm::Plan> buildPlan(const std::string &path, bool fusion) {
  mlir::lfm::driver::CompileOptions options;
  options.pipeline.fusion = fusion;
  llvm::Expected<lfm::Plan> plan = mlir::lfm::driver::compileToPlan(path, options);
  if (!plan) {
    ADD_FAILURE() << llvm::toString(plan.takeError());
    return std::nullopt;
  }
  return std::move(*plan);
}

std::vector<std::string> modelPaths() {
  std::vector<std::string> paths;
  for (const char *dir : {"configs", "golden"})
    for (const fs::directory_entry &e : fs::directory_iterator(fs::path(LFM_TEST_DATA_DIR) / dir))
      paths.push_back(e.path().string());
  std::sort(paths.begin(), paths.end());
  return paths;
}

class NvrtcConfigs : public ::testing::TestWithParam<bool> {};

TEST_P(NvrtcConfigs, EveryKernelCompilesForSm80AndSm90) {
  if (llvm::Error error = mlir::lfm::cuda::checkNvrtcAvailable()) {
    GTEST_SKIP() << "NVRTC is not available, kernels not compiled: "
                 << llvm::toString(std::move(error));
  }
  const bool fusion = GetParam();
  CompileOptions options;
  options.targets = {*mlir::lfm::cuda::parseCompileTarget("sm_80"),
                     *mlir::lfm::cuda::parseCompileTarget("sm_90")};
  options.cacheDir = LFM_BINARY_DIR "/lfm-cache";
  for (const std::string &path : modelPaths()) {
    SCOPED_TRACE(path);
    std::optional<lfm::Plan> plan = buildPlan(path, fusion);
    ASSERT_TRUE(plan);
    llvm::Expected<std::vector<lfm::KernelInfo>> kernels = mlir::lfm::cuda::emitKernels(*plan);
    ASSERT_TRUE(static_cast<bool>(kernels)) << llvm::toString(kernels.takeError());
    // Layers share kernels: a model needs about one layer's worth (and the
    // large-rows variants of linear and attention).
    EXPECT_LE(kernels->size(), 32u);
    for (const lfm::Launch &launch : plan->launches)
      EXPECT_GE(launch.kernel, 0) << lfm::opName(launch.op);

    auto start = std::chrono::steady_clock::now();
    llvm::Expected<CompileStats> stats = mlir::lfm::cuda::compileKernels(*kernels, options);
    ASSERT_TRUE(static_cast<bool>(stats)) << llvm::toString(stats.takeError());
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("[ info     ] %s (%s): %zu kernels for %zu launches, %u compiled, %u cached, "
                "%.2f s\n",
                fs::path(path).filename().c_str(), fusion ? "fused" : "unfused",
                kernels->size(), plan->launches.size(), stats->compiled, stats->cached, seconds);
    // --emit cuda prints one translation unit: the prelude once, then every
    // kernel. It compiles as a whole too.
    if (path == modelPaths().front()) {
      std::string all;
      llvm::raw_string_ostream os(all);
      mlir::lfm::cuda::printCudaSource(*plan, *kernels, os);
      llvm::Expected<std::vector<uint8_t>> binary = mlir::lfm::cuda::compileSource(
          "all_kernels", all, *mlir::lfm::cuda::parseCompileTarget("compute_90"));
      EXPECT_TRUE(static_cast<bool>(binary)) << llvm::toString(binary.takeError());
    }
    for (const lfm::KernelInfo &kernel : *kernels) {
      ASSERT_EQ(kernel.binaries.size(), 2u) << kernel.name;
      EXPECT_EQ(kernel.binaries[0].target, "sm_80");
      EXPECT_EQ(kernel.binaries[1].target, "sm_90");
      EXPECT_EQ(kernel.binaries[1].kind, lfm::KernelBinary::Kind::kCubin);
      // An ELF image.
      ASSERT_GE(kernel.binaries[1].data.size(), 4u);
      EXPECT_EQ(kernel.binaries[1].data[0], 0x7f);
      EXPECT_EQ(kernel.binaries[1].data[1], 'E');
    }
    lfm::Artifact artifact;
    artifact.plan = std::move(*plan);
    artifact.kernels = std::move(*kernels);
    absl::Status verified = lfm::verifyArtifact(artifact);
    EXPECT_TRUE(verified.ok()) << verified;
  }
}

INSTANTIATE_TEST_SUITE_P(Pipelines, NvrtcConfigs, ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool> &info) {
                           return info.param ? "Fused" : "Unfused";
                         });

}  // namespace
