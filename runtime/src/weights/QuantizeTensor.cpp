#include "weights/QuantizeTensor.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "lfm/StatusMacros.h"

namespace lfm {
namespace {

// Rows converted to f32 at a time: bounds the scratch memory of a large
// embedding table.
constexpr int64_t kChunkRows = 64;

absl::Status tensorError(const SafetensorsTensor &t, const std::string &where,
                         absl::string_view message) {
  return absl::InvalidArgumentError(
      absl::StrCat("tensor '", t.name, "' in '", where, "': ", message));
}

}  // namespace

std::optional<QuantFormat> tensorQuantFormat(const SafetensorsTensor &tensor) {
  if (!tensor.ggml_type) return std::nullopt;
  absl::StatusOr<QuantFormat> format = quantFormatFromGgmlType(*tensor.ggml_type);
  if (!format.ok()) return std::nullopt;
  return *format;
}

absl::Status quantizeTensor(const SafetensorsTensor &tensor, const std::string &where,
                            QuantFormat to, std::span<uint8_t> out) {
  if (tensor.shape.size() != 2)
    return tensorError(tensor, where,
                       absl::StrCat("a ", quantFormatName(to), " weight needs 2-D sources"));
  const int64_t rows = tensor.shape[0], k = tensor.shape[1];
  absl::StatusOr<int64_t> row_bytes = quantRowBytes(to, k);
  if (!row_bytes.ok()) return tensorError(tensor, where, row_bytes.status().message());
  if (static_cast<int64_t>(out.size()) != rows * *row_bytes)
    return absl::InternalError(absl::StrCat("quantizing tensor '", tensor.name, "': output holds ",
                                            out.size(), " bytes, expected ", rows * *row_bytes));
  const std::optional<QuantFormat> from = tensorQuantFormat(tensor);
  int64_t source_row_bytes = 0;
  if (from) {
    absl::StatusOr<int64_t> bytes = quantRowBytes(*from, k);
    if (!bytes.ok()) return tensorError(tensor, where, bytes.status().message());
    source_row_bytes = *bytes;
  } else {
    LFM_ASSIGN_OR_RETURN(DType dtype, supportedDType(tensor, where));
    source_row_bytes = k * dtypeSize(dtype);
  }
  if (static_cast<int64_t>(tensor.data.size()) != rows * source_row_bytes)
    return tensorError(tensor, where,
                       absl::StrCat("holds ", tensor.data.size(), " bytes, its shape needs ",
                                    rows * source_row_bytes));
  // The GGUF's own blocks, byte for byte.
  if (from == to) {
    if (!out.empty()) std::memcpy(out.data(), tensor.data.data(), out.size());
    return absl::OkStatus();
  }
  std::vector<float> f32(static_cast<size_t>(std::min(rows, kChunkRows) * k));
  SafetensorsTensor view = tensor;  // a few rows of it, for convertTensor
  for (int64_t r = 0; r < rows; r += kChunkRows) {
    const int64_t n = std::min(kChunkRows, rows - r);
    std::span<const uint8_t> source =
        tensor.data.subspan(static_cast<size_t>(r * source_row_bytes),
                            static_cast<size_t>(n * source_row_bytes));
    if (from) {
      LFM_RETURN_IF_ERROR(dequantizeRows(*from, source.data(), n, k, f32.data()));
    } else {
      view.data = source;
      view.shape = {n, k};
      LFM_RETURN_IF_ERROR(convertTensor(
          view, where, DType::kF32,
          {reinterpret_cast<uint8_t *>(f32.data()), static_cast<size_t>(n * k * 4)}));
    }
    absl::Status st = quantizeRows(to, f32.data(), n, k, out.data() + r * *row_bytes);
    if (!st.ok())
      return tensorError(tensor, where, absl::StrCat("rows from ", r, ": ", st.message()));
  }
  return absl::OkStatus();
}

}  // namespace lfm
