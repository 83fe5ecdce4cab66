// Reading GGUF files (llama.cpp's checkpoint format), memory-mapped.
//
// A GGUF file (versions 2 and 3; little-endian) is:
//   "GGUF", u32 version, u64 tensor_count, u64 kv_count,
//   kv_count x (string key, u32 value type, value),
//   tensor_count x (string name, u32 n_dims, u64 dims[n_dims] (ggml order:
//                   dims[0] is the innermost), u32 ggml type, u64 offset),
//   padding to `general.alignment` (default 32), then the tensor data; each
//   offset is relative to the start of the data and a multiple of the
//   alignment. A string is a u64 length and that many bytes (no NUL); an
//   array is a u32 element type, a u64 count and the elements.
//
// Opening a file checks all of it before anything is used: every count and
// length is bounded by the bytes left in the file before anything is
// allocated, nesting is bounded, offsets and sizes are overflow-checked and
// every tensor's bytes lie inside the file, names are unique. A hostile file
// is an error naming the file and the field, never a crash.
#ifndef LFM_GGUF_H
#define LFM_GGUF_H

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

namespace lfm {

// ggml's tensor types, by their ids in ggml.h.
enum class GgmlType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ8_0 = 8,
  kQ4_K = 12,
  kQ6_K = 14,
  kBF16 = 30,
};

// What ggml knows of a type id: its name ("q5_0", "iq2_xxs"), elements per
// block and bytes per block. Ids ggml does not define: nullptr.
struct GgmlTypeInfo {
  uint32_t id;
  const char *name;
  int64_t block_size;
  int64_t type_size;
};
const GgmlTypeInfo *ggmlTypeInfo(uint32_t id);
// The name of a type id, or "type <id>" for an id ggml does not define.
std::string ggmlTypeName(uint32_t id);
// F32, F16, BF16, Q8_0, Q4_0, Q4_K and Q6_K: the types lfm loads.
bool isLoadableGgmlType(uint32_t id);

// GGUF metadata value types.
enum class GgufType : uint32_t {
  kUint8 = 0,
  kInt8 = 1,
  kUint16 = 2,
  kInt16 = 3,
  kUint32 = 4,
  kInt32 = 5,
  kFloat32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kUint64 = 10,
  kInt64 = 11,
  kFloat64 = 12,
};
const char *ggufTypeName(GgufType type);  // "uint32", "string", "array", ...

// One metadata value. Strings and arrays of scalars are views into the
// mapped file, valid while the GgufFile lives.
class GgufValue {
 public:
  GgufType type() const { return type_; }

  // Any integer type whose value fits int64 (a uint64 above INT64_MAX does
  // not); nullopt otherwise.
  std::optional<int64_t> asInt() const;
  // float32, float64, or an integer.
  std::optional<double> asFloat() const;
  std::optional<bool> asBool() const;
  std::optional<std::string_view> asString() const;

  // Arrays: the element type and count, and element i (0 <= i < size()).
  bool isArray() const { return type_ == GgufType::kArray; }
  GgufType elementType() const { return element_type_; }
  size_t size() const;
  GgufValue element(size_t i) const;
  // An array of strings, all at once; empty for other arrays.
  const std::vector<std::string_view> &strings() const { return strings_; }

  // "a string", "an array of uint32", ... for messages.
  std::string describe() const;

 private:
  friend class GgufParser;
  GgufType type_ = GgufType::kUint8;
  GgufType element_type_ = GgufType::kUint8;
  uint64_t bits_ = 0;                      // integer and bool scalars
  double float_ = 0;                       // float32/float64 scalars
  std::string_view string_;                // string scalars
  std::span<const uint8_t> raw_;           // arrays of fixed-size scalars
  std::vector<std::string_view> strings_;  // arrays of strings
  std::vector<GgufValue> arrays_;          // arrays of arrays
};

struct GgufTensor {
  std::string name;
  std::vector<int64_t> dims;  // ggml order: dims[0] is the innermost
  uint32_t type = 0;          // ggml type id (see GgmlType)
  uint64_t offset = 0;        // relative to the start of the data section
  int64_t numel = 0;
  std::span<const uint8_t> data;  // its bytes in the mapped file

  std::string typeName() const { return ggmlTypeName(type); }
  // The shape in row-major (numpy / PyTorch) order: dims reversed.
  std::vector<int64_t> shape() const { return {dims.rbegin(), dims.rend()}; }
};

class GgufFile {
 public:
  // Maps and verifies `path`.
  static absl::StatusOr<std::shared_ptr<const GgufFile>> open(const std::string &path);

  const std::string &path() const { return file_->path(); }
  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  uint64_t dataOffset() const { return data_offset_; }

  const std::map<std::string, GgufValue, std::less<>> &metadata() const { return metadata_; }
  const GgufValue *find(std::string_view key) const;
  // Typed access; errors name the file and the key ("is missing", "is a
  // string, expected an integer").
  absl::StatusOr<int64_t> getInt(std::string_view key) const;
  absl::StatusOr<double> getFloat(std::string_view key) const;
  absl::StatusOr<std::string_view> getString(std::string_view key) const;
  absl::StatusOr<const GgufValue *> getArray(std::string_view key) const;

  // In file order.
  const std::vector<GgufTensor> &tensors() const { return tensors_; }
  const GgufTensor *tensor(std::string_view name) const;  // nullptr if absent

  // "GGUF 'path'" for messages.
  std::string where() const;

 private:
  friend class GgufParser;
  GgufFile() = default;
  std::shared_ptr<const MappedFile> file_;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  uint64_t data_offset_ = 0;
  std::map<std::string, GgufValue, std::less<>> metadata_;
  std::vector<GgufTensor> tensors_;
  std::map<std::string, size_t, std::less<>> tensor_index_;
};

// True if the file at `path` starts with the GGUF magic (false if it cannot
// be read).
bool looksLikeGguf(const std::string &path);

// True if `path` is meant as a GGUF: it starts with the magic or its name
// ends in ".gguf" (so that a damaged GGUF is reported as one, not as a
// folder or JSON file that is missing).
bool isGgufPath(const std::string &path);

}  // namespace lfm

#endif  // LFM_GGUF_H
