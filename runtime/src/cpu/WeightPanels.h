// f32 weights of the linear in panels: the cpu device repacks an f32 weight
// W [n, k] that only linears read (operand 1) into panels of 16 rows,
// [n/16][k][16] floats: element (c, i) at ((c/16) * k + i) * 16 + c % 16.
// Loaded once at plan load (one pass over the weights), so that the f32 dot
// tile can be the broadcast GEMM kernel: 16 output columns per vector,
// x[r][i] broadcast, W's 16 values of i read as one vector, and every output
// element one FMA chain over i = 0, 1, ..., k-1 from zero (whatever the rows
// in the step: batch invariance). The dot-product tiles reduce 16 lanes at
// the end instead and need W row-major; they stay for every other weight.
// Measured: DotAvx512.cpp's header.
#ifndef LFM_RUNTIME_CPU_WEIGHTPANELS_H
#define LFM_RUNTIME_CPU_WEIGHTPANELS_H

#include <cstdint>
#include <span>
#include <vector>

#include "lfm/Plan.h"

namespace lfm::cpu {

constexpr int64_t kPanelRows = 16;

inline int64_t panelIndex(int64_t c, int64_t i, int64_t k) {
  return ((c / kPanelRows) * k + i) * kPanelRows + c % kPanelRows;
}

// Whether weight `index` of `plan` can live in panels: f32, not quantized,
// [n, k] with n a multiple of 16 (32 where a SwiGLU linear reads it, so
// that both halves start on a panel), and read by nothing but the weight
// operand of linear launches (not the embedding that a tied lm_head shares).
bool panelsFit(const Plan &plan, size_t index);

// W (n x k f32, row-major) as panels, and back.
std::vector<uint8_t> packPanels(std::span<const uint8_t> w, int64_t n, int64_t k);
void unpackPanels(const float *panels, int64_t n, int64_t k, float *w);

}  // namespace lfm::cpu

#endif  // LFM_RUNTIME_CPU_WEIGHTPANELS_H
