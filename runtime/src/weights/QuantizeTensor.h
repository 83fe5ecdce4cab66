// A checkpoint tensor [rows, k] into a block-quantized buffer: a GGUF
// tensor already in the format is copied as it is; any other (f32, f16,
// bf16, or another quantized format, dequantized first) is converted to f32
// and quantized with ggml's reference quantizer, a few rows at a time.
#ifndef LFM_WEIGHTS_QUANTIZETENSOR_H
#define LFM_WEIGHTS_QUANTIZETENSOR_H

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "absl/status/status.h"
#include "lfm/QuantFormats.h"
#include "lfm/Safetensors.h"

namespace lfm {

// The quantized format a GGUF tensor holds, if it holds one lfm reads.
std::optional<QuantFormat> tensorQuantFormat(const SafetensorsTensor &tensor);

// Fills `out` (quantMatrixBytes(to, rows, k) bytes) from the 2-D `tensor`;
// errors name the tensor and `where` (its file).
absl::Status quantizeTensor(const SafetensorsTensor &tensor, const std::string &where,
                            QuantFormat to, std::span<uint8_t> out);

}  // namespace lfm

#endif  // LFM_WEIGHTS_QUANTIZETENSOR_H
