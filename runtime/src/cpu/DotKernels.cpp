#include "DotKernels.h"

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

DotKernel panelTileFor(Isa isa, DType dtype) {
  const bool avx512 = isa == Isa::kAmx || isa == Isa::kAvx512Bf16 || isa == Isa::kAvx512;
  if (dtype == DType::kF32 && avx512) return {XFormat::kF32, avx512PanelTile()};
  if (dtype == DType::kBF16 && isa == Isa::kAmx) return {XFormat::kBF16Tiles, amxTiledBf16Tile()};
  return {};
}

}  // namespace lfm::cpu
