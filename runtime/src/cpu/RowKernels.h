// The row kernels of the optimized ops that are not dot products, one set
// per Isa: the SwiGLU of the fused linear's epilogue (one exp per output
// element: the scalar libm call was 3% of an LFM2-350M step of 8 rows on an
// AVX2 EPYC) and attention's softmax exp and weighted sum of value rows.
// Each output element is one fixed chain of operations whatever the rows
// around it: batch invariant.
#ifndef LFM_RUNTIME_CPU_ROWKERNELS_H
#define LFM_RUNTIME_CPU_ROWKERNELS_H

#include <cstdint>

#include "Isa.h"
#include "lfm/Plan.h"

namespace lfm::cpu {

// gate[i] = silu(gate[i]) * up[i], silu with RowMath.h's expPoly.
using SwigluFn = void (*)(float *gate, const float *up, int64_t n);

// s[j] = expPoly(s[j] - shift) for j < n.
using ExpShiftFn = void (*)(float *s, int64_t n, float shift);

// Attention's weighted sum of value rows: value row j (j < len) is `heads`
// runs of d elements of `dtype` at v + j * v_row_bytes; output r < heads *
// group (head r / group) is out[r * d + i] = sum over j, in order, of
// p[r * p_stride + j] * (row j's element i of that head), from zero. Asks
// for the rows kValueRowsAhead ahead of their use (the first ones at once).
using ValueSumFn = void (*)(const float *p, int64_t p_stride, int64_t heads, int64_t group,
                            int64_t len, const uint8_t *v, int64_t v_row_bytes, DType dtype,
                            int64_t d, float *out);

// How many rows ahead a value sum asks for the next row.
inline constexpr int64_t kValueRowsAhead = 16;

// Asks for the first `bytes` of rows [r0, r1) of rows `row_bytes` apart
// from `base` (a cache's rows: short pieces a whole row apart).
inline void prefetchRowBytes(const uint8_t *base, int64_t row_bytes, int64_t r0, int64_t r1,
                             int64_t bytes) {
  for (int64_t r = r0; r < r1; ++r) {
    for (int64_t b = 0; b < bytes; b += 64) __builtin_prefetch(base + r * row_bytes + b);
  }
}

struct RowKernels {
  SwigluFn swiglu;
  ExpShiftFn exp_shift;
  ValueSumFn value_sum;
};

// AVX2 and up: 8 lanes (the SwiGLU and exp lanes give the scalar loops'
// bits; the value sums take FMAs); else plain loops.
RowKernels selectRowKernels(Isa isa);

RowKernels portableRowKernels();
// RowKernelsAvx2.cpp; null functions where the build lacks AVX2.
RowKernels avx2RowKernels();

}  // namespace lfm::cpu

#endif  // LFM_RUNTIME_CPU_ROWKERNELS_H
