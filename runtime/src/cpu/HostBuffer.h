// Zeroed host memory for the arena and the state pools. calloc rather than a
// std::vector so that a pool of gigabytes costs nothing until it is touched
// (the kernel maps zero pages lazily), and so that a size that cannot be had
// is an error status instead of std::bad_alloc.
#ifndef LFM_RUNTIME_CPU_HOSTBUFFER_H
#define LFM_RUNTIME_CPU_HOSTBUFFER_H

#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <memory>
#include <optional>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace lfm::cpu {

// The product of non-negative factors, or nullopt if it overflows int64.
inline std::optional<int64_t> checkedProduct(std::initializer_list<int64_t> factors) {
  int64_t p = 1;
  for (int64_t f : factors) {
    if (f < 0 || __builtin_mul_overflow(p, f, &p)) return std::nullopt;
  }
  return p;
}

class HostBuffer {
 public:
  HostBuffer() = default;

  // `bytes` zeroed bytes; `what` names the buffer in the error.
  static absl::StatusOr<HostBuffer> allocate(int64_t bytes, absl::string_view what) {
    if (bytes < 0) return absl::InvalidArgumentError(absl::StrCat(what, ": negative size"));
    void *p = std::calloc(bytes > 0 ? static_cast<size_t>(bytes) : 1, 1);
    if (p == nullptr) {
      return absl::ResourceExhaustedError(
          absl::StrCat(what, ": cannot allocate ", bytes, " bytes of host memory"));
    }
    HostBuffer b;
    b.data_.reset(static_cast<uint8_t *>(p));
    b.size_ = bytes;
    return b;
  }

  uint8_t *data() const { return data_.get(); }
  int64_t size() const { return size_; }

 private:
  struct Free {
    void operator()(uint8_t *p) const { std::free(p); }
  };
  std::unique_ptr<uint8_t, Free> data_;
  int64_t size_ = 0;
};

}  // namespace lfm::cpu

#endif  // LFM_RUNTIME_CPU_HOSTBUFFER_H
