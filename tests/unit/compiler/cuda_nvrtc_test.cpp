// codegen/cuda/Nvrtc: targets, compile errors that show the kernel and the
// offending source lines, and the binary cache. The compile tests skip
// with a message where NVRTC is missing.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "../ScopedEnv.h"
#include "codegen/cuda/KernelEmitter.h"
#include "codegen/cuda/Nvrtc.h"
#include "llvm/Support/Error.h"

namespace {

using namespace mlir::lfm::cuda;
using lfm::testing::ScopedEnv;
namespace fs = std::filesystem;

#define SKIP_WITHOUT_NVRTC()                                                  \
  if (llvm::Error error = checkNvrtcAvailable())                              \
  GTEST_SKIP() << "NVRTC is not available: " << llvm::toString(std::move(error))

const char *kGoodBody = R"(
extern "C" __global__ void good_kernel(LfmKernelArgs args) {
  float *y = (float *)args.buf[0];
  y[threadIdx.x] = lfm_silu(lfm_bf16_to_float(lfm_float_to_bf16(1.5f)));
}
)";

TEST(CudaNvrtc, ParsesTargets) {
  llvm::Expected<CompileTarget> sm = parseCompileTarget("sm_90");
  ASSERT_TRUE(static_cast<bool>(sm));
  EXPECT_EQ(sm->kind, lfm::KernelBinary::Kind::kCubin);
  llvm::Expected<CompileTarget> arch = parseCompileTarget("sm_90a");
  ASSERT_TRUE(static_cast<bool>(arch));
  EXPECT_EQ(arch->name, "sm_90a");
  llvm::Expected<CompileTarget> ptx = parseCompileTarget("compute_80");
  ASSERT_TRUE(static_cast<bool>(ptx));
  EXPECT_EQ(ptx->kind, lfm::KernelBinary::Kind::kPtx);
  for (const char *bad : {"", "sm_", "gfx90a", "sm_9x", "compute_"}) {
    llvm::Expected<CompileTarget> t = parseCompileTarget(bad);
    ASSERT_FALSE(static_cast<bool>(t)) << bad;
    EXPECT_NE(llvm::toString(t.takeError()).find("expected sm_XX"), std::string::npos);
  }
  std::vector<CompileTarget> defaults = defaultCompileTargets();
  ASSERT_EQ(defaults.size(), 3u);
  EXPECT_EQ(defaults[0].name, "sm_80");
  EXPECT_EQ(defaults[1].name, "sm_90");
  EXPECT_EQ(defaults[2].name, "compute_90");
  EXPECT_EQ(nvrtcOptions(defaults[1])[0], "--gpu-architecture=sm_90");
}


TEST(CudaNvrtc, CompilesThePreludeAndAKernel) {
  SKIP_WITHOUT_NVRTC();
  std::string source = devicePrelude().str() + kGoodBody;
  for (const char *target : {"sm_80", "sm_90", "compute_90"}) {
    llvm::Expected<std::vector<uint8_t>> binary =
        compileSource("good_kernel", source, *parseCompileTarget(target));
    ASSERT_TRUE(static_cast<bool>(binary)) << llvm::toString(binary.takeError());
    EXPECT_GT(binary->size(), 100u);
  }
}

TEST(CudaNvrtc, ErrorsNameTheKernelAndShowTheSourceLines) {
  SKIP_WITHOUT_NVRTC();
  std::string source = std::string("// line 1\n") +
                       "extern \"C\" __global__ void broken(LfmKernelArgs args) {\n"  // 2
                       "  float x = 1.0f;\n"                                           // 3
                       "  x += undefined_thing;\n"                                     // 4
                       "}\n";
  // Without the prelude LfmKernelArgs is unknown too: line 2 is an error.
  llvm::Expected<std::vector<uint8_t>> binary =
      compileSource("lfm_broken_7", source, *parseCompileTarget("sm_90"));
  ASSERT_FALSE(static_cast<bool>(binary));
  std::string message = llvm::toString(binary.takeError());
  EXPECT_NE(message.find("kernel lfm_broken_7: NVRTC"), std::string::npos) << message;
  EXPECT_NE(message.find("for sm_90"), std::string::npos) << message;
  EXPECT_NE(message.find("undefined_thing"), std::string::npos) << message;  // the log
  EXPECT_NE(message.find("source lines:"), std::string::npos) << message;
  EXPECT_NE(message.find(">    4 |   x += undefined_thing;"), std::string::npos) << message;
  EXPECT_NE(message.find("     3 |   float x = 1.0f;"), std::string::npos) << message;
}

TEST(CudaNvrtc, CompileKernelsReportsEveryFailureAndCaches) {
  SKIP_WITHOUT_NVRTC();
  fs::path cache = fs::path(LFM_BINARY_DIR) / "nvrtc-test-cache";
  fs::remove_all(cache);
  std::vector<lfm::KernelInfo> kernels(2);
  kernels[0].name = kernels[0].entry_point = "good_kernel";
  kernels[0].cuda_source = devicePrelude().str() + kGoodBody;
  kernels[1].name = kernels[1].entry_point = "bad_kernel";
  kernels[1].cuda_source = devicePrelude().str() + "\nint broken(\n";
  CompileOptions options;
  options.targets = {*parseCompileTarget("sm_80"), *parseCompileTarget("compute_90")};
  options.cacheDir = cache.string();
  llvm::Expected<CompileStats> failed = compileKernels(kernels, options);
  ASSERT_FALSE(static_cast<bool>(failed));
  std::string message = llvm::toString(failed.takeError());
  EXPECT_NE(message.find("kernel bad_kernel: NVRTC"), std::string::npos) << message;
  EXPECT_NE(message.find("for sm_80"), std::string::npos) << message;
  EXPECT_NE(message.find("for compute_90"), std::string::npos) << message;
  EXPECT_EQ(message.find("kernel good_kernel"), std::string::npos) << message;

  kernels.pop_back();
  llvm::Expected<CompileStats> first = compileKernels(kernels, options);
  ASSERT_TRUE(static_cast<bool>(first)) << llvm::toString(first.takeError());
  // The good kernel's binaries were cached by the failed run already.
  EXPECT_EQ(first->cached, 2u);
  ASSERT_EQ(kernels[0].binaries.size(), 2u);
  EXPECT_EQ(kernels[0].binaries[0].target, "sm_80");
  EXPECT_EQ(kernels[0].binaries[0].kind, lfm::KernelBinary::Kind::kCubin);
  EXPECT_EQ(kernels[0].binaries[1].target, "compute_90");
  EXPECT_EQ(kernels[0].binaries[1].kind, lfm::KernelBinary::Kind::kPtx);
  std::string ptx(kernels[0].binaries[1].data.begin(), kernels[0].binaries[1].data.end());
  EXPECT_NE(ptx.find(".entry good_kernel"), std::string::npos);
  EXPECT_EQ(ptx.find('\0'), std::string::npos);

  options.useCache = false;
  llvm::Expected<CompileStats> uncached = compileKernels(kernels, options);
  ASSERT_TRUE(static_cast<bool>(uncached));
  EXPECT_EQ(uncached->compiled, 2u);
  EXPECT_EQ(uncached->cached, 0u);
  fs::remove_all(cache);
}

// A compile that ran NVRTC keeps the cache within $LFM_CACHE_MAX_MB by
// dropping the least recently used binaries; what it just wrote stays.
TEST(CudaNvrtc, CompilesPruneTheCache) {
  SKIP_WITHOUT_NVRTC();
  fs::path cache = fs::path(LFM_BINARY_DIR) / "nvrtc-prune-test-cache";
  fs::remove_all(cache);
  fs::create_directories(cache / "nvrtc");
  const fs::path stale = cache / "nvrtc" / "stale.cubin";
  std::ofstream(stale) << std::string(3 << 20, 'x');
  fs::last_write_time(stale, fs::file_time_type::clock::now() - std::chrono::hours(48));

  std::vector<lfm::KernelInfo> kernels(1);
  kernels[0].name = kernels[0].entry_point = "good_kernel";
  kernels[0].cuda_source = devicePrelude().str() + kGoodBody + "\n// prune test\n";
  CompileOptions options;
  options.targets = {*parseCompileTarget("sm_80")};
  options.cacheDir = cache.string();
  ScopedEnv limit("LFM_CACHE_MAX_MB", "1");
  llvm::Expected<CompileStats> stats = compileKernels(kernels, options);
  ASSERT_TRUE(static_cast<bool>(stats)) << llvm::toString(stats.takeError());
  EXPECT_EQ(stats->compiled, 1u);
  EXPECT_FALSE(fs::exists(stale));
  size_t kept = 0;
  for (const fs::directory_entry &e : fs::directory_iterator(cache / "nvrtc")) {
    EXPECT_EQ(e.path().extension(), ".cubin") << e.path();
    ++kept;
  }
  EXPECT_EQ(kept, 1u);
  fs::remove_all(cache);
}

}  // namespace
