// libFuzzer target over the GGUF reader (lfm/Gguf.h) and what reads an LFM2
// GGUF on top of it: config, HF tensor views, tokenizer files. The input is
// the file (FuzzFile.h). Built and run by scripts/fuzz gguf.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "lfm/Gguf.h"
#include "lfm/GgufLfm2.h"
#include "FuzzFile.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lfm::fuzz::FuzzFile file(data, size);
  const std::string path = file.path();
  if (auto gguf = lfm::GgufFile::open(path); gguf.ok()) {
    const lfm::GgufFile &g = **gguf;
    for (const auto &[key, value] : g.metadata())
      for (size_t i = 0; i < value.size() && i < 64; ++i) (void)value.element(i).describe();
    (void)lfm::lfm2ConfigFromGguf(g);
    (void)lfm::tokenizerFilesFromGguf(g);
    if (auto tensors = lfm::lfm2CheckpointTensors(g); tensors.ok())
      for (const auto &[name, t] : *tensors) (void)lfm::supportedDType(t, path);
  }
  return 0;
}
