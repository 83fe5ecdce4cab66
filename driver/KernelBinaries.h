//===- KernelBinaries.h - Kernel sources to binaries for targets -*- C++ -*-===//
//
// The compile targets a user names (sm_XX for a CUBIN, compute_XX for PTX),
// and the NVRTC compiles (codegen/cuda/Nvrtc.h) an artifact or --emit ptx
// needs.
//
//===----------------------------------------------------------------------===//

#ifndef LFM_DRIVER_KERNELBINARIES_H
#define LFM_DRIVER_KERNELBINARIES_H

#include "codegen/cuda/Nvrtc.h"
#include "lfm/Artifact.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>
#include <string>
#include <vector>

namespace mlir::lfm::driver {

struct BinaryOptions {
  /// "sm_80", "compute_90", ...; empty: cuda::defaultCompileTargets().
  std::vector<std::string> targets;
  /// Read and fill the kernel cache (Nvrtc.h).
  bool useCache = true;
};

/// The named targets, parsed and deduplicated in order, or the defaults.
llvm::Expected<std::vector<cuda::CompileTarget>>
compileTargets(llvm::ArrayRef<std::string> names);

/// Compiles every kernel for the targets. Without NVRTC the kernels keep
/// their sources only and the result is why NVRTC could not be loaded (for
/// the caller to warn with); std::nullopt when the binaries were made.
llvm::Expected<std::optional<std::string>>
compileBinaries(std::vector<::lfm::KernelInfo> &kernels,
                const BinaryOptions &options);

/// Replaces each kernel's binaries by its PTX for one target: the first
/// compute_XX target, else the first sm_XX's compute_XX. Needs NVRTC.
llvm::Error compilePtx(std::vector<::lfm::KernelInfo> &kernels,
                       const BinaryOptions &options);

/// `--emit ptx`: each kernel's first binary, under a comment naming it.
void printFirstBinaries(llvm::ArrayRef<::lfm::KernelInfo> kernels,
                        llvm::raw_ostream &os);

} // namespace mlir::lfm::driver

#endif // LFM_DRIVER_KERNELBINARIES_H
