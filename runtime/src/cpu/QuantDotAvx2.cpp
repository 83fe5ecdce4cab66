// The AVX2 quantized dot tiles: not written yet; the portable tiles serve
// (selectQuantDotKernel falls back to them).
#include "QuantDot.h"

namespace lfm::cpu {
DotKernel avx2QuantDotKernel(QuantFormat) { return {}; }
}  // namespace lfm::cpu
