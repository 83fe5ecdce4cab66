// Compiles an artifact's kernel table (generated CUDA C++) for the host and
// loads it: one translation unit with the emulation header (lfm_emu.h) and
// every unique kernel source, plus the fiber scheduler, built by the system
// C++ compiler into a shared library, dlopen'ed, every entry point resolved.
//
// Libraries are cached by a hash of everything that goes into them (sources,
// compiler, flags) in $LFM_CACHE_DIR, else $XDG_CACHE_HOME/lfm, else
// ~/.cache/lfm, so a model (or a test) compiles once per machine.
#ifndef LFM_RUNTIME_EMU_EMUCOMPILER_H
#define LFM_RUNTIME_EMU_EMUCOMPILER_H

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lfm/Artifact.h"
#include "lfm/KernelAbi.h"

namespace lfm::emu {

// A loaded kernel library. Thread-safe: runBlocks may be called from many
// threads at once (for disjoint blocks of one launch).
class EmuModule {
 public:
  // Calls the kernel with a pointer to its LfmKernelArgs.
  using Entry = void (*)(const void *args);

  ~EmuModule();
  EmuModule(const EmuModule &) = delete;
  EmuModule &operator=(const EmuModule &) = delete;

  // The entry of kernel i of the table the module was compiled from.
  Entry entry(size_t kernel) const { return entries_.at(kernel); }
  // The library on disk, for messages.
  const std::string &path() const { return path_; }

  // Runs blocks [begin, end) (linear, x fastest) of one launch on the calling
  // thread, each block's threads as fibers. An error (a barrier that not all
  // threads reach) names the block.
  absl::Status runBlocks(Entry entry, const LfmKernelArgs &args, const LaunchDims &dims,
                         int64_t begin, int64_t end) const;

 private:
  friend absl::StatusOr<std::unique_ptr<EmuModule>> compileKernels(
      std::span<const KernelInfo> kernels);
  using RunBlocksFn = int (*)(Entry, const void *, unsigned, unsigned, unsigned, unsigned,
                              unsigned, unsigned, long long, long long, char *, unsigned long);
  EmuModule() = default;

  void *handle_ = nullptr;
  std::string path_;
  RunBlocksFn run_blocks_ = nullptr;
  std::vector<Entry> entries_;
};

// Compiles (or finds in the cache) and loads the kernels. A compile error
// carries the compiler's output; the command honours $CXX (default c++).
absl::StatusOr<std::unique_ptr<EmuModule>> compileKernels(std::span<const KernelInfo> kernels);

// The translation unit compileKernels builds (after lfm_emu.h), exposed for
// tests and debugging: unique sources in table order, `extern __shared__`
// arrays defined, one exported trampoline per entry point.
absl::StatusOr<std::string> kernelTranslationUnit(std::span<const KernelInfo> kernels);

}  // namespace lfm::emu

#endif  // LFM_RUNTIME_EMU_EMUCOMPILER_H
