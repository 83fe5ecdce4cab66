// Asks the CUDA driver (loaded with dlopen, see runtime/src/cuda) what GPU
// is there, without creating a device: for `--device auto`, for lfm-bench's
// roofline and for tests that skip without a GPU.
#ifndef LFM_CUDAPROBE_H
#define LFM_CUDAPROBE_H

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace lfm {

struct CudaDeviceInfo {
  int ordinal = 0;
  std::string name;               // e.g. "NVIDIA H200"
  int cc_major = 0, cc_minor = 0; // compute capability, e.g. 9.0
  int multiprocessors = 0;
  int64_t total_memory = 0;       // bytes
  int max_shared_per_block = 0;   // opt-in dynamic shared memory limit, bytes
  int memory_clock_khz = 0;
  int bus_width_bits = 0;
  double peak_bandwidth = 0;      // bytes/s; 0 when unknown
  int driver_version = 0;         // e.g. 13000
  std::string library;            // the libcuda that was loaded

  // "sm_90" for compute capability 9.0.
  std::string smTarget() const;
};

// The driver library ($LFM_LIBCUDA or libcuda.so.1) loaded, cuInit run and
// device `ordinal` queried. Errors (Unavailable) say which step failed:
// the library could not be loaded, a symbol is missing, cuInit failed (with
// its error name) or there is no device with that ordinal.
absl::StatusOr<CudaDeviceInfo> probeCudaDevice(int ordinal = 0);

}  // namespace lfm

#endif  // LFM_CUDAPROBE_H
