// The fuzz input as a file: the readers take paths (they map files), so each
// input is written to an in-memory file (memfd) reached by its /proc path.
#ifndef LFM_TESTS_FUZZ_FUZZFILE_H
#define LFM_TESTS_FUZZ_FUZZFILE_H

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>

namespace lfm::fuzz {

class FuzzFile {
 public:
  FuzzFile(const uint8_t *data, size_t size) : fd_(memfd_create("lfm_fuzz", 0)) {
    if (fd_ < 0) std::abort();
    for (size_t done = 0; done < size;) {
      ssize_t n = write(fd_, data + done, size - done);
      if (n <= 0) std::abort();
      done += static_cast<size_t>(n);
    }
  }
  ~FuzzFile() { close(fd_); }
  FuzzFile(const FuzzFile &) = delete;
  FuzzFile &operator=(const FuzzFile &) = delete;

  std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }

 private:
  int fd_;
};

}  // namespace lfm::fuzz

#endif  // LFM_TESTS_FUZZ_FUZZFILE_H
