// verifyArtifact: verifyPlan plus the kernel table the cuda device will load
// (launch geometry within what any CUDA GPU accepts, binaries named by
// target, launch kernel indices in range).
#include <set>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "artifact/Limits.h"
#include "lfm/Artifact.h"
#include "lfm/KernelAbi.h"
#include "lfm/StatusMacros.h"

namespace lfm {
namespace {

using namespace limits;

constexpr int64_t kMaxThreadsPerBlock = 1024;            // every CUDA GPU so far
constexpr int64_t kMaxDynamicShared = int64_t{1} << 20;  // above any GPU's 228 KiB

template <typename... Parts>
absl::Status invalid(const Parts &...parts) {
  return absl::InvalidArgumentError(absl::StrCat(parts...));
}

absl::Status verifyKernel(const KernelInfo &k, size_t i) {
  std::string field = absl::StrCat("kernels[", i, "] '", k.name, "'");
  if (k.name.empty()) return invalid(field, ".name: empty");
  if (k.entry_point.empty()) return invalid(field, ".entry_point: empty");
  const auto &b = k.geometry.block;
  int64_t threads = 1;
  for (size_t d = 0; d < 3; ++d) {
    if (b[d] < 1 || b[d] > kMaxThreadsPerBlock)
      return invalid(field, ".geometry.block[", d, "]: ", b[d], " is not in [1, ",
                     kMaxThreadsPerBlock, "]");
    threads *= b[d];
  }
  if (threads > kMaxThreadsPerBlock)
    return invalid(field, ".geometry.block: ", threads, " threads per block, at most ",
                   kMaxThreadsPerBlock);
  if (absl::Status s = checkLaunchGeometry(k.geometry); !s.ok())
    return invalid(field, ".geometry: ", s.message());
  if (k.geometry.grid_args.size() > static_cast<size_t>(kMaxGridArgs))
    return invalid(field, ".geometry.grid_args: ", k.geometry.grid_args.size(), " args, at most ",
                   kMaxGridArgs);
  if (k.dynamic_shared_bytes < 0 || k.dynamic_shared_bytes > kMaxDynamicShared)
    return invalid(field, ".dynamic_shared_bytes: ", k.dynamic_shared_bytes, " is not in [0, ",
                   kMaxDynamicShared, "]");
  if (k.binaries.size() > static_cast<size_t>(kMaxBinariesPerKernel))
    return invalid(field, ".binaries: ", k.binaries.size(), " binaries, at most ",
                   kMaxBinariesPerKernel);
  std::set<std::pair<std::string, KernelBinary::Kind>> seen;
  for (size_t j = 0; j < k.binaries.size(); ++j) {
    const KernelBinary &bin = k.binaries[j];
    std::string bfield = absl::StrCat(field, ".binaries[", j, "]");
    if (bin.target.empty()) return invalid(bfield, ".target: empty");
    if (bin.data.empty()) return invalid(bfield, ".data: empty");
    if (!seen.emplace(bin.target, bin.kind).second)
      return invalid(bfield, ": a second ", bin.kind == KernelBinary::Kind::kPtx ? "PTX" : "CUBIN",
                     " for target ", bin.target);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status verifyArtifact(const Artifact &artifact) {
  LFM_RETURN_IF_ERROR(verifyPlan(artifact.plan));
  if (artifact.kernels.size() > static_cast<size_t>(kMaxKernels))
    return invalid("kernels: ", artifact.kernels.size(), " entries, at most ", kMaxKernels);
  for (size_t i = 0; i < artifact.kernels.size(); ++i)
    LFM_RETURN_IF_ERROR(verifyKernel(artifact.kernels[i], i));
  const auto &launches = artifact.plan.launches;
  for (size_t i = 0; i < launches.size(); ++i)
    if (launches[i].kernel >= static_cast<int64_t>(artifact.kernels.size()))
      return invalid("plan.launches[", i, "] (", opName(launches[i].op), ").kernel: ", launches[i].kernel,
                     " is outside the kernel table (", artifact.kernels.size(), " kernels)");
  for (size_t i = 0; i < launches.size(); ++i)
    if (launches[i].large_rows_kernel >= static_cast<int64_t>(artifact.kernels.size()))
      return invalid("plan.launches[", i, "] (", opName(launches[i].op), ").large_rows_kernel: ",
                     launches[i].large_rows_kernel, " is outside the kernel table (",
                     artifact.kernels.size(), " kernels)");
  return verifyTokenizerFiles(artifact.tokenizer, "tokenizer");
}

}  // namespace lfm
