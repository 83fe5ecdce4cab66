// q6_k: super-blocks of 256 as 16 sub-blocks of 16, x = d*sc*(q-32) with
// 6-bit q, int8 sc per sub-block, f16 d. ggml's quantize_row_q6_K_ref: each
// sub-block's scale by make_qx_quants (rmse_type 1: a search over 19 scales
// maximizing the x^2-weighted fit), the scales quantized to int8 against
// the one of largest magnitude, then the quants again against the rounded
// scales. The float operations are ggml's, in its order.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "Blocks.h"

namespace lfm::quant {
namespace {

constexpr int kSub = 16;
constexpr float kGroupMaxEps = 1e-15f;  // ggml's GROUP_MAX_EPS

// ggml's make_qx_quants(n = 16, nmax = 32, rmse_type = 1, qw = NULL).
float subBlockScale(const float *x, int8_t *L) {
  constexpr int nmax = 32;
  float max = 0, amax = 0;
  for (int i = 0; i < kSub; ++i) {
    const float ax = std::fabs(x[i]);
    if (ax > amax) {
      amax = ax;
      max = x[i];
    }
  }
  if (amax < kGroupMaxEps) {
    for (int i = 0; i < kSub; ++i) L[i] = 0;
    return 0.f;
  }
  float iscale = -nmax / max;
  float sumlx = 0, suml2 = 0;
  for (int i = 0; i < kSub; ++i) {
    int l = nearestInt(iscale * x[i]);
    l = std::max(-nmax, std::min(nmax - 1, l));
    L[i] = static_cast<int8_t>(l + nmax);
    const float w = x[i] * x[i];
    sumlx += w * x[i] * l;
    suml2 += w * l * l;
  }
  float scale = suml2 != 0.0f ? sumlx / suml2 : 0.0f;
  float best = scale * sumlx;
  for (int is = -9; is <= 9; ++is) {
    if (is == 0) continue;
    iscale = -(nmax + 0.1f * is) / max;
    sumlx = suml2 = 0;
    for (int i = 0; i < kSub; ++i) {
      int l = nearestInt(iscale * x[i]);
      l = std::max(-nmax, std::min(nmax - 1, l));
      const float w = x[i] * x[i];
      sumlx += w * x[i] * l;
      suml2 += w * l * l;
    }
    if (suml2 > 0 && sumlx * sumlx > best * suml2) {
      for (int i = 0; i < kSub; ++i) {
        const int l = nearestInt(iscale * x[i]);
        L[i] = static_cast<int8_t>(nmax + std::max(-nmax, std::min(nmax - 1, l)));
      }
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  return scale;
}

void quantizeBlock(const float *x, uint8_t *out) {
  constexpr int kSubs = kQ6_KElems / kSub;
  int8_t L[kQ6_KElems];
  float scales[kSubs];
  float max_scale = 0, max_abs_scale = 0;
  for (int ib = 0; ib < kSubs; ++ib) {
    scales[ib] = subBlockScale(x + kSub * ib, L + kSub * ib);
    const float abs_scale = std::fabs(scales[ib]);
    if (abs_scale > max_abs_scale) {
      max_abs_scale = abs_scale;
      max_scale = scales[ib];
    }
  }
  if (max_abs_scale < kGroupMaxEps) {
    std::memset(out, 0, kQ6_KBytes);
    return;
  }
  const float iscale = -128.f / max_scale;
  storeF16(out + kQ6_KD, 1 / iscale);
  auto *sc = reinterpret_cast<int8_t *>(out + kQ6_KScales);
  for (int ib = 0; ib < kSubs; ++ib) {
    // ggml assigns min(127, nearest_int(...)) to an int8_t.
    sc[ib] = static_cast<int8_t>(std::min(127, nearestInt(iscale * scales[ib])));
  }
  const float dall = loadF16(out + kQ6_KD);
  for (int j = 0; j < kSubs; ++j) {
    const float d = dall * sc[j];
    if (d == 0.0f) continue;
    for (int ii = 0; ii < kSub; ++ii) {
      int l = nearestInt(x[kSub * j + ii] / d);
      l = std::max(-32, std::min(31, l));
      L[kSub * j + ii] = static_cast<int8_t>(l + 32);
    }
  }
  uint8_t *ql = out, *qh = out + kQ6_KQh;
  for (int j = 0; j < kQ6_KElems; j += 128, ql += 64, qh += 32) {
    for (int l = 0; l < 32; ++l) {
      const uint8_t q1 = L[j + l + 0] & 0xF, q2 = L[j + l + 32] & 0xF;
      const uint8_t q3 = L[j + l + 64] & 0xF, q4 = L[j + l + 96] & 0xF;
      ql[l + 0] = static_cast<uint8_t>(q1 | (q3 << 4));
      ql[l + 32] = static_cast<uint8_t>(q2 | (q4 << 4));
      qh[l] = static_cast<uint8_t>((L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) |
                                   ((L[j + l + 64] >> 4) << 4) | ((L[j + l + 96] >> 4) << 6));
    }
  }
}

}  // namespace

void quantizeQ6_K(const float *x, int64_t blocks, uint8_t *out) {
  for (int64_t b = 0; b < blocks; ++b) quantizeBlock(x + b * kQ6_KElems, out + b * kQ6_KBytes);
}

void dequantizeQ6_K(const uint8_t *q, int64_t blocks, float *out) {
  for (int64_t b = 0; b < blocks; ++b, q += kQ6_KBytes, out += kQ6_KElems) {
    const float d = loadF16(q + kQ6_KD);
    const uint8_t *ql = q, *qh = q + kQ6_KQh;
    const auto *sc = reinterpret_cast<const int8_t *>(q + kQ6_KScales);
    for (int n = 0; n < kQ6_KElems; n += 128, ql += 64, qh += 32, sc += 8) {
      float *y = out + n;
      for (int l = 0; l < 32; ++l) {
        const int is = l / 16;
        const int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
        const int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
        const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        y[l + 0] = d * sc[is + 0] * q1;
        y[l + 32] = d * sc[is + 2] * q2;
        y[l + 64] = d * sc[is + 4] * q3;
        y[l + 96] = d * sc[is + 6] * q4;
      }
    }
  }
}

}  // namespace lfm::quant
