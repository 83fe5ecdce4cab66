// Binary selection and module loading with the JIT logs captured.
#include "cuda/CudaModules.h"

#include <charconv>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lfm/StatusMacros.h"

namespace lfm::cuda {
namespace {

// "sm_90" / "compute_90" -> 90 (suffixed arch-specific targets such as
// "sm_90a" do not parse: they run only on their exact part, so they are
// never picked here).
int archNumber(const std::string &target, absl::string_view prefix) {
  if (!absl::StartsWith(target, prefix)) return -1;
  const char *begin = target.data() + prefix.size();
  const char *end = target.data() + target.size();
  int value = 0;
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr != end || value < 10) return -1;
  return value;
}

// The driver's JIT log is NUL-terminated text in our buffer; trim it.
std::string logText(const std::vector<char> &buffer) {
  std::string s(buffer.data());
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

const KernelBinary *selectBinary(const KernelInfo &kernel, int cc_major, int cc_minor) {
  const int device = cc_major * 10 + cc_minor;
  const KernelBinary *best_ptx = nullptr;
  int best_ptx_arch = -1;
  const KernelBinary *compatible_cubin = nullptr;
  int compatible_arch = -1;
  for (const KernelBinary &b : kernel.binaries) {
    if (b.kind == KernelBinary::Kind::kCubin) {
      int arch = archNumber(b.target, "sm_");
      if (arch == device) return &b;
      if (arch / 10 == cc_major && arch < device && arch > compatible_arch) {
        compatible_cubin = &b;
        compatible_arch = arch;
      }
    } else {
      int arch = archNumber(b.target, "compute_");
      if (arch > 0 && arch <= device && arch > best_ptx_arch) {
        best_ptx = &b;
        best_ptx_arch = arch;
      }
    }
  }
  return best_ptx != nullptr ? best_ptx : compatible_cubin;
}

absl::StatusOr<const KernelBinary *> binaryFor(const KernelInfo &kernel,
                                               const CudaDeviceInfo &info) {
  if (const KernelBinary *b = selectBinary(kernel, info.cc_major, info.cc_minor)) return b;
  std::vector<std::string> targets;
  for (const KernelBinary &b : kernel.binaries) targets.push_back(b.target);
  return absl::FailedPreconditionError(
      absl::StrCat("has no binary for ", info.name, " (", info.smTarget(), "); it has [",
                   absl::StrJoin(targets, ", "), "]: recompile with --target ", info.smTarget()));
}

absl::StatusOr<std::unique_ptr<CudaModules>> CudaModules::load(
    std::shared_ptr<CudaContext> ctx, std::span<const KernelInfo> kernels) {
  auto out = std::make_unique<CudaModules>();
  out->ctx_ = ctx;
  const CudaDeviceInfo &info = ctx->info();
  const CudaDriverApi &a = ctx->api();
  for (size_t k = 0; k < kernels.size(); ++k) {
    const KernelInfo &kernel = kernels[k];
    absl::StatusOr<const KernelBinary *> selected = binaryFor(kernel, info);
    if (!selected.ok()) {
      return absl::Status(selected.status().code(),
                          absl::StrCat("kernel ", k, " (", kernel.name, ") ",
                                       selected.status().message()));
    }
    const KernelBinary *binary = *selected;
    // PTX must be NUL-terminated for the driver; the artifact stores it
    // without one.
    std::string image(binary->data.begin(), binary->data.end());
    std::vector<char> error_log(16384, '\0'), info_log(16384, '\0');
    int options[] = {CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
                     CU_JIT_INFO_LOG_BUFFER, CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES};
    void *values[] = {error_log.data(),
                      reinterpret_cast<void *>(static_cast<uintptr_t>(error_log.size() - 1)),
                      info_log.data(),
                      reinterpret_cast<void *>(static_cast<uintptr_t>(info_log.size() - 1))};
    CUmodule module = nullptr;
    CUresult r = a.cuModuleLoadDataEx(&module, image.c_str(), 4, options, values);
    if (r != CUDA_SUCCESS) {
      std::string log = logText(error_log);
      return absl::InternalError(absl::StrCat(
          "loading kernel ", k, " (", kernel.name, ") from its ", binary->target,
          binary->kind == KernelBinary::Kind::kPtx ? " PTX (driver JIT)" : " CUBIN", " on ",
          info.name, ": ", cudaResultName(&a, r),
          log.empty() ? "" : absl::StrCat("\nJIT log:\n", log)));
    }
    out->modules_.push_back(module);
    LoadedKernel loaded;
    loaded.name = kernel.name;
    loaded.geometry = kernel.geometry;
    loaded.dynamic_shared_bytes = kernel.dynamic_shared_bytes;
    loaded.loaded_from = binary->target;
    r = a.cuModuleGetFunction(&loaded.function, module, kernel.entry_point.c_str());
    if (r != CUDA_SUCCESS) {
      return absl::InternalError(absl::StrCat("kernel ", k, " (", kernel.name,
                                              "): entry point '", kernel.entry_point,
                                              "' not found in its ", binary->target,
                                              " module: ", cudaResultName(&a, r)));
    }
    // Dynamic shared memory beyond 48 KiB must be opted into per function.
    if (kernel.dynamic_shared_bytes > info.max_shared_per_block) {
      return absl::FailedPreconditionError(absl::StrCat(
          "kernel ", k, " (", kernel.name, ") needs ", kernel.dynamic_shared_bytes,
          " bytes of shared memory; ", info.name, " allows ", info.max_shared_per_block));
    }
    if (kernel.dynamic_shared_bytes > 48 * 1024) {
      LFM_RETURN_IF_ERROR(ctx->check(
          a.cuFuncSetAttribute(loaded.function, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                               static_cast<int>(kernel.dynamic_shared_bytes)),
          absl::StrCat("kernel ", kernel.name, ": cuFuncSetAttribute(max dynamic shared)")));
    }
    out->kernels_.push_back(std::move(loaded));
  }
  return out;
}

CudaModules::~CudaModules() {
  if (ctx_ == nullptr || !ctx_->makeCurrent().ok()) return;
  for (CUmodule m : modules_) ctx_->api().cuModuleUnload(m);
}

}  // namespace lfm::cuda
