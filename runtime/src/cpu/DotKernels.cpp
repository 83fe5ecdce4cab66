#include "DotKernels.h"

#include "QuantDot.h"

#include <algorithm>

namespace lfm::cpu {

DotKernel selectDotKernel(Isa isa, DType dtype, bool f32_x) {
  DotKernel k;
  switch (isa) {
    case Isa::kAmx:
      if (!f32_x) k = amxDotKernel(dtype);
      if (k.tile == nullptr) k = avx512DotKernel(dtype, /*bf16_dot=*/!f32_x);
      break;
    case Isa::kAvx512Bf16:
      k = avx512DotKernel(dtype, /*bf16_dot=*/!f32_x);
      break;
    case Isa::kAvx512:
      k = avx512DotKernel(dtype, /*bf16_dot=*/false);
      break;
    case Isa::kAvx2:
      k = avx2DotKernel(dtype);
      break;
    case Isa::kPortable:
      break;
  }
  return k.tile != nullptr ? k : portableDotKernel(dtype);
}

PanelLayout panelLayoutFor(Isa isa, DType dtype, bool bf16_panels) {
  if (isa == Isa::kAvx2) {
    if (dtype == DType::kF32 && avx2PanelTile() != nullptr) return PanelLayout::kF32Panels;
    if (dtype == DType::kBF16 && avx2Bf16WidePanelTile() != nullptr) return PanelLayout::kBf16Panels;
    return PanelLayout::kRowMajor;
  }
  const bool avx512 = isa == Isa::kAmx || isa == Isa::kAvx512Bf16 || isa == Isa::kAvx512;
  if (dtype == DType::kF32 && avx512 && avx512PanelTile() != nullptr) return PanelLayout::kF32Panels;
  if (dtype == DType::kBF16 && bf16_panels && avx512 && avx512Bf16WidePanelTile() != nullptr) {
    return PanelLayout::kBf16Panels;
  }
  // bf16: AMX where the CPU has it. The pairs' vdpbf16ps tile streams
  // decode faster (LFM2-350M shapes, 2 threads: 39.6 against 34.3 tokens/s)
  // but runs prefill at the f32 rate (303 against 884 tokens/s at 128), and
  // one kernel must serve every row count (batch invariance).
  if (dtype == DType::kBF16 && isa == Isa::kAmx && amxTiledBf16Tile() != nullptr) {
    return PanelLayout::kBf16Tiles;
  }
  if (dtype == DType::kBF16 && isa == Isa::kAvx512Bf16 && avx512Bf16PanelTile() != nullptr) {
    return PanelLayout::kBf16Pairs;
  }
  return PanelLayout::kRowMajor;
}

PanelLayout quantPanelLayoutFor(Isa isa, QuantFormat format, bool quantize_x) {
  // Every x86 ISA from AVX2 up (QuantPanelAvx2.cpp's header has the
  // figures: on a Zen 3 against the AVX2 row-major tiles, on a Xeon with
  // AVX512-VNNI against the AVX-512 ones).
  if (isa < Isa::kAvx2 || !quantize_x) return PanelLayout::kRowMajor;
  PanelLayout layout = PanelLayout::kRowMajor;
  switch (format) {
    case QuantFormat::kQ8_0: layout = PanelLayout::kQ8_0Panels; break;
    case QuantFormat::kQ4_0: layout = PanelLayout::kQ4_0Panels; break;
    case QuantFormat::kQ4_K: layout = PanelLayout::kQ4_KPanels; break;
    case QuantFormat::kQ6_K: layout = PanelLayout::kQ6_KPanels; break;
  }
  return avx2QuantPanelTile(layout) != nullptr ? layout : PanelLayout::kRowMajor;
}

int64_t linearColumnBlock(int64_t columns, int threads) {
  int64_t block = columns / (8 * static_cast<int64_t>(threads));
  block = std::clamp<int64_t>(block, 16, 64);
  return block / 16 * 16;
}

DotKernel panelKernel(Isa isa, PanelLayout layout) {
  if (isa == Isa::kPortable) return {};
  if (quantPanels(layout)) {
    // The same integer dots with vpdpbusd where the CPU has AVX512-VNNI.
    const bool vnni = isa >= Isa::kAvx512 && haveAvx512Vnni() && vnniQuantPanelTile(layout);
    return {XFormat::kQ8, vnni ? vnniQuantPanelTile(layout) : avx2QuantPanelTile(layout)};
  }
  if (isa == Isa::kAvx2) {
    if (layout == PanelLayout::kF32Panels) return {XFormat::kF32, avx2PanelTile()};
    if (layout == PanelLayout::kBf16Panels) return {XFormat::kF32, avx2Bf16WidePanelTile()};
    return {};
  }
  switch (layout) {
    case PanelLayout::kF32Panels: return {XFormat::kF32, avx512PanelTile()};
    case PanelLayout::kBf16Tiles: return {XFormat::kBF16Tiles, amxTiledBf16Tile()};
    case PanelLayout::kBf16Pairs: return {XFormat::kBF16, avx512Bf16PanelTile()};
    case PanelLayout::kBf16Panels: return {XFormat::kF32, avx512Bf16WidePanelTile()};
    case PanelLayout::kQ4_0Panels:  // above
    case PanelLayout::kQ8_0Panels:
    case PanelLayout::kQ4_KPanels:
    case PanelLayout::kQ6_KPanels:
    case PanelLayout::kRowMajor: break;
  }
  return {};
}

}  // namespace lfm::cpu
