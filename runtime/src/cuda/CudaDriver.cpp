// Loads libcuda with dlopen and fills the entry-point table.
#include "cuda/CudaDriver.h"

#include <dlfcn.h>

#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace lfm::cuda {
namespace {

// Each entry: the table slot and the exported symbol. The versioned names
// are what cuda.h (CUDA 12 and 13) maps the plain names to; the unversioned
// exports with the same stem are the pre-CUDA-4 ABI (32-bit sizes) and must
// not be used. cuCtxCreate is avoided altogether (cuCtxCreate_v4 in CUDA 13
// takes a params struct): the device uses the primary context, which the
// runtime API and other libraries in the process share.
// `fallback`, when set, is the older export used by drivers that lack
// `symbol` (same signature): cuEventElapsedTime_v2 came with CUDA 12.8.
struct Entry {
  void **slot;
  const char *symbol;
  const char *fallback = nullptr;
};

}  // namespace

std::string defaultDriverLibrary() {
  const char *env = std::getenv("LFM_LIBCUDA");
  return env != nullptr && *env != '\0' ? std::string(env) : std::string("libcuda.so.1");
}

std::string cudaResultName(const CudaDriverApi *api, CUresult result) {
  const char *name = nullptr;
  const char *text = nullptr;
  if (api != nullptr && api->cuGetErrorName != nullptr) api->cuGetErrorName(result, &name);
  if (api != nullptr && api->cuGetErrorString != nullptr) api->cuGetErrorString(result, &text);
  std::string out = name != nullptr ? std::string(name) : absl::StrCat("CUresult ", result);
  if (text != nullptr) absl::StrAppend(&out, " (", text, ")");
  return out;
}

absl::StatusOr<std::shared_ptr<CudaDriver>> CudaDriver::load(const std::string &library) {
  std::shared_ptr<CudaDriver> driver(new CudaDriver());
  driver->library_ = library;
  // RTLD_LOCAL: libcuda's symbols stay out of the global namespace, so a
  // second copy (the CUDA runtime's, in a Python process) cannot clash.
  driver->handle_ = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (driver->handle_ == nullptr) {
    const char *why = dlerror();
    return absl::UnavailableError(absl::StrCat(
        "cannot load the CUDA driver library '", library, "': ", why ? why : "unknown error",
        " (is an NVIDIA driver installed? set LFM_LIBCUDA to its libcuda.so.1)"));
  }
  CudaDriverApi &a = driver->api_;
  const Entry entries[] = {
      {reinterpret_cast<void **>(&a.cuInit), "cuInit"},
      {reinterpret_cast<void **>(&a.cuDriverGetVersion), "cuDriverGetVersion"},
      {reinterpret_cast<void **>(&a.cuDeviceGetCount), "cuDeviceGetCount"},
      {reinterpret_cast<void **>(&a.cuDeviceGet), "cuDeviceGet"},
      {reinterpret_cast<void **>(&a.cuDeviceGetAttribute), "cuDeviceGetAttribute"},
      {reinterpret_cast<void **>(&a.cuDeviceGetName), "cuDeviceGetName"},
      {reinterpret_cast<void **>(&a.cuDeviceTotalMem), "cuDeviceTotalMem_v2"},
      {reinterpret_cast<void **>(&a.cuDevicePrimaryCtxRetain), "cuDevicePrimaryCtxRetain"},
      {reinterpret_cast<void **>(&a.cuDevicePrimaryCtxRelease), "cuDevicePrimaryCtxRelease_v2"},
      {reinterpret_cast<void **>(&a.cuCtxSetCurrent), "cuCtxSetCurrent"},
      {reinterpret_cast<void **>(&a.cuModuleLoadDataEx), "cuModuleLoadDataEx"},
      {reinterpret_cast<void **>(&a.cuModuleUnload), "cuModuleUnload"},
      {reinterpret_cast<void **>(&a.cuModuleGetFunction), "cuModuleGetFunction"},
      {reinterpret_cast<void **>(&a.cuFuncSetAttribute), "cuFuncSetAttribute"},
      {reinterpret_cast<void **>(&a.cuMemAlloc), "cuMemAlloc_v2"},
      {reinterpret_cast<void **>(&a.cuMemFree), "cuMemFree_v2"},
      {reinterpret_cast<void **>(&a.cuMemAllocHost), "cuMemAllocHost_v2"},
      {reinterpret_cast<void **>(&a.cuMemFreeHost), "cuMemFreeHost"},
      {reinterpret_cast<void **>(&a.cuMemGetInfo), "cuMemGetInfo_v2"},
      {reinterpret_cast<void **>(&a.cuMemcpyHtoD), "cuMemcpyHtoD_v2"},
      {reinterpret_cast<void **>(&a.cuMemcpyDtoH), "cuMemcpyDtoH_v2"},
      {reinterpret_cast<void **>(&a.cuMemcpyHtoDAsync), "cuMemcpyHtoDAsync_v2"},
      {reinterpret_cast<void **>(&a.cuMemcpyDtoHAsync), "cuMemcpyDtoHAsync_v2"},
      {reinterpret_cast<void **>(&a.cuMemcpyDtoDAsync), "cuMemcpyDtoDAsync_v2"},
      {reinterpret_cast<void **>(&a.cuMemsetD8), "cuMemsetD8_v2"},
      {reinterpret_cast<void **>(&a.cuStreamCreate), "cuStreamCreate"},
      {reinterpret_cast<void **>(&a.cuStreamDestroy), "cuStreamDestroy_v2"},
      {reinterpret_cast<void **>(&a.cuStreamSynchronize), "cuStreamSynchronize"},
      {reinterpret_cast<void **>(&a.cuLaunchKernel), "cuLaunchKernel"},
      {reinterpret_cast<void **>(&a.cuStreamBeginCapture), "cuStreamBeginCapture_v2"},
      {reinterpret_cast<void **>(&a.cuStreamEndCapture), "cuStreamEndCapture"},
      {reinterpret_cast<void **>(&a.cuGraphInstantiate), "cuGraphInstantiateWithFlags"},
      {reinterpret_cast<void **>(&a.cuGraphLaunch), "cuGraphLaunch"},
      {reinterpret_cast<void **>(&a.cuGraphExecDestroy), "cuGraphExecDestroy"},
      {reinterpret_cast<void **>(&a.cuGraphDestroy), "cuGraphDestroy"},
      {reinterpret_cast<void **>(&a.cuEventCreate), "cuEventCreate"},
      {reinterpret_cast<void **>(&a.cuEventRecord), "cuEventRecord"},
      {reinterpret_cast<void **>(&a.cuEventSynchronize), "cuEventSynchronize"},
      {reinterpret_cast<void **>(&a.cuEventElapsedTime), "cuEventElapsedTime_v2",
       "cuEventElapsedTime"},
      {reinterpret_cast<void **>(&a.cuEventDestroy), "cuEventDestroy_v2"},
      {reinterpret_cast<void **>(&a.cuGetErrorName), "cuGetErrorName"},
      {reinterpret_cast<void **>(&a.cuGetErrorString), "cuGetErrorString"},
  };
  for (const Entry &e : entries) {
    *e.slot = dlsym(driver->handle_, e.symbol);
    if (*e.slot == nullptr && e.fallback != nullptr) *e.slot = dlsym(driver->handle_, e.fallback);
    if (*e.slot == nullptr) {
      return absl::UnavailableError(absl::StrCat(
          "the CUDA driver library '", library, "' has no symbol ", e.symbol,
          " (the driver is older than CUDA 12 or not an NVIDIA driver)"));
    }
  }
  if (CUresult r = a.cuInit(0); r != CUDA_SUCCESS) {
    return absl::UnavailableError(absl::StrCat("cuInit failed with ", cudaResultName(&a, r),
                                               " (library '", library, "')"));
  }
  if (CUresult r = a.cuDriverGetVersion(&driver->driver_version_); r != CUDA_SUCCESS) {
    return absl::UnavailableError(
        absl::StrCat("cuDriverGetVersion failed with ", cudaResultName(&a, r)));
  }
  return driver;
}

// The library is never dlclosed: libcuda keeps threads and atexit hooks of
// its own, and unmapping it under them crashes at exit. dlopen reference
// counts, so loading it again (another device) costs nothing.
CudaDriver::~CudaDriver() = default;

absl::Status CudaDriver::check(CUresult result, absl::string_view what) const {
  if (result == CUDA_SUCCESS) return absl::OkStatus();
  return absl::InternalError(absl::StrCat(what, ": ", cudaResultName(&api_, result)));
}

}  // namespace lfm::cuda
