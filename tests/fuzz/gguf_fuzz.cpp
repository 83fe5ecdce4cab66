// libFuzzer target over the GGUF reader (lfm/Gguf.h) and what reads an LFM2
// GGUF on top of it: config, HF tensor views, tokenizer files. The input is
// the file; it reaches GgufFile::open through an in-memory file (memfd), as
// the reader only maps paths. Built and run by scripts/fuzz gguf.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "lfm/Gguf.h"
#include "lfm/GgufLfm2.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int fd = memfd_create("gguf_fuzz", 0);
  if (fd < 0) std::abort();
  for (size_t done = 0; done < size;) {
    ssize_t n = write(fd, data + done, size - done);
    if (n <= 0) std::abort();
    done += static_cast<size_t>(n);
  }
  std::string path = "/proc/self/fd/" + std::to_string(fd);
  if (auto gguf = lfm::GgufFile::open(path); gguf.ok()) {
    const lfm::GgufFile &g = **gguf;
    for (const auto &[key, value] : g.metadata())
      for (size_t i = 0; i < value.size() && i < 64; ++i) (void)value.element(i).describe();
    (void)lfm::lfm2ConfigFromGguf(g);
    (void)lfm::tokenizerFilesFromGguf(g);
    if (auto tensors = lfm::lfm2CheckpointTensors(g); tensors.ok())
      for (const auto &[name, t] : *tensors) (void)lfm::supportedDType(t, path);
  }
  close(fd);
  return 0;
}
