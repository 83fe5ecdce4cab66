// Picks and creates a device by kind. New devices (cuda, emu) are added here.
#include "absl/strings/str_cat.h"
#include "lfm/Device.h"
#include "../cpu/CpuDevice.h"

namespace lfm {

absl::StatusOr<DeviceKind> parseDeviceKind(std::string_view name) {
  if (name == "cpu") return DeviceKind::kCpu;
  if (name == "cuda") return DeviceKind::kCuda;
  if (name == "auto") return DeviceKind::kAuto;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown device '", std::string(name), "' (expected cpu, cuda or auto)"));
}

absl::StatusOr<CreatedDevice> createDevice(const DeviceOptions &options) {
  // No CUDA device is built yet; when it is, kCuda and kAuto try it here first.
  constexpr const char *kNoCuda = "CUDA device not available: this build has no CUDA device";
  switch (options.kind) {
    case DeviceKind::kCuda:
      return absl::UnavailableError(kNoCuda);
    case DeviceKind::kAuto:
      return CreatedDevice{cpu::createCpuDevice(options.threads),
                           absl::StrCat(kNoCuda, "; using the cpu device")};
    case DeviceKind::kCpu:
      return CreatedDevice{cpu::createCpuDevice(options.threads), ""};
  }
  return absl::InvalidArgumentError("unknown device kind");
}

}  // namespace lfm
