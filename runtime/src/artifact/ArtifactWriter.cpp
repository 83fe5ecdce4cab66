// writeArtifact: header, metadata FlatBuffer, then (optionally) the weights,
// each 64-byte aligned, through an AtomicFileWriter so that a failure never
// leaves a partial artifact behind.
#include "absl/strings/str_cat.h"
#include "artifact/ArtifactHeader.h"
#include "artifact/Crc32.h"
#include "artifact/Metadata.h"
#include "io/AtomicFileWriter.h"
#include "lfm/Artifact.h"
#include "lfm/StatusMacros.h"
#include "lfm/WeightLoader.h"

namespace lfm {
namespace {

absl::Status withPath(const absl::Status &st, const std::string &path) {
  return absl::Status(st.code(),
                      absl::StrCat("cannot write artifact '", path, "': ", st.message()));
}

// Lays the weights out back to back, each at a 64-byte boundary of the
// weights section (which itself starts at a 64-byte boundary of the file).
std::vector<WeightExtent> layOutWeights(const HostWeights &weights) {
  std::vector<WeightExtent> extents;
  uint64_t offset = 0;
  for (const auto &buffer : weights.buffers) {
    extents.push_back({offset, buffer.size()});
    offset = alignUp(offset + buffer.size(), kArtifactAlignment);
  }
  return extents;
}

absl::Status writeFile(const ArtifactHeader &header, const std::vector<uint8_t> &metadata,
                       const HostWeights *embedded, const std::vector<WeightExtent> &extents,
                       const std::string &path) {
  AtomicFileWriter out(path);
  LFM_RETURN_IF_ERROR(out.open());
  auto header_bytes = encodeArtifactHeader(header);
  LFM_RETURN_IF_ERROR(out.write(header_bytes));
  LFM_RETURN_IF_ERROR(out.write(metadata));
  if (embedded != nullptr) {
    for (size_t i = 0; i < extents.size(); ++i) {
      LFM_RETURN_IF_ERROR(
          out.writeZeros(header.weights_offset + extents[i].offset - out.written()));
      LFM_RETURN_IF_ERROR(out.write(embedded->buffers[i]));
    }
    // With no weights at all the section is empty but still aligned.
    if (out.written() < header.weights_offset)
      LFM_RETURN_IF_ERROR(out.writeZeros(header.weights_offset - out.written()));
  }
  return out.commit();
}

}  // namespace

absl::Status writeArtifact(const Artifact &artifact, const HostWeights *embedded,
                           const std::string &path) {
  if (auto st = verifyArtifact(artifact); !st.ok()) return withPath(st, path);
  std::vector<WeightExtent> extents;
  if (embedded != nullptr) {
    if (auto st = checkHostWeights(artifact.plan, *embedded); !st.ok()) return withPath(st, path);
    extents = layOutWeights(*embedded);
  }
  auto metadata = encodeMetadata(artifact, extents);
  if (!metadata.ok()) return withPath(metadata.status(), path);

  ArtifactHeader header;
  header.metadata_size = metadata->size();
  header.metadata_crc = crc32(*metadata);
  if (embedded != nullptr) {
    header.flags |= kArtifactFlagEmbeddedWeights;
    header.weights_offset =
        alignUp(header.metadata_offset + header.metadata_size, kArtifactAlignment);
    header.weights_size = extents.empty() ? 0 : extents.back().offset + extents.back().size;
  }
  if (auto st = writeFile(header, *metadata, embedded, extents, path); !st.ok())
    return withPath(st, path);
  return absl::OkStatus();
}

}  // namespace lfm
