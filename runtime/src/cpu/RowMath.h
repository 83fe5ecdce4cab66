// The float32 math on one row that several op families share (rms_norm in
// the norms, the linear prologue and qk_norm_rope_cache; rope in rope and
// qk_norm_rope_cache), so that fused and unfused ops compute the same thing.
#ifndef LFM_RUNTIME_CPU_ROWMATH_H
#define LFM_RUNTIME_CPU_ROWMATH_H

#include <cmath>
#include <cstdint>
#include <cstring>

namespace lfm::cpu {

// Each run of `group` values of x[0, n) becomes x / sqrt(mean(x^2) + eps) * w
// (w has `group` values, shared by every run).
void rmsNormGroups(float *x, int64_t n, int64_t group, const float *w, float eps);

// cos and sin of the NeoX rotation angles at `pos` for a head of `head_dim`
// values: angle j = pos * theta^(-2j/head_dim), j < head_dim/2. The angle is
// computed in double because pos * frequency loses digits in float at long
// positions.
void ropeAngles(int64_t pos, int64_t head_dim, double theta, float *cos_out, float *sin_out);

// Rotate-half RoPE of one head in place with angles from ropeAngles.
void applyRope(float *head, int64_t head_dim, const float *cos_a, const float *sin_a);

// exp as the cpu kernels compute it: 2^n * p(r), n = round(y / ln 2),
// r = y - n ln 2 (ln 2 in two parts), p Cephes' degree-7 expf polynomial
// (within 2 ulp of expf), y clamped to [-87.3, 88] so that 2^n is a normal
// float (a NaN y reads as -87.3, as the vector max does). SwigluAvx2.cpp
// computes the same operations on 8 lanes, so scalar and vector kernels
// agree bit for bit.
inline float expPoly(float y) {
  y = y > -87.3f ? y : -87.3f;
  y = y < 88.0f ? y : 88.0f;
  const float n = std::nearbyint(y * 1.44269504088896341f);
  float r = std::fma(-n, 0.693359375f, y);
  r = std::fma(-n, -2.12194440e-4f, r);
  float p = 1.9875691500e-4f;
  p = std::fma(p, r, 1.3981999507e-3f);
  p = std::fma(p, r, 8.3334519073e-3f);
  p = std::fma(p, r, 4.1665795894e-2f);
  p = std::fma(p, r, 1.6666665459e-1f);
  p = std::fma(p, r, 5.0000001201e-1f);
  const float r2 = r * r;
  p = std::fma(p, r2, r + 1.0f);
  const uint32_t bits = static_cast<uint32_t>(static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

inline float silu(float x) { return x / (1.0f + expPoly(0.0f - x)); }

// sum a[i] * b[i] in float32 (with several partial sums, which is both faster
// and no less accurate than one running sum).
float dot(const float *a, const float *b, int64_t n);

}  // namespace lfm::cpu

#endif  // LFM_RUNTIME_CPU_ROWMATH_H
