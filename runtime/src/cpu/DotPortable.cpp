// The portable dot tiles: plain C++ for every architecture. Each weight row
// is converted to float32 once and used for every row of x; each element is
// reduced in 8 interleaved partial sums, then the tail, in a fixed order.
#include <cstring>
#include <vector>

#include "DotKernels.h"
#include "ElementIO.h"

namespace lfm::cpu {
namespace {

constexpr int kLanes = 8;

float dotLanes(const float *a, const float *b, int64_t n) {
  float acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int l = 0; l < kLanes; ++l) acc[l] += a[i + l] * b[i + l];
  }
  float sum = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
  for (; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

template <DType kDType>
void portableTile(const void *xv, int64_t xs, int64_t rows, const uint8_t *w, int64_t ws, int64_t k,
                  int64_t c0, int64_t c1, float *out, int64_t os) {
  const auto *x = static_cast<const float *>(xv);
  const int64_t rb = ws * dtypeSize(kDType);
  thread_local std::vector<float> wf;
  if (static_cast<int64_t>(wf.size()) < k) wf.resize(k);
  for (int64_t c = c0; c < c1; ++c) {
    loadFloats(w + c * rb, kDType, k, wf.data());
    for (int64_t r = 0; r < rows; ++r) out[r * os + (c - c0)] = dotLanes(x + r * xs, wf.data(), k);
  }
}

}  // namespace

DotKernel portableDotKernel(DType dtype) {
  switch (dtype) {
    case DType::kF32: return {XFormat::kF32, portableTile<DType::kF32>};
    case DType::kBF16: return {XFormat::kF32, portableTile<DType::kBF16>};
    case DType::kF16: return {XFormat::kF32, portableTile<DType::kF16>};
    default: return {XFormat::kF32, portableTile<DType::kF32>};
  }
}

}  // namespace lfm::cpu
