// Loading and storing runs of elements of any storage dtype as float32: the
// one place that knows the storage formats, so every kernel computes in f32
// and rounds to the buffer's dtype on store (Plan.h).
#ifndef LFM_RUNTIME_CPU_ELEMENTIO_H
#define LFM_RUNTIME_CPU_ELEMENTIO_H

#include <cstdint>
#include <cstring>

#include "lfm/DTypeConvert.h"
#include "lfm/Plan.h"

namespace lfm::cpu {

// dst[i] = float(src element i), for i < n. Elements are read with memcpy
// because buffers are raw bytes.
inline void loadFloats(const uint8_t *src, DType dtype, int64_t n, float *dst) {
  switch (dtype) {
    case DType::kF32:
      std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
      return;
    case DType::kBF16:  // a loop of its own per dtype: the compiler vectorizes it
      for (int64_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, src + 2 * i, 2);
        dst[i] = bf16ToFloat(h);
      }
      return;
    case DType::kF16:
      for (int64_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, src + 2 * i, 2);
        dst[i] = f16ToFloat(h);
      }
      return;
    case DType::kI32:
      for (int64_t i = 0; i < n; ++i) {
        int32_t v;
        std::memcpy(&v, src + 4 * i, 4);
        dst[i] = static_cast<float>(v);
      }
      return;
  }
}

// Element i of dst = src[i] rounded to `dtype`, for i < n.
inline void storeFloats(const float *src, int64_t n, DType dtype, uint8_t *dst) {
  switch (dtype) {
    case DType::kF32:
      std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
      return;
    case DType::kBF16:
      for (int64_t i = 0; i < n; ++i) {
        const uint16_t h = floatToBf16(src[i]);
        std::memcpy(dst + 2 * i, &h, 2);
      }
      return;
    case DType::kF16:
      for (int64_t i = 0; i < n; ++i) {
        const uint16_t h = floatToF16(src[i]);
        std::memcpy(dst + 2 * i, &h, 2);
      }
      return;
    case DType::kI32:
      for (int64_t i = 0; i < n; ++i) {
        int32_t v = static_cast<int32_t>(src[i]);
        std::memcpy(dst + 4 * i, &v, 4);
      }
      return;
  }
}

// v[i] = float(round_to_dtype(v[i])): what a store and a reload would give.
inline void roundToDType(float *v, int64_t n, DType dtype) {
  switch (dtype) {
    case DType::kF32:
      return;
    case DType::kBF16:
      for (int64_t i = 0; i < n; ++i) v[i] = bf16ToFloat(floatToBf16(v[i]));
      return;
    case DType::kF16:
      for (int64_t i = 0; i < n; ++i) v[i] = f16ToFloat(floatToF16(v[i]));
      return;
    case DType::kI32:
      for (int64_t i = 0; i < n; ++i) v[i] = static_cast<float>(static_cast<int32_t>(v[i]));
      return;
  }
}

}  // namespace lfm::cpu

#endif  // LFM_RUNTIME_CPU_ELEMENTIO_H
