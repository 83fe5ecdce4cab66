//===- CudaPrinter.h - The kernels of a plan as one CUDA file ---*- C++ -*-===//
//
// For `lfm-compile --emit cuda`: the device prelude once, then every kernel
// with a comment naming its launch geometry and the plan launches it serves.
// The output is one valid translation unit (nvrtc or nvcc -c compile it).
//
//===----------------------------------------------------------------------===//

#ifndef LFM_CODEGEN_CUDA_CUDAPRINTER_H
#define LFM_CODEGEN_CUDA_CUDAPRINTER_H

#include "lfm/Artifact.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::lfm::cuda {

void printCudaSource(const ::lfm::Plan &plan,
                     llvm::ArrayRef<::lfm::KernelInfo> kernels,
                     llvm::raw_ostream &os);

} // namespace mlir::lfm::cuda

#endif // LFM_CODEGEN_CUDA_CUDAPRINTER_H
