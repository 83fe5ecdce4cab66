// Reading Hugging Face safetensors checkpoints, memory-mapped.
//
// A .safetensors file is an 8-byte little-endian header length N, N bytes of
// JSON {"name": {"dtype": "F32", "shape": [..], "data_offsets": [b, e]}, ...,
// "__metadata__": {...}}, then the data; offsets are relative to the byte
// after the header. Opening a file verifies the whole header (every offset
// inside the file, end >= begin, byte size == numel * dtype size) so a lying
// header is an error, not an out-of-bounds read.
//
// A checkpoint is a folder with model.safetensors, a folder with sharded
// files and model.safetensors.index.json ({"weight_map": {tensor: file}}),
// one .safetensors file, or an LFM2 GGUF file (lfm/GgufLfm2.h), whose
// tensors it shows under their Hugging Face names and shapes.
#ifndef LFM_SAFETENSORS_H
#define LFM_SAFETENSORS_H

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lfm/MappedFile.h"
#include "lfm/Plan.h"

namespace lfm {

struct SafetensorsTensor {
  std::string name;
  std::string dtype;  // as in the file: "F32", "BF16", "F16", "I64", ...
  std::vector<int64_t> shape;
  std::span<const uint8_t> data;  // a view into the mapped file
  // Set when the tensor is a view of a GGUF tensor (lfm/GgufLfm2.h): its
  // name in the GGUF and its ggml type id (lfm/Gguf.h); `data` holds its raw
  // bytes, quantized blocks included.
  std::string gguf_name;
  std::optional<uint32_t> ggml_type;

  int64_t numel() const;
};

// The storage dtype of a tensor if the runtime can convert it (F32, BF16,
// F16), else an error naming the tensor, its dtype and `where` (the file); a
// quantized GGUF tensor says that it needs a quantized weight plan.
absl::StatusOr<DType> supportedDType(const SafetensorsTensor &tensor, const std::string &where);

// Converts `tensor` (F32, BF16 or F16) to `to`, through float32, into
// `out`, which holds exactly numel * dtypeSize(to) bytes. Unaligned data is
// fine.
absl::Status convertTensor(const SafetensorsTensor &tensor, const std::string &where, DType to,
                           std::span<uint8_t> out);

class SafetensorsFile {
 public:
  // Maps and verifies one .safetensors file.
  static absl::StatusOr<SafetensorsFile> open(const std::string &path);

  const std::string &path() const { return file_->path(); }
  // nullptr if absent.
  const SafetensorsTensor *find(std::string_view name) const;
  const std::map<std::string, SafetensorsTensor, std::less<>> &tensors() const { return tensors_; }

 private:
  SafetensorsFile(std::shared_ptr<const MappedFile> file,
                  std::map<std::string, SafetensorsTensor, std::less<>> tensors)
      : file_(std::move(file)), tensors_(std::move(tensors)) {}

  std::shared_ptr<const MappedFile> file_;  // keeps the tensors' views valid
  std::map<std::string, SafetensorsTensor, std::less<>> tensors_;
};

class GgufFile;

class Checkpoint {
 public:
  // A folder (model.safetensors, else model.safetensors.index.json), a
  // .safetensors file or a GGUF file (told by its magic). Every file is
  // opened and verified here.
  static absl::StatusOr<Checkpoint> open(const std::string &path);

  const std::string &path() const { return path_; }
  // The tensor, or an error naming it and the checkpoint.
  absl::StatusOr<const SafetensorsTensor *> tensor(std::string_view name) const;
  // The file a tensor is in (for messages); empty if absent.
  std::string fileOf(std::string_view name) const;
  // All tensor names, sorted.
  std::vector<std::string> tensorNames() const;
  // The GGUF file when the checkpoint is one (for its config and
  // tokenizer), else nullptr.
  const GgufFile *gguf() const { return gguf_.get(); }

 private:
  static absl::StatusOr<Checkpoint> openGguf(const std::string &path);

  Checkpoint(std::string path, std::vector<SafetensorsFile> files,
             std::map<std::string, size_t, std::less<>> index)
      : path_(std::move(path)), files_(std::move(files)), index_(std::move(index)) {}

  std::string path_;
  std::vector<SafetensorsFile> files_;
  // tensor name -> position in files_
  std::map<std::string, size_t, std::less<>> index_;
  // A GGUF checkpoint: the file and its tensors by HF name (files_ empty).
  std::shared_ptr<const GgufFile> gguf_;
  std::map<std::string, SafetensorsTensor, std::less<>> gguf_tensors_;
};

}  // namespace lfm

#endif  // LFM_SAFETENSORS_H
