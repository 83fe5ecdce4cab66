// The format table (lfm/QuantFormats.h), shape checks, and the dispatch to
// the per-format block quantizers (Q8_0.cpp, Q4_0.cpp, Q4_K.cpp, Q6_K.cpp).
#include "lfm/QuantFormats.h"

#include <cmath>
#include <limits>

#include "Blocks.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "lfm/StatusMacros.h"

namespace lfm {
namespace {

struct FormatInfo {
  QuantFormat format;
  const char *name;
  int64_t elems, bytes;
  uint32_t ggml_type;
  void (*quantize)(const float *, int64_t, uint8_t *);
  void (*dequantize)(const uint8_t *, int64_t, float *);
};

constexpr FormatInfo kFormats[] = {
    {QuantFormat::kQ8_0, "q8_0", quant::kQ8_0Elems, quant::kQ8_0Bytes, 8, quant::quantizeQ8_0,
     quant::dequantizeQ8_0},
    {QuantFormat::kQ4_0, "q4_0", quant::kQ4_0Elems, quant::kQ4_0Bytes, 2, quant::quantizeQ4_0,
     quant::dequantizeQ4_0},
    {QuantFormat::kQ4_K, "q4_k", quant::kQ4_KElems, quant::kQ4_KBytes, 12, quant::quantizeQ4_K,
     quant::dequantizeQ4_K},
    {QuantFormat::kQ6_K, "q6_k", quant::kQ6_KElems, quant::kQ6_KBytes, 14, quant::quantizeQ6_K,
     quant::dequantizeQ6_K},
};

const FormatInfo &info(QuantFormat format) {
  for (const FormatInfo &f : kFormats) {
    if (f.format == format) return f;
  }
  return kFormats[0];  // unreachable for a valid enum value
}

absl::Status checkShape(QuantFormat format, int64_t rows, int64_t k) {
  const FormatInfo &f = info(format);
  if (k <= 0 || k % f.elems != 0) {
    return absl::InvalidArgumentError(absl::StrCat(f.name, ": a row of ", k,
                                                   " elements is not a positive multiple of the "
                                                   "block size ",
                                                   f.elems));
  }
  if (rows < 0) {
    return absl::InvalidArgumentError(absl::StrCat(f.name, ": negative row count ", rows));
  }
  return absl::OkStatus();
}

}  // namespace

int64_t quantBlockElems(QuantFormat format) { return info(format).elems; }
int64_t quantBlockBytes(QuantFormat format) { return info(format).bytes; }
const char *quantFormatName(QuantFormat format) { return info(format).name; }
uint32_t ggmlTypeOf(QuantFormat format) { return info(format).ggml_type; }

absl::StatusOr<QuantFormat> parseQuantFormat(absl::string_view name) {
  const std::string lower = absl::AsciiStrToLower(name);
  for (const FormatInfo &f : kFormats) {
    if (lower == f.name) return f.format;
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown quantized format \"", name,
                                                 "\" (known: q8_0, q4_0, q4_k, q6_k)"));
}

absl::StatusOr<QuantFormat> quantFormatFromGgmlType(uint32_t ggml_type) {
  for (const FormatInfo &f : kFormats) {
    if (f.ggml_type == ggml_type) return f.format;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("ggml type ", ggml_type, " is not a supported quantized format"));
}

absl::StatusOr<int64_t> quantRowBytes(QuantFormat format, int64_t k) {
  LFM_RETURN_IF_ERROR(checkShape(format, 0, k));
  return k / info(format).elems * info(format).bytes;
}

absl::StatusOr<int64_t> quantMatrixBytes(QuantFormat format, int64_t rows, int64_t k) {
  LFM_RETURN_IF_ERROR(checkShape(format, rows, k));
  const int64_t row_bytes = k / info(format).elems * info(format).bytes;
  if (rows > 0 && row_bytes > std::numeric_limits<int64_t>::max() / rows) {
    return absl::InvalidArgumentError(absl::StrCat(quantFormatName(format), ": a [", rows, ", ",
                                                   k, "] matrix is too large"));
  }
  return rows * row_bytes;
}

absl::Status quantizeRows(QuantFormat format, const float *x, int64_t rows, int64_t k,
                          uint8_t *out) {
  LFM_ASSIGN_OR_RETURN(const int64_t row_bytes, quantRowBytes(format, k));
  LFM_RETURN_IF_ERROR(checkShape(format, rows, k));
  const FormatInfo &f = info(format);
  for (int64_t r = 0; r < rows; ++r) {
    const float *row = x + r * k;
    for (int64_t i = 0; i < k; ++i) {
      if (!std::isfinite(row[i])) {
        return absl::InvalidArgumentError(absl::StrCat(f.name, ": cannot quantize row ", r,
                                                       " column ", i, ": value ", row[i],
                                                       " is not finite"));
      }
    }
    f.quantize(row, k / f.elems, out + r * row_bytes);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<uint8_t>> quantizeRows(QuantFormat format, const float *x,
                                                  int64_t rows, int64_t k) {
  LFM_ASSIGN_OR_RETURN(const int64_t bytes, quantMatrixBytes(format, rows, k));
  std::vector<uint8_t> out(static_cast<size_t>(bytes));
  LFM_RETURN_IF_ERROR(quantizeRows(format, x, rows, k, out.data()));
  return out;
}

absl::Status dequantizeRows(QuantFormat format, const uint8_t *q, int64_t rows, int64_t k,
                            float *out) {
  LFM_ASSIGN_OR_RETURN(const int64_t bytes, quantMatrixBytes(format, rows, k));
  (void)bytes;
  const FormatInfo &f = info(format);
  f.dequantize(q, rows * (k / f.elems), out);
  return absl::OkStatus();
}

}  // namespace lfm
