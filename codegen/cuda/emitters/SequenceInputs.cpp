//===- SequenceInputs.cpp - The ragged-batch inputs of a kernel -----------===//

#include "codegen/cuda/emitters/SequenceInputs.h"

#include "codegen/cuda/EmitterSupport.h"

#include "llvm/Support/FormatVariadic.h"

using namespace ::lfm;

namespace mlir::lfm::cuda {

llvm::Expected<std::string> bindSequenceInputs(const EmitContext &ctx,
                                               size_t first) {
  static constexpr struct {
    const char *name;
    InputId id;
  } kInputs[] = {{"row_offsets", InputId::kRowOffsets},
                 {"slots", InputId::kSlots},
                 {"start_pos", InputId::kStartPos}};
  std::string bind;
  for (size_t i = 0; i < 3; ++i) {
    const BufferRef &ref = ctx.launch.operands[first + i];
    if (ref.kind != BufferRef::kInput ||
        ref.index != static_cast<int32_t>(kInputs[i].id))
      return emitError(ctx,
                       llvm::formatv("operand {0} must be the step input {1}",
                                     first + i, kInputs[i].name));
    bind += bindBuffer(kInputs[i].name, describeBuffer(ctx.plan, ref),
                       static_cast<int>(first + i), false);
  }
  return bind;
}

} // namespace mlir::lfm::cuda
