// q4_0: 32 4-bit values q with x = d * (q - 8), d = -(the value of largest
// magnitude) / 8 so that it maps to q = 0 (ggml's quantize_row_q4_0_ref:
// q = min(15, trunc(x / d + 8.5)), with 1 / d taken before d is rounded to
// f16).
#include <algorithm>
#include <cmath>

#include "Blocks.h"

namespace lfm::quant {

void quantizeQ4_0(const float *x, int64_t blocks, uint8_t *out) {
  constexpr int kHalf = kQ4_0Elems / 2;
  for (int64_t b = 0; b < blocks; ++b, x += kQ4_0Elems, out += kQ4_0Bytes) {
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < kQ4_0Elems; ++j) {
      if (amax < std::fabs(x[j])) {
        amax = std::fabs(x[j]);
        max = x[j];
      }
    }
    const float d = max / -8;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    storeF16(out, d);
    for (int j = 0; j < kHalf; ++j) {
      const int lo = std::min(15, static_cast<int>(truncToInt8(x[j] * id + 8.5f)));
      const int hi = std::min(15, static_cast<int>(truncToInt8(x[kHalf + j] * id + 8.5f)));
      out[2 + j] = static_cast<uint8_t>(lo | (hi << 4));
    }
  }
}

void dequantizeQ4_0(const uint8_t *q, int64_t blocks, float *out) {
  constexpr int kHalf = kQ4_0Elems / 2;
  for (int64_t b = 0; b < blocks; ++b, q += kQ4_0Bytes, out += kQ4_0Elems) {
    const float d = loadF16(q);
    for (int j = 0; j < kHalf; ++j) {
      out[j] = ((q[2 + j] & 0x0F) - 8) * d;
      out[kHalf + j] = ((q[2 + j] >> 4) - 8) * d;
    }
  }
}

}  // namespace lfm::quant
