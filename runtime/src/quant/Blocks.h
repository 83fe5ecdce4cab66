// The byte layouts of the quantized blocks (lfm/QuantFormats.h) and the
// per-format block quantizers and dequantizers behind quantizeRows /
// dequantizeRows. Blocks are read and written through byte pointers (a
// GGUF row of 34-byte blocks leaves them 2-byte aligned at best), fields
// at the offsets below.
#ifndef LFM_RUNTIME_QUANT_BLOCKS_H
#define LFM_RUNTIME_QUANT_BLOCKS_H

#include <cstdint>
#include <cstring>

#include "lfm/DTypeConvert.h"

namespace lfm::quant {

// q8_0: f16 d at 0, int8 qs[32] at 2.
inline constexpr int64_t kQ8_0Elems = 32, kQ8_0Bytes = 34;
// q4_0: f16 d at 0, u8 qs[16] at 2; element j < 16 in the low nibble of
// qs[j], element j + 16 in its high nibble.
inline constexpr int64_t kQ4_0Elems = 32, kQ4_0Bytes = 18;
// q4_k: f16 d at 0, f16 dmin at 2, u8 scales[12] at 4, u8 qs[128] at 16.
// Sub-block j (32 elements) has 6-bit scale and min (q4kScaleMin); elements
// 64g + l (l < 32) in the low nibbles of qs[32g + l], 64g + 32 + l in the
// high nibbles.
inline constexpr int64_t kQ4_KElems = 256, kQ4_KBytes = 144;
inline constexpr int64_t kQ4_KScales = 4, kQ4_KQs = 16;
// q6_k: u8 ql[128] at 0, u8 qh[64] at 128, int8 scales[16] at 192, f16 d at
// 208. Half n (128 elements) uses ql[64n..], qh[32n..], scales[8n..]; its
// element l + 32t (l < 32, t < 4) has low 4 bits in ql[l + 32(t & 1)]
// (high nibble when t >= 2), high 2 bits at qh[l] >> 2t, scale
// scales[l / 16 + 2t].
inline constexpr int64_t kQ6_KElems = 256, kQ6_KBytes = 210;
inline constexpr int64_t kQ6_KQh = 128, kQ6_KScales = 192, kQ6_KD = 208;

inline float loadF16(const uint8_t *p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return f16ToFloat(h);
}

inline void storeF16(uint8_t *p, float f) {
  const uint16_t h = floatToF16(f);
  std::memcpy(p, &h, 2);
}

// The 6-bit scale and min of q4_k sub-block j (ggml's get_scale_min_k4).
inline void q4kScaleMin(int j, const uint8_t *scales, uint8_t *sc, uint8_t *m) {
  if (j < 4) {
    *sc = scales[j] & 63;
    *m = scales[j + 4] & 63;
  } else {
    *sc = (scales[j + 4] & 0xF) | ((scales[j - 4] >> 6) << 4);
    *m = (scales[j + 4] >> 4) | ((scales[j] >> 6) << 4);
  }
}

// `blocks` blocks from blocks * elems floats, and back.
void quantizeQ8_0(const float *x, int64_t blocks, uint8_t *out);
void quantizeQ4_0(const float *x, int64_t blocks, uint8_t *out);
void quantizeQ4_K(const float *x, int64_t blocks, uint8_t *out);
void quantizeQ6_K(const float *x, int64_t blocks, uint8_t *out);
void dequantizeQ8_0(const uint8_t *q, int64_t blocks, float *out);
void dequantizeQ4_0(const uint8_t *q, int64_t blocks, float *out);
void dequantizeQ4_K(const uint8_t *q, int64_t blocks, float *out);
void dequantizeQ6_K(const uint8_t *q, int64_t blocks, float *out);

// C's (int8_t)f as x86 compilers build it (cvttss2si to int32, then the
// low byte), which is what ggml's q8_0 / q4_0 quantizers do: a value out
// of int32's range, or NaN, gives int32's minimum (so 0). Only a block whose
// scale 1/d overflows (subnormal inputs) reaches that.
inline int8_t truncToInt8(float f) {
  const int32_t i =
      f > -2147483648.0f && f < 2147483648.0f ? static_cast<int32_t>(f) : INT32_MIN;
  return static_cast<int8_t>(static_cast<uint8_t>(static_cast<uint32_t>(i) & 0xFFu));
}

// ggml's nearest_int: round to nearest (ties to even) by the 1.5 * 2^23
// trick, for |f| <= 2^22; outside that range (and for NaN) it gives what
// ggml's gives, as its release builds do.
inline int nearestInt(float f) {
  const float v = f + 12582912.f;
  int32_t i;
  std::memcpy(&i, &v, sizeof i);
  return (i & 0x007fffff) - 0x00400000;
}

}  // namespace lfm::quant

#endif  // LFM_RUNTIME_QUANT_BLOCKS_H
