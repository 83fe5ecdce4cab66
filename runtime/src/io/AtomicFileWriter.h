// Writes a file so that readers see either the old file or the complete new
// one: the bytes go to a temporary file in the same folder, which is flushed
// and renamed over the destination only when everything succeeded. A failure
// (disk full, a bad path, the writer giving up) removes the temporary file
// and leaves an existing destination untouched.
#ifndef LFM_IO_ATOMICFILEWRITER_H
#define LFM_IO_ATOMICFILEWRITER_H

#include <cstdint>
#include <span>
#include <string>

#include "absl/status/status.h"

namespace lfm {

class AtomicFileWriter {
 public:
  explicit AtomicFileWriter(std::string path) : path_(std::move(path)) {}
  ~AtomicFileWriter();  // abandons the temporary file unless committed
  AtomicFileWriter(const AtomicFileWriter &) = delete;
  AtomicFileWriter &operator=(const AtomicFileWriter &) = delete;

  absl::Status open();
  absl::Status write(std::span<const uint8_t> bytes);
  absl::Status writeZeros(uint64_t count);
  uint64_t written() const { return written_; }
  // Flushes, closes and renames the temporary file over the destination.
  absl::Status commit();

 private:
  void abandon();

  std::string path_;
  std::string temp_path_;
  int fd_ = -1;
  uint64_t written_ = 0;
};

}  // namespace lfm

#endif  // LFM_IO_ATOMICFILEWRITER_H
