#include "QuantDot.h"

namespace lfm::cpu {

DotKernel selectQuantDotKernel(Isa isa, QuantFormat format) {
  DotKernel k;
  switch (isa) {
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
