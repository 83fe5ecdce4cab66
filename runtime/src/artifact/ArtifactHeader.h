// The fixed 64-byte header at the start of an .lfma file (layout in
// lfm/Artifact.h): encoding it, and decoding it with every field checked
// against the file size before any section is touched.
#ifndef LFM_ARTIFACT_ARTIFACTHEADER_H
#define LFM_ARTIFACT_ARTIFACTHEADER_H

#include <array>
#include <cstdint>
#include <span>
#include <string>

#include "absl/status/statusor.h"
#include "lfm/Artifact.h"

namespace lfm {

inline constexpr uint32_t kArtifactFlagEmbeddedWeights = 1u << 0;
inline constexpr uint32_t kArtifactKnownFlags = kArtifactFlagEmbeddedWeights;
// FlatBuffers cannot address more than 2 GiB; real metadata is kilobytes to
// a few megabytes (kernel binaries).
inline constexpr uint64_t kMaxMetadataSize = uint64_t{1} << 31;

struct ArtifactHeader {
  uint32_t format_version = kArtifactFormatVersion;
  uint32_t flags = 0;
  uint64_t metadata_offset = kArtifactHeaderSize;
  uint64_t metadata_size = 0;
  uint64_t weights_offset = 0;
  uint64_t weights_size = 0;
  uint32_t metadata_crc = 0;

  bool hasEmbeddedWeights() const { return (flags & kArtifactFlagEmbeddedWeights) != 0; }
};

std::array<uint8_t, kArtifactHeaderSize> encodeArtifactHeader(const ArtifactHeader &header);

// Decodes the header of a `file_size`-byte file whose first bytes are
// `bytes`, checking magic, version, header checksum, flags and that the
// sections lie inside the file in order and end exactly at its end. `path`
// is for messages.
absl::StatusOr<ArtifactHeader> decodeArtifactHeader(std::span<const uint8_t> bytes,
                                                    uint64_t file_size, const std::string &path);

inline uint64_t alignUp(uint64_t n, uint64_t alignment) {
  return (n + alignment - 1) / alignment * alignment;
}

}  // namespace lfm

#endif  // LFM_ARTIFACT_ARTIFACTHEADER_H
