// Linked into every executable of a static runtime build (LFM_STATIC_RUNTIME)
// so that it runs on glibc 2.35 (Ubuntu 22.04, the base of many CUDA
// images) although it is built against Debian 12's glibc 2.36.
//
// The static libstdc++ of GCC 12 calls arc4random (new in glibc 2.36) from
// std::random_device. Defining it here, in an object linked before
// libstdc++.a, binds that reference to this definition instead of
// arc4random@GLIBC_2.36. getrandom exists since glibc 2.25. The static
// unwinder's _dl_find_object needs glibc 2.35, which sets the floor.
#include <sys/random.h>

#include <cerrno>
#include <cstdint>

extern "C" uint32_t arc4random(void) {
  uint32_t value = 0;
  while (getrandom(&value, sizeof value, 0) != static_cast<ssize_t>(sizeof value)) {
    if (errno != EINTR) break;
  }
  return value;
}
