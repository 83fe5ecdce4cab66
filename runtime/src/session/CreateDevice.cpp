// Picks and creates a device by kind.
#include "absl/strings/str_cat.h"
#include "lfm/Device.h"
#include "../cpu/CpuDevice.h"
#include "../cuda/CudaDevice.h"
#include "../emu/EmuDevice.h"

namespace lfm {

absl::StatusOr<DeviceKind> parseDeviceKind(std::string_view name) {
  if (name == "cpu") return DeviceKind::kCpu;
  if (name == "cuda") return DeviceKind::kCuda;
  if (name == "auto") return DeviceKind::kAuto;
  if (name == "emu") return DeviceKind::kEmu;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown device '", std::string(name), "' (expected cpu, cuda, auto or emu)"));
}

absl::StatusOr<CreatedDevice> createDevice(const DeviceOptions &options) {
  switch (options.kind) {
    case DeviceKind::kCuda: {
      absl::StatusOr<std::unique_ptr<Device>> cuda = cuda::createCudaDevice(0);
      if (!cuda.ok()) {
        return absl::UnavailableError(
            absl::StrCat("CUDA device not available: ", cuda.status().message()));
      }
      return CreatedDevice{std::move(*cuda), ""};
    }
    case DeviceKind::kAuto: {
      // Any failure to bring up the GPU (no driver, no device, a broken
      // driver) falls back to the cpu device, saying why.
      absl::StatusOr<std::unique_ptr<Device>> cuda = cuda::createCudaDevice(0);
      if (cuda.ok()) return CreatedDevice{std::move(*cuda), ""};
      return CreatedDevice{cpu::createCpuDevice(options.threads),
                           absl::StrCat("CUDA device not available (", cuda.status().message(),
                                        "); using the cpu device")};
    }
    case DeviceKind::kCpu:
      return CreatedDevice{cpu::createCpuDevice(options.threads), ""};
    case DeviceKind::kEmu:
      return CreatedDevice{emu::createEmuDevice(options.threads), ""};
  }
  return absl::InvalidArgumentError("unknown device kind");
}

absl::Status bindModelKernels(const DeviceOptions &options, CreatedDevice &created,
                              const Plan &plan, std::span<const KernelInfo> kernels) {
  if (created.device == nullptr) return absl::InvalidArgumentError("no device to bind kernels to");
  absl::Status usable = created.device->checkKernels(plan, kernels);
  if (!usable.ok()) {
    if (options.kind != DeviceKind::kAuto) return usable;
    // auto: a GPU that cannot run this artifact is no reason to fail.
    std::string why = absl::StrCat(created.device->name(), " cannot run this artifact (",
                                   usable.message(), "); using the cpu device");
    created.device = cpu::createCpuDevice(options.threads);
    created.note = created.note.empty() ? why : absl::StrCat(created.note, "; ", why);
  }
  return created.device->setKernels(kernels);
}

}  // namespace lfm
