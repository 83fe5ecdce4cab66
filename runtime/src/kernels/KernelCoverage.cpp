// Whether a kernel table covers a plan (KernelCoverage.h).
#include "kernels/KernelCoverage.h"

#include <vector>

#include "absl/strings/str_cat.h"

namespace lfm {

absl::Status checkKernelCoverage(absl::string_view device, const Plan &plan,
                                 std::span<const KernelInfo> kernels,
                                 const KernelUsable &usable) {
  const int64_t count = static_cast<int64_t>(kernels.size());
  std::vector<bool> checked(kernels.size(), false);
  for (size_t li = 0; li < plan.launches.size(); ++li) {
    const Launch &launch = plan.launches[li];
    // Artifacts from before the CUDA emitters dequantized left the launches
    // that read a quantized weight without a kernel.
    for (const BufferRef &ref : launch.operands) {
      if (launch.kernel >= 0 || ref.kind != BufferRef::kWeight || ref.index < 0 ||
          static_cast<size_t>(ref.index) >= plan.weights.size() || !plan.weights[ref.index].quant)
        continue;
      const WeightSpec &w = plan.weights[ref.index];
      return absl::UnimplementedError(absl::StrCat(
          device, ": launch ", li, " (", opName(launch.op), ") reads weight '", w.name,
          "' quantized as ", quantFormatName(*w.quant),
          " and has no generated kernel for it (recompile the artifact with this lfm-compile, "
          "or use --device cpu)"));
    }
    if (launch.kernel < 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          device, ": launch ", li, " (", opName(launch.op),
          ") has no generated kernel: the artifact was compiled without CUDA code "
          "generation (recompile it with lfm-compile, or use --device cpu)"));
    }
    for (int32_t ki : {launch.kernel, launch.large_rows_kernel}) {
      if (ki < 0) continue;
      if (ki >= count) {
        return absl::FailedPreconditionError(absl::StrCat(
            device, ": launch ", li, " (", opName(launch.op), ") uses kernel ", ki,
            " but the kernel table has ", count, " (Device::setKernels)"));
      }
      if (checked[ki]) continue;
      checked[ki] = true;
      if (absl::Status s = usable(kernels[ki]); !s.ok()) {
        return absl::Status(s.code(), absl::StrCat(device, ": kernel ", ki, " (",
                                                   kernels[ki].name, ", launch ", li, ", ",
                                                   opName(launch.op), "): ", s.message()));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace lfm
