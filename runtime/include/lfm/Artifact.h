// The compiled artifact (.lfma): everything the runtime needs to run a model
// except (by default) its weights.
//
// ## File layout (all integers little-endian)
//
//   offset 0   header, kArtifactHeaderSize (64) bytes:
//                0  magic "LFMA"
//                4  u32 format version (kArtifactFormatVersion)
//                8  u32 header size (64)
//               12  u32 flags (bit 0: embedded weights; other bits must be 0)
//               16  u64 metadata offset (64)     24  u64 metadata size
//               32  u64 weights offset (0 if none, else 64-byte aligned)
//               40  u64 weights size (0 if none)
//               48  u32 CRC-32 of the metadata
//               52  8 reserved bytes, zero
//               60  u32 CRC-32 of header bytes 0..59
//   offset 64  metadata: a FlatBuffer (runtime/artifact/lfma.fbs, identifier
//              "LFMM") with the model config, the plan, the kernel table and,
//              with embedded weights, each weight's (offset, size) within the
//              weights section.
//   then       zero padding to a 64-byte boundary, and the weights section:
//              each Plan::weights entry in its spec's dtype and shape, raw,
//              64-byte aligned. The file ends exactly there.
//
// Weights live outside the FlatBuffer because FlatBuffers cannot exceed
// 2 GiB and real weights do. The metadata is checksummed; the weight bytes
// are not (a flipped weight bit changes a value, never the control flow;
// checksumming gigabytes at every load would cost more than it saves).
//
// readArtifact verifies everything before returning: header fields, section
// bounds, the checksums, the FlatBuffers verifier, value ranges while
// converting, then verifyArtifact (the plan's semantics). A bad file is an
// error naming the file, the section and the field, never a crash.
#ifndef LFM_ARTIFACT_H
#define LFM_ARTIFACT_H

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lfm/HostWeights.h"
#include "lfm/MappedFile.h"
#include "lfm/Plan.h"
#include "lfm/TokenizerFiles.h"

namespace lfm {

// Format versions. 1: launches name their op by a string (Launch.op).
// 2: launches carry the op schema's OpKind (Launch.kind, lfm/OpSchema.h;
// values append-only) and no string, so readers of version 1 refuse the file
// by its version instead of misreading it. Readers read both; writers write
// kArtifactFormatVersion. Attribute names stay strings, checked against the
// schema by verifyPlan. Adding an op appends an OpKind value and needs no new
// version: an older reader rejects the unknown value by name.
inline constexpr uint32_t kArtifactFormatVersion = 2;
inline constexpr uint32_t kOldestArtifactFormatVersion = 1;
inline constexpr uint32_t kArtifactHeaderSize = 64;
inline constexpr uint32_t kArtifactAlignment = 64;

// One compiled form of a kernel for one target.
struct KernelBinary {
  enum class Kind : uint8_t { kPtx = 0, kCubin = 1 };
  std::string target;  // "sm_90" for a CUBIN, "compute_90" for PTX
  Kind kind = Kind::kPtx;
  std::vector<uint8_t> data;  // PTX text (no trailing NUL needed) or CUBIN

  bool operator==(const KernelBinary &) const = default;
};

// How a launch's grid and block are formed. The block is fixed when the
// kernel is generated; the grid depends on the step (rows, sequences), so it
// is a rule the code generator and the cuda device agree on, by name, with
// integer parameters (e.g. rule "rows" with args {rows_per_block}).
struct LaunchGeometry {
  std::array<int32_t, 3> block = {1, 1, 1};
  std::string grid_rule;
  std::vector<int64_t> grid_args;

  bool operator==(const LaunchGeometry &) const = default;
};

// One GPU kernel: its source, compiled binaries and launch geometry.
// Plan::launches refer to kernels by index (Launch::kernel, and
// Launch::large_rows_kernel for the variant run on steps of many rows).
struct KernelInfo {
  std::string name;
  std::string entry_point;  // the extern "C" symbol in the module
  std::vector<KernelBinary> binaries;
  std::string cuda_source;  // kept for --emit, the emu device and debugging
  LaunchGeometry geometry;
  int64_t dynamic_shared_bytes = 0;

  bool operator==(const KernelInfo &) const = default;
};

// Embedded weight bytes of an artifact read from disk: views into the
// memory-mapped file, valid while this object lives (copies of an Artifact
// share it). Devices may upload straight from these views.
class EmbeddedWeights {
 public:
  EmbeddedWeights(std::shared_ptr<const MappedFile> file,
                  std::vector<std::span<const uint8_t>> views)
      : file_(std::move(file)), views_(std::move(views)) {}

  size_t size() const { return views_.size(); }
  // The bytes of Plan::weights[i], exactly its spec's byte size.
  std::span<const uint8_t> bytes(size_t i) const { return views_.at(i); }

 private:
  std::shared_ptr<const MappedFile> file_;
  std::vector<std::span<const uint8_t>> views_;
};

struct Artifact {
  // The version of the file it was read from; writeArtifact always writes
  // kArtifactFormatVersion.
  uint32_t format_version = kArtifactFormatVersion;
  Plan plan;
  std::vector<KernelInfo> kernels;
  // The checkpoint's tokenizer.json, tokenizer_config.json and
  // generation_config.json, when it had them (empty strings otherwise).
  TokenizerFiles tokenizer;
  // Set by readArtifact; ignored by writeArtifact (which embeds weights iff
  // it is given them).
  bool has_embedded_weights = false;
  std::shared_ptr<const EmbeddedWeights> embedded_weights;
};

// Writes `artifact` to `path`, with `embedded` weights packed in when it is
// non-null (one buffer per Plan::weights entry, of the spec's byte size).
// Verifies the artifact first. Writes a temporary file in the same folder
// and renames it over `path`, so a failure never leaves a partial file or
// clobbers an existing one.
absl::Status writeArtifact(const Artifact &artifact, const HostWeights *embedded,
                           const std::string &path);

// Reads and fully verifies an artifact. The file stays mapped while the
// result (or its embedded_weights) lives.
absl::StatusOr<Artifact> readArtifact(const std::string &path);

// Copies the embedded weights of an artifact read by readArtifact into host
// buffers. An error if the artifact has none.
absl::StatusOr<HostWeights> readEmbeddedWeights(const Artifact &artifact);

// Semantic checks of a plan, for the compiler before writing and the reader
// after parsing: config sanity, every table entry, every BufferRef in range,
// each launch's op known with its operand/result counts, kinds, required
// attributes and the shapes it implies (so devices can trust a verified plan
// not to index out of bounds). Errors name the table, entry and field.
absl::Status verifyPlan(const Plan &plan);

// verifyPlan plus the kernel table (launch kernel indices in range, kernel
// names, binaries and launch geometry sane) and the tokenizer files (each
// present one a JSON object within its size bound).
absl::Status verifyArtifact(const Artifact &artifact);

}  // namespace lfm

#endif  // LFM_ARTIFACT_H
