// Turns the artifact's kernel table into loaded CUDA functions: picks each
// kernel's binary for the GPU at hand, loads it as a module (the driver JITs
// PTX) and looks up its entry point.
#ifndef LFM_RUNTIME_CUDA_CUDAMODULES_H
#define LFM_RUNTIME_CUDA_CUDAMODULES_H

#include <memory>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "cuda/CudaContext.h"
#include "lfm/Artifact.h"

namespace lfm::cuda {

// The binary to load on a GPU of compute capability major.minor, by
// preference: a CUBIN built for exactly that arch ("sm_90" on 9.0); else the
// PTX of the highest virtual arch not above it ("compute_90"), which the
// driver JIT-compiles; else a CUBIN of the same major and a lower minor
// (binary-compatible, e.g. sm_80 on 8.6). nullptr when none can run.
const KernelBinary *selectBinary(const KernelInfo &kernel, int cc_major, int cc_minor);

// selectBinary for the GPU `info` describes, or an error (starting "has no
// binary for") that lists the kernel's targets and says how to recompile.
absl::StatusOr<const KernelBinary *> binaryFor(const KernelInfo &kernel,
                                               const CudaDeviceInfo &info);

struct LoadedKernel {
  CUfunction function = nullptr;
  LaunchGeometry geometry;
  int64_t dynamic_shared_bytes = 0;
  std::string name;
  std::string loaded_from;  // the binary's target, for messages
};

// Owns the modules; functions stay valid while it lives.
class CudaModules {
 public:
  // Loads every kernel. Errors name the kernel, the binary and carry the
  // driver's error name and JIT error log.
  static absl::StatusOr<std::unique_ptr<CudaModules>> load(std::shared_ptr<CudaContext> ctx,
                                                           std::span<const KernelInfo> kernels);
  ~CudaModules();

  size_t size() const { return kernels_.size(); }
  const LoadedKernel &kernel(size_t i) const { return kernels_[i]; }

 private:
  std::shared_ptr<CudaContext> ctx_;
  std::vector<CUmodule> modules_;
  std::vector<LoadedKernel> kernels_;
};

}  // namespace lfm::cuda

#endif  // LFM_RUNTIME_CUDA_CUDAMODULES_H
