// The loop of a quantized dot tile (QuantDot.h) over blocks of MR rows of x
// and NR weight rows, around an ISA's micro-kernel:
//
//   struct Micro {
//     static constexpr int64_t kElems = ..., kBytes = ...;  // per block
//     template <int M, int N> static void run(const float *x, int64_t x_stride,
//         const uint8_t *w, int64_t w_row_bytes, int64_t blocks, float *out,
//         int64_t out_stride);
//   };
//
// Included by each ISA's file after its target pragma (internal linkage),
// like TileLoop.h, whose loop this is with weight rows measured in blocks.
#ifndef LFM_RUNTIME_CPU_QUANTDOTTILELOOP_H
#define LFM_RUNTIME_CPU_QUANTDOTTILELOOP_H

#include <cstdint>
#include <type_traits>

namespace lfm::cpu {
namespace {

// The element type of x a Micro reads: Micro::XElem (uint8_t for the
// quantized-x tiles, whose x_stride counts bytes), float by default.
template <class M, class = void>
struct QuantXElem {
  using type = float;
};
template <class M>
struct QuantXElem<M, std::void_t<typename M::XElem>> {
  using type = typename M::XElem;
};

template <class Micro, int M, int NR, class XT>
void quantRowBlock(int64_t mr, const XT *x, int64_t xs, const uint8_t *w, int64_t rb,
                   int64_t blocks, int64_t c0, int64_t c1, float *out, int64_t os) {
  if constexpr (M > 1) {
    if (mr < M) {
      quantRowBlock<Micro, M - 1, NR, XT>(mr, x, xs, w, rb, blocks, c0, c1, out, os);
      return;
    }
  }
  int64_t c = c0;
  for (; c + NR <= c1; c += NR) {
    Micro::template run<M, NR>(x, xs, w + c * rb, rb, blocks, out + (c - c0), os);
  }
  for (; c < c1; ++c) Micro::template run<M, 1>(x, xs, w + c * rb, rb, blocks, out + (c - c0), os);
}

template <class Micro, int MR, int NR>
void quantTileLoop(const void *xv, int64_t xs, int64_t rows, const uint8_t *w, int64_t ws,
                   int64_t k, int64_t c0, int64_t c1, float *out, int64_t os) {
  const auto *x = static_cast<const typename QuantXElem<Micro>::type *>(xv);
  const int64_t rb = ws / Micro::kElems * Micro::kBytes, blocks = k / Micro::kElems;
  for (int64_t r0 = 0; r0 < rows; r0 += MR) {
    const int64_t mr = rows - r0 < MR ? rows - r0 : MR;
    quantRowBlock<Micro, MR, NR>(mr, x + r0 * xs, xs, w, rb, blocks, c0, c1, out + r0 * os, os);
  }
}

}  // namespace
}  // namespace lfm::cpu

#endif  // LFM_RUNTIME_CPU_QUANTDOTTILELOOP_H
