// readArtifact: maps the file and verifies it outside in (header, section
// bounds, metadata checksum, FlatBuffers verifier and decoding, plan
// semantics, embedded weight extents) before anything is used.
#include "absl/strings/str_cat.h"
#include "artifact/ArtifactHeader.h"
#include "artifact/Crc32.h"
#include "artifact/Metadata.h"
#include "lfm/Artifact.h"
#include "lfm/StatusMacros.h"
#include "lfm/WeightLoader.h"

namespace lfm {
namespace {

template <typename... Parts>
absl::Status corrupt(const std::string &path, const Parts &...parts) {
  return absl::DataLossError(absl::StrCat("artifact '", path, "': ", parts...));
}

// Views of each embedded weight, checked against the weights section and
// the spec's byte size.
absl::StatusOr<std::shared_ptr<const EmbeddedWeights>> embeddedViews(
    const std::shared_ptr<const MappedFile> &file, const ArtifactHeader &header,
    const Metadata &metadata) {
  const std::string &path = file->path();
  const auto &specs = metadata.plan.weights;
  const auto &extents = metadata.embedded_weights;
  if (extents.size() != specs.size())
    return corrupt(path, "embedded_weights: ", extents.size(), " extents for ", specs.size(),
                   " weights");
  const uint8_t *section = file->bytes().data() + header.weights_offset;
  std::vector<std::span<const uint8_t>> views;
  uint64_t previous_end = 0;
  for (size_t i = 0; i < extents.size(); ++i) {
    const WeightExtent &e = extents[i];
    auto where = [&] {
      return absl::StrCat("embedded_weights[", i, "] ('", specs[i].name, "'): ");
    };
    if (e.offset % kArtifactAlignment != 0 || e.offset < previous_end)
      return corrupt(path, where(), "offset ", e.offset,
                     " is not aligned or overlaps the previous weight");
    if (e.offset > header.weights_size || e.size > header.weights_size - e.offset)
      return corrupt(path, where(), "bytes [", e.offset, ", +", e.size,
                     ") lie outside the weights section (", header.weights_size, " bytes)");
    if (static_cast<int64_t>(e.size) != weightBytes(specs[i]))
      return corrupt(path, where(), e.size, " bytes, but the spec needs ", weightBytes(specs[i]));
    views.emplace_back(section + e.offset, e.size);
    previous_end = e.offset + e.size;
  }
  return std::make_shared<const EmbeddedWeights>(file, std::move(views));
}

}  // namespace

absl::StatusOr<Artifact> readArtifact(const std::string &path) {
  std::shared_ptr<const MappedFile> file;
  LFM_ASSIGN_OR_RETURN(file, MappedFile::open(path));
  std::span<const uint8_t> bytes = file->bytes();
  ArtifactHeader header;
  LFM_ASSIGN_OR_RETURN(header, decodeArtifactHeader(bytes, bytes.size(), path));

  auto metadata_bytes = bytes.subspan(header.metadata_offset, header.metadata_size);
  if (crc32(metadata_bytes) != header.metadata_crc)
    return corrupt(path, "metadata: checksum mismatch (the metadata is corrupted)");
  if (header.hasEmbeddedWeights()) {
    uint64_t metadata_end = header.metadata_offset + header.metadata_size;
    for (uint64_t i = metadata_end; i < header.weights_offset; ++i)
      if (bytes[i] != 0)
        return corrupt(path, "padding byte ", i, " before the weights is not zero");
  }
  Metadata metadata;
  LFM_ASSIGN_OR_RETURN(metadata, decodeMetadata(metadata_bytes, path));

  Artifact artifact;
  artifact.format_version = header.format_version;
  artifact.has_embedded_weights = header.hasEmbeddedWeights();
  if (artifact.has_embedded_weights) {
    LFM_ASSIGN_OR_RETURN(artifact.embedded_weights, embeddedViews(file, header, metadata));
  } else if (!metadata.embedded_weights.empty()) {
    return corrupt(path, "embedded_weights: extents without the embedded-weights flag");
  }
  artifact.plan = std::move(metadata.plan);
  artifact.kernels = std::move(metadata.kernels);
  artifact.tokenizer = std::move(metadata.tokenizer);
  if (auto st = verifyArtifact(artifact); !st.ok())
    return absl::Status(st.code(), absl::StrCat("artifact '", path, "': ", st.message()));
  return artifact;
}

absl::StatusOr<HostWeights> readEmbeddedWeights(const Artifact &artifact) {
  if (!artifact.has_embedded_weights || artifact.embedded_weights == nullptr)
    return absl::FailedPreconditionError(
        "the artifact has no embedded weights (compile it with --embed-weights, or load the "
        "weights from the checkpoint)");
  const EmbeddedWeights &embedded = *artifact.embedded_weights;
  const auto &specs = artifact.plan.weights;
  if (embedded.size() != specs.size())
    return absl::FailedPreconditionError(absl::StrCat("the artifact embeds ", embedded.size(),
                                                      " weights but its plan has ", specs.size()));
  HostWeights weights;
  weights.buffers.reserve(specs.size());
  for (size_t i = 0; i < specs.size(); ++i) {
    auto bytes = embedded.bytes(i);
    if (static_cast<int64_t>(bytes.size()) != weightBytes(specs[i]))
      return absl::FailedPreconditionError(
          absl::StrCat("embedded weight '", specs[i].name, "' has ", bytes.size(),
                       " bytes, its spec needs ", weightBytes(specs[i])));
    weights.buffers.emplace_back(bytes.begin(), bytes.end());
  }
  return weights;
}

}  // namespace lfm
