#include "WeightPanels.h"

#include <cstring>

#include "lfm/OpSchema.h"

namespace lfm::cpu {

bool panelsFit(const Plan &plan, size_t index, PanelLayout layout) {
  const WeightSpec &spec = plan.weights[index];
  if (layout == PanelLayout::kRowMajor || spec.shape.size() != 2) return false;
  const bool quant = quantPanels(layout);
  if (quant ? spec.quant != quantPanelFormat(layout) : spec.quant.has_value()) return false;
  const int64_t n = spec.shape[0], k = spec.shape[1];
  const int64_t run = quant ? quantBlockElems(quantPanelFormat(layout)) : panelRun(layout);
  if (n <= 0 || k <= 0 || n % kPanelRows != 0 || k % run != 0) return false;
  const DType want = layout == PanelLayout::kF32Panels ? DType::kF32 : DType::kBF16;
  if (!quant && spec.dtype != want) return false;
  bool read = false;
  for (const Launch &launch : plan.launches) {
    for (size_t o = 0; o < launch.operands.size(); ++o) {
      const BufferRef ref = launch.operands[o];
      if (ref.kind != BufferRef::kWeight || ref.index != static_cast<int64_t>(index)) continue;
      if (o != 1) return false;
      if (launch.op == OpKind::kEmbedding) continue;  // its rows through Tensor::loadRow
      if (launch.op != OpKind::kLinear) return false;
      const auto epilogue = static_cast<LinearEpilogue>(launch.attr(IntAttr::kEpilogue));
      if (epilogue == LinearEpilogue::kSwiglu && n % (2 * kPanelRows) != 0) return false;
      read = true;
    }
  }
  return read;
}

void copyQuantPanelBlock(PanelLayout layout, int64_t c, int64_t b, int64_t blocks,
                         const uint8_t *src, uint8_t *dst, bool pack) {
  const QuantFormat format = quantPanelFormat(layout);
  const int64_t block_bytes = quantBlockBytes(format);
  // Run by run: the bytes that stay together.
  for (int64_t i = 0, len = 0; i < block_bytes; i += len) {
    len = quantPanelRun(format, i).length;
    const int64_t panel = quantPanelByte(layout, c, b, i, blocks);
    std::memcpy(pack ? dst + panel : dst + i, pack ? src + i : src + panel, len);
  }
}

namespace {

// [n/16][k][16]: written in order, the panel's 16 rows read side by side.
template <class T>
void packRowPanels(const T *w, int64_t n, int64_t k, T *out) {
  for (int64_t p = 0; p < n / kPanelRows; ++p) {
    const T *rows = w + p * kPanelRows * k;
    for (int64_t i = 0; i < k; ++i) {
      for (int64_t j = 0; j < kPanelRows; ++j) *out++ = rows[j * k + i];
    }
  }
}

// Copies runs of elements between the layouts: a run is what stays
// contiguous in both (one element for f32 panels, 32 for bf16 tiles; bytes
// for the quantized ones).
template <bool kPack>
std::vector<uint8_t> convert(PanelLayout layout, std::span<const uint8_t> src, int64_t n,
                             int64_t k) {
  std::vector<uint8_t> dst(src.size());
  if (quantPanels(layout)) {
    const QuantFormat format = quantPanelFormat(layout);
    const int64_t blocks = k / quantBlockElems(format), block_bytes = quantBlockBytes(format);
    for (int64_t c = 0; c < n; ++c) {
      for (int64_t b = 0; b < blocks; ++b) {
        const int64_t row_major = (c * blocks + b) * block_bytes;
        if (kPack) {
          copyQuantPanelBlock(layout, c, b, blocks, src.data() + row_major, dst.data(), true);
        } else {
          copyQuantPanelBlock(layout, c, b, blocks, src.data(), dst.data() + row_major, false);
        }
      }
    }
    return dst;
  }
  if (layout == PanelLayout::kF32Panels && kPack) {
    packRowPanels(reinterpret_cast<const float *>(src.data()), n, k,
                  reinterpret_cast<float *>(dst.data()));
    return dst;
  }
  if (layout == PanelLayout::kBf16Panels && kPack) {
    packRowPanels(reinterpret_cast<const uint16_t *>(src.data()), n, k,
                  reinterpret_cast<uint16_t *>(dst.data()));
    return dst;
  }
  const int64_t size = layout == PanelLayout::kF32Panels ? 4 : 2, run = panelRun(layout);
  for (int64_t c = 0; c < n; ++c) {
    for (int64_t i = 0; i < k; i += run) {
      const int64_t row_major = (c * k + i) * size, panel = panelIndex(layout, c, i, k) * size;
      std::memcpy(dst.data() + (kPack ? panel : row_major),
                  src.data() + (kPack ? row_major : panel), run * size);
    }
  }
  return dst;
}

}  // namespace

std::vector<uint8_t> packPanels(PanelLayout layout, std::span<const uint8_t> w, int64_t n,
                                int64_t k) {
  return convert<true>(layout, w, n, k);
}

std::vector<uint8_t> unpackPanels(PanelLayout layout, std::span<const uint8_t> panels, int64_t n,
                                  int64_t k) {
  return convert<false>(layout, panels, n, k);
}

}  // namespace lfm::cpu
