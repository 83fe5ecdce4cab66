// The memory a plan needs, the same for every device: the byte size of each
// weight, activation region, state pool and the logits, and which launches
// must write a result through scratch memory because it shares a region with
// one of its operands. Computing it also checks the plan's buffer structure
// (every reference in range, sizes that fit in int64, no two live
// activations in one region), so devices can trust the plan afterwards.
#ifndef LFM_PLANLAYOUT_H
#define LFM_PLANLAYOUT_H

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lfm/StateShape.h"
#include "lfm/Plan.h"

namespace lfm {

struct PlanLayout {
  // Rows of the largest step: T and R are both at most this.
  int64_t max_rows = 0;
  std::vector<int64_t> weight_bytes;  // per Plan::weights entry
  // Per region: max_rows * max(width * dtypeSize) over its activations.
  std::vector<int64_t> region_bytes;
  // The logits buffer: max_rows x vocab float32. Its rows are the logit rows
  // (R), unless the launch that writes it reads token rows (a plan with no
  // gather_rows): then it holds T rows and devices pick the logit rows out.
  RowSpace logits_rows = RowSpace::kLogitRows;
  int64_t logits_bytes = 0;
  // Some launch writes the logits buffer.
  bool writes_logits = false;
};

// Checks the plan's buffers and computes its layout. Errors name the launch,
// buffer and reason. Per-op checks (operand kinds and widths) are the
// device's, since they describe its kernels.
absl::StatusOr<PlanLayout> layoutPlan(const Plan &plan);

// The row space of the logits buffer (see PlanLayout::logits_rows): token
// rows when the first launch writing it reads token rows, else logit rows.
RowSpace logitsRowSpace(const Plan &plan);

// A buffer's element type and row shape, as devices and code generators see
// it. The plan must have passed layoutPlan (or verifyPlan): `ref` is trusted.
struct BufferInfo {
  BufferRef ref;
  DType dtype = DType::kF32;
  int64_t width = 0;                  // columns of a row
  RowSpace space = RowSpace::kTokens; // activations and logits: T or R rows
  int64_t weight_rows = 0;            // weights: rows (1 for a vector)
  int64_t rows_per_slot = 0;          // conv state: kernel - 1
  std::string name;                   // for errors: "activation 3 (layer0.norm)"
};
BufferInfo describeBuffer(const Plan &plan, BufferRef ref);

// The bytes of one pool of a conv state or a K (or V) cache for `shape`.
absl::StatusOr<int64_t> convStateBytes(const ConvStateSpec &spec, const StateShape &shape);
absl::StatusOr<int64_t> kvCacheBytes(const KvCacheSpec &spec, const StateShape &shape);

// The product of a weight's shape (1 for a scalar); -1 if it overflows or a
// dimension is negative.
int64_t weightElements(const WeightSpec &spec);

// The bytes of a weight's device buffer: its elements in its dtype, or its
// quantized blocks (quantMatrixBytes of [shape[0], shape[1]]); -1 for a bad
// shape (overflow, negative, a quantized weight that is not 2-D or whose
// columns are not a multiple of the block).
int64_t weightStorageBytes(const WeightSpec &spec);

}  // namespace lfm

#endif  // LFM_PLANLAYOUT_H
