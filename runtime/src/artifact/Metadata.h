// The artifact's metadata section: lfm::Artifact <-> the FlatBuffer of
// runtime/artifact/lfma.fbs. Encoding trusts its input (the writer verified
// it); decoding trusts nothing: it runs the FlatBuffers verifier, range-checks
// every enum and converts under a size budget (FlatBuffers lets many offsets
// share one table, so a small hostile file could otherwise decode into an
// enormous plan).
#ifndef LFM_ARTIFACT_METADATA_H
#define LFM_ARTIFACT_METADATA_H

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lfm/Artifact.h"

namespace lfm {

// Where one embedded weight lies, relative to the weights section.
struct WeightExtent {
  uint64_t offset = 0;
  uint64_t size = 0;
};

struct Metadata {
  Plan plan;
  std::vector<KernelInfo> kernels;
  std::vector<WeightExtent> embedded_weights;  // empty without embedded weights
  TokenizerFiles tokenizer;
};

// Fails only if the result would not fit in a FlatBuffer (2 GiB).
absl::StatusOr<std::vector<uint8_t>> encodeMetadata(const Artifact &artifact,
                                                    const std::vector<WeightExtent> &extents);

// `path` is for messages.
absl::StatusOr<Metadata> decodeMetadata(std::span<const uint8_t> bytes, const std::string &path);

}  // namespace lfm

#endif  // LFM_ARTIFACT_METADATA_H
