// Whether a kernel table covers a plan: the check that the devices running
// generated kernels (cuda, emu) make in Device::checkKernels and again when
// they load a plan.
#ifndef LFM_RUNTIME_KERNELS_KERNELCOVERAGE_H
#define LFM_RUNTIME_KERNELS_KERNELCOVERAGE_H

#include <functional>
#include <span>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "lfm/Artifact.h"
#include "lfm/Plan.h"

namespace lfm {

// What a device needs of one kernel; an error saying what it lacks.
using KernelUsable = std::function<absl::Status(const KernelInfo &kernel)>;

// Every launch of `plan` names a kernel of `kernels` (Launch::kernel, and
// Launch::large_rows_kernel when set) and `usable` accepts each one. Errors
// start with `device` ("cuda device", ...) and name the launch and op.
absl::Status checkKernelCoverage(absl::string_view device, const Plan &plan,
                                 std::span<const KernelInfo> kernels,
                                 const KernelUsable &usable);

}  // namespace lfm

#endif  // LFM_RUNTIME_KERNELS_KERNELCOVERAGE_H
