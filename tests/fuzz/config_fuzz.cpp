// libFuzzer target over the JSON configs a model folder carries: config.json
// (models/Lfm2Config: legacy keys, layer types, FFN arithmetic) and
// generation_config.json; the first byte picks which.
#include <cstdint>
#include <string_view>

#include "lfm/GenerationConfig.h"
#include "models/Lfm2Config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  std::string_view text(reinterpret_cast<const char *>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    (void)lfm::models::parseLfm2Config(text, "config.json");
  } else {
    (void)lfm::parseGenerationConfig(text, "generation_config.json");
  }
  return 0;
}
