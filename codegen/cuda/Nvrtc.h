//===- Nvrtc.h - Kernel sources to PTX and CUBIN with NVRTC -----*- C++ -*-===//
//
// NVRTC is loaded with dlopen at the first compile, never linked: the
// compiler builds and runs (--emit mlir|plan|cuda, artifacts without
// binaries) on machines without CUDA, and only compiling binaries needs
// libnvrtc.so. No GPU is needed either way. Tried in order:
// /usr/local/cuda/lib64/libnvrtc.so, libnvrtc.so.13, .12, libnvrtc.so; or
// only $LFM_NVRTC_LIBRARY when that is set.
//
// Every (kernel, target) pair is one NVRTC compile with these options
// (nvrtcOptions):
//   --gpu-architecture=<sm_XX | compute_XX>  CUBIN for sm_XX, PTX for compute_XX
//   -std=c++17                                the prelude uses if constexpr
//   -default-device                           prelude helpers need no __device__
// and no --use_fast_math: kernels call the fast intrinsics (__expf, ...)
// where they want them, so the GPU, the emu device and the CPU reference
// round alike everywhere else.
//
// Compiles run in parallel (up to 4 at once) and are cached on disk, keyed
// by a hash of the source, the options and the NVRTC version, in the
// nvrtc/ folder of lfm/CacheDir.h's cache root ($LFM_CACHE_DIR, else
// $XDG_CACHE_HOME/lfm, else ~/.cache/lfm). A compile that ran NVRTC then
// prunes the least recently used binaries beyond 256 MB ($LFM_CACHE_MAX_MB).
//
//===----------------------------------------------------------------------===//

#ifndef LFM_CODEGEN_CUDA_NVRTC_H
#define LFM_CODEGEN_CUDA_NVRTC_H

#include "lfm/Artifact.h"
#include "lfm/CacheDir.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace mlir::lfm::cuda {

/// A compile target: "sm_90" (a CUBIN) or "compute_90" (PTX).
struct CompileTarget {
  std::string name;
  ::lfm::KernelBinary::Kind kind = ::lfm::KernelBinary::Kind::kCubin;
};

/// Parses "sm_80", "sm_90a", "compute_90"; an error says what is expected.
llvm::Expected<CompileTarget> parseCompileTarget(llvm::StringRef text);

/// sm_80 and sm_90 CUBIN plus compute_90 PTX (the driver JITs it on newer
/// GPUs).
std::vector<CompileTarget> defaultCompileTargets();

/// The NVRTC options for one target (documented above).
std::vector<std::string> nvrtcOptions(const CompileTarget &target);

/// Whether libnvrtc can be loaded; on failure, an error that names the
/// places tried.
llvm::Error checkNvrtcAvailable();

/// "13.0": the loaded NVRTC's version, or an error as above.
llvm::Expected<std::string> nvrtcVersion();

struct CompileOptions {
  std::vector<CompileTarget> targets = defaultCompileTargets();
  bool useCache = true;
  std::string cacheDir = ::lfm::defaultCacheDir();
  unsigned maxParallel = 4;
};

struct CompileStats {
  unsigned compiled = 0;  // NVRTC runs
  unsigned cached = 0;    // binaries read from the cache
};

/// Compiles one source for one target. `name` names the kernel in errors: a
/// failure shows the kernel, the target, the NVRTC log and the source lines
/// the log points at, with line numbers.
llvm::Expected<std::vector<uint8_t>> compileSource(llvm::StringRef name,
                                                   llvm::StringRef source,
                                                   const CompileTarget &target);

/// Compiles every kernel's cuda_source for every target (in parallel, through
/// the cache) and replaces its binaries. All failures are reported together.
llvm::Expected<CompileStats> compileKernels(
    std::vector<::lfm::KernelInfo> &kernels, const CompileOptions &options);

} // namespace mlir::lfm::cuda

#endif // LFM_CODEGEN_CUDA_NVRTC_H
