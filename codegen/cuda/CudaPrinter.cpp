//===- CudaPrinter.cpp - The kernels of a plan as one CUDA file -----------===//

#include "codegen/cuda/CudaPrinter.h"

#include "codegen/cuda/KernelEmitter.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FormatVariadic.h"

namespace mlir::lfm::cuda {

void printCudaSource(const ::lfm::Plan &plan,
                     llvm::ArrayRef<::lfm::KernelInfo> kernels,
                     llvm::raw_ostream &os) {
  os << llvm::formatv("// lfm CUDA kernels: {0} kernels for {1} launches\n",
                      kernels.size(), plan.launches.size());
  os << devicePrelude() << "\n";
  // The dequantizers once, when some kernel reads a quantized weight.
  if (llvm::any_of(kernels, [](const ::lfm::KernelInfo &kernel) {
        return usesQuantPrelude(kernel);
      }))
    os << "\n" << quantPrelude() << "\n";
  for (size_t k = 0; k < kernels.size(); ++k) {
    const ::lfm::KernelInfo &kernel = kernels[k];
    std::vector<size_t> launches;
    int64_t threshold = 0;  // > 0: the large-rows variant of its launches
    ::lfm::LargeRowsBasis basis = ::lfm::LargeRowsBasis::kLaunchRows;
    for (size_t i = 0; i < plan.launches.size(); ++i) {
      const ::lfm::Launch &launch = plan.launches[i];
      if (launch.kernel == static_cast<int32_t>(k)) {
        launches.push_back(i);
      } else if (launch.large_rows_kernel == static_cast<int32_t>(k)) {
        launches.push_back(i);
        threshold = launch.large_rows_threshold;
        basis = launch.large_rows_basis;
      }
    }
    const ::lfm::LaunchGeometry &g = kernel.geometry;
    os << "\n// "
          "=================================================================="
          "==\n";
    os << llvm::formatv("// kernel {0}: {1}\n", k, kernel.name);
    os << "// launches: ";
    llvm::interleaveComma(launches, os);
    if (!launches.empty())
      os << " (" << ::lfm::opName(plan.launches[launches.front()].op) << ")";
    if (threshold > 0)
      os << llvm::formatv(", for steps of >= {0} rows{1}", threshold,
                          basis == ::lfm::LargeRowsBasis::kLongestSequence
                              ? " of one sequence"
                              : "");
    os << llvm::formatv("\n// block {0}x{1}x{2}, grid rule {3} [", g.block[0],
                        g.block[1], g.block[2], g.grid_rule);
    llvm::interleaveComma(g.grid_args, os);
    os << llvm::formatv("], dynamic shared {0} bytes\n", kernel.dynamic_shared_bytes);
    os << "// "
          "=================================================================="
          "==\n";
    os << kernelBody(kernel);
  }
}

} // namespace mlir::lfm::cuda
