#include "Swiglu.h"

#include "RowMath.h"

namespace lfm::cpu {

void portableSwiglu(float *gate, const float *up, int64_t n) {
  for (int64_t i = 0; i < n; ++i) gate[i] = silu(gate[i]) * up[i];
}

SwigluFn selectSwiglu(Isa isa) {
  SwigluFn avx2 = isa == Isa::kPortable ? nullptr : avx2Swiglu();
  return avx2 != nullptr ? avx2 : portableSwiglu;
}

}  // namespace lfm::cpu
