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

DotTileFn panelDotTile(Isa isa) {
  switch (isa) {
    case Isa::kAmx:
    case Isa::kAvx512Bf16:
    case Isa::kAvx512: return avx512PanelTile();
    case Isa::kAvx2:
    case Isa::kPortable: return nullptr;
  }
  return nullptr;
}

}  // namespace lfm::cpu
