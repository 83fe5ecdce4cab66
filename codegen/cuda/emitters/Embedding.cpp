//===- Embedding.cpp - embedding [tokens, table] -> [y] -------------------===//
//
// y[t] = table[tokens[t]]: a row gather from the (vocab x hidden) table.
//
//===----------------------------------------------------------------------===//

#include "codegen/cuda/emitters/Emitters.h"
#include "codegen/cuda/emitters/QuantWeight.h"
#include "codegen/cuda/emitters/RowCopy.h"

#include "llvm/Support/FormatVariadic.h"

namespace mlir::lfm::cuda {

llvm::Expected<KernelSource> emitEmbedding(const EmitContext &ctx) {
  if (llvm::Error error = expectArity(ctx, 2, 1))
    return std::move(error);
  const ::lfm::Plan &plan = ctx.plan;
  BufferDesc table = describeBuffer(plan, ctx.launch.operands[1]);
  BufferDesc y = describeBuffer(plan, ctx.launch.results[0]);
  if (table.width != y.width)
    return emitError(ctx, "the table and the result differ in width");
  int64_t vocabRows = 1;
  if (table.ref.kind == ::lfm::BufferRef::kWeight &&
      !plan.weights[table.ref.index].shape.empty())
    vocabRows = plan.weights[table.ref.index].shape[0];

  RowCopySpec spec;
  spec.summary = llvm::formatv("embedding: y[t] = table[tokens[t]], {0} rows "
                               "of {1}",
                               vocabRows, table.width)
                     .str();
  // A block-quantized table (q8_0 or q6_k as lfm-compile --quantize leaves
  // it, or any format from a GGUF) is gathered dequantized.
  llvm::Expected<std::optional<QuantWeight>> quant = quantWeightOf(ctx, table);
  if (!quant)
    return quant.takeError();
  spec.bindings =
      "  const int *__restrict__ tokens = (const int *)args.buf[0];\n" +
      (*quant ? bindQuantWeight("table", table, **quant, 1)
              : bindBuffer("table", table, 1, false)) +
      bindBuffer("y", y, 2, true);
  spec.rows = ::lfm::RowSpace::kTokens;
  // Token ids are checked against the vocabulary before a step; the guard
  // keeps a bad id from reading outside the table regardless.
  spec.rowSetup = llvm::formatv("  const int token = tokens[row];\n"
                                "  if (token < 0 || token >= {0}) return;\n"
                                "  const long long src_row = token;\n"
                                "  const long long dst_row = row;\n",
                                vocabRows)
                      .str();
  spec.width = y.width;
  spec.parts.push_back({"table", "y", table.width, 0, y.width});
  if (*quant) {
    spec.parts.back().dequant = (*quant)->dequant;
    spec.parts.back().srcRowBytes = (*quant)->rowBytes;
    spec.summary += ", " + (*quant)->name + " dequantized";
  }
  return emitRowCopy(ctx, spec);
}

} // namespace mlir::lfm::cuda
