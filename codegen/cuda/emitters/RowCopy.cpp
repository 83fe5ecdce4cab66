//===- RowCopy.cpp - Kernels that move whole rows -------------------------===//

#include "codegen/cuda/emitters/RowCopy.h"

#include "llvm/Support/FormatVariadic.h"

namespace mlir::lfm::cuda {

KernelSource emitRowCopy(const EmitContext &ctx, const RowCopySpec &spec) {
  llvm::SmallVector<int64_t> alignments = {spec.width};
  for (const RowCopyPart &part : spec.parts)
    alignments.append({part.srcWidth, part.srcOffset, part.dstWidth});
  const int64_t chunk = chooseChunk(alignments);
  RowTiling tiling = tileRows(spec.width / chunk);

  // A chunk of a quantized row lies in one block (chooseChunk gives at most
  // 8, and quantized widths and offsets are whole blocks of 32 or 256).
  static constexpr llvm::StringLiteral kLoad =
      "lfm_load_n<${C}>(${SRC} + src_row * ${SW} + ${SOFF} + col, vals);";
  static constexpr llvm::StringLiteral kDequant =
      "${DEQUANT}<${C}>(${SRC} + src_row * ${SROWBYTES}, ${SOFF} + col, "
      "vals);";
  std::string copies;
  for (const RowCopyPart &part : spec.parts) {
    std::vector<std::pair<std::string, std::string>> vars = {
        {"C", std::to_string(chunk)},
        {"SRC", part.src},
        {"DST", part.dst},
        {"SW", std::to_string(part.srcWidth)},
        {"SOFF", std::to_string(part.srcOffset)},
        {"DW", std::to_string(part.dstWidth)},
        {"DEQUANT", part.dequant},
        {"SROWBYTES", std::to_string(part.srcRowBytes)}};
    vars.emplace_back(
        "LOAD", fillTemplate(part.dequant.empty() ? kLoad : kDequant, vars));
    copies += fillTemplate(
        R"(    {
      float vals[${C}];
      ${LOAD}
      lfm_store_n<${C}>(${DST} + dst_row * ${DW} + col, vals);
    }
)",
        vars);
  }

  KernelSource out;
  out.body = fillTemplate(
      R"(// ${SUMMARY}
// ${WIDTH} columns per row, moved ${C} at a time (vector loads and stores).
extern "C" __global__ void ${NAME}(LfmKernelArgs args) {
${BIND}${PROLOGUE}  if (!in_range) return;
${SETUP}  ${LOOP}    const int col = u * ${C};
${COPIES}  }
}
)",
      {{"SUMMARY", spec.summary},
       {"WIDTH", std::to_string(spec.width)},
       {"C", std::to_string(chunk)},
       {"NAME", ctx.entryPoint},
       {"BIND", spec.bindings},
       {"PROLOGUE", tiling.rowPrologue(rowCountExpr(spec.rows))},
       {"SETUP", spec.rowSetup},
       {"LOOP", tiling.unitLoopBegin(/*skipMissing=*/true)},
       {"COPIES", copies}});
  out.geometry = tiling.geometry(spec.rows);
  return out;
}

} // namespace mlir::lfm::cuda
