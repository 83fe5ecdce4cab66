// The CPU reference kernels: a run function per op of the op schema
// (lfm/OpSchema.h), one file per op family, and the tables, indexed by
// OpKind, that dispatch to them. A plan reaches
// them only after verifyPlan (CpuDevice::checkPlan), which checks every
// launch against the op contract; the kernels rely on that.
#ifndef LFM_RUNTIME_CPU_CPUOPS_H
#define LFM_RUNTIME_CPU_CPUOPS_H

#include "OpContext.h"
#include "lfm/OpSchema.h"

namespace lfm::cpu {

struct CpuOp {
  OpKind kind;
  RunFn run;
};

// The reference kernel of op `kind` (a valid OpKind: verifyPlan checked it).
const CpuOp &referenceCpuOp(OpKind kind);
// Its optimized kernel (FastOps.h) where there is one, else the reference.
const CpuOp &fastCpuOp(OpKind kind);

#define LFM_DECLARE_CPU_OP(fn) void run##fn(const OpContext &ctx, const StepContext &step)

LFM_DECLARE_CPU_OP(Embedding);        // Embedding.cpp
LFM_DECLARE_CPU_OP(RmsNorm);          // Norms.cpp
LFM_DECLARE_CPU_OP(AddRmsNorm);       // Norms.cpp
LFM_DECLARE_CPU_OP(Add);              // Elementwise.cpp
LFM_DECLARE_CPU_OP(Mul);              // Elementwise.cpp
LFM_DECLARE_CPU_OP(Silu);             // Elementwise.cpp
LFM_DECLARE_CPU_OP(Slice);            // RowSelect.cpp
LFM_DECLARE_CPU_OP(GatherRows);       // RowSelect.cpp
LFM_DECLARE_CPU_OP(Linear);           // Linear.cpp
LFM_DECLARE_CPU_OP(ShortConv);        // ShortConv.cpp
LFM_DECLARE_CPU_OP(GatedShortConv);   // ShortConv.cpp
LFM_DECLARE_CPU_OP(Rope);             // Rope.cpp
LFM_DECLARE_CPU_OP(KvCacheWrite);     // KvCacheWrite.cpp
LFM_DECLARE_CPU_OP(Attention);        // Attention.cpp
LFM_DECLARE_CPU_OP(QkNormRopeCache);  // QkNormRopeCache.cpp

#undef LFM_DECLARE_CPU_OP

}  // namespace lfm::cpu

#endif  // LFM_RUNTIME_CPU_CPUOPS_H
