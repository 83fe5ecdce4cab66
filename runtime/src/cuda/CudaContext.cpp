// The primary context, device and pinned memory handles, and the probe.
#include "cuda/CudaContext.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "lfm/StatusMacros.h"

namespace lfm::cuda {

double peakMemoryBandwidth(const std::string &name, int memory_clock_khz, int bus_width_bits) {
  if (memory_clock_khz > 0 && bus_width_bits > 0) {
    return 2.0 * memory_clock_khz * 1e3 * bus_width_bits / 8.0;
  }
  // Datasheet numbers, for drivers that report no memory clock.
  struct Part {
    const char *name;
    double bytes_per_second;
  };
  static constexpr Part kParts[] = {
      {"H200", 4.8e12},     {"H100 NVL", 3.9e12}, {"H100 PCIe", 2.0e12}, {"H100", 3.35e12},
      {"GH200", 4.0e12},    {"B200", 8.0e12},     {"A100", 2.0e12},      {"L40S", 864e9},
      {"L4", 300e9},        {"A10", 600e9},
  };
  for (const Part &p : kParts) {
    if (absl::StrContains(name, p.name)) return p.bytes_per_second;
  }
  return 0;
}

absl::StatusOr<std::shared_ptr<CudaContext>> CudaContext::open(std::shared_ptr<CudaDriver> driver,
                                                               int ordinal) {
  const CudaDriverApi &a = driver->api();
  int count = 0;
  LFM_RETURN_IF_ERROR(driver->check(a.cuDeviceGetCount(&count), "cuDeviceGetCount"));
  if (ordinal < 0 || ordinal >= count) {
    return absl::UnavailableError(absl::StrCat("no CUDA device ", ordinal, " (the driver sees ",
                                               count, " device", count == 1 ? "" : "s", ")"));
  }
  std::shared_ptr<CudaContext> ctx(new CudaContext());
  ctx->driver_ = std::move(driver);
  LFM_RETURN_IF_ERROR(ctx->check(a.cuDeviceGet(&ctx->device_, ordinal), "cuDeviceGet"));

  CudaDeviceInfo &info = ctx->info_;
  info.ordinal = ordinal;
  info.library = ctx->driver_->library();
  info.driver_version = ctx->driver_->driverVersion();
  char name[256] = {};
  LFM_RETURN_IF_ERROR(ctx->check(a.cuDeviceGetName(name, sizeof(name) - 1, ctx->device_),
                                 "cuDeviceGetName"));
  info.name = name;
  struct Attribute {
    int id;
    int *out;
    const char *what;
  };
  const Attribute attributes[] = {
      {CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, &info.cc_major, "compute capability"},
      {CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, &info.cc_minor, "compute capability"},
      {CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, &info.multiprocessors, "multiprocessors"},
      {CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN, &info.max_shared_per_block,
       "shared memory per block"},
  };
  for (const Attribute &attr : attributes) {
    LFM_RETURN_IF_ERROR(ctx->check(a.cuDeviceGetAttribute(attr.out, attr.id, ctx->device_),
                                   absl::StrCat("cuDeviceGetAttribute(", attr.what, ")")));
  }
  // The memory clock is informational (newer drivers may not report it):
  // failures leave it 0 and the bandwidth table takes over.
  if (a.cuDeviceGetAttribute(&info.memory_clock_khz, CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE,
                             ctx->device_) != CUDA_SUCCESS) {
    info.memory_clock_khz = 0;
  }
  if (a.cuDeviceGetAttribute(&info.bus_width_bits, CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH,
                             ctx->device_) != CUDA_SUCCESS) {
    info.bus_width_bits = 0;
  }
  info.peak_bandwidth = peakMemoryBandwidth(info.name, info.memory_clock_khz, info.bus_width_bits);
  size_t total = 0;
  LFM_RETURN_IF_ERROR(ctx->check(a.cuDeviceTotalMem(&total, ctx->device_), "cuDeviceTotalMem"));
  info.total_memory = static_cast<int64_t>(total);

  LFM_RETURN_IF_ERROR(ctx->check(a.cuDevicePrimaryCtxRetain(&ctx->context_, ctx->device_),
                                 "cuDevicePrimaryCtxRetain"));
  LFM_RETURN_IF_ERROR(ctx->makeCurrent());
  return ctx;
}

CudaContext::~CudaContext() {
  if (context_ != nullptr) driver_->api().cuDevicePrimaryCtxRelease(device_);
}

absl::Status CudaContext::makeCurrent() const {
  return check(api().cuCtxSetCurrent(context_), "cuCtxSetCurrent");
}

absl::StatusOr<DeviceMemory> DeviceMemory::allocate(std::shared_ptr<CudaContext> ctx,
                                                    int64_t bytes, absl::string_view what) {
  DeviceMemory m;
  if (bytes < 0) return absl::InvalidArgumentError(absl::StrCat(what, ": negative size"));
  if (bytes == 0) return m;
  CUdeviceptr ptr = 0;
  CUresult r = ctx->api().cuMemAlloc(&ptr, static_cast<size_t>(bytes));
  if (r != CUDA_SUCCESS) {
    size_t free_bytes = 0, total_bytes = 0;
    ctx->api().cuMemGetInfo(&free_bytes, &total_bytes);
    return absl::ResourceExhaustedError(absl::StrCat(
        what, ": cannot allocate ", bytes, " bytes of GPU memory (", free_bytes, " of ",
        total_bytes, " free): ", cudaResultName(&ctx->api(), r)));
  }
  m.ctx_ = std::move(ctx);
  m.ptr_ = ptr;
  m.bytes_ = bytes;
  return m;
}

DeviceMemory &DeviceMemory::operator=(DeviceMemory &&o) noexcept {
  if (this != &o) {
    reset();
    ctx_ = std::move(o.ctx_);
    ptr_ = std::exchange(o.ptr_, 0);
    bytes_ = std::exchange(o.bytes_, 0);
  }
  return *this;
}

void DeviceMemory::reset() {
  if (ptr_ != 0 && ctx_ != nullptr) {
    // Freeing needs the context current; on failure there is nothing better
    // to do than leak (destructors cannot report).
    if (ctx_->makeCurrent().ok()) ctx_->api().cuMemFree(ptr_);
  }
  ptr_ = 0;
  bytes_ = 0;
  ctx_.reset();
}

absl::StatusOr<PinnedMemory> PinnedMemory::allocate(std::shared_ptr<CudaContext> ctx,
                                                    int64_t bytes, absl::string_view what) {
  PinnedMemory m;
  if (bytes <= 0) return absl::InvalidArgumentError(absl::StrCat(what, ": empty pinned buffer"));
  void *ptr = nullptr;
  CUresult r = ctx->api().cuMemAllocHost(&ptr, static_cast<size_t>(bytes));
  if (r != CUDA_SUCCESS) {
    return absl::ResourceExhaustedError(absl::StrCat(what, ": cannot allocate ", bytes,
                                                     " bytes of pinned host memory: ",
                                                     cudaResultName(&ctx->api(), r)));
  }
  m.ctx_ = std::move(ctx);
  m.ptr_ = ptr;
  m.bytes_ = bytes;
  return m;
}

PinnedMemory &PinnedMemory::operator=(PinnedMemory &&o) noexcept {
  if (this != &o) {
    reset();
    ctx_ = std::move(o.ctx_);
    ptr_ = std::exchange(o.ptr_, nullptr);
    bytes_ = std::exchange(o.bytes_, 0);
  }
  return *this;
}

void PinnedMemory::reset() {
  if (ptr_ != nullptr && ctx_ != nullptr) {
    if (ctx_->makeCurrent().ok()) ctx_->api().cuMemFreeHost(ptr_);
  }
  ptr_ = nullptr;
  bytes_ = 0;
  ctx_.reset();
}

}  // namespace lfm::cuda

namespace lfm {

std::string CudaDeviceInfo::smTarget() const { return absl::StrCat("sm_", cc_major, cc_minor); }

absl::StatusOr<CudaDeviceInfo> probeCudaDevice(int ordinal) {
  LFM_ASSIGN_OR_RETURN(std::shared_ptr<cuda::CudaDriver> driver, cuda::CudaDriver::load());
  LFM_ASSIGN_OR_RETURN(std::shared_ptr<cuda::CudaContext> ctx,
                       cuda::CudaContext::open(std::move(driver), ordinal));
  return ctx->info();
}

}  // namespace lfm
