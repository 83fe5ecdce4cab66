// q8_0: 32 int8 values and one f16 scale d = absmax / 127 (ggml's
// quantize_row_q8_0_ref; the quants are round-half-away of x / d, with
// 1 / d taken before d is rounded to f16).
#include <algorithm>
#include <cmath>

#include "Blocks.h"

namespace lfm::quant {

void quantizeQ8_0(const float *x, int64_t blocks, uint8_t *out) {
  for (int64_t b = 0; b < blocks; ++b, x += kQ8_0Elems, out += kQ8_0Bytes) {
    float amax = 0.0f;
    for (int j = 0; j < kQ8_0Elems; ++j) amax = std::max(amax, std::fabs(x[j]));
    const float d = amax / 127;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    storeF16(out, d);
    for (int j = 0; j < kQ8_0Elems; ++j) {
      out[2 + j] = static_cast<uint8_t>(truncToInt8(std::round(x[j] * id)));
    }
  }
}

void dequantizeQ8_0(const uint8_t *q, int64_t blocks, float *out) {
  for (int64_t b = 0; b < blocks; ++b, q += kQ8_0Bytes, out += kQ8_0Elems) {
    const float d = loadF16(q);
    for (int j = 0; j < kQ8_0Elems; ++j) out[j] = static_cast<int8_t>(q[2 + j]) * d;
  }
}

}  // namespace lfm::quant
