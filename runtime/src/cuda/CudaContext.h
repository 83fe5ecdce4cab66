// One GPU's primary context and the memory owned in it: the RAII handles the
// cuda device builds on. Every object keeps the context (and through it the
// driver library) alive until it is released.
#ifndef LFM_RUNTIME_CUDA_CUDACONTEXT_H
#define LFM_RUNTIME_CUDA_CUDACONTEXT_H

#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/status/statusor.h"
#include "cuda/CudaDriver.h"
#include "lfm/CudaProbe.h"

namespace lfm::cuda {

class CudaContext {
 public:
  // Retains device `ordinal`'s primary context. Errors when there is no
  // such device.
  static absl::StatusOr<std::shared_ptr<CudaContext>> open(std::shared_ptr<CudaDriver> driver,
                                                           int ordinal);
  ~CudaContext();
  CudaContext(const CudaContext &) = delete;
  CudaContext &operator=(const CudaContext &) = delete;

  const CudaDriverApi &api() const { return driver_->api(); }
  const CudaDriver &driver() const { return *driver_; }
  const CudaDeviceInfo &info() const { return info_; }
  // Makes the context current on the calling thread: every entry point of
  // the cuda device calls it first, since a caller may switch threads.
  absl::Status makeCurrent() const;
  absl::Status check(CUresult r, absl::string_view what) const { return driver_->check(r, what); }

 private:
  CudaContext() = default;

  std::shared_ptr<CudaDriver> driver_;
  CUdevice device_ = 0;
  CUcontext context_ = nullptr;
  CudaDeviceInfo info_;
};

// Device memory, freed on destruction. Zero bytes allocate nothing and have
// address 0.
class DeviceMemory {
 public:
  DeviceMemory() = default;
  static absl::StatusOr<DeviceMemory> allocate(std::shared_ptr<CudaContext> ctx, int64_t bytes,
                                               absl::string_view what);
  ~DeviceMemory() { reset(); }
  DeviceMemory(DeviceMemory &&o) noexcept { *this = std::move(o); }
  DeviceMemory &operator=(DeviceMemory &&o) noexcept;

  CUdeviceptr address() const { return ptr_; }
  int64_t size() const { return bytes_; }
  void reset();

 private:
  std::shared_ptr<CudaContext> ctx_;
  CUdeviceptr ptr_ = 0;
  int64_t bytes_ = 0;
};

// Page-locked host memory, so that the per-step copies are truly
// asynchronous and run at full PCIe speed.
class PinnedMemory {
 public:
  PinnedMemory() = default;
  static absl::StatusOr<PinnedMemory> allocate(std::shared_ptr<CudaContext> ctx, int64_t bytes,
                                               absl::string_view what);
  ~PinnedMemory() { reset(); }
  PinnedMemory(PinnedMemory &&o) noexcept { *this = std::move(o); }
  PinnedMemory &operator=(PinnedMemory &&o) noexcept;

  uint8_t *data() const { return static_cast<uint8_t *>(ptr_); }
  int64_t size() const { return bytes_; }
  void reset();

 private:
  std::shared_ptr<CudaContext> ctx_;
  void *ptr_ = nullptr;
  int64_t bytes_ = 0;
};

// Peak DRAM bandwidth in bytes/s from the memory clock and bus width
// (DDR: two transfers per clock), or from a table of known parts when the
// driver reports no clock. 0 when unknown.
double peakMemoryBandwidth(const std::string &name, int memory_clock_khz, int bus_width_bits);

}  // namespace lfm::cuda

#endif  // LFM_RUNTIME_CUDA_CUDACONTEXT_H
