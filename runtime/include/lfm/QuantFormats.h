// Block-quantized weight formats, bit-compatible with GGUF / ggml's block
// layouts, so that GGUF tensors load without re-quantizing:
//
//   format  elements/block  bytes/block  block (little-endian)
//   q8_0         32             34       f16 d; int8 qs[32]            x = d*q
//   q4_0         32             18       f16 d; u8 qs[16]              x = d*(q-8)
//   q4_k        256            144       f16 d, dmin; u8 scales[12]; u8 qs[128]
//                                        8 sub-blocks of 32: x = d*sc*q - dmin*m
//                                        (6-bit sc, m packed in scales)
//   q6_k        256            210       u8 ql[128]; u8 qh[64]; int8 scales[16]; f16 d
//                                        16 sub-blocks of 16: x = d*sc*(q-32)
//
// A quantized row of K elements is K / block_elems blocks, one after
// another; a [rows, K] matrix is its rows one after another (no padding).
//
// The quantizers are ggml's reference (non-imatrix) ones, reimplemented:
// quantizeRows gives the same bytes as ggml's quantize_row_{q8_0,q4_0,q4_K,
// q6_K}_ref (tests/data/quant holds goldens from llama.cpp's own code), and
// dequantizeRows the same floats as its dequantize_row_*.
#ifndef LFM_QUANTFORMATS_H
#define LFM_QUANTFORMATS_H

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lfm {

enum class QuantFormat : uint8_t { kQ8_0, kQ4_0, kQ4_K, kQ6_K };

inline constexpr QuantFormat kAllQuantFormats[] = {QuantFormat::kQ8_0, QuantFormat::kQ4_0,
                                                   QuantFormat::kQ4_K, QuantFormat::kQ6_K};

// Elements per block: 32 (q8_0, q4_0) or 256 (q4_k, q6_k).
int64_t quantBlockElems(QuantFormat format);
// Bytes per block: 34, 18, 144, 210.
int64_t quantBlockBytes(QuantFormat format);
// "q8_0", "q4_0", "q4_k", "q6_k".
const char *quantFormatName(QuantFormat format);
// The format a name names (as quantFormatName writes it; case-insensitive),
// or an error listing the formats.
absl::StatusOr<QuantFormat> parseQuantFormat(absl::string_view name);

// ggml's type id of a format (GGML_TYPE_Q4_0 = 2, Q8_0 = 8, Q4_K = 12,
// Q6_K = 14), and back; an id of another type is an error naming it.
uint32_t ggmlTypeOf(QuantFormat format);
absl::StatusOr<QuantFormat> quantFormatFromGgmlType(uint32_t ggml_type);

// Bytes of one quantized row of k elements; an error unless k is a positive
// multiple of the block size.
absl::StatusOr<int64_t> quantRowBytes(QuantFormat format, int64_t k);
// Bytes of a [rows, k] quantized matrix; errors as quantRowBytes, or for
// negative rows or a size past int64.
absl::StatusOr<int64_t> quantMatrixBytes(QuantFormat format, int64_t rows, int64_t k);

// Quantizes rows x k float32 values (row-major) into quantMatrixBytes bytes
// at `out`, as ggml's reference quantizer does. An error for a bad shape or
// a value that is not finite (naming its row and column); `out` is then
// unspecified.
absl::Status quantizeRows(QuantFormat format, const float *x, int64_t rows, int64_t k,
                          uint8_t *out);
// The same into a new vector.
absl::StatusOr<std::vector<uint8_t>> quantizeRows(QuantFormat format, const float *x,
                                                  int64_t rows, int64_t k);
// Dequantizes a [rows, k] matrix of quantMatrixBytes bytes at `q` into
// rows * k floats at `out`, as ggml's dequantize_row_* does.
absl::Status dequantizeRows(QuantFormat format, const uint8_t *q, int64_t rows, int64_t k,
                            float *out);

}  // namespace lfm

#endif  // LFM_QUANTFORMATS_H
