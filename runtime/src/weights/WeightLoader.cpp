// loadWeights: the weight plan applied to a checkpoint. Every source is
// resolved and checked first (fast, in plan order, so the first error is
// deterministic and comes before minutes of conversion), then the weights
// are converted in parallel.
#include "lfm/WeightLoader.h"

#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lfm/Safetensors.h"
#include "lfm/StatusMacros.h"
#include "weights/ParallelFor.h"
#include "weights/QuantizeTensor.h"

namespace lfm {
namespace {

// Weights larger than this are not plausible; stops overflow in size math
// for a plan that skipped verifyPlan.
constexpr int64_t kMaxElements = int64_t{1} << 40;

// One checkpoint tensor and where its converted bytes go in the buffer.
struct Piece {
  const SafetensorsTensor *tensor;
  std::string file;
  int64_t out_offset;  // bytes
  int64_t out_size;    // bytes
};

std::string shapeString(const std::vector<int64_t> &shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ","), "]");
}

absl::StatusOr<int64_t> specElements(const WeightSpec &spec) {
  int64_t n = 1;
  for (int64_t d : spec.shape) {
    if (d < 1 || d > kMaxElements / n)
      return absl::InvalidArgumentError(
          absl::StrCat("weight '", spec.name, "' has an invalid shape ", shapeString(spec.shape)));
    n *= d;
  }
  return n;
}

// The pieces of one weight, checked against the checkpoint.
absl::StatusOr<std::vector<Piece>> resolve(const WeightSpec &spec, const Checkpoint &checkpoint) {
  int64_t expected;
  LFM_ASSIGN_OR_RETURN(expected, specElements(spec));
  if (spec.dtype == DType::kI32)
    return absl::InvalidArgumentError(absl::StrCat("weight '", spec.name, "' has dtype i32"));
  std::vector<Piece> pieces;
  int64_t elements = 0;
  for (const WeightSource &source : spec.sources) {
    auto tensor = checkpoint.tensor(source.tensor);
    if (!tensor.ok())
      return absl::Status(tensor.status().code(),
                          absl::StrCat("weight '", spec.name, "': ", tensor.status().message()));
    const SafetensorsTensor &t = **tensor;
    std::string file = checkpoint.fileOf(source.tensor);
    if (t.shape != source.shape)
      return absl::InvalidArgumentError(
          absl::StrCat("weight '", spec.name, "': tensor '", t.name, "' in '", file, "' has shape ",
                       shapeString(t.shape), ", expected ", shapeString(source.shape)));
    // A quantized weight also takes a GGUF's quantized tensors (as they are
    // in its format, requantized in another).
    if (!spec.quant || !tensorQuantFormat(t))
      LFM_RETURN_IF_ERROR(supportedDType(t, file).status());
    int64_t n = t.numel();
    if (n > expected - elements)
      return absl::InvalidArgumentError(
          absl::StrCat("weight '", spec.name, "': its sources hold more elements than its shape ",
                       shapeString(spec.shape)));
    if (spec.quant) {
      // Whole rows of blocks: the source is [rows, K] of the spec's [N, K].
      int64_t k = spec.shape.back();
      absl::StatusOr<int64_t> row_bytes = quantRowBytes(*spec.quant, k);
      if (spec.shape.size() != 2 || t.shape.size() != 2 || t.shape[1] != k || !row_bytes.ok())
        return absl::InvalidArgumentError(
            absl::StrCat("weight '", spec.name, "' (", quantFormatName(*spec.quant),
                         "): tensor '", t.name, "' of shape ", shapeString(t.shape),
                         " is not rows of whole blocks of its shape ", shapeString(spec.shape)));
      pieces.push_back({&t, std::move(file), elements / k * *row_bytes, n / k * *row_bytes});
    } else {
      int64_t size = dtypeSize(spec.dtype);
      pieces.push_back({&t, std::move(file), elements * size, n * size});
    }
    elements += n;
  }
  if (elements != expected)
    return absl::InvalidArgumentError(absl::StrCat("weight '", spec.name, "': its sources hold ",
                                                   elements, " elements but its shape ",
                                                   shapeString(spec.shape), " holds ", expected));
  return pieces;
}

}  // namespace

absl::StatusOr<HostWeights> loadWeights(const Plan &plan, const Checkpoint &checkpoint,
                                        const ProgressFn &progress) {
  std::vector<std::vector<Piece>> pieces(plan.weights.size());
  int64_t total = 0;
  for (size_t i = 0; i < plan.weights.size(); ++i) {
    LFM_ASSIGN_OR_RETURN(pieces[i], resolve(plan.weights[i], checkpoint));
    for (const Piece &p : pieces[i]) total += p.out_size;
  }

  HostWeights weights;
  weights.buffers.resize(plan.weights.size());
  std::mutex mutex;  // guards `done`, `first_error` and the progress callback
  int64_t done = 0;
  absl::Status first_error;
  parallelFor(plan.weights.size(), [&](size_t i) {
    auto &buffer = weights.buffers[i];
    buffer.resize(static_cast<size_t>(weightBytes(plan.weights[i])));
    for (const Piece &p : pieces[i]) {
      std::span<uint8_t> out{buffer.data() + p.out_offset, static_cast<size_t>(p.out_size)};
      const WeightSpec &spec = plan.weights[i];
      absl::Status st = spec.quant ? quantizeTensor(*p.tensor, p.file, *spec.quant, out)
                                   : convertTensor(*p.tensor, p.file, spec.dtype, out);
      if (!st.ok())
        st = absl::Status(st.code(), absl::StrCat("weight '", spec.name, "': ", st.message()));
      std::lock_guard<std::mutex> lock(mutex);
      if (!st.ok() && first_error.ok()) first_error = st;
      done += p.out_size;
      if (progress) progress(done, total);
    }
  });
  if (!first_error.ok()) return first_error;
  return weights;
}

absl::StatusOr<HostWeights> loadWeights(const Plan &plan, const std::string &checkpoint_path,
                                        const ProgressFn &progress) {
  LFM_ASSIGN_OR_RETURN(Checkpoint checkpoint, Checkpoint::open(checkpoint_path));
  return loadWeights(plan, checkpoint, progress);
}

}  // namespace lfm
