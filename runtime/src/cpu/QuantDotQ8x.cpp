// Quantized x (XFormat::kQ8, QuantDot.h): the row quantizer, shared by
// every Isa so that all of them see the same codes, and the portable
// tiles, which take each output element block by block in plain C++:
// exact integer block dots, then the block's float term added to one
// float accumulator in block order.
#include <cmath>
#include <cstring>

#include "QuantDot.h"
#include "QuantDotTileLoop.h"
#include "quant/Blocks.h"

namespace lfm::cpu {

void quantizeXRowsQ8(const float *x, int64_t x_stride, int64_t rows, int64_t k, uint8_t *out,
                     int64_t out_stride) {
  for (int64_t r = 0; r < rows; ++r) {
    const float *xr = x + r * x_stride;
    uint8_t *row = out + r * out_stride;
    auto *q = reinterpret_cast<int8_t *>(row);
    for (int64_t b = 0; b < k / 32; ++b) {
      float amax = 0.0f;
      for (int i = 0; i < 32; ++i) amax = std::fmax(amax, std::fabs(xr[32 * b + i]));
      const float scale = amax / 127.0f, inv = amax != 0.0f ? 127.0f / amax : 0.0f;
      std::memcpy(row + q8xScaleOffset(k, b), &scale, 4);
      // Round to nearest even (|x * inv| <= 127 + rounding, so the trick holds).
      int16_t half[2] = {0, 0};  // |sum| <= 16 * 128
      for (int i = 0; i < 32; ++i) {
        q[32 * b + i] = static_cast<int8_t>(quant::nearestInt(xr[32 * b + i] * inv));
        half[i / 16] = static_cast<int16_t>(half[i / 16] + q[32 * b + i]);
      }
      std::memcpy(row + q8xSumsOffset(k, b), half, 4);
      const float scaled_sum = scale * static_cast<float>(half[0] + half[1]);
      std::memcpy(row + q8xScaledSumOffset(k, b), &scaled_sum, 4);
    }
  }
}

bool haveAvx512Vnni() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  static const bool have = __builtin_cpu_supports("avx512vnni");
  return have;
#else
  return false;
#endif
}

namespace {

using namespace quant;

inline float floatAt(const uint8_t *p) {
  float f;
  std::memcpy(&f, p, 4);
  return f;
}

// The float term of x block b (32 elements, codes xq, scale dx) against the
// weight row `w` (of blocks of F).
struct Q8_0 {
  static constexpr int64_t kElems = kQ8_0Elems, kBytes = kQ8_0Bytes;
  static float term(const uint8_t *w, int64_t b, const int8_t *xq, float dx) {
    const uint8_t *blk = w + b * kBytes;
    const auto *qs = reinterpret_cast<const int8_t *>(blk + 2);
    int32_t s = 0;
    for (int i = 0; i < 32; ++i) s += qs[i] * xq[i];
    return loadF16(blk) * dx * static_cast<float>(s);
  }
};

struct Q4_0 {
  static constexpr int64_t kElems = kQ4_0Elems, kBytes = kQ4_0Bytes;
  static float term(const uint8_t *w, int64_t b, const int8_t *xq, float dx) {
    const uint8_t *blk = w + b * kBytes;
    int32_t s = 0;
    for (int i = 0; i < 16; ++i) {
      s += ((blk[2 + i] & 15) - 8) * xq[i] + ((blk[2 + i] >> 4) - 8) * xq[i + 16];
    }
    return loadF16(blk) * dx * static_cast<float>(s);
  }
};

struct Q4_K {
  static constexpr int64_t kElems = kQ4_KElems, kBytes = kQ4_KBytes;
  static float term(const uint8_t *w, int64_t b, const int8_t *xq, float dx) {
    const uint8_t *blk = w + (b / 8) * kBytes;
    const int j = static_cast<int>(b % 8);
    uint8_t sc, m;
    q4kScaleMin(j, blk + kQ4_KScales, &sc, &m);
    const uint8_t *qs = blk + kQ4_KQs + 32 * (j / 2);
    const int shift = 4 * (j % 2);
    int32_t s = 0, xsum = 0;
    for (int i = 0; i < 32; ++i) {
      s += ((qs[i] >> shift) & 15) * xq[i];
      xsum += xq[i];
    }
    const float a = loadF16(blk) * sc * dx, mn = loadF16(blk + 2) * m * dx;
    return a * static_cast<float>(s) - mn * static_cast<float>(xsum);
  }
};

struct Q6_K {
  static constexpr int64_t kElems = kQ6_KElems, kBytes = kQ6_KBytes;
  static float term(const uint8_t *w, int64_t b, const int8_t *xq, float dx) {
    const uint8_t *blk = w + (b / 8) * kBytes;
    const int n = static_cast<int>(b % 8) / 4, t = static_cast<int>(b % 4);
    const uint8_t *ql = blk + 64 * n + 32 * (t & 1), *qh = blk + kQ6_KQh + 32 * n;
    const auto *scales = reinterpret_cast<const int8_t *>(blk + kQ6_KScales) + 8 * n + 2 * t;
    int32_t half[2] = {0, 0};
    for (int i = 0; i < 32; ++i) {
      const int lo = t < 2 ? ql[i] & 15 : ql[i] >> 4, hi = (qh[i] >> (2 * t)) & 3;
      half[i / 16] += ((lo | (hi << 4)) - 32) * xq[i];
    }
    const int32_t s = scales[0] * half[0] + scales[1] * half[1];
    return loadF16(blk + kQ6_KD) * dx * static_cast<float>(s);
  }
};

template <class F>
struct Micro {
  using XElem = uint8_t;
  static constexpr int64_t kElems = F::kElems, kBytes = F::kBytes;

  template <int M, int N>
  static void run(const uint8_t *x, int64_t xs, const uint8_t *w, int64_t rb, int64_t blocks,
                  float *out, int64_t os) {
    const int64_t k = blocks * kElems;
    for (int r = 0; r < M; ++r) {
      const auto *xq = reinterpret_cast<const int8_t *>(x + r * xs);
      const uint8_t *row = x + r * xs;
      for (int j = 0; j < N; ++j) {
        float acc = 0.0f;
        for (int64_t b = 0; b < k / 32; ++b) {
          acc += F::term(w + j * rb, b, xq + 32 * b, floatAt(row + q8xScaleOffset(k, b)));
        }
        out[r * os + j] = acc;
      }
    }
  }
};

}  // namespace

DotKernel portableQuantDotKernelQ8x(QuantFormat format) {
  switch (format) {
    case QuantFormat::kQ8_0: return {XFormat::kQ8, quantTileLoop<Micro<Q8_0>, 1, 1>};
    case QuantFormat::kQ4_0: return {XFormat::kQ8, quantTileLoop<Micro<Q4_0>, 1, 1>};
    case QuantFormat::kQ4_K: return {XFormat::kQ8, quantTileLoop<Micro<Q4_K>, 1, 1>};
    case QuantFormat::kQ6_K: return {XFormat::kQ8, quantTileLoop<Micro<Q6_K>, 1, 1>};
  }
  return {};
}

}  // namespace lfm::cpu
