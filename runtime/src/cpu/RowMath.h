// The float32 math on one row that several op families share (rms_norm in
// the norms, the linear prologue and qk_norm_rope_cache; rope in rope and
// qk_norm_rope_cache), so that fused and unfused ops compute the same thing.
#ifndef LFM_RUNTIME_CPU_ROWMATH_H
#define LFM_RUNTIME_CPU_ROWMATH_H

#include <cmath>
#include <cstdint>

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

inline float silu(float x) { return x / (1.0f + std::exp(-x)); }

// sum a[i] * b[i] in float32 (with several partial sums, which is both faster
// and no less accurate than one running sum).
float dot(const float *a, const float *b, int64_t n);

}  // namespace lfm::cpu

#endif  // LFM_RUNTIME_CPU_ROWMATH_H
