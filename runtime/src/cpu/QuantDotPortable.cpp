// The portable quantized dot tiles: each weight row is dequantized once
// (quant/Blocks.h, ggml's values) into a float32 row and dotted with every
// row of x by the portable float32 tile (DotPortable.cpp), so the
// reduction order is that tile's.
#include <vector>

#include "QuantDot.h"
#include "quant/Blocks.h"

namespace lfm::cpu {
namespace {

template <void (*kDequantize)(const uint8_t *, int64_t, float *), int64_t kElems, int64_t kBytes>
void portableQuantTile(const void *x, int64_t xs, int64_t rows, const uint8_t *w, int64_t ws,
                       int64_t k, int64_t c0, int64_t c1, float *out, int64_t os) {
  static const DotTileFn f32_tile = portableDotKernel(DType::kF32).tile;
  const int64_t rb = ws / kElems * kBytes;
  thread_local std::vector<float> wf;
  if (static_cast<int64_t>(wf.size()) < k) wf.resize(k);
  for (int64_t c = c0; c < c1; ++c) {
    kDequantize(w + c * rb, k / kElems, wf.data());
    f32_tile(x, xs, rows, reinterpret_cast<const uint8_t *>(wf.data()), k, k, 0, 1,
             out + (c - c0), os);
  }
}

}  // namespace

DotKernel portableQuantDotKernel(QuantFormat format) {
  using namespace quant;
  switch (format) {
    case QuantFormat::kQ8_0:
      return {XFormat::kF32, portableQuantTile<dequantizeQ8_0, kQ8_0Elems, kQ8_0Bytes>};
    case QuantFormat::kQ4_0:
      return {XFormat::kF32, portableQuantTile<dequantizeQ4_0, kQ4_0Elems, kQ4_0Bytes>};
    case QuantFormat::kQ4_K:
      return {XFormat::kF32, portableQuantTile<dequantizeQ4_K, kQ4_KElems, kQ4_KBytes>};
    case QuantFormat::kQ6_K:
      return {XFormat::kF32, portableQuantTile<dequantizeQ6_K, kQ6_KElems, kQ6_KBytes>};
  }
  return {};
}

}  // namespace lfm::cpu
