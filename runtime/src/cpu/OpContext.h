// What a CPU kernel sees: its launch, its operand and result views, and the
// step. A kernel runs only on a launch that passed verifyPlan and a step
// whose inputs were validated, so it cannot fail.
#ifndef LFM_RUNTIME_CPU_OPCONTEXT_H
#define LFM_RUNTIME_CPU_OPCONTEXT_H

#include <cstdint>
#include <vector>

#include "lfm/Device.h"
#include "lfm/Plan.h"
#include "Isa.h"
#include "Tensor.h"
#include "ThreadPool.h"
#include "Workspace.h"

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
  // For the optimized kernels: the ISA they run and the device's scratch.
  Isa isa = Isa::kPortable;
  // Quantized weights dot x quantized to Q8 blocks (QuantDot.h's kQ8 tiles,
  // llama.cpp's way); false: x stays float32 (LFM_CPU_QUANT_X=f32).
  bool quantize_x = true;
  Workspace *workspace = nullptr;

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

using RunFn = void (*)(const OpContext &, const StepContext &);

// Rows per parallel chunk for row-wise kernels: enough work per chunk
// (about 16K elements) that waking a thread pays off.
inline int64_t rowGrain(int64_t width) {
  return width >= 16384 ? 1 : 16384 / (width > 0 ? width : 1);
}

}  // namespace lfm::cpu

#endif  // LFM_RUNTIME_CPU_OPCONTEXT_H
