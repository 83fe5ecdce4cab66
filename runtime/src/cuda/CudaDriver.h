// The CUDA driver API, loaded at run time with dlopen("libcuda.so.1") into a
// table of entry points (as IREE and Triton do), so that no binary links
// libcuda and every one of them starts on a machine without a GPU.
//
// The few driver types and constants used here are declared below rather
// than taken from cuda.h: the runtime then builds without the CUDA toolkit
// (the device machine's static build needs nothing but a C++ compiler), and
// the values are the driver ABI, fixed since CUDA 4-12 (checked against the
// CUDA 13.0 cuda.h). Entry points are resolved by their exported, versioned
// names (cuMemAlloc_v2, ...), the names cuda.h's macros map to: see
// CudaDriver.cpp's table.
#ifndef LFM_RUNTIME_CUDA_CUDADRIVER_H
#define LFM_RUNTIME_CUDA_CUDADRIVER_H

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace lfm::cuda {

// Driver handle types: opaque pointers and integers, as in cuda.h.
using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using CUcontext = struct CUctx_st *;
using CUmodule = struct CUmod_st *;
using CUfunction = struct CUfunc_st *;
using CUstream = struct CUstream_st *;
using CUgraph = struct CUgraph_st *;
using CUgraphExec = struct CUgraphExec_st *;
using CUevent = struct CUevent_st *;

inline constexpr CUresult CUDA_SUCCESS = 0;
inline constexpr CUresult CUDA_ERROR_NO_DEVICE = 100;

// CUdevice_attribute
inline constexpr int CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16;
inline constexpr int CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE = 36;     // kHz
inline constexpr int CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH = 37;  // bits
inline constexpr int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
inline constexpr int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;
inline constexpr int CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN = 97;
// CUfunction_attribute
inline constexpr int CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8;
// CUjit_option
inline constexpr int CU_JIT_INFO_LOG_BUFFER = 3;
inline constexpr int CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES = 4;
inline constexpr int CU_JIT_ERROR_LOG_BUFFER = 5;
inline constexpr int CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6;
inline constexpr int CU_JIT_LOG_VERBOSE = 12;
// CUstreamCaptureMode: THREAD_LOCAL so that a capture in one device object
// never trips over driver calls that another device makes on another thread.
inline constexpr int CU_STREAM_CAPTURE_MODE_THREAD_LOCAL = 1;
inline constexpr unsigned CU_STREAM_NON_BLOCKING = 1;
// CUevent_flags: CU_EVENT_DEFAULT records timestamps.
inline constexpr unsigned CU_EVENT_DEFAULT = 0;

// The entry points, by the exported symbol each is resolved from.
struct CudaDriverApi {
  CUresult (*cuInit)(unsigned flags);
  CUresult (*cuDriverGetVersion)(int *version);
  CUresult (*cuDeviceGetCount)(int *count);
  CUresult (*cuDeviceGet)(CUdevice *device, int ordinal);
  CUresult (*cuDeviceGetAttribute)(int *value, int attribute, CUdevice device);
  CUresult (*cuDeviceGetName)(char *name, int len, CUdevice device);
  CUresult (*cuDeviceTotalMem)(size_t *bytes, CUdevice device);             // _v2
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *ctx, CUdevice device);
  CUresult (*cuDevicePrimaryCtxRelease)(CUdevice device);                   // _v2
  CUresult (*cuCtxSetCurrent)(CUcontext ctx);
  CUresult (*cuModuleLoadDataEx)(CUmodule *module, const void *image, unsigned num_options,
                                 int *options, void **option_values);
  CUresult (*cuModuleUnload)(CUmodule module);
  CUresult (*cuModuleGetFunction)(CUfunction *function, CUmodule module, const char *name);
  CUresult (*cuFuncSetAttribute)(CUfunction function, int attribute, int value);
  CUresult (*cuMemAlloc)(CUdeviceptr *ptr, size_t bytes);                   // _v2
  CUresult (*cuMemFree)(CUdeviceptr ptr);                                   // _v2
  CUresult (*cuMemAllocHost)(void **ptr, size_t bytes);                     // _v2
  CUresult (*cuMemFreeHost)(void *ptr);
  CUresult (*cuMemGetInfo)(size_t *free_bytes, size_t *total_bytes);        // _v2
  CUresult (*cuMemcpyHtoD)(CUdeviceptr dst, const void *src, size_t bytes); // _v2
  CUresult (*cuMemcpyDtoH)(void *dst, CUdeviceptr src, size_t bytes);       // _v2
  CUresult (*cuMemcpyHtoDAsync)(CUdeviceptr dst, const void *src, size_t bytes,
                                CUstream stream);                           // _v2
  CUresult (*cuMemcpyDtoHAsync)(void *dst, CUdeviceptr src, size_t bytes,
                                CUstream stream);                           // _v2
  CUresult (*cuMemcpyDtoDAsync)(CUdeviceptr dst, CUdeviceptr src, size_t bytes,
                                CUstream stream);                           // _v2
  CUresult (*cuMemsetD8)(CUdeviceptr dst, unsigned char value, size_t bytes);  // _v2
  CUresult (*cuStreamCreate)(CUstream *stream, unsigned flags);
  CUresult (*cuStreamDestroy)(CUstream stream);                             // _v2
  CUresult (*cuStreamSynchronize)(CUstream stream);
  CUresult (*cuLaunchKernel)(CUfunction f, unsigned grid_x, unsigned grid_y, unsigned grid_z,
                             unsigned block_x, unsigned block_y, unsigned block_z,
                             unsigned shared_bytes, CUstream stream, void **params,
                             void **extra);
  CUresult (*cuStreamBeginCapture)(CUstream stream, int mode);              // _v2
  CUresult (*cuStreamEndCapture)(CUstream stream, CUgraph *graph);
  CUresult (*cuGraphInstantiate)(CUgraphExec *exec, CUgraph graph,
                                 unsigned long long flags);                 // WithFlags
  CUresult (*cuGraphLaunch)(CUgraphExec exec, CUstream stream);
  CUresult (*cuGraphExecDestroy)(CUgraphExec exec);
  CUresult (*cuGraphDestroy)(CUgraph graph);
  CUresult (*cuEventCreate)(CUevent *event, unsigned flags);
  CUresult (*cuEventRecord)(CUevent event, CUstream stream);
  CUresult (*cuEventSynchronize)(CUevent event);
  CUresult (*cuEventElapsedTime)(float *milliseconds, CUevent start,
                                 CUevent end);                              // _v2, else plain
  CUresult (*cuEventDestroy)(CUevent event);                                // _v2
  CUresult (*cuGetErrorName)(CUresult error, const char **name);
  CUresult (*cuGetErrorString)(CUresult error, const char **text);
};

// The library named by $LFM_LIBCUDA, else "libcuda.so.1". The variable lets
// tests (and users with a driver in an odd place) point at another file.
std::string defaultDriverLibrary();

// A loaded and initialized driver. Shared (std::shared_ptr) by the devices
// and buffers that use it, so that the library outlives every handle.
class CudaDriver {
 public:
  // dlopens `library`, resolves every entry point and calls cuInit(0).
  // Errors say which library or symbol failed (with dlerror) or the cuInit
  // result by name, e.g. "CUDA_ERROR_NO_DEVICE".
  static absl::StatusOr<std::shared_ptr<CudaDriver>> load(
      const std::string &library = defaultDriverLibrary());

  ~CudaDriver();
  CudaDriver(const CudaDriver &) = delete;
  CudaDriver &operator=(const CudaDriver &) = delete;

  const CudaDriverApi &api() const { return api_; }
  const std::string &library() const { return library_; }
  // e.g. 13000 for CUDA 13.0.
  int driverVersion() const { return driver_version_; }

  // OK, or an error "WHAT: CUDA_ERROR_X (text)".
  absl::Status check(CUresult result, absl::string_view what) const;

 private:
  CudaDriver() = default;

  void *handle_ = nullptr;
  std::string library_;
  int driver_version_ = 0;
  CudaDriverApi api_{};
};

// Error text for a result whose driver is unknown or failed to load.
std::string cudaResultName(const CudaDriverApi *api, CUresult result);

}  // namespace lfm::cuda

#endif  // LFM_RUNTIME_CUDA_CUDADRIVER_H
