// The optimized cpu kernels (the default; LFM_CPU_KERNELS=reference runs the
// reference kernels of CpuOps.h instead). Same contract and op semantics as
// the reference kernels, which the tests hold them to.
#ifndef LFM_RUNTIME_CPU_FASTOPS_H
#define LFM_RUNTIME_CPU_FASTOPS_H

#include "OpContext.h"

namespace lfm::cpu {

void runFastLinear(const OpContext &ctx, const StepContext &step);     // FastLinear.cpp
void runFastAttention(const OpContext &ctx, const StepContext &step);  // FastAttention.cpp
void runFastShortConv(const OpContext &ctx, const StepContext &step);        // FastShortConv.cpp
void runFastGatedShortConv(const OpContext &ctx, const StepContext &step);   // FastShortConv.cpp
void runFastEmbedding(const OpContext &ctx, const StepContext &step);        // FastRowOps.cpp
void runFastGatherRows(const OpContext &ctx, const StepContext &step);       // FastRowOps.cpp
void runFastQkNormRopeCache(const OpContext &ctx, const StepContext &step);  // FastRowOps.cpp

}  // namespace lfm::cpu

#endif  // LFM_RUNTIME_CPU_FASTOPS_H
