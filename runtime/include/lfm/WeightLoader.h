// Binding weights to a plan: building HostWeights (one buffer per
// Plan::weights entry) from a Hugging Face checkpoint per the weight plan,
// or synthesizing them for benchmarks. For weights embedded in an artifact
// see readEmbeddedWeights in lfm/Artifact.h.
#ifndef LFM_WEIGHTLOADER_H
#define LFM_WEIGHTLOADER_H

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lfm/HostWeights.h"
#include "lfm/Plan.h"

namespace lfm {

class Checkpoint;

// Called as work proceeds with the bytes done so far and the total (the
// bytes of the converted weights). May be called from worker threads, but
// never concurrently.
using ProgressFn = std::function<void(int64_t done_bytes, int64_t total_bytes)>;

// A progress reporter on stderr that says what it is doing ("loading
// weights") about every 10%, and stays quiet when the total is below
// `quiet_below_bytes` (tiny models load instantly).
ProgressFn stderrProgress(std::string what, int64_t quiet_below_bytes = int64_t{256} << 20);

// For each Plan::weights entry: finds its sources in the checkpoint (a
// folder, a sharded folder or one .safetensors file; see lfm/Safetensors.h),
// checks each source's shape against WeightSource::shape, converts from the
// checkpoint dtype to the spec's dtype (through float32), concatenates the
// sources along dimension 0 and checks the total against the spec's shape.
// Errors name the weight, the tensor, the file and the shapes or dtypes.
absl::StatusOr<HostWeights> loadWeights(
    const Plan &plan, const std::string &checkpoint_path,
    const ProgressFn &progress = stderrProgress("loading weights"));
absl::StatusOr<HostWeights> loadWeights(
    const Plan &plan, const Checkpoint &checkpoint,
    const ProgressFn &progress = stderrProgress("loading weights"));

// Deterministic synthetic weights of the plan's shapes and dtypes, for
// benchmarks of real model sizes without a checkpoint: 1-D weights (norms)
// uniform in [0.9, 1.1], others uniform in +-1/sqrt(fan_in) with fan_in the
// product of all but the first dimension, so activations stay finite. The
// same seed gives the same bytes on any machine and thread count.
// `plan` must have passed verifyPlan.
HostWeights randomWeights(const Plan &plan, uint64_t seed);

// Checks that `weights` has one buffer per Plan::weights entry of exactly the
// spec's byte size; errors name the weight.
absl::Status checkHostWeights(const Plan &plan, const HostWeights &weights);

// The byte size of a weight spec (weightStorageBytes: its elements in its
// dtype, or its quantized blocks); -1 for a shape that is negative or
// overflows (hostile, unverified specs, e.g. an artifact's embedded extents).
int64_t weightBytes(const WeightSpec &spec);

}  // namespace lfm

#endif  // LFM_WEIGHTLOADER_H
