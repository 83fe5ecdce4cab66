// The SwiGLU of the fused linear's epilogue, gate[i] = silu(gate[i]) * up[i]:
// one exp per output element, a share of a batched decode step that the
// scalar libm call made visible (3% of an LFM2-350M step of 8 rows on an
// AVX2 EPYC). Elementwise: batch invariant whatever the kernel.
#ifndef LFM_RUNTIME_CPU_SWIGLU_H
#define LFM_RUNTIME_CPU_SWIGLU_H

#include <cstdint>

#include "Isa.h"

namespace lfm::cpu {

using SwigluFn = void (*)(float *gate, const float *up, int64_t n);

// AVX2 and up: 8 lanes of RowMath's silu (expPoly), the same bits as the
// scalar loop; else that loop.
SwigluFn selectSwiglu(Isa isa);

void portableSwiglu(float *gate, const float *up, int64_t n);
SwigluFn avx2Swiglu();  // SwigluAvx2.cpp; null where the build lacks AVX2

}  // namespace lfm::cpu

#endif  // LFM_RUNTIME_CPU_SWIGLU_H
