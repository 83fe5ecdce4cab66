// Linear weights in the layout their tile streams: the cpu device repacks a
// weight W [n, k] that only linears read (operand 1) at plan load, once:
//  - f32, for the AVX-512 panel tile: panels of 16 rows, [n/16][k][16]
//    floats. The tile broadcasts x[r][i] and reads W's 16 values of i as one
//    vector, so every output element is one FMA chain over i = 0..k-1 from
//    zero whatever the rows in the step (batch invariance). The dot-product
//    tiles reduce 16 lanes at the end instead and need W row-major.
//  - bf16, for the AMX tile: its A tiles in order, [n/16][k/32][16][32]
//    bf16 (k a multiple of 32): a group of 16 rows is one sequential stream
//    of 1 KB tiles instead of 16 rows read 64 bytes at a time. The same
//    tdpbf16ps on the same values: the results do not change.
// The embedding that a tied lm_head shares reads its rows in either layout
// (Tensor::loadRow); weights that any other op reads stay row-major, as do
// quantized ones.
// Measured: DotAvx512.cpp's and DotAmx.cpp's headers.
#ifndef LFM_RUNTIME_CPU_WEIGHTPANELS_H
#define LFM_RUNTIME_CPU_WEIGHTPANELS_H

#include <cstdint>
#include <span>
#include <vector>

#include "lfm/Plan.h"

namespace lfm::cpu {

constexpr int64_t kPanelRows = 16;
constexpr int64_t kTileK = 32;  // bf16 elements of k per AMX tile row

// Where element (c, i) of W [n, k] lies, in elements, in the layout of
// `dtype` (f32 panels or bf16 tiles).
inline int64_t panelIndex(DType dtype, int64_t c, int64_t i, int64_t k) {
  if (dtype == DType::kF32) return ((c / kPanelRows) * k + i) * kPanelRows + c % kPanelRows;
  return (((c / kPanelRows) * (k / kTileK) + i / kTileK) * kPanelRows + c % kPanelRows) * kTileK +
         i % kTileK;
}

// Whether weight `index` of `plan` may be repacked: not quantized, [n, k]
// with n a multiple of 16 (32 where a SwiGLU linear reads it, so that both
// halves start on a panel), bf16 only with k a multiple of 32, and read by
// linear launches (as their weight) and embeddings (as their table) only.
// The caller checks that its ISA has a tile for the dtype.
bool panelsFit(const Plan &plan, size_t index);

// Row-major W (n x k of f32 or bf16) to its layout, and back.
std::vector<uint8_t> packPanels(DType dtype, std::span<const uint8_t> w, int64_t n, int64_t k);
std::vector<uint8_t> unpackPanels(DType dtype, std::span<const uint8_t> panels, int64_t n,
                                  int64_t k);

}  // namespace lfm::cpu

#endif  // LFM_RUNTIME_CPU_WEIGHTPANELS_H
