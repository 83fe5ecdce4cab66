// The cuda device: runs a plan's generated kernels (the artifact's CUBIN or
// PTX) on an NVIDIA GPU through the driver API, loaded with dlopen.
//
// Memory, all allocated at load / allocateState and never during a step:
//   weights     one allocation, each Plan::weights entry 256-byte aligned;
//   arena       the activation regions of PlanLayout, one allocation;
//   scratch     the launch scratch (LfmKernelArgs::scratch), shared by
//               all launches since one stream serializes them, sized for
//               the largest step a pool allows, zeroed when allocated
//               (kernels leave it zero: KernelAbi.h);
//   inputs      the five step inputs at fixed device addresses, uploaded
//               each step from pinned host memory in one copy;
//   logits      max_rows x vocab f32, copied back row by row as asked;
//   state       per pool (CudaState): conv states and K/V caches, zeroed.
// One non-blocking stream; each step ends with a stream synchronize (the
// logits must be on the host when execute returns). Decode steps replay
// CUDA graphs (DecodeGraphs.h), except while launch timing is on
// (LaunchEvents.h), which times each launch between CUDA events.
#ifndef LFM_RUNTIME_CUDA_CUDADEVICE_H
#define LFM_RUNTIME_CUDA_CUDADEVICE_H

#include <memory>

#include "absl/status/statusor.h"
#include "lfm/Device.h"

namespace lfm::cuda {

// Loads the driver ($LFM_LIBCUDA or libcuda.so.1), opens GPU `ordinal` and
// creates the device. Unavailable errors say why there is no GPU to use.
absl::StatusOr<std::unique_ptr<Device>> createCudaDevice(int ordinal);

}  // namespace lfm::cuda

#endif  // LFM_RUNTIME_CUDA_CUDADEVICE_H
