#include "QuantDot.h"

namespace lfm::cpu {

DotKernel selectQuantDotKernel(Isa isa, QuantFormat format, bool quantized_x) {
  DotKernel k;
  if (quantized_x) {
    // AVX-512 without VNNI runs the AVX2 tiles.
    if (isa >= Isa::kAvx512 && haveAvx512Vnni()) k = avx512VnniQuantDotKernelQ8x(format);
    if (k.tile == nullptr && isa >= Isa::kAvx2) k = avx2QuantDotKernelQ8x(format);
    return k.tile != nullptr ? k : portableQuantDotKernelQ8x(format);
  }
  switch (isa) {
    case Isa::kAmx:
    case Isa::kAvx512Bf16:
    case Isa::kAvx512:
      k = avx512QuantDotKernel(format);
      break;
    case Isa::kAvx2:
      k = avx2QuantDotKernel(format);
      break;
    case Isa::kPortable:
      break;
  }
  return k.tile != nullptr ? k : portableQuantDotKernel(format);
}

}  // namespace lfm::cpu
