//===- RmsNorm.cpp - rms_norm and add_rms_norm ----------------------------===//
//
//   rms_norm     [x, w] -> [y]: y = x / sqrt(mean(x^2) + eps) * w, over each
//                run of `group` columns (default: the whole row)
//   add_rms_norm [x, residual, w] -> [normed, sum]: sum = x + residual,
//                normed = rms_norm(sum as stored)
//
// A row (or, for narrow rows, a few lanes) per block; each lane keeps its
// chunks in registers between the sum of squares and the scaling, so x is
// read once. Groups that span a power-of-two number of lanes (per-head
// norms) reduce with segmented warp shuffles; other group sizes fall back to
// one lane per group.
//
//===----------------------------------------------------------------------===//

#include "codegen/cuda/emitters/Emitters.h"

#include "codegen/cuda/EmitterSupport.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"

namespace mlir::lfm::cuda {
namespace {

constexpr llvm::StringLiteral kLanePerGroupTemplate =
#include "kernels/rms_norm_lane_per_group.inc"
    ;

using Vars = std::vector<std::pair<std::string, std::string>>;

struct NormSpec {
  std::string summary;
  std::string bindings;   // binds x (and residual, sum), w, y
  BufferDesc x;           // the normalized row's shape
  int64_t group = 0;
  double eps = 0;
  bool addResidual = false;  // add_rms_norm: v = x + residual, stored to sum
  ::lfm::DType sumDType = ::lfm::DType::kF32;
};

// Loads chunk `col` of the row into v[i] (for add_rms_norm: x + residual,
// storing the sum and continuing with the sum as stored).
std::string loadChunk(const NormSpec &spec, int64_t chunk,
                      llvm::StringRef indent) {
  std::string text =
      spec.addResidual
          ? R"(lfm_load_n<${C}>(x + base + col, v[i]);
{
  float r[${C}];
  lfm_load_n<${C}>(residual + base + col, r);
#pragma unroll
  for (int k = 0; k < ${C}; ++k) v[i][k] += r[k];
  lfm_store_n<${C}>(sum + base + col, v[i]);
  // Normalize the sum as stored, so that the fused op equals add + rms_norm.
#pragma unroll
  for (int k = 0; k < ${C}; ++k) v[i][k] = lfm_round_to<${SUMT}>(v[i][k]);
}
)"
          : "lfm_load_n<${C}>(x + base + col, v[i]);\n";
  text = fillTemplate(text, {{"C", std::to_string(chunk)},
                            {"SUMT", storageType(spec.sumDType).str()}});
  std::string out;
  llvm::SmallVector<llvm::StringRef> lines;
  llvm::StringRef(text).split(lines, '\n', -1, /*KeepEmpty=*/false);
  for (llvm::StringRef line : lines)
    out += (line.startswith("#") ? "" : indent.str()) + line.str() + "\n";
  return out;
}

// Scales the chunks kept in registers and stores them: y = v * scale * w.
constexpr const char *kStoreChunks = R"(  if (!in_range) return;
  ${LOOP}    const int col = u * ${C};
    float w[${C}];
    lfm_load_n<${C}>(weight + ${WCOL}, w);
#pragma unroll
    for (int k = 0; k < ${C}; ++k) v[i][k] = v[i][k] * ${SCALE} * w[k];
    lfm_store_n<${C}>(y + base + col, v[i]);
  }
)";

// Lanes cooperate on a row; the group is the row, or a power-of-two number
// of lanes within a warp.
std::string emitCooperative(const EmitContext &ctx, const NormSpec &spec,
                            int64_t chunk, const RowTiling &tiling,
                            int64_t lanesPerGroup, Vars vars) {
  const bool wholeRow = spec.group == spec.x.width;
  std::string reduce;
  if (wholeRow) {
    reduce = fillTemplate(
        R"(  float sum_sq = 0.0f;
  ${LOOP_ALL}    if (has_unit) {
      const int col = u * ${C};
${LOAD}#pragma unroll
      for (int k = 0; k < ${C}; ++k) sum_sq += v[i][k] * v[i][k];
    }
  }
  const float scale = lfm_rms_scale(${ROWSUM}, ${GF}, ${EPS});
)",
        {{"LOOP_ALL", tiling.unitLoopBegin(/*skipMissing=*/false)},
         {"C", std::to_string(chunk)},
         {"LOAD", loadChunk(spec, chunk, "      ")},
         {"ROWSUM", tiling.rowSumExpr("sum_sq")},
         {"GF", floatLiteral(spec.group)},
         {"EPS", floatLiteral(spec.eps)}});
  } else {
    reduce = fillTemplate(
        R"(  // Each chunk lies in one group of ${G} columns = ${LPG} adjacent lanes.
  float scale[${UPT}];
  ${LOOP_ALL}    float sum_sq = 0.0f;
    if (has_unit) {
      const int col = u * ${C};
${LOAD}#pragma unroll
      for (int k = 0; k < ${C}; ++k) sum_sq += v[i][k] * v[i][k];
    }
    scale[i] = lfm_rms_scale(lfm_warp_sum(sum_sq, ${LPG}), ${GF}, ${EPS});
  }
)",
        {{"LOOP_ALL", tiling.unitLoopBegin(/*skipMissing=*/false)},
         {"C", std::to_string(chunk)},
         {"G", std::to_string(spec.group)},
         {"LPG", std::to_string(lanesPerGroup)},
         {"UPT", std::to_string(tiling.unitsPerThread)},
         {"LOAD", loadChunk(spec, chunk, "      ")},
         {"GF", floatLiteral(spec.group)},
         {"EPS", floatLiteral(spec.eps)}});
  }
  vars.insert(vars.end(),
              {{"SHARED", tiling.needsSharedReduction()
                              ? "  __shared__ float lfm_red[32];  // block "
                                "reduction partials\n"
                              : ""},
               {"PROLOGUE", tiling.rowPrologue(rowCountExpr(spec.x.rows))},
               {"UPT", std::to_string(tiling.unitsPerThread)},
               {"REDUCE", reduce},
               {"STORE",
                fillTemplate(kStoreChunks,
                             {{"LOOP", tiling.unitLoopBegin(true)},
                              {"C", std::to_string(chunk)},
                              {"WCOL", wholeRow ? "col"
                                                : "col % " +
                                                      std::to_string(spec.group)},
                              {"SCALE", wholeRow ? "scale" : "scale[i]"}})}});
  return fillTemplate(
      R"(// ${SUMMARY}
// Rows of ${W} values in chunks of ${C}; each lane keeps its ${UPT} chunk(s)
// in registers between the sum of squares and the scaling.
extern "C" __global__ void ${NAME}(LfmKernelArgs args) {
${BIND}${SHARED}${PROLOGUE}  const long long base = (long long)row * ${W};
  float v[${UPT}][${C}];
${REDUCE}${STORE}}
)",
      vars);
}

// One lane per group, for group sizes that do not map onto lanes: two
// passes over the group's columns.
std::string emitLanePerGroup(const NormSpec &spec, int64_t chunk,
                             const RowTiling &tiling, Vars vars) {
  vars.insert(vars.end(),
              {{"PROLOGUE", tiling.rowPrologue(rowCountExpr(spec.x.rows))},
               {"LOOP", tiling.unitLoopBegin(true)},
               {"G", std::to_string(spec.group)},
               {"GF", floatLiteral(spec.group)},
               {"EPS", floatLiteral(spec.eps)}});
  return fillTemplate(kLanePerGroupTemplate, vars);
}

KernelSource emitNorm(const EmitContext &ctx, const NormSpec &spec) {
  const int64_t width = spec.x.width;
  const int64_t chunk = chooseChunk({width, spec.group});
  const int64_t lanesPerGroup = spec.group / chunk;
  Vars vars = {{"SUMMARY", spec.summary},
               {"NAME", ctx.entryPoint},
               {"BIND", spec.bindings},
               {"W", std::to_string(width)},
               {"C", std::to_string(chunk)},
               {"SUMT", storageType(spec.sumDType).str()}};
  KernelSource out;
  if (spec.group == width) {
    RowTiling tiling = tileRows(width / chunk);
    out.body = emitCooperative(ctx, spec, chunk, tiling, 0, vars);
    out.geometry = tiling.geometry(spec.x.rows);
  } else if (llvm::isPowerOf2_64(lanesPerGroup) && lanesPerGroup <= 32) {
    // The tiling's lanes per row is a power of two >= lanesPerGroup, so no
    // group straddles two units' lanes or two warps.
    RowTiling tiling = tileRows(width / chunk);
    out.body = emitCooperative(ctx, spec, chunk, tiling, lanesPerGroup, vars);
    out.geometry = tiling.geometry(spec.x.rows);
  } else {
    RowTiling tiling = tileRows(width / spec.group);
    out.body = emitLanePerGroup(spec, chunk, tiling, vars);
    out.geometry = tiling.geometry(spec.x.rows);
  }
  return out;
}

/// The arity and eps checks both norm families start with, and x.
llvm::Expected<NormSpec> startNormSpec(const EmitContext &ctx,
                                       size_t operands, size_t results) {
  if (llvm::Error error = expectArity(ctx, operands, results))
    return std::move(error);
  llvm::Expected<double> eps = floatAttr(ctx, ::lfm::FloatAttr::kEps);
  if (!eps)
    return eps.takeError();
  NormSpec spec;
  spec.x = describeBuffer(ctx.plan, ctx.launch.operands[0]);
  spec.eps = *eps;
  return spec;
}

} // namespace

llvm::Expected<KernelSource> emitRmsNorm(const EmitContext &ctx) {
  llvm::Expected<NormSpec> spec = startNormSpec(ctx, 2, 1);
  if (!spec)
    return spec.takeError();
  BufferDesc w = describeBuffer(ctx.plan, ctx.launch.operands[1]);
  BufferDesc y = describeBuffer(ctx.plan, ctx.launch.results[0]);
  spec->group = ctx.launch.attr(::lfm::IntAttr::kGroup, spec->x.width);
  if (spec->group <= 0 || spec->x.width % spec->group != 0)
    return emitError(ctx, "group must divide the width");
  if (y.width != spec->x.width)
    return emitError(ctx, "the input and the result differ in width");
  spec->summary =
      spec->group == spec->x.width
          ? llvm::formatv("rms_norm: y = x / sqrt(mean(x^2) + {0}) * w",
                          floatLiteral(spec->eps))
                .str()
          : llvm::formatv("rms_norm: y = x / sqrt(mean(x^2) + {0}) * w over "
                          "each group of {1} columns",
                          floatLiteral(spec->eps), spec->group)
                .str();
  spec->bindings = bindBuffer("x", spec->x, 0, false) +
                   bindBuffer("weight", w, 1, false) +
                   bindBuffer("y", y, 2, true);
  return emitNorm(ctx, *spec);
}

llvm::Expected<KernelSource> emitAddRmsNorm(const EmitContext &ctx) {
  llvm::Expected<NormSpec> spec = startNormSpec(ctx, 3, 2);
  if (!spec)
    return spec.takeError();
  BufferDesc residual = describeBuffer(ctx.plan, ctx.launch.operands[1]);
  BufferDesc w = describeBuffer(ctx.plan, ctx.launch.operands[2]);
  BufferDesc normed = describeBuffer(ctx.plan, ctx.launch.results[0]);
  BufferDesc sum = describeBuffer(ctx.plan, ctx.launch.results[1]);
  for (const BufferDesc *b : {&residual, &normed, &sum})
    if (b->width != spec->x.width)
      return emitError(ctx, "operands and results differ in width");
  spec->group = spec->x.width;
  spec->addResidual = true;
  spec->sumDType = sum.dtype;
  spec->summary = llvm::formatv("add_rms_norm: sum = x + residual, normed = "
                                "sum / sqrt(mean(sum^2) + {0}) * w",
                                floatLiteral(spec->eps))
                      .str();
  spec->bindings = bindBuffer("x", spec->x, 0, false) +
                   bindBuffer("residual", residual, 1, false) +
                   bindBuffer("weight", w, 2, false) +
                   bindBuffer("y", normed, 3, true) +
                   bindBuffer("sum", sum, 4, true);
  return emitNorm(ctx, *spec);
}

} // namespace mlir::lfm::cuda
