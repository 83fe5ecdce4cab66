#include "io/AtomicFileWriter.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"

namespace lfm {
namespace {

absl::Status ioError(const std::string &what, const std::string &path, int err) {
  return absl::InternalError(absl::StrCat(what, " '", path, "': ", std::strerror(err)));
}

}  // namespace

AtomicFileWriter::~AtomicFileWriter() { abandon(); }

absl::Status AtomicFileWriter::open() {
  temp_path_ = path_ + ".tmp.XXXXXX";
  std::vector<char> name(temp_path_.begin(), temp_path_.end());
  name.push_back('\0');
  fd_ = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd_ < 0) {
    int err = errno;
    temp_path_.clear();
    return ioError("cannot create a temporary file next to", path_, err);
  }
  temp_path_ = name.data();
  // mkstemp creates 0600; an output file should get the usual umask mode.
  mode_t mask = ::umask(0);
  ::umask(mask);
  ::fchmod(fd_, 0666 & ~mask);
  return absl::OkStatus();
}

absl::Status AtomicFileWriter::write(std::span<const uint8_t> bytes) {
  if (fd_ < 0) return absl::FailedPreconditionError("write to an unopened file " + path_);
  const uint8_t *p = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ioError("cannot write", temp_path_, errno);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  written_ += bytes.size();
  return absl::OkStatus();
}

absl::Status AtomicFileWriter::writeZeros(uint64_t count) {
  static const uint8_t kZeros[4096] = {};
  while (count > 0) {
    uint64_t n = count < sizeof kZeros ? count : sizeof kZeros;
    if (auto st = write({kZeros, static_cast<size_t>(n)}); !st.ok()) return st;
    count -= n;
  }
  return absl::OkStatus();
}

absl::Status AtomicFileWriter::commit() {
  if (fd_ < 0) return absl::FailedPreconditionError("commit of an unopened file " + path_);
  if (::fsync(fd_) != 0) return ioError("cannot flush", temp_path_, errno);
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) return ioError("cannot close", temp_path_, errno);
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    int err = errno;
    abandon();
    return ioError("cannot rename the temporary file to", path_, err);
  }
  temp_path_.clear();
  return absl::OkStatus();
}

void AtomicFileWriter::abandon() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  if (!temp_path_.empty()) {
    ::unlink(temp_path_.c_str());
    temp_path_.clear();
  }
}

}  // namespace lfm
