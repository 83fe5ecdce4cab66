//===- EmitterSupport.cpp - Shared pieces of the CUDA emitters ------------===//

#include "codegen/cuda/EmitterSupport.h"

#include "lfm/KernelAbi.h"
#include "lfm/PlanLayout.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"

#include <cmath>
#include <cstdio>

using namespace ::lfm;

namespace mlir::lfm::cuda {

BufferDesc describeBuffer(const Plan &plan, BufferRef ref) {
  BufferInfo info = ::lfm::describeBuffer(plan, ref);
  BufferDesc d;
  d.ref = ref;
  d.dtype = info.dtype;
  d.width = info.width;
  d.rows = info.space;
  d.rowsPerSlot = info.rows_per_slot;
  d.name = std::move(info.name);
  return d;
}

llvm::StringRef storageType(DType dtype) {
  switch (dtype) {
  case DType::kF32:
    return "float";
  case DType::kBF16:
    return "lfm_bf16_t";
  case DType::kF16:
    return "lfm_f16_t";
  case DType::kI32:
    return "int";
  }
  llvm_unreachable("unknown dtype");
}

llvm::StringRef rowCountExpr(RowSpace rows) {
  return rows == RowSpace::kTokens ? "args.num_tokens" : "args.num_logit_rows";
}

std::string floatLiteral(double value) {
  char text[64];
  std::snprintf(text, sizeof text, "%.9ef", static_cast<float>(value));
  return text;
}

std::string doubleLiteral(double value) {
  char text[64];
  std::snprintf(text, sizeof text, "%.17e", value);
  return text;
}

std::string bindBuffer(llvm::StringRef var, const BufferDesc &buffer,
                       int argIndex, bool writable) {
  // The comment names the kind, never the buffer: kernels of different
  // layers must stay textually identical to be deduplicated.
  static constexpr const char *kKinds[] = {
      "step input", "weight",    "activation", "conv state",
      "key cache",  "value cache", "logits"};
  return llvm::formatv("  {0}{1} *__restrict__ {2} = ({0}{1} *)args.buf[{3}];"
                       "  // {4}, {5} x {6}\n",
                       writable ? "" : "const ", storageType(buffer.dtype), var,
                       argIndex, kKinds[buffer.ref.kind],
                       dtypeName(buffer.dtype), buffer.width)
      .str();
}

AffineTerm AffineTerm::rows(RowSpace space, int64_t div) {
  AffineTerm term;
  (space == RowSpace::kTokens ? term.t : term.r) = 1;
  term.div = div;
  return term;
}

LaunchGeometry affineGeometry(int32_t blockThreads, AffineTerm x, AffineTerm y,
                              AffineTerm z, AffineTerm scratch) {
  LaunchGeometry g;
  g.block = {blockThreads, 1, 1};
  g.grid_rule = kAffineGridRule;
  for (const AffineTerm &term : {x, y, z, scratch})
    g.grid_args.insert(g.grid_args.end(),
                       {term.t, term.n, term.r, term.c, term.c0, term.div});
  return g;
}

int64_t chooseChunk(llvm::ArrayRef<int64_t> widthsAndOffsets) {
  for (int64_t chunk : {8, 4, 2}) {
    if (llvm::all_of(widthsAndOffsets,
                     [&](int64_t v) { return v % chunk == 0; }))
      return chunk;
  }
  return 1;
}

RowTiling tileRows(int64_t units, int64_t maxThreadsPerRow) {
  RowTiling t;
  t.units = units;
  t.threadsPerRow =
      std::min<int64_t>(llvm::PowerOf2Ceil(std::max<int64_t>(units, 1)),
                        maxThreadsPerRow);
  if (t.threadsPerRow < 32) {
    // Narrow rows: several rows per warp, 128 threads per block.
    t.blockThreads = 128;
    t.rowsPerBlock = t.blockThreads / t.threadsPerRow;
  } else {
    t.blockThreads = t.threadsPerRow;
    t.rowsPerBlock = 1;
  }
  t.unitsPerThread = llvm::divideCeil(units, t.threadsPerRow);
  return t;
}

LaunchGeometry RowTiling::geometry(RowSpace space) const {
  return affineGeometry(blockThreads, AffineTerm::rows(space, rowsPerBlock));
}

void RowTiling::addVars(
    std::vector<std::pair<std::string, std::string>> &vars) const {
  vars.emplace_back("TPR", std::to_string(threadsPerRow));
  vars.emplace_back("RPB", std::to_string(rowsPerBlock));
  vars.emplace_back("UPT", std::to_string(unitsPerThread));
  vars.emplace_back("UNITS", std::to_string(units));
}

std::string RowTiling::rowPrologue(llvm::StringRef rowCount) const {
  if (rowsPerBlock == 1)
    return llvm::formatv(
               "  // One block of {0} threads per row.\n"
               "  const int row = blockIdx.x;\n"
               "  const int lane = threadIdx.x;\n"
               "  const bool in_range = row < {1};\n",
               threadsPerRow, rowCount)
        .str();
  return llvm::formatv(
             "  // {0} lanes per row, {1} rows per block of {2} threads.\n"
             "  const int row = blockIdx.x * {1} + threadIdx.x / {0};\n"
             "  const int lane = threadIdx.x % {0};\n"
             "  const bool in_range = row < {3};\n",
             threadsPerRow, rowsPerBlock, blockThreads, rowCount)
      .str();
}

std::string RowTiling::unitLoopBegin(bool skipMissing) const {
  std::string out = llvm::formatv("#pragma unroll\n"
                                  "  for (int i = 0; i < {0}; ++i) {{\n"
                                  "    const int u = lane + i * {1};\n",
                                  unitsPerThread, threadsPerRow)
                        .str();
  bool exact = units % threadsPerRow == 0;
  if (skipMissing) {
    if (!exact)
      out += llvm::formatv("    if (u >= {0}) break;\n", units).str();
    return out;
  }
  out += exact ? "    const bool has_unit = in_range;\n"
               : llvm::formatv("    const bool has_unit = in_range && u < {0};\n",
                               units)
                     .str();
  return out;
}

std::string RowTiling::rowSumExpr(llvm::StringRef value) const {
  if (threadsPerRow > 32)
    return ("lfm_block_sum(" + value + ", lfm_red)").str();
  return llvm::formatv("lfm_warp_sum({0}, {1})", value, threadsPerRow).str();
}

std::string fillTemplate(
    llvm::StringRef text,
    llvm::ArrayRef<std::pair<std::string, std::string>> vars) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    size_t start = text.find("${");
    out += text.take_front(start).str();
    if (start == llvm::StringRef::npos)
      break;
    size_t end = text.find('}', start);
    if (end == llvm::StringRef::npos)
      llvm::report_fatal_error("unterminated ${ in a kernel template");
    llvm::StringRef name = text.slice(start + 2, end);
    const auto *it = llvm::find_if(
        vars, [&](const auto &var) { return var.first == name; });
    if (it == vars.end())
      llvm::report_fatal_error("kernel template uses unknown ${" + name + "}");
    out += it->second;
    text = text.drop_front(end + 1);
  }
  return out;
}

std::string ropeFrequencyTable(llvm::StringRef name, int64_t headDim,
                               double theta) {
  std::string out =
      llvm::formatv("// RoPE inverse frequencies theta^(-2j/{0}), theta = {1}.\n"
                    "LFM_TABLE double {2}[{3}] = {{",
                    headDim, doubleLiteral(theta), name, headDim / 2)
          .str();
  for (int64_t j = 0; j < headDim / 2; ++j) {
    double freq = std::pow(theta, -2.0 * static_cast<double>(j) /
                                      static_cast<double>(headDim));
    out += (j % 4 == 0 ? "\n    " : " ") + doubleLiteral(freq) + ",";
  }
  out += "\n};\n";
  return out;
}

llvm::Error emitError(const EmitContext &ctx, const llvm::Twine &message) {
  const Launch *first = ctx.plan.launches.data();
  int64_t index = &ctx.launch - first;
  std::string where =
      index >= 0 && index < static_cast<int64_t>(ctx.plan.launches.size())
          ? llvm::formatv("launch {0} ({1}", index,
                          ::lfm::opName(ctx.launch.op))
                .str()
          : std::string("launch (") + ::lfm::opName(ctx.launch.op);
  if (ctx.launch.layer >= 0)
    where += llvm::formatv(", layer {0}", ctx.launch.layer).str();
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 where + "): " + message);
}

llvm::Error expectArity(const EmitContext &ctx, size_t operands,
                        size_t results) {
  if (ctx.launch.operands.size() == operands &&
      ctx.launch.results.size() == results)
    return llvm::Error::success();
  return emitError(ctx, llvm::formatv("expects {0} operands and {1} results, "
                                      "has {2} and {3}",
                                      operands, results,
                                      ctx.launch.operands.size(),
                                      ctx.launch.results.size()));
}

llvm::Expected<int64_t> intAttr(const EmitContext &ctx, ::lfm::IntAttr attr) {
  if (!ctx.launch.has(attr))
    return emitError(ctx, "missing integer attribute '" +
                              llvm::StringRef(::lfm::attrName(attr)) + "'");
  return ctx.launch.attr(attr);
}

llvm::Expected<double> floatAttr(const EmitContext &ctx, ::lfm::FloatAttr attr) {
  if (!ctx.launch.has(attr))
    return emitError(ctx, "missing float attribute '" +
                              llvm::StringRef(::lfm::attrName(attr)) + "'");
  return ctx.launch.attr(attr);
}

llvm::Expected<HeadShape> headShape(const EmitContext &ctx) {
  HeadShape shape;
  for (auto [attr, field] :
       {std::pair<::lfm::IntAttr, int64_t *>{::lfm::IntAttr::kHeads, &shape.heads},
        {::lfm::IntAttr::kKvHeads, &shape.kvHeads},
        {::lfm::IntAttr::kHeadDim, &shape.headDim}}) {
    llvm::Expected<int64_t> value = intAttr(ctx, attr);
    if (!value)
      return value.takeError();
    *field = *value;
  }
  if (shape.heads <= 0 || shape.kvHeads <= 0 || shape.headDim <= 0 ||
      shape.heads % shape.kvHeads != 0)
    return emitError(ctx, "heads, kv_heads and head_dim must be positive, "
                          "kv_heads dividing heads");
  return shape;
}

} // namespace mlir::lfm::cuda
