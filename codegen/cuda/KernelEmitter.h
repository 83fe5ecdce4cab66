//===- KernelEmitter.h - CUDA C++ for plan launches -------------*- C++ -*-===//
//
// One emitter per op family turns a plan launch into a CUDA C++ kernel that
// follows the ABI of runtime/include/lfm/KernelAbi.h:
//
//   extern "C" __global__ void <entryPoint>(LfmKernelArgs args)
//
// specialized to the launch's constant sizes (widths, head_dim, kernel width)
// and storage dtypes, with f32 accumulation. The kernel body uses only the
// device intrinsics of the prelude (lfm_device.cuh) and the CUDA built-ins
// that the emu device's emulation header also provides (threadIdx, blockIdx,
// blockDim, gridDim, __shared__, __syncthreads, __shfl_*_sync, math
// functions), so the same source runs on the GPU and on the host.
//
//===----------------------------------------------------------------------===//

#ifndef LFM_CODEGEN_CUDA_KERNELEMITTER_H
#define LFM_CODEGEN_CUDA_KERNELEMITTER_H

#include "lfm/Artifact.h"
#include "lfm/Plan.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>

namespace mlir::lfm::cuda {

/// A kernel's source without the prelude, and how to launch it.
struct KernelSource {
  std::string body;  // defines extern "C" __global__ void <entryPoint>(...)
  ::lfm::LaunchGeometry geometry;  // grid rule "affine" (KernelAbi.h)
  int64_t dynamicSharedBytes = 0;
};

/// What an emitter sees: the whole plan (for buffer shapes and dtypes) and
/// the launch it implements, and the entry-point name to define.
struct EmitContext {
  const ::lfm::Plan &plan;
  const ::lfm::Launch &launch;
  std::string entryPoint;
};

using EmitterFn = llvm::Expected<KernelSource> (*)(const EmitContext &);

/// The emitter of a schema op (every op has one: EmitterRegistry.cpp
/// static_asserts it).
EmitterFn lookupEmitter(::lfm::OpKind op);

/// The device prelude every kernel source starts with (include-guarded, so
/// several kernels can share one translation unit).
llvm::StringRef devicePrelude();

/// The dequantizers (prelude/lfm_quant.cuh), which follow the device prelude
/// in the sources of the kernels that read a block-quantized weight.
llvm::StringRef quantPrelude();

/// Whether a kernel's source carries quantPrelude.
bool usesQuantPrelude(const ::lfm::KernelInfo &kernel);

/// Emits a kernel for every launch of `plan`, deduplicates identical sources
/// (every layer of a model shares its kernels), sets each Launch::kernel, and
/// returns the kernel table with `cuda_source` = prelude(s) + body, no
/// binaries yet. Errors name the launch and op.
llvm::Expected<std::vector<::lfm::KernelInfo>> emitKernels(::lfm::Plan &plan);

/// A kernel's source without the preludes that emitKernels put in front.
llvm::StringRef kernelBody(const ::lfm::KernelInfo &kernel);

} // namespace mlir::lfm::cuda

#endif // LFM_CODEGEN_CUDA_KERNELEMITTER_H
