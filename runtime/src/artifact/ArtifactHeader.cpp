#include "artifact/ArtifactHeader.h"

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "artifact/Crc32.h"

namespace lfm {
namespace {

constexpr uint8_t kMagic[4] = {'L', 'F', 'M', 'A'};
// Field offsets within the header (see lfm/Artifact.h).
constexpr size_t kVersionAt = 4, kHeaderSizeAt = 8, kFlagsAt = 12, kMetaOffsetAt = 16,
                 kMetaSizeAt = 24, kWeightsOffsetAt = 32, kWeightsSizeAt = 40, kMetaCrcAt = 48,
                 kReservedAt = 52, kHeaderCrcAt = 60;

template <typename T>
void put(uint8_t *p, T v) {
  for (size_t i = 0; i < sizeof(T); ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

template <typename T>
T get(const uint8_t *p) {
  T v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) v |= static_cast<T>(p[i]) << (8 * i);
  return v;
}

}  // namespace

std::array<uint8_t, kArtifactHeaderSize> encodeArtifactHeader(const ArtifactHeader &h) {
  std::array<uint8_t, kArtifactHeaderSize> out{};
  uint8_t *p = out.data();
  std::memcpy(p, kMagic, 4);
  put<uint32_t>(p + kVersionAt, h.format_version);
  put<uint32_t>(p + kHeaderSizeAt, kArtifactHeaderSize);
  put<uint32_t>(p + kFlagsAt, h.flags);
  put<uint64_t>(p + kMetaOffsetAt, h.metadata_offset);
  put<uint64_t>(p + kMetaSizeAt, h.metadata_size);
  put<uint64_t>(p + kWeightsOffsetAt, h.weights_offset);
  put<uint64_t>(p + kWeightsSizeAt, h.weights_size);
  put<uint32_t>(p + kMetaCrcAt, h.metadata_crc);
  put<uint32_t>(p + kHeaderCrcAt, crc32({p, kHeaderCrcAt}));
  return out;
}

absl::StatusOr<ArtifactHeader> decodeArtifactHeader(std::span<const uint8_t> bytes,
                                                    uint64_t file_size, const std::string &path) {
  auto error = [&](auto &&...parts) {
    return absl::DataLossError(absl::StrCat("artifact '", path, "': header: ", parts...));
  };
  if (bytes.size() < 4 || std::memcmp(bytes.data(), kMagic, 4) != 0)
    return absl::InvalidArgumentError(absl::StrCat(
        "'", path, "' is not an lfm artifact (.lfma): it does not start with \"LFMA\""));
  // The version comes before the rest so that a file from another version
  // says so, even if its header is laid out differently.
  if (bytes.size() < 8) return error("truncated: the file has ", file_size, " bytes");
  const uint8_t *p = bytes.data();
  ArtifactHeader h;
  h.format_version = get<uint32_t>(p + kVersionAt);
  if (h.format_version < kOldestArtifactFormatVersion || h.format_version > kArtifactFormatVersion)
    return absl::FailedPreconditionError(
        absl::StrCat("artifact '", path, "' has format version ", h.format_version,
                     "; this runtime reads version ", kArtifactFormatVersion, " (and back to ",
                     kOldestArtifactFormatVersion, "; recompile it with lfm-compile)"));
  if (bytes.size() < kArtifactHeaderSize)
    return error("truncated: the file has ", file_size, " bytes, the header alone needs ",
                 kArtifactHeaderSize);
  if (uint32_t header_size = get<uint32_t>(p + kHeaderSizeAt); header_size != kArtifactHeaderSize)
    return error("header size field is ", header_size, ", expected ", kArtifactHeaderSize);
  uint32_t stored_crc = get<uint32_t>(p + kHeaderCrcAt);
  if (uint32_t crc = crc32({p, kHeaderCrcAt}); crc != stored_crc)
    return error("checksum mismatch (the header is corrupted)");
  h.flags = get<uint32_t>(p + kFlagsAt);
  h.metadata_offset = get<uint64_t>(p + kMetaOffsetAt);
  h.metadata_size = get<uint64_t>(p + kMetaSizeAt);
  h.weights_offset = get<uint64_t>(p + kWeightsOffsetAt);
  h.weights_size = get<uint64_t>(p + kWeightsSizeAt);
  h.metadata_crc = get<uint32_t>(p + kMetaCrcAt);
  for (size_t i = kReservedAt; i < kHeaderCrcAt; ++i)
    if (p[i] != 0) return error("reserved byte ", i, " is not zero");

  if ((h.flags & ~kArtifactKnownFlags) != 0)
    return error("unknown flags 0x", absl::Hex(h.flags & ~kArtifactKnownFlags));
  if (h.metadata_offset != kArtifactHeaderSize)
    return error("metadata offset is ", h.metadata_offset, ", expected ", kArtifactHeaderSize);
  if (h.metadata_size == 0 || h.metadata_size > kMaxMetadataSize)
    return error("metadata size ", h.metadata_size, " is out of range (1..", kMaxMetadataSize, ")");
  uint64_t metadata_end = h.metadata_offset + h.metadata_size;
  if (metadata_end > file_size)
    return error("truncated: the metadata section ends at byte ", metadata_end,
                 " but the file has ", file_size, " bytes");
  if (!h.hasEmbeddedWeights()) {
    if (h.weights_offset != 0 || h.weights_size != 0)
      return error("a weights section (offset ", h.weights_offset, ", size ", h.weights_size,
                   ") without the embedded-weights flag");
    if (metadata_end != file_size)
      return error("the file has ", file_size, " bytes but its sections end at byte ", metadata_end,
                   " (truncated or trailing data)");
    return h;
  }
  if (h.weights_offset != alignUp(metadata_end, kArtifactAlignment))
    return error("weights offset ", h.weights_offset, " is not the first ", kArtifactAlignment,
                 "-byte boundary after the metadata (", alignUp(metadata_end, kArtifactAlignment),
                 ")");
  if (h.weights_offset > file_size || h.weights_size != file_size - h.weights_offset)
    return error("the weights section (offset ", h.weights_offset, ", size ", h.weights_size,
                 ") does not end at the end of the file (", file_size,
                 " bytes): truncated or trailing data");
  return h;
}

}  // namespace lfm
