// The safetensors writer: an 8-byte header length, a JSON header of
// {name: {dtype, shape, data_offsets}}, then the raw tensor bytes.
#include "DumpWeights.h"

#include <cstring>
#include <fstream>
#include <set>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "lfm/PlanLayout.h"
#include "lfm/QuantFormats.h"
#include "lfm/StatusMacros.h"
#include "lfm/WeightLoader.h"

namespace lfm::tools {
namespace {

const char *safetensorsDType(DType t) {
  switch (t) {
    case DType::kF32: return "F32";
    case DType::kBF16: return "BF16";
    case DType::kF16: return "F16";
    case DType::kI32: return "I32";
  }
  return "?";
}

}  // namespace

absl::Status dumpCheckpoint(const Plan &plan, const HostWeights &weights, const std::string &path) {
  if (weights.buffers.size() != plan.weights.size()) {
    return absl::InvalidArgumentError("--dump-weights: weights do not match the plan");
  }
  struct Piece {
    const uint8_t *data;
    int64_t bytes;
  };
  nlohmann::json header = nlohmann::json::object();
  std::vector<Piece> pieces;
  std::set<std::string> written;
  // Quantized weights are written dequantized, as f32: the dense checkpoint
  // whose run is the reference for the quantized kernels.
  std::vector<std::vector<float>> dequantized(plan.weights.size());
  int64_t offset = 0;
  for (size_t i = 0; i < plan.weights.size(); ++i) {
    const WeightSpec &w = plan.weights[i];
    const uint8_t *data = weights.buffers[i].data();
    int64_t size = static_cast<int64_t>(weights.buffers[i].size());
    DType dtype = w.dtype;
    if (w.quant) {
      if (w.shape.size() != 2 || size != weightBytes(w))
        return absl::InvalidArgumentError(
            absl::StrCat("--dump-weights: weight ", w.name, " does not match its spec"));
      dequantized[i].resize(static_cast<size_t>(w.shape[0] * w.shape[1]));
      LFM_RETURN_IF_ERROR(
          dequantizeRows(*w.quant, data, w.shape[0], w.shape[1], dequantized[i].data()));
      data = reinterpret_cast<const uint8_t *>(dequantized[i].data());
      size = static_cast<int64_t>(dequantized[i].size() * sizeof(float));
      dtype = DType::kF32;
    }
    const int64_t esize = dtypeSize(dtype);
    int64_t at = 0;
    for (const WeightSource &src : w.sources) {
      int64_t elements = 1;
      for (int64_t d : src.shape) elements *= d;
      const int64_t bytes = elements * esize;
      if (at + bytes > size) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--dump-weights: the sources of weight ", w.name, " exceed its bytes"));
      }
      if (written.insert(src.tensor).second) {
        header[src.tensor] = {{"dtype", safetensorsDType(dtype)},
                              {"shape", src.shape},
                              {"data_offsets", {offset, offset + bytes}}};
        pieces.push_back({data + at, bytes});
        offset += bytes;
      }
      at += bytes;
    }
  }
  std::string text = header.dump();
  while (text.size() % 8 != 0) text.push_back(' ');  // data 8-byte aligned
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) return absl::InternalError(absl::StrCat("--dump-weights: cannot open ", path));
  uint64_t len = text.size();
  unsigned char len_bytes[8];
  for (int b = 0; b < 8; ++b) len_bytes[b] = static_cast<unsigned char>(len >> (8 * b));
  f.write(reinterpret_cast<const char *>(len_bytes), 8);
  f.write(text.data(), static_cast<std::streamsize>(text.size()));
  for (const Piece &p : pieces) f.write(reinterpret_cast<const char *>(p.data), p.bytes);
  f.close();
  if (!f) return absl::InternalError(absl::StrCat("--dump-weights: cannot write ", path));
  return absl::OkStatus();
}

}  // namespace lfm::tools
