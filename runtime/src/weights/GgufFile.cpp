// The GGUF reader: parses and verifies the header, metadata and tensor
// infos of a mapped file (layout in lfm/Gguf.h). Every read is bounds-checked
// against the bytes left; every count is checked against what those bytes
// can hold before anything is reserved, so a lying header is an error, never
// a huge allocation or an out-of-bounds read.
#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lfm/Gguf.h"
#include "lfm/StatusMacros.h"

namespace lfm {

namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" read as a little-endian u32
constexpr uint64_t kDefaultAlignment = 32;
constexpr int kMaxArrayDepth = 8;
constexpr int kMaxDims = 4;  // GGML_MAX_DIMS
// Arrays of arrays cost far more in memory than in the file; no real GGUF
// has many, so their total is capped.
constexpr uint64_t kMaxNestedArrays = uint64_t{1} << 20;
// The smallest encodings, for bounding counts by the bytes left.
constexpr uint64_t kMinKvBytes = 8 + 4 + 1;              // empty key, type, a u8
constexpr uint64_t kMinTensorInfoBytes = 8 + 4 + 4 + 8;  // empty name, 0 dims, type, offset

// Bytes of one scalar of a fixed-size type; 0 for string and array.
uint64_t scalarSize(GgufType t) {
  switch (t) {
    case GgufType::kUint8:
    case GgufType::kInt8:
    case GgufType::kBool:
      return 1;
    case GgufType::kUint16:
    case GgufType::kInt16:
      return 2;
    case GgufType::kUint32:
    case GgufType::kInt32:
    case GgufType::kFloat32:
      return 4;
    case GgufType::kUint64:
    case GgufType::kInt64:
    case GgufType::kFloat64:
      return 8;
    case GgufType::kString:
    case GgufType::kArray:
      return 0;
  }
  return 0;
}

bool isKnownType(uint32_t t) { return t <= static_cast<uint32_t>(GgufType::kFloat64); }

bool isSigned(GgufType t) {
  return t == GgufType::kInt8 || t == GgufType::kInt16 || t == GgufType::kInt32 ||
         t == GgufType::kInt64;
}

uint64_t minEncodedSize(GgufType t) {
  if (t == GgufType::kString) return 8;
  if (t == GgufType::kArray) return 4 + 8;
  return scalarSize(t);
}

// Decodes one fixed-size scalar at p into (integer bits, float value).
void decodeScalar(GgufType t, const uint8_t *p, uint64_t &bits, double &value) {
  switch (t) {
    case GgufType::kUint8:
    case GgufType::kBool:
      bits = p[0];
      return;
    case GgufType::kInt8:
      bits = static_cast<uint64_t>(static_cast<int64_t>(static_cast<int8_t>(p[0])));
      return;
    case GgufType::kUint16: {
      uint16_t v;
      std::memcpy(&v, p, 2);
      bits = v;
      return;
    }
    case GgufType::kInt16: {
      int16_t v;
      std::memcpy(&v, p, 2);
      bits = static_cast<uint64_t>(static_cast<int64_t>(v));
      return;
    }
    case GgufType::kUint32: {
      uint32_t v;
      std::memcpy(&v, p, 4);
      bits = v;
      return;
    }
    case GgufType::kInt32: {
      int32_t v;
      std::memcpy(&v, p, 4);
      bits = static_cast<uint64_t>(static_cast<int64_t>(v));
      return;
    }
    case GgufType::kUint64:
    case GgufType::kInt64:
      std::memcpy(&bits, p, 8);
      return;
    case GgufType::kFloat32: {
      float v;
      std::memcpy(&v, p, 4);
      value = v;
      return;
    }
    case GgufType::kFloat64:
      std::memcpy(&value, p, 8);
      return;
    case GgufType::kString:
    case GgufType::kArray:
      return;
  }
}

}  // namespace

// ---------------------------------------------------------------- values

const char *ggufTypeName(GgufType type) {
  static constexpr const char *kNames[] = {"uint8", "int8",  "uint16", "int16",  "uint32",
                                           "int32", "float32", "bool", "string", "array",
                                           "uint64", "int64", "float64"};
  uint32_t t = static_cast<uint32_t>(type);
  return t < std::size(kNames) ? kNames[t] : "unknown";
}

std::optional<int64_t> GgufValue::asInt() const {
  if (scalarSize(type_) == 0 || type_ == GgufType::kFloat32 || type_ == GgufType::kFloat64 ||
      type_ == GgufType::kBool)
    return std::nullopt;
  if (!isSigned(type_) && bits_ > uint64_t{std::numeric_limits<int64_t>::max()})
    return std::nullopt;
  return static_cast<int64_t>(bits_);
}

std::optional<double> GgufValue::asFloat() const {
  if (type_ == GgufType::kFloat32 || type_ == GgufType::kFloat64) return float_;
  if (std::optional<int64_t> i = asInt()) return static_cast<double>(*i);
  return std::nullopt;
}

std::optional<bool> GgufValue::asBool() const {
  if (type_ != GgufType::kBool) return std::nullopt;
  return bits_ != 0;
}

std::optional<std::string_view> GgufValue::asString() const {
  if (type_ != GgufType::kString) return std::nullopt;
  return string_;
}

size_t GgufValue::size() const {
  if (!isArray()) return 0;
  if (element_type_ == GgufType::kString) return strings_.size();
  if (element_type_ == GgufType::kArray) return arrays_.size();
  return raw_.size() / scalarSize(element_type_);
}

GgufValue GgufValue::element(size_t i) const {
  if (element_type_ == GgufType::kArray) return arrays_[i];
  GgufValue v;
  v.type_ = element_type_;
  if (element_type_ == GgufType::kString) {
    v.string_ = strings_[i];
  } else {
    uint64_t size = scalarSize(element_type_);
    decodeScalar(element_type_, raw_.data() + i * size, v.bits_, v.float_);
  }
  return v;
}

std::string GgufValue::describe() const {
  if (isArray())
    return absl::StrCat("an array of ", size(), " ", ggufTypeName(element_type_));
  if (type_ == GgufType::kString) return "a string";
  std::string value;
  if (type_ == GgufType::kBool)
    value = bits_ ? "true" : "false";
  else if (type_ == GgufType::kFloat32 || type_ == GgufType::kFloat64)
    value = absl::StrCat(float_);
  else if (isSigned(type_))
    value = absl::StrCat(static_cast<int64_t>(bits_));
  else
    value = absl::StrCat(bits_);
  return absl::StrCat("a ", ggufTypeName(type_), " (", value, ")");
}

// ---------------------------------------------------------------- parser

class GgufParser {
 public:
  GgufParser(std::span<const uint8_t> bytes, std::string where) : bytes_(bytes), where_(where) {}

  absl::Status parse(GgufFile &out);

 private:
  template <class... Args>
  absl::Status error(const Args &...args) const {
    return absl::InvalidArgumentError(absl::StrCat(where_, ": ", args...));
  }
  uint64_t left() const { return bytes_.size() - pos_; }
  absl::Status need(uint64_t n, absl::string_view what) const {
    if (n > left())
      return error("truncated: ", what, " at byte ", pos_, " needs ", n, " bytes but the file has ",
                   left(), " left");
    return absl::OkStatus();
  }
  template <class T>
  absl::StatusOr<T> read(absl::string_view what) {
    LFM_RETURN_IF_ERROR(need(sizeof(T), what));
    T v;
    std::memcpy(&v, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  absl::StatusOr<std::string_view> readString(absl::string_view what);
  absl::StatusOr<GgufValue> readValue(GgufType type, const std::string &key, int depth);
  absl::Status readTensorInfo(GgufFile &out, uint64_t index);

  std::span<const uint8_t> bytes_;
  std::string where_;
  uint64_t pos_ = 0;
  uint64_t nested_arrays_ = 0;
};

absl::StatusOr<std::string_view> GgufParser::readString(absl::string_view what) {
  uint64_t start = pos_;
  uint64_t length;
  LFM_ASSIGN_OR_RETURN(length, read<uint64_t>(absl::StrCat(what, "'s length")));
  if (length > left())
    return error(what, " at byte ", start, " claims ", length, " bytes but the file has ", left(),
                 " left");
  std::string_view s(reinterpret_cast<const char *>(bytes_.data() + pos_), length);
  pos_ += length;
  return s;
}

absl::StatusOr<GgufValue> GgufParser::readValue(GgufType type, const std::string &key, int depth) {
  GgufValue v;
  v.type_ = type;
  if (type == GgufType::kString) {
    LFM_ASSIGN_OR_RETURN(v.string_, readString(absl::StrCat("metadata '", key, "'")));
    return v;
  }
  if (type != GgufType::kArray) {
    uint64_t size = scalarSize(type);
    LFM_RETURN_IF_ERROR(need(size, absl::StrCat("metadata '", key, "'")));
    decodeScalar(type, bytes_.data() + pos_, v.bits_, v.float_);
    pos_ += size;
    return v;
  }
  if (depth >= kMaxArrayDepth)
    return error("metadata '", key, "' nests arrays deeper than ", kMaxArrayDepth, " levels");
  uint32_t element_type;
  LFM_ASSIGN_OR_RETURN(element_type,
                       read<uint32_t>(absl::StrCat("metadata '", key, "'s element type")));
  if (!isKnownType(element_type))
    return error("metadata '", key, "' is an array of unknown value type ", element_type);
  v.element_type_ = static_cast<GgufType>(element_type);
  uint64_t count;
  LFM_ASSIGN_OR_RETURN(count, read<uint64_t>(absl::StrCat("metadata '", key, "'s array length")));
  uint64_t min_size = minEncodedSize(v.element_type_);
  if (count > left() / min_size)
    return error("metadata '", key, "' claims ", count, " elements of ",
                 ggufTypeName(v.element_type_), " but the file has ", left(), " bytes left");
  if (v.element_type_ == GgufType::kString) {
    v.strings_.reserve(count);
    for (uint64_t i = 0; i < count; ++i) {
      std::string_view s;
      LFM_ASSIGN_OR_RETURN(s, readString(absl::StrCat("metadata '", key, "'[", i, "]")));
      v.strings_.push_back(s);
    }
  } else if (v.element_type_ == GgufType::kArray) {
    nested_arrays_ += count;
    if (nested_arrays_ > kMaxNestedArrays)
      return error("metadata '", key, "': more than ", kMaxNestedArrays,
                   " nested arrays in the file");
    v.arrays_.reserve(count);
    for (uint64_t i = 0; i < count; ++i) {
      GgufValue element;
      LFM_ASSIGN_OR_RETURN(element,
                           readValue(GgufType::kArray, absl::StrCat(key, "[", i, "]"), depth + 1));
      v.arrays_.push_back(std::move(element));
    }
  } else {
    v.raw_ = bytes_.subspan(pos_, count * min_size);
    pos_ += count * min_size;
  }
  return v;
}

absl::Status GgufParser::readTensorInfo(GgufFile &out, uint64_t index) {
  std::string_view name_view;
  LFM_ASSIGN_OR_RETURN(name_view, readString(absl::StrCat("tensor info ", index, "'s name")));
  GgufTensor t;
  t.name = std::string(name_view);
  std::string what = absl::StrCat("tensor '", t.name, "'");
  uint32_t n_dims;
  LFM_ASSIGN_OR_RETURN(n_dims, read<uint32_t>(absl::StrCat(what, "'s n_dims")));
  if (n_dims > kMaxDims) return error(what, " has ", n_dims, " dimensions; ggml allows at most ", kMaxDims);
  t.numel = 1;
  for (uint32_t d = 0; d < n_dims; ++d) {
    uint64_t dim;
    LFM_ASSIGN_OR_RETURN(dim, read<uint64_t>(absl::StrCat(what, "'s dims")));
    if (dim > uint64_t{std::numeric_limits<int64_t>::max()})
      return error(what, " has dimension ", d, " = ", dim, ", too large");
    t.dims.push_back(static_cast<int64_t>(dim));
  }
  for (int64_t dim : t.dims) {
    if (dim != 0 && t.numel > std::numeric_limits<int64_t>::max() / dim)
      return error(what, " has dims [", absl::StrJoin(t.dims, ","),
                   "] whose product overflows 64 bits");
    t.numel *= dim;
  }
  LFM_ASSIGN_OR_RETURN(t.type, read<uint32_t>(absl::StrCat(what, "'s type")));
  const GgmlTypeInfo *info = ggmlTypeInfo(t.type);
  if (info == nullptr) return error(what, " has unknown ggml type ", t.type);
  LFM_ASSIGN_OR_RETURN(t.offset, read<uint64_t>(absl::StrCat(what, "'s offset")));
  int64_t row = t.dims.empty() ? 1 : t.dims[0];
  if (row % info->block_size != 0)
    return error(what, " (", info->name, ") has rows of ", row,
                 " elements, not a whole number of its ", info->block_size, "-element blocks");
  if (out.tensor_index_.count(t.name))
    return error("tensor '", t.name, "' appears twice");
  out.tensor_index_.emplace(t.name, out.tensors_.size());
  out.tensors_.push_back(std::move(t));
  return absl::OkStatus();
}

absl::Status GgufParser::parse(GgufFile &out) {
  if (bytes_.size() < 4) return error("not a GGUF file: ", bytes_.size(), " bytes, no magic");
  uint32_t magic;
  LFM_ASSIGN_OR_RETURN(magic, read<uint32_t>("magic"));
  if (magic != kMagic) return error("not a GGUF file (its first 4 bytes are not \"GGUF\")");
  LFM_ASSIGN_OR_RETURN(out.version_, read<uint32_t>("header.version"));
  if (out.version_ != 2 && out.version_ != 3) {
    uint32_t swapped = __builtin_bswap32(out.version_);
    if (swapped == 2 || swapped == 3)
      return error("a big-endian GGUF (version ", swapped, "); only little-endian is supported");
    return error("GGUF version ", out.version_, " is not supported (only 2 and 3)");
  }
  uint64_t tensor_count, kv_count;
  LFM_ASSIGN_OR_RETURN(tensor_count, read<uint64_t>("header.tensor_count"));
  LFM_ASSIGN_OR_RETURN(kv_count, read<uint64_t>("header.metadata_kv_count"));
  if (kv_count > left() / kMinKvBytes)
    return error("header.metadata_kv_count ", kv_count, " is more than the file's ", left(),
                 " remaining bytes can hold");
  for (uint64_t i = 0; i < kv_count; ++i) {
    std::string_view key_view;
    LFM_ASSIGN_OR_RETURN(key_view, readString(absl::StrCat("metadata key ", i)));
    std::string key(key_view);
    uint32_t type;
    LFM_ASSIGN_OR_RETURN(type, read<uint32_t>(absl::StrCat("metadata '", key, "'s type")));
    if (!isKnownType(type)) return error("metadata '", key, "' has unknown value type ", type);
    GgufValue value;
    LFM_ASSIGN_OR_RETURN(value, readValue(static_cast<GgufType>(type), key, 0));
    if (!out.metadata_.emplace(key, std::move(value)).second)
      return error("metadata key '", key, "' appears twice");
  }
  if (const GgufValue *a = out.find("general.alignment")) {
    if (a->type() != GgufType::kUint32)
      return error("general.alignment is ", a->describe(), ", expected a uint32");
    uint64_t alignment = static_cast<uint64_t>(*a->asInt());
    if (alignment == 0 || (alignment & (alignment - 1)) != 0)
      return error("general.alignment ", alignment, " is not a power of two");
    out.alignment_ = alignment;
  } else {
    out.alignment_ = kDefaultAlignment;
  }

  if (tensor_count > left() / kMinTensorInfoBytes)
    return error("header.tensor_count ", tensor_count, " is more than the file's ", left(),
                 " remaining bytes can hold");
  out.tensors_.reserve(tensor_count);
  for (uint64_t i = 0; i < tensor_count; ++i) LFM_RETURN_IF_ERROR(readTensorInfo(out, i));

  // pos_ <= size, and alignment <= 2^31, so this cannot overflow.
  out.data_offset_ = (pos_ + out.alignment_ - 1) / out.alignment_ * out.alignment_;
  const uint64_t size = bytes_.size();
  for (GgufTensor &t : out.tensors_) {
    const GgmlTypeInfo *info = ggmlTypeInfo(t.type);
    // numel / block_size * type_size: numel < 2^63 and type_size < 2^9, so
    // the division first keeps it within 64 bits unsigned.
    uint64_t blocks = static_cast<uint64_t>(t.numel) / static_cast<uint64_t>(info->block_size);
    if (blocks > std::numeric_limits<uint64_t>::max() / static_cast<uint64_t>(info->type_size))
      return error("tensor '", t.name, "' is too large");
    uint64_t nbytes = blocks * static_cast<uint64_t>(info->type_size);
    if (t.offset % out.alignment_ != 0)
      return error("tensor '", t.name, "' has offset ", t.offset,
                   ", not a multiple of the alignment ", out.alignment_);
    if (out.data_offset_ > size || t.offset > size - out.data_offset_ ||
        nbytes > size - out.data_offset_ - t.offset)
      return error("tensor '", t.name, "' (", info->name, ", ", nbytes, " bytes at data offset ",
                   t.offset, ") lies outside the file of ", size, " bytes (data starts at ",
                   out.data_offset_, ")");
    t.data = bytes_.subspan(out.data_offset_ + t.offset, nbytes);
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------- file

absl::StatusOr<std::shared_ptr<const GgufFile>> GgufFile::open(const std::string &path) {
  std::shared_ptr<const MappedFile> file;
  LFM_ASSIGN_OR_RETURN(file, MappedFile::open(path));
  std::shared_ptr<GgufFile> gguf(new GgufFile());
  gguf->file_ = file;
  GgufParser parser(file->bytes(), gguf->where());
  LFM_RETURN_IF_ERROR(parser.parse(*gguf));
  return std::shared_ptr<const GgufFile>(std::move(gguf));
}

std::string GgufFile::where() const { return absl::StrCat("GGUF '", path(), "'"); }

const GgufValue *GgufFile::find(std::string_view key) const {
  auto it = metadata_.find(key);
  return it == metadata_.end() ? nullptr : &it->second;
}

const GgufTensor *GgufFile::tensor(std::string_view name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

namespace {

template <class T>
absl::StatusOr<T> typed(const GgufFile &file, std::string_view key, const char *expected,
                        std::optional<T> (GgufValue::*get)() const) {
  const GgufValue *v = file.find(key);
  if (v == nullptr)
    return absl::NotFoundError(
        absl::StrCat(file.where(), ": metadata key '", std::string(key), "' is missing"));
  std::optional<T> result = (v->*get)();
  if (!result)
    return absl::InvalidArgumentError(absl::StrCat(file.where(), ": metadata '", std::string(key),
                                                   "' is ", v->describe(), ", expected ",
                                                   expected));
  return *result;
}

}  // namespace

absl::StatusOr<int64_t> GgufFile::getInt(std::string_view key) const {
  return typed<int64_t>(*this, key, "an integer", &GgufValue::asInt);
}

absl::StatusOr<double> GgufFile::getFloat(std::string_view key) const {
  return typed<double>(*this, key, "a number", &GgufValue::asFloat);
}

absl::StatusOr<std::string_view> GgufFile::getString(std::string_view key) const {
  return typed<std::string_view>(*this, key, "a string", &GgufValue::asString);
}

absl::StatusOr<const GgufValue *> GgufFile::getArray(std::string_view key) const {
  const GgufValue *v = find(key);
  if (v == nullptr)
    return absl::NotFoundError(
        absl::StrCat(where(), ": metadata key '", std::string(key), "' is missing"));
  if (!v->isArray())
    return absl::InvalidArgumentError(absl::StrCat(where(), ": metadata '", std::string(key),
                                                   "' is ", v->describe(), ", expected an array"));
  return v;
}

bool looksLikeGguf(const std::string &path) {
  FILE *f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  char magic[4] = {};
  size_t n = std::fread(magic, 1, 4, f);
  std::fclose(f);
  return n == 4 && std::memcmp(magic, "GGUF", 4) == 0;
}

bool isGgufPath(const std::string &path) {
  constexpr std::string_view kSuffix = ".gguf";
  return (path.size() >= kSuffix.size() &&
          std::string_view(path).substr(path.size() - kSuffix.size()) == kSuffix) ||
         looksLikeGguf(path);
}

}  // namespace lfm
