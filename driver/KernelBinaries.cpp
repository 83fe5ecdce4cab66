//===- KernelBinaries.cpp - Kernel sources to binaries for targets --------===//

#include "driver/KernelBinaries.h"

#include "llvm/ADT/STLExtras.h"

#include <cstring>

namespace mlir::lfm::driver {

llvm::Expected<std::vector<cuda::CompileTarget>>
compileTargets(llvm::ArrayRef<std::string> names) {
  if (names.empty())
    return cuda::defaultCompileTargets();
  std::vector<cuda::CompileTarget> targets;
  for (const std::string &name : names) {
    llvm::Expected<cuda::CompileTarget> target = cuda::parseCompileTarget(name);
    if (!target)
      return target.takeError();
    if (llvm::none_of(targets,
                      [&](const auto &t) { return t.name == target->name; }))
      targets.push_back(*target);
  }
  return targets;
}

llvm::Expected<std::optional<std::string>>
compileBinaries(std::vector<::lfm::KernelInfo> &kernels,
                const BinaryOptions &options) {
  llvm::Expected<std::vector<cuda::CompileTarget>> targets =
      compileTargets(options.targets);
  if (!targets)
    return targets.takeError();
  if (llvm::Error error = cuda::checkNvrtcAvailable())
    return std::optional<std::string>(llvm::toString(std::move(error)));
  cuda::CompileOptions compile;
  compile.targets = std::move(*targets);
  compile.useCache = options.useCache;
  llvm::Expected<cuda::CompileStats> stats =
      cuda::compileKernels(kernels, compile);
  if (!stats)
    return stats.takeError();
  return std::optional<std::string>();
}

llvm::Error compilePtx(std::vector<::lfm::KernelInfo> &kernels,
                       const BinaryOptions &options) {
  llvm::Expected<std::vector<cuda::CompileTarget>> targets =
      compileTargets(options.targets);
  if (!targets)
    return targets.takeError();
  auto ptx = llvm::find_if(*targets, [](const auto &t) {
    return t.kind == ::lfm::KernelBinary::Kind::kPtx;
  });
  cuda::CompileTarget target;
  if (ptx != targets->end()) {
    target = *ptx;
  } else {
    target.name = "compute_" + llvm::StringRef(targets->front().name)
                                   .drop_front(strlen("sm_"))
                                   .str();
    target.kind = ::lfm::KernelBinary::Kind::kPtx;
  }
  cuda::CompileOptions compile;
  compile.targets = {target};
  compile.useCache = options.useCache;
  llvm::Expected<cuda::CompileStats> stats =
      cuda::compileKernels(kernels, compile);
  if (!stats)
    return stats.takeError();
  return llvm::Error::success();
}

void printFirstBinaries(llvm::ArrayRef<::lfm::KernelInfo> kernels,
                        llvm::raw_ostream &os) {
  for (size_t k = 0; k < kernels.size(); ++k) {
    const ::lfm::KernelBinary &binary = kernels[k].binaries.front();
    os << "// kernel " << k << ": " << kernels[k].name << " (" << binary.target
       << ")\n";
    os.write(reinterpret_cast<const char *>(binary.data.data()),
             binary.data.size());
    os << "\n";
  }
}

} // namespace mlir::lfm::driver
