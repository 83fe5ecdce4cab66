// The loop of a dot-product tile function (DotKernels.h) over blocks of MR
// rows and NR weight rows, around an ISA's micro-kernel:
//
//   struct Micro {
//     using X = ...;                       // x element type
//     static constexpr int64_t kWeightBytes = ...;
//     template <int M, int N> static void run(const X *x, int64_t x_stride,
//         const uint8_t *w, int64_t w_row_bytes, int64_t k, float *out, int64_t out_stride);
//   };
//
// Each ISA's file includes this after its target pragma: everything here has
// internal linkage, so every copy is compiled for its own ISA only.
#ifndef LFM_RUNTIME_CPU_TILELOOP_H
#define LFM_RUNTIME_CPU_TILELOOP_H

#include <cstdint>

namespace lfm::cpu {
namespace {

// Rows [0, mr) of a row block, mr <= M, against weight rows [c0, c1).
template <class Micro, int M, int NR>
void tileRowBlock(int64_t mr, const typename Micro::X *x, int64_t xs, const uint8_t *w,
                  int64_t ws, int64_t k, int64_t c0, int64_t c1, float *out, int64_t os) {
  if constexpr (M > 1) {
    if (mr < M) {
      tileRowBlock<Micro, M - 1, NR>(mr, x, xs, w, ws, k, c0, c1, out, os);
      return;
    }
  }
  const int64_t rb = ws * Micro::kWeightBytes;
  int64_t c = c0;
  for (; c + NR <= c1; c += NR) {
    Micro::template run<M, NR>(x, xs, w + c * rb, rb, k, out + (c - c0), os);
  }
  for (; c < c1; ++c) Micro::template run<M, 1>(x, xs, w + c * rb, rb, k, out + (c - c0), os);
}

template <class Micro, int MR, int NR>
void tileLoop(const void *xv, int64_t xs, int64_t rows, const uint8_t *w, int64_t ws, int64_t k,
              int64_t c0, int64_t c1, float *out, int64_t os) {
  const auto *x = static_cast<const typename Micro::X *>(xv);
  for (int64_t r0 = 0; r0 < rows; r0 += MR) {
    const int64_t mr = rows - r0 < MR ? rows - r0 : MR;
    tileRowBlock<Micro, MR, NR>(mr, x + r0 * xs, xs, w, ws, k, c0, c1, out + r0 * os, os);
  }
}

}  // namespace
}  // namespace lfm::cpu

#endif  // LFM_RUNTIME_CPU_TILELOOP_H
