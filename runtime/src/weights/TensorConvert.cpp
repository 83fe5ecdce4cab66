// Converting checkpoint tensors between storage dtypes through float32.
// Safetensors data need not be aligned, so elements are read and written
// with memcpy (which compiles to plain unaligned loads and stores).
#include <cstring>

#include "absl/strings/str_cat.h"
#include "lfm/DTypeConvert.h"
#include "lfm/Gguf.h"
#include "lfm/Safetensors.h"

namespace lfm {
namespace {

float load(const uint8_t *p, DType t) {
  if (t == DType::kF32) {
    float f;
    std::memcpy(&f, p, 4);
    return f;
  }
  uint16_t h;
  std::memcpy(&h, p, 2);
  return t == DType::kBF16 ? bf16ToFloat(h) : f16ToFloat(h);
}

void store(uint8_t *p, DType t, float f) {
  if (t == DType::kF32) {
    std::memcpy(p, &f, 4);
    return;
  }
  uint16_t h = t == DType::kBF16 ? floatToBf16(f) : floatToF16(f);
  std::memcpy(p, &h, 2);
}

// One instantiation per (from, to) pair so that the dtype switches leave the
// inner loop.
template <DType From, DType To>
void convertLoop(const uint8_t *in, uint8_t *out, int64_t n) {
  constexpr int64_t kIn = From == DType::kF32 ? 4 : 2, kOut = To == DType::kF32 ? 4 : 2;
  for (int64_t i = 0; i < n; ++i) store(out + i * kOut, To, load(in + i * kIn, From));
}

template <DType From>
void convertFrom(const uint8_t *in, DType to, uint8_t *out, int64_t n) {
  switch (to) {
    case DType::kF32:
      return convertLoop<From, DType::kF32>(in, out, n);
    case DType::kBF16:
      return convertLoop<From, DType::kBF16>(in, out, n);
    case DType::kF16:
      return convertLoop<From, DType::kF16>(in, out, n);
    case DType::kI32:
      return;  // rejected by the caller
  }
}

}  // namespace

absl::StatusOr<DType> supportedDType(const SafetensorsTensor &tensor, const std::string &where) {
  if (tensor.dtype == "F32") return DType::kF32;
  if (tensor.dtype == "BF16") return DType::kBF16;
  if (tensor.dtype == "F16") return DType::kF16;
  if (tensor.ggml_type) {
    std::string type = ggmlTypeName(*tensor.ggml_type);
    if (isLoadableGgmlType(*tensor.ggml_type))
      return absl::UnimplementedError(absl::StrCat(
          "tensor '", tensor.name, "' ('", tensor.gguf_name, "' in '", where, "') is ", type,
          ": a quantized weight plan is needed"));
    return absl::InvalidArgumentError(absl::StrCat(
        "tensor '", tensor.name, "' ('", tensor.gguf_name, "' in '", where, "') is ", type,
        ", which lfm does not load (only f32, f16, bf16, q8_0, q4_0, q4_k and q6_k)"));
  }
  return absl::InvalidArgumentError(absl::StrCat("tensor '", tensor.name, "' in '", where,
                                                 "' has dtype ", tensor.dtype,
                                                 "; only F32, BF16 and F16 are supported"));
}

absl::Status convertTensor(const SafetensorsTensor &tensor, const std::string &where, DType to,
                           std::span<uint8_t> out) {
  absl::StatusOr<DType> from = supportedDType(tensor, where);
  if (!from.ok()) return from.status();
  if (to == DType::kI32)
    return absl::InvalidArgumentError(
        absl::StrCat("cannot convert tensor '", tensor.name, "' to i32"));
  int64_t n = static_cast<int64_t>(tensor.data.size()) / dtypeSize(*from);
  if (static_cast<int64_t>(out.size()) != n * dtypeSize(to))
    return absl::InternalError(absl::StrCat("converting tensor '", tensor.name, "': output holds ",
                                            out.size(), " bytes, expected ", n * dtypeSize(to)));
  if (*from == to) {
    if (n > 0) std::memcpy(out.data(), tensor.data.data(), out.size());
    return absl::OkStatus();
  }
  switch (*from) {
    case DType::kF32:
      convertFrom<DType::kF32>(tensor.data.data(), to, out.data(), n);
      break;
    case DType::kBF16:
      convertFrom<DType::kBF16>(tensor.data.data(), to, out.data(), n);
      break;
    case DType::kF16:
      convertFrom<DType::kF16>(tensor.data.data(), to, out.data(), n);
      break;
    case DType::kI32:
      break;
  }
  return absl::OkStatus();
}

}  // namespace lfm
