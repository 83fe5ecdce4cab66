// One .safetensors file: map it, parse and verify its JSON header.
#include <cstring>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lfm/JsonNesting.h"
#include "lfm/Safetensors.h"
#include "lfm/StatusMacros.h"
#include "nlohmann/json.hpp"

namespace lfm {
namespace {

// The safetensors format caps its header at 100 MB, which also bounds what a
// hostile file can make us parse.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;
constexpr size_t kMaxRank = 16;

// Element sizes of every safetensors dtype, so that sizes can be checked even
// for tensors the runtime cannot convert.
int64_t elementSize(absl::string_view dtype) {
  static constexpr std::pair<absl::string_view, int64_t> kSizes[] = {
      {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E5M2", 1}, {"F8_E4M3", 1},
      {"I16", 2},  {"U16", 2}, {"F16", 2}, {"BF16", 2},    {"I32", 4},
      {"U32", 4},  {"F32", 4}, {"F64", 8}, {"I64", 8},     {"U64", 8}};
  for (const auto &[name, size] : kSizes)
    if (name == dtype) return size;
  return 0;
}

class HeaderParser {
 public:
  HeaderParser(const std::string &path, uint64_t data_size) : path_(path), data_size_(data_size) {}

  template <typename... Parts>
  absl::Status error(const Parts &...parts) const {
    return absl::DataLossError(absl::StrCat("safetensors file '", path_, "': ", parts...));
  }

  absl::StatusOr<uint64_t> nonNegative(const nlohmann::json &v, absl::string_view tensor,
                                       absl::string_view field) const {
    if (!v.is_number_unsigned())  // nlohmann keeps non-negative integers as unsigned
      return error("tensor '", tensor, "': ", field, " must be a non-negative integer, got ",
                   v.dump());
    return v.get<uint64_t>();
  }

  absl::StatusOr<SafetensorsTensor> tensor(const std::string &name, const nlohmann::json &entry,
                                           const uint8_t *data) const {
    if (!entry.is_object()) return error("tensor '", name, "': entry is not an object");
    auto dtype = entry.find("dtype");
    auto shape = entry.find("shape");
    auto offsets = entry.find("data_offsets");
    if (dtype == entry.end() || !dtype->is_string())
      return error("tensor '", name, "': missing or non-string \"dtype\"");
    if (shape == entry.end() || !shape->is_array())
      return error("tensor '", name, "': missing or non-array \"shape\"");
    if (offsets == entry.end() || !offsets->is_array() || offsets->size() != 2)
      return error("tensor '", name, "': \"data_offsets\" must be [begin, end]");
    SafetensorsTensor t;
    t.name = name;
    t.dtype = dtype->get<std::string>();
    int64_t element_size = elementSize(t.dtype);
    if (element_size == 0) return error("tensor '", name, "': unknown dtype '", t.dtype, "'");
    if (shape->size() > kMaxRank)
      return error("tensor '", name, "': rank ", shape->size(), " is absurd");
    uint64_t numel = 1;
    for (const auto &dim : *shape) {
      uint64_t d;
      LFM_ASSIGN_OR_RETURN(d, nonNegative(dim, name, "a shape dimension"));
      // Larger than the file can hold means the header lies; checking here
      // also keeps the product from overflowing.
      if (d > data_size_ || (d != 0 && numel > data_size_ / d))
        return error("tensor '", name, "': shape [", shape->dump(),
                     "] needs more bytes than the file has");
      numel *= d;
      t.shape.push_back(static_cast<int64_t>(d));
    }
    uint64_t begin, end;
    LFM_ASSIGN_OR_RETURN(begin, nonNegative((*offsets)[0], name, "data_offsets[0]"));
    LFM_ASSIGN_OR_RETURN(end, nonNegative((*offsets)[1], name, "data_offsets[1]"));
    if (begin > end || end > data_size_)
      return error("tensor '", name, "': data_offsets [", begin, ", ", end,
                   "] are not within the data section (", data_size_, " bytes)");
    if (end - begin != numel * static_cast<uint64_t>(element_size))
      return error("tensor '", name, "': data_offsets span ", end - begin, " bytes but ", t.dtype,
                   " [", absl::StrJoin(t.shape, ","), "] needs ", numel * element_size);
    t.data = {data + begin, static_cast<size_t>(end - begin)};
    return t;
  }

 private:
  const std::string &path_;
  uint64_t data_size_;
};

}  // namespace

int64_t SafetensorsTensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

absl::StatusOr<SafetensorsFile> SafetensorsFile::open(const std::string &path) {
  std::shared_ptr<const MappedFile> file;
  LFM_ASSIGN_OR_RETURN(file, MappedFile::open(path));
  std::span<const uint8_t> bytes = file->bytes();
  auto notSafetensors = [&](auto &&...why) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", path, "' is not a safetensors file: ", why...));
  };
  if (bytes.size() < 8) return notSafetensors("only ", bytes.size(), " bytes");
  uint64_t header_size = 0;
  for (int i = 7; i >= 0; --i) header_size = header_size << 8 | bytes[i];
  if (header_size > kMaxHeaderBytes)
    return notSafetensors("header length ", header_size, " exceeds 100 MB");
  if (header_size > bytes.size() - 8)
    return notSafetensors("header length ", header_size, " runs past the end of the file (",
                          bytes.size(), " bytes; truncated?)");
  auto header_text = bytes.subspan(8, header_size);
  if (header_text.empty() || header_text[0] != '{')
    return notSafetensors("the header does not start with '{'");
  if (size_t at = jsonNestingExceeded(
          std::string_view(reinterpret_cast<const char *>(header_text.data()), header_text.size()));
      at != std::string_view::npos)
    return notSafetensors("the header nests JSON deeper than ", kMaxJsonNesting,
                          " levels (at byte ", at, ")");
  nlohmann::json header = nlohmann::json::parse(header_text.begin(), header_text.end(),
                                                /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded()) return notSafetensors("the header is not valid JSON");
  if (!header.is_object()) return notSafetensors("the header is not a JSON object");

  const uint8_t *data = bytes.data() + 8 + header_size;
  HeaderParser parser(path, bytes.size() - 8 - header_size);
  std::map<std::string, SafetensorsTensor, std::less<>> tensors;
  for (const auto &[name, entry] : header.items()) {
    if (name == "__metadata__") continue;
    SafetensorsTensor t;
    LFM_ASSIGN_OR_RETURN(t, parser.tensor(name, entry, data));
    tensors.emplace(name, std::move(t));
  }
  return SafetensorsFile(std::move(file), std::move(tensors));
}

const SafetensorsTensor *SafetensorsFile::find(std::string_view name) const {
  auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : &it->second;
}

}  // namespace lfm
