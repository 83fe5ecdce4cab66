// The text of runtime/include/lfm/KernelArgs.h (LfmKernelArgs, the kernel
// argument block) for tests that compile hand-written kernels through the
// emu device: the same text the build splices into the device prelude.
#ifndef LFM_TESTS_KERNELARGSTEXT_H
#define LFM_TESTS_KERNELARGSTEXT_H

#include <fstream>
#include <sstream>
#include <string>

namespace lfm::testing {

inline std::string readTextFile(const char *path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// LFM_KERNEL_ARGS_PATH: the header's path in the source tree (tests/CMakeLists.txt).
inline std::string kernelArgsText() { return readTextFile(LFM_KERNEL_ARGS_PATH); }

}  // namespace lfm::testing

#endif  // LFM_TESTS_KERNELARGSTEXT_H
