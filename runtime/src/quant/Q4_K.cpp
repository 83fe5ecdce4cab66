// q4_k: super-blocks of 256 as 8 sub-blocks of 32, x = d*sc*q - dmin*m with
// 4-bit q and 6-bit sc, m per sub-block. ggml's quantize_row_q4_K_ref: each
// sub-block's scale and min by make_qkx2_quants (a search over 21 scales
// minimizing the error weighted by rms + |x|), the 8 scales and 8 mins
// quantized to 6 bits against their maxima, then the quants again against
// the rounded scales. The float operations are ggml's, in its order, so
// the bytes are its bytes.
#include <algorithm>
#include <cmath>

#include "Blocks.h"

namespace lfm::quant {
namespace {

constexpr int kSub = 32;

// ggml's make_qkx2_quants(n = 32, nmax = 15, rmin = -1, rdelta = 0.1,
// nstep = 20, use_mad = false): the scale, and -min in *neg_min.
float subBlockScaleMin(const float *x, const float *weights, uint8_t *L, float *neg_min) {
  constexpr int nmax = 15, nstep = 20;
  constexpr float rmin = -1.f, rdelta = 0.1f;
  uint8_t Laux[kSub];
  float min = x[0], max = x[0];
  float sum_w = weights[0];
  float sum_x = sum_w * x[0];
  for (int i = 1; i < kSub; ++i) {
    if (x[i] < min) min = x[i];
    if (x[i] > max) max = x[i];
    const float w = weights[i];
    sum_w += w;
    sum_x += w * x[i];
  }
  if (min > 0) min = 0;
  if (max == min) {
    for (int i = 0; i < kSub; ++i) L[i] = 0;
    *neg_min = -min;
    return 0.f;
  }
  float iscale = nmax / (max - min);
  float scale = 1 / iscale;
  float best_error = 0;
  for (int i = 0; i < kSub; ++i) {
    const int l = nearestInt(iscale * (x[i] - min));
    L[i] = static_cast<uint8_t>(std::max(0, std::min(nmax, l)));
    float diff = scale * L[i] + min - x[i];
    diff = diff * diff;
    best_error += weights[i] * diff;
  }
  for (int is = 0; is <= nstep; ++is) {
    iscale = (rmin + rdelta * is + nmax) / (max - min);
    float sum_l = 0, sum_l2 = 0, sum_xl = 0;
    for (int i = 0; i < kSub; ++i) {
      int l = nearestInt(iscale * (x[i] - min));
      l = std::max(0, std::min(nmax, l));
      Laux[i] = static_cast<uint8_t>(l);
      const float w = weights[i];
      sum_l += w * l;
      sum_l2 += w * l * l;
      sum_xl += w * l * x[i];
    }
    const float D = sum_w * sum_l2 - sum_l * sum_l;
    if (D > 0) {
      float this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
      float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
      if (this_min > 0) {
        this_min = 0;
        this_scale = sum_xl / sum_l2;
      }
      float cur_error = 0;
      for (int i = 0; i < kSub; ++i) {
        float diff = this_scale * Laux[i] + this_min - x[i];
        diff = diff * diff;
        cur_error += weights[i] * diff;
      }
      if (cur_error < best_error) {
        for (int i = 0; i < kSub; ++i) L[i] = Laux[i];
        best_error = cur_error;
        scale = this_scale;
        min = this_min;
      }
    }
  }
  *neg_min = -min;
  return scale;
}

void quantizeBlock(const float *x, uint8_t *out) {
  constexpr int kSubs = kQ4_KElems / kSub;
  uint8_t L[kQ4_KElems];
  float weights[kSub], mins[kSubs], scales[kSubs];
  float max_scale = 0, max_min = 0;
  for (int j = 0; j < kSubs; ++j) {
    float sum_x2 = 0;
    for (int l = 0; l < kSub; ++l) sum_x2 += x[kSub * j + l] * x[kSub * j + l];
    const float av_x = std::sqrt(sum_x2 / kSub);
    for (int l = 0; l < kSub; ++l) weights[l] = av_x + std::fabs(x[kSub * j + l]);
    scales[j] = subBlockScaleMin(x + kSub * j, weights, L + kSub * j, &mins[j]);
    if (scales[j] > max_scale) max_scale = scales[j];
    if (mins[j] > max_min) max_min = mins[j];
  }
  uint8_t *packed = out + kQ4_KScales;
  std::fill(packed, packed + 12, 0);
  const float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
  const float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
  for (int j = 0; j < kSubs; ++j) {
    // ggml stores nearest_int's int in a uint8_t before clamping to 63.
    const uint8_t ls = std::min<uint8_t>(63, static_cast<uint8_t>(nearestInt(inv_scale * scales[j])));
    const uint8_t lm = std::min<uint8_t>(63, static_cast<uint8_t>(nearestInt(inv_min * mins[j])));
    if (j < 4) {
      packed[j] = ls;
      packed[j + 4] = lm;
    } else {
      packed[j + 4] = static_cast<uint8_t>((ls & 0xF) | ((lm & 0xF) << 4));
      packed[j - 4] |= static_cast<uint8_t>((ls >> 4) << 6);
      packed[j] |= static_cast<uint8_t>((lm >> 4) << 6);
    }
  }
  storeF16(out, max_scale / 63.f);
  storeF16(out + 2, max_min / 63.f);
  const float dall = loadF16(out), dmin = loadF16(out + 2);
  for (int j = 0; j < kSubs; ++j) {
    uint8_t sc, m;
    q4kScaleMin(j, packed, &sc, &m);
    const float d = dall * sc;
    if (d == 0.0f) continue;
    const float dm = dmin * m;
    for (int ii = 0; ii < kSub; ++ii) {
      const int l = nearestInt((x[kSub * j + ii] + dm) / d);
      L[kSub * j + ii] = static_cast<uint8_t>(std::max(0, std::min(15, l)));
    }
  }
  uint8_t *q = out + kQ4_KQs;
  for (int j = 0; j < kQ4_KElems; j += 64, q += 32) {
    for (int l = 0; l < 32; ++l) q[l] = static_cast<uint8_t>(L[j + l] | (L[j + l + 32] << 4));
  }
}

}  // namespace

void quantizeQ4_K(const float *x, int64_t blocks, uint8_t *out) {
  for (int64_t b = 0; b < blocks; ++b) quantizeBlock(x + b * kQ4_KElems, out + b * kQ4_KBytes);
}

void dequantizeQ4_K(const uint8_t *q, int64_t blocks, float *out) {
  for (int64_t b = 0; b < blocks; ++b, q += kQ4_KBytes) {
    const float d = loadF16(q), min = loadF16(q + 2);
    const uint8_t *qs = q + kQ4_KQs;
    for (int j = 0; j < kQ4_KElems / 64; ++j, qs += 32) {
      uint8_t sc, m;
      q4kScaleMin(2 * j, q + kQ4_KScales, &sc, &m);
      const float d1 = d * sc, m1 = min * m;
      q4kScaleMin(2 * j + 1, q + kQ4_KScales, &sc, &m);
      const float d2 = d * sc, m2 = min * m;
      for (int l = 0; l < 32; ++l) *out++ = d1 * (qs[l] & 0xF) - m1;
      for (int l = 0; l < 32; ++l) *out++ = d2 * (qs[l] >> 4) - m2;
    }
  }
}

}  // namespace lfm::quant
