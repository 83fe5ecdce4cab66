// randomWeights: synthetic weights for benchmarks. Each weight is cut into
// fixed-size chunks, and each chunk has its own generator seeded from (seed,
// weight, chunk), so the bytes do not depend on the thread count and the
// chunks can be filled in parallel (a 2.6B-parameter plan takes seconds).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "lfm/DTypeConvert.h"
#include "lfm/PlanLayout.h"
#include "lfm/QuantFormats.h"
#include "lfm/WeightLoader.h"
#include "weights/ParallelFor.h"

namespace lfm {
namespace {

constexpr int64_t kChunkElements = int64_t{1} << 16;

uint64_t splitmix64(uint64_t &state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Fills out[begin, end) with center + scale * u, u uniform in [-1, 1); each
// 64-bit draw gives two 24-bit uniforms. One instantiation per dtype keeps
// the conversion switch out of the loop.
template <DType T>
void fill(uint8_t *out, int64_t begin, int64_t end, float center, float scale, uint64_t state) {
  constexpr float kUnit = 2.0f / 16777216.0f;  // 24-bit integer -> [0, 2)
  auto put = [&](int64_t e, float v) {
    if constexpr (T == DType::kF32) {
      std::memcpy(out + 4 * e, &v, 4);
    } else {
      uint16_t h = T == DType::kBF16 ? floatToBf16(v) : floatToF16(v);
      std::memcpy(out + 2 * e, &h, 2);
    }
  };
  for (int64_t e = begin; e < end; e += 2) {
    uint64_t r = splitmix64(state);
    put(e, center + scale * (static_cast<float>(r >> 40) * kUnit - 1.0f));
    if (e + 1 < end)
      put(e + 1, center + scale * (static_cast<float>((r >> 8) & 0xFFFFFF) * kUnit - 1.0f));
  }
}

struct Chunk {
  size_t weight;
  int64_t begin, end;  // elements
};

}  // namespace

HostWeights randomWeights(const Plan &plan, uint64_t seed) {
  HostWeights weights;
  weights.buffers.resize(plan.weights.size());
  std::vector<Chunk> chunks;
  for (size_t i = 0; i < plan.weights.size(); ++i) {
    const WeightSpec &spec = plan.weights[i];
    int64_t n = weightElements(spec);
    // A quantized weight is cut at row boundaries: each chunk quantizes
    // whole rows.
    int64_t step = kChunkElements;
    if (spec.quant) step = std::max<int64_t>(1, kChunkElements / spec.shape[1]) * spec.shape[1];
    for (int64_t b = 0; b < n; b += step) chunks.push_back({i, b, std::min(n, b + step)});
  }
  parallelFor(weights.buffers.size(), [&](size_t i) {
    weights.buffers[i].resize(static_cast<size_t>(weightBytes(plan.weights[i])));
  });
  parallelFor(chunks.size(), [&](size_t c) {
    const Chunk &chunk = chunks[c];
    const WeightSpec &spec = plan.weights[chunk.weight];
    // 1-D weights are norm scales: around 1. Matrices: +-1/sqrt(fan_in),
    // the usual initialization, so that activations keep their scale.
    float center = 0, scale = 0.1f;
    if (spec.shape.size() > 1) {
      int64_t fan_in = 1;
      for (size_t d = 1; d < spec.shape.size(); ++d) fan_in *= spec.shape[d];
      scale = 1.0f / std::sqrt(static_cast<float>(fan_in));
    } else {
      center = 1.0f;
    }
    uint64_t state = seed ^ (0xD1B54A32D192ED03ull * (chunk.weight + 1));
    state = splitmix64(state) ^
            (0xA0761D6478BD642Full * static_cast<uint64_t>(chunk.begin / kChunkElements + 1));
    splitmix64(state);
    uint8_t *out = weights.buffers[chunk.weight].data();
    if (spec.quant) {
      // Random f32 rows, quantized as the loader would quantize a checkpoint.
      const int64_t k = spec.shape[1], n = chunk.end - chunk.begin;
      std::vector<float> rows(static_cast<size_t>(n));
      fill<DType::kF32>(reinterpret_cast<uint8_t *>(rows.data()), 0, n, center, scale, state);
      const int64_t row_bytes = quantRowBytes(*spec.quant, k).value_or(0);
      // Finite values of a verified shape: quantizing cannot fail.
      (void)quantizeRows(*spec.quant, rows.data(), n / k, k, out + chunk.begin / k * row_bytes);
      return;
    }
    switch (spec.dtype) {
      case DType::kF32:
        return fill<DType::kF32>(out, chunk.begin, chunk.end, center, scale, state);
      case DType::kBF16:
        return fill<DType::kBF16>(out, chunk.begin, chunk.end, center, scale, state);
      case DType::kF16:
        return fill<DType::kF16>(out, chunk.begin, chunk.end, center, scale, state);
      case DType::kI32:
        return;  // weights are never i32 (verifyPlan)
    }
  });
  return weights;
}

}  // namespace lfm
