#include "WeightPanels.h"

#include <cstring>

#include "lfm/OpSchema.h"

namespace lfm::cpu {

bool panelsFit(const Plan &plan, size_t index) {
  const WeightSpec &spec = plan.weights[index];
  if (spec.dtype != DType::kF32 || spec.quant || spec.shape.size() != 2) return false;
  const int64_t n = spec.shape[0];
  if (n <= 0 || spec.shape[1] <= 0 || n % kPanelRows != 0) return false;
  bool read = false;
  for (const Launch &launch : plan.launches) {
    for (size_t o = 0; o < launch.operands.size(); ++o) {
      const BufferRef ref = launch.operands[o];
      if (ref.kind != BufferRef::kWeight || ref.index != static_cast<int64_t>(index)) continue;
      if (launch.op != OpKind::kLinear || o != 1) return false;
      const auto epilogue = static_cast<LinearEpilogue>(launch.attr(IntAttr::kEpilogue));
      if (epilogue == LinearEpilogue::kSwiglu && n % (2 * kPanelRows) != 0) return false;
      read = true;
    }
  }
  return read;
}

std::vector<uint8_t> packPanels(std::span<const uint8_t> w, int64_t n, int64_t k) {
  std::vector<uint8_t> out(w.size());
  const auto *src = reinterpret_cast<const float *>(w.data());
  auto *dst = reinterpret_cast<float *>(out.data());
  // Written in order, read from the panel's 16 rows side by side.
  for (int64_t p = 0; p < n / kPanelRows; ++p) {
    const float *rows = src + p * kPanelRows * k;
    for (int64_t i = 0; i < k; ++i) {
      for (int64_t j = 0; j < kPanelRows; ++j) *dst++ = rows[j * k + i];
    }
  }
  return out;
}

void unpackPanels(const float *panels, int64_t n, int64_t k, float *w) {
  for (int64_t c = 0; c < n; ++c) {
    for (int64_t i = 0; i < k; ++i) w[c * k + i] = panels[panelIndex(c, i, k)];
  }
}

}  // namespace lfm::cpu
