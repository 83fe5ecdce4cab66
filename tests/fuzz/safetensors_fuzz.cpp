// libFuzzer target over the safetensors reader: the header (JSON, dtypes,
// shapes, offsets) and tensor conversion; the first byte picks whether the
// rest is a .safetensors file or a model.safetensors.index.json in a
// checkpoint folder of its own.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "FuzzFile.h"
#include "lfm/Safetensors.h"

namespace {

// Every tensor the reader accepted, converted to f32 (reads all its bytes).
void convertAll(const lfm::SafetensorsFile &file) {
  for (const auto &[name, tensor] : file.tensors()) {
    if (!lfm::supportedDType(tensor, name).ok()) continue;
    const int64_t elements = tensor.numel();
    if (elements > (int64_t{1} << 20)) continue;
    std::vector<uint8_t> out(static_cast<size_t>(elements) * 4);
    (void)lfm::convertTensor(tensor, name, lfm::DType::kF32, out);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  if (data[0] % 2 == 0) {
    lfm::fuzz::FuzzFile file(data + 1, size - 1);
    if (auto st = lfm::SafetensorsFile::open(file.path()); st.ok()) convertAll(*st);
    return 0;
  }
  // An index naming shards: the folder holds only the index, so every shard
  // it names is missing (or the index itself is bad).
  static const std::filesystem::path dir = [] {
    char pattern[] = "/tmp/lfm-fuzz-index-XXXXXX";
    if (!mkdtemp(pattern)) std::abort();
    return std::filesystem::path(pattern);
  }();
  {
    std::ofstream out(dir / "model.safetensors.index.json", std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char *>(data + 1), static_cast<std::streamsize>(size - 1));
  }
  (void)lfm::Checkpoint::open(dir.string());
  return 0;
}
