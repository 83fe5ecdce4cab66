// libFuzzer target over the artifact reader: header, CRC, FlatBuffers
// metadata decode, plan and artifact verification, embedded weights. The
// first byte picks what the rest is: a whole .lfma file, or only its
// metadata, which the target wraps in a valid header with the right CRC so
// that mutations reach the decoder and the verifiers instead of stopping at
// the checksum. Seeds: a small artifact (tests/fuzz/corpus/artifact/).
#include <cstdint>
#include <span>
#include <vector>

#include "FuzzFile.h"
#include "artifact/ArtifactHeader.h"
#include "artifact/Crc32.h"
#include "lfm/Artifact.h"

namespace {

void readAndCheck(const uint8_t *data, size_t size) {
  lfm::fuzz::FuzzFile file(data, size);
  absl::StatusOr<lfm::Artifact> artifact = lfm::readArtifact(file.path());
  if (!artifact.ok()) return;
  // readArtifact verifies: what it accepts must verify again.
  if (!lfm::verifyArtifact(*artifact).ok()) __builtin_trap();
  (void)lfm::readEmbeddedWeights(*artifact);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  std::span<const uint8_t> rest(data + 1, size - 1);
  if (data[0] % 2 == 0) {
    readAndCheck(rest.data(), rest.size());
    return 0;
  }
  lfm::ArtifactHeader header;
  header.metadata_size = rest.size();
  header.metadata_crc = lfm::crc32(rest);
  std::vector<uint8_t> file(lfm::kArtifactHeaderSize);
  const auto encoded = lfm::encodeArtifactHeader(header);
  std::copy(encoded.begin(), encoded.end(), file.begin());
  file.insert(file.end(), rest.begin(), rest.end());
  readAndCheck(file.data(), file.size());
  return 0;
}
