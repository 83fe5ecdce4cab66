// What a CPU kernel sees: its launch, its operand and result views, and (when
// running, not while the plan is checked) the step. Every op has two
// functions: check (static: operand kinds, widths, attributes; run once when
// a plan is loaded) and run (assumes check passed and the step inputs were
// validated, so it cannot fail).
#ifndef LFM_RUNTIME_CPU_OPCONTEXT_H
#define LFM_RUNTIME_CPU_OPCONTEXT_H

#include <cstdint>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lfm/Device.h"
#include "lfm/Plan.h"
#include "lfm/StatusMacros.h"
#include "Tensor.h"
#include "ThreadPool.h"

namespace lfm::cpu {

// One step as the kernels see it.
struct StepContext {
  StepInputs inputs;
  int64_t tokens = 0;      // T
  int64_t logit_rows = 0;  // R
  // Per token row: its sequence and its position in that sequence.
  std::vector<int32_t> seq_of_token;
  std::vector<int64_t> pos_of_token;
  ThreadPool *pool = nullptr;

  int64_t sequences() const { return static_cast<int64_t>(inputs.slots.size()); }
  int64_t seqBegin(int64_t i) const { return inputs.row_offsets[i]; }
  int64_t seqEnd(int64_t i) const { return inputs.row_offsets[i + 1]; }
};

struct OpContext {
  const Plan &plan;
  int64_t launch_index = 0;
  const Launch &launch;
  std::vector<Tensor> operands;
  std::vector<Tensor> results;
};

using CheckFn = absl::Status (*)(const OpContext &);
using RunFn = void (*)(const OpContext &, const StepContext &);

// ---- Helpers for check functions. Each error names the launch and operand.

// "launch 7 (linear, layer 2): <message>" as InvalidArgument.
absl::Status opError(const OpContext &ctx, absl::string_view message);

absl::Status expectArity(const OpContext &ctx, size_t operands, size_t results);
// An activation or the logits (row data with T or R rows).
absl::Status expectRowData(const OpContext &ctx, const Tensor &t, absl::string_view role);
absl::Status expectActivation(const OpContext &ctx, const Tensor &t, absl::string_view role);
absl::Status expectWeight(const OpContext &ctx, const Tensor &t, absl::string_view role);
absl::Status expectKind(const OpContext &ctx, const Tensor &t, BufferRef::Kind kind,
                        absl::string_view role);
absl::Status expectInput(const OpContext &ctx, const Tensor &t, InputId id);
absl::Status expectWidth(const OpContext &ctx, const Tensor &t, int64_t width,
                         absl::string_view role);
absl::Status expectSameSpace(const OpContext &ctx, const Tensor &a, const Tensor &b);
// A weight of `elements` values in total (a 1-D norm weight, say).
absl::Status expectVector(const OpContext &ctx, const Tensor &t, int64_t elements,
                          absl::string_view role);

// Attributes. The defaulted forms are for attributes Plan.h calls optional.
absl::StatusOr<int64_t> intAttr(const OpContext &ctx, absl::string_view name);
absl::StatusOr<int64_t> intAttr(const OpContext &ctx, absl::string_view name, int64_t dflt);
absl::StatusOr<double> floatAttr(const OpContext &ctx, absl::string_view name);

// A key cache at operands[first] and its value cache next, both `width` wide.
absl::Status expectCachePair(const OpContext &ctx, size_t first, int64_t width);

// The conventional operand tail of state ops: row_offsets, slots, start_pos.
absl::Status expectSequenceInputs(const OpContext &ctx, size_t first);

// Rows per parallel chunk for row-wise kernels: enough work per chunk
// (about 16K elements) that waking a thread pays off.
inline int64_t rowGrain(int64_t width) {
  return width >= 16384 ? 1 : 16384 / (width > 0 ? width : 1);
}

// Run-time attribute reads, for attributes that check() has proven present.
int64_t intAttrOr(const Launch &launch, absl::string_view name, int64_t dflt);
double floatAttrOr(const Launch &launch, absl::string_view name, double dflt);

}  // namespace lfm::cpu

#endif  // LFM_RUNTIME_CPU_OPCONTEXT_H
