#include "RowMath.h"

namespace lfm::cpu {

void rmsNormGroups(float *x, int64_t n, int64_t group, const float *w, float eps) {
  for (int64_t g = 0; g + group <= n; g += group) {
    float *v = x + g;
    float sum_sq = dot(v, v, group);
    float inv = 1.0f / std::sqrt(sum_sq / static_cast<float>(group) + eps);
    for (int64_t i = 0; i < group; ++i) v[i] = v[i] * inv * w[i];
  }
}

void ropeAngles(int64_t pos, int64_t head_dim, double theta, float *cos_out, float *sin_out) {
  int64_t half = head_dim / 2;
  for (int64_t j = 0; j < half; ++j) {
    double freq = std::pow(theta, -2.0 * static_cast<double>(j) / static_cast<double>(head_dim));
    double angle = static_cast<double>(pos) * freq;
    cos_out[j] = static_cast<float>(std::cos(angle));
    sin_out[j] = static_cast<float>(std::sin(angle));
  }
}

void applyRope(float *head, int64_t head_dim, const float *cos_a, const float *sin_a) {
  int64_t half = head_dim / 2;
  for (int64_t j = 0; j < half; ++j) {
    float a = head[j];
    float b = head[j + half];
    head[j] = a * cos_a[j] - b * sin_a[j];
    head[j + half] = b * cos_a[j] + a * sin_a[j];
  }
}

float dot(const float *a, const float *b, int64_t n) {
  constexpr int kLanes = 8;
  float acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int l = 0; l < kLanes; ++l) acc[l] += a[i + l] * b[i + l];
  }
  float sum = 0.0f;
  for (; i < n; ++i) sum += a[i] * b[i];
  for (int l = 0; l < kLanes; ++l) sum += acc[l];
  return sum;
}

}  // namespace lfm::cpu
