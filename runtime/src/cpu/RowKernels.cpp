#include "RowKernels.h"

#include <algorithm>

#include "ElementIO.h"
#include "RowMath.h"

namespace lfm::cpu {
namespace {

void swiglu(float *gate, const float *up, int64_t n) {
  for (int64_t i = 0; i < n; ++i) gate[i] = silu(gate[i]) * up[i];
}

void expShift(float *s, int64_t n, float shift) {
  for (int64_t j = 0; j < n; ++j) s[j] = expPoly(s[j] - shift);
}

void valueSum(const float *p, int64_t p_stride, int64_t heads, int64_t group, int64_t len,
              const uint8_t *v, int64_t v_row_bytes, DType dtype, int64_t d, float *out) {
  constexpr int64_t kRun = 256;
  const int64_t size = dtypeSize(dtype), bytes = heads * d * size;
  std::fill(out, out + heads * group * d, 0.0f);
  float run[kRun];
  prefetchRowBytes(v, v_row_bytes, 0, std::min(len, kValueRowsAhead), bytes);
  for (int64_t j = 0; j < len; ++j) {
    prefetchRowBytes(v, v_row_bytes, j + kValueRowsAhead, std::min(len, j + kValueRowsAhead + 1),
                     bytes);
    for (int64_t h = 0; h < heads; ++h) {
      for (int64_t c = 0; c < d; c += kRun) {
        const int64_t n = std::min(kRun, d - c);
        loadFloats(v + j * v_row_bytes + (h * d + c) * size, dtype, n, run);
        for (int64_t g = 0; g < group; ++g) {
          const float pj = p[(h * group + g) * p_stride + j];
          float *o = out + (h * group + g) * d + c;
          for (int64_t i = 0; i < n; ++i) o[i] += pj * run[i];
        }
      }
    }
  }
}

}  // namespace

RowKernels portableRowKernels() { return {swiglu, expShift, valueSum}; }

RowKernels selectRowKernels(Isa isa) {
  const RowKernels avx2 = isa == Isa::kPortable ? RowKernels{} : avx2RowKernels();
  return avx2.swiglu != nullptr ? avx2 : portableRowKernels();
}

}  // namespace lfm::cpu
