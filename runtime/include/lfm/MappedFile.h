// A read-only memory map of a whole file. Checkpoints and artifacts with
// embedded weights run to gigabytes; mapping them lets the loader convert
// tensors straight from the page cache without reading them into a copy.
#ifndef LFM_MAPPEDFILE_H
#define LFM_MAPPEDFILE_H

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "absl/status/statusor.h"

namespace lfm {

class MappedFile {
 public:
  // Maps `path` read-only. An empty file maps to an empty span.
  static absl::StatusOr<std::shared_ptr<const MappedFile>> open(const std::string &path);

  ~MappedFile();
  MappedFile(const MappedFile &) = delete;
  MappedFile &operator=(const MappedFile &) = delete;

  const std::string &path() const { return path_; }
  std::span<const uint8_t> bytes() const { return {data_, size_}; }
  size_t size() const { return size_; }

 private:
  MappedFile(std::string path, const uint8_t *data, size_t size)
      : path_(std::move(path)), data_(data), size_(size) {}

  std::string path_;
  const uint8_t *data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace lfm

#endif  // LFM_MAPPEDFILE_H
