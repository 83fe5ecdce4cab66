//===- EmitterRegistry.cpp - Op kind to emitter; the kernel table ---------===//
//
// The table of op families and emitKernels, which runs them over a plan and
// deduplicates the results: every layer of a model has the same shapes, so
// a 16-layer model needs about as many kernels as one layer.
//
//===----------------------------------------------------------------------===//

#include "codegen/cuda/KernelEmitter.h"
#include "codegen/cuda/emitters/Emitters.h"

#include "lfm/KernelAbi.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FormatVariadic.h"

#include <iterator>
#include <optional>

namespace mlir::lfm::cuda {
namespace {

using ::lfm::OpKind;

struct Family {
  OpKind op;
  EmitterFn emit;
};

// One emitter per op of the schema (lfm/OpSchema.h), in OpKind order.
constexpr Family kFamilies[] = {
    {OpKind::kEmbedding, emitEmbedding},
    {OpKind::kRmsNorm, emitRmsNorm},
    {OpKind::kAddRmsNorm, emitAddRmsNorm},
    {OpKind::kAdd, emitElementwise},
    {OpKind::kMul, emitElementwise},
    {OpKind::kSilu, emitElementwise},
    {OpKind::kSlice, emitSlice},
    {OpKind::kGatherRows, emitGatherRows},
    {OpKind::kLinear, emitLinear},
    {OpKind::kShortConv, emitShortConv},
    {OpKind::kGatedShortConv, emitGatedShortConv},
    {OpKind::kRope, emitRope},
    {OpKind::kKvCacheWrite, emitKvCacheWrite},
    {OpKind::kAttention, emitAttention},
    {OpKind::kQkNormRopeCache, emitQkNormRopeCache},
};
static_assert(std::size(kFamilies) == ::lfm::kNumOpKinds,
              "every op of the schema needs an emitter");
constexpr bool inKindOrder() {
  for (size_t i = 0; i < std::size(kFamilies); ++i)
    if (static_cast<size_t>(kFamilies[i].op) != i)
      return false;
  return true;
}
static_assert(inKindOrder(), "kFamilies must list the ops in OpKind order");

// Families with a second kernel form for steps of many rows (Launch::
// large_rows_kernel): the tiled GEMM form of linear for long prefill chunks.
// Below the threshold the GEMV form reads each weight once per 8 rows and
// wins; from 64 rows on (of any sequences), the tiled form reads it once
// per 64.
// And the flash form of attention: from 64 rows of one sequence on (one
// full 64-row query tile) a prefill chunk reads each K/V row once per 64
// query rows instead of once per row. Below it, and for any batch of
// decodes however wide, the split-KV form spreads each row's keys over
// blocks, fills the GPU and reads K/V once per KV head rather than per
// query head.
struct LargeRowsFamily {
  OpKind op;
  EmitterFn emit;
  int64_t threshold;
  ::lfm::LargeRowsBasis basis;
};
constexpr LargeRowsFamily kLargeRowsFamilies[] = {
    {OpKind::kLinear, emitLinearLargeRows, 64,
     ::lfm::LargeRowsBasis::kLaunchRows},
    {OpKind::kAttention, emitAttentionLargeRows, 64,
     ::lfm::LargeRowsBasis::kLongestSequence},
};

// Every launch is emitted under this name; the deduplicated kernels are then
// renamed (the name is the only thing that differs between layers).
constexpr llvm::StringLiteral kPlaceholderEntry = "lfm_kernel_entry_";

const char kPrelude[] =
#include "lfm_device_prelude.inc"
    ;

const char kQuantPrelude[] =
#include "lfm_quant_prelude.inc"
    ;

std::string replaceAll(llvm::StringRef text, llvm::StringRef from,
                       llvm::StringRef to) {
  std::string out;
  while (true) {
    size_t at = text.find(from);
    out += text.take_front(at).str();
    if (at == llvm::StringRef::npos)
      return out;
    out += to.str();
    text = text.drop_front(at + from.size());
  }
}

// Two launches share a kernel when the text and the launch shape agree.
std::string dedupKey(const KernelSource &source) {
  std::string key = source.body;
  llvm::raw_string_ostream os(key);
  const ::lfm::LaunchGeometry &g = source.geometry;
  os << "\n" << g.block[0] << "," << g.block[1] << "," << g.block[2] << ";"
     << g.grid_rule << ";";
  for (int64_t arg : g.grid_args)
    os << arg << ",";
  os << ";" << source.dynamicSharedBytes;
  return key;
}

bool readsQuantizedWeight(const ::lfm::Plan &plan,
                          const ::lfm::Launch &launch) {
  return llvm::any_of(launch.operands, [&](const ::lfm::BufferRef &ref) {
    return ref.kind == ::lfm::BufferRef::kWeight &&
           plan.weights[ref.index].quant.has_value();
  });
}

} // namespace

EmitterFn lookupEmitter(::lfm::OpKind op) {
  return kFamilies[static_cast<size_t>(op)].emit;
}

llvm::StringRef devicePrelude() { return kPrelude; }

llvm::StringRef quantPrelude() { return kQuantPrelude; }

llvm::Expected<std::vector<::lfm::KernelInfo>> emitKernels(::lfm::Plan &plan) {
  std::vector<::lfm::KernelInfo> kernels;
  // (body with the placeholder name, geometry, shared bytes) -> kernel index.
  llvm::StringMap<int32_t> seen;
  // Emits launch i with `emit`, or finds the identical kernel emitted before.
  auto addKernel = [&](const ::lfm::Plan &plan, const ::lfm::Launch &launch,
                       size_t i, EmitterFn emit,
                       llvm::StringRef suffix) -> llvm::Expected<int32_t> {
    EmitContext ctx{plan, launch, kPlaceholderEntry.str()};
    llvm::Expected<KernelSource> source = emit(ctx);
    if (!source)
      return source.takeError();
    // A kernel that reads a block-quantized weight (linear, embedding)
    // carries the dequantizers after the device prelude.
    if (readsQuantizedWeight(plan, launch))
      source->body = quantPrelude().str() + "\n" + source->body;
    std::string key = dedupKey(*source);
    auto it = seen.find(key);
    if (it != seen.end())
      return it->second;
    ::lfm::KernelInfo kernel;
    kernel.name =
        llvm::formatv("lfm_{0}_{1}{2}", ::lfm::opName(launch.op), i, suffix)
            .str();
    kernel.entry_point = kernel.name;
    kernel.cuda_source = devicePrelude().str() + "\n" +
                         replaceAll(source->body, kPlaceholderEntry, kernel.name);
    kernel.geometry = source->geometry;
    kernel.dynamic_shared_bytes = source->dynamicSharedBytes;
    const int32_t index = static_cast<int32_t>(kernels.size());
    seen.try_emplace(key, index);
    kernels.push_back(std::move(kernel));
    return index;
  };
  for (size_t i = 0; i < plan.launches.size(); ++i) {
    ::lfm::Launch &launch = plan.launches[i];
    if (launch.operands.size() + launch.results.size() >
        static_cast<size_t>(::lfm::kMaxKernelBuffers))
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          llvm::formatv("launch {0} ({1}): {2} buffers, the kernel ABI "
                        "passes at most {3}",
                        i, ::lfm::opName(launch.op),
                        launch.operands.size() + launch.results.size(),
                        ::lfm::kMaxKernelBuffers));
    std::optional<OpKind> op =
        ::lfm::opKindFromValue(static_cast<uint32_t>(launch.op));
    if (!op)
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          llvm::formatv("launch {0} (op {1}): not an op of the schema", i,
                        static_cast<int>(launch.op)));
    EmitterFn emit = lookupEmitter(*op);
    launch.large_rows_kernel = -1;
    launch.large_rows_threshold = 0;
    launch.large_rows_basis = ::lfm::LargeRowsBasis::kLaunchRows;
    llvm::Expected<int32_t> index = addKernel(plan, launch, i, emit, "");
    if (!index)
      return index.takeError();
    launch.kernel = *index;
  }
  // The large-rows variants come after every default kernel, so that adding
  // a form leaves the default kernels' indices and names as they were.
  for (size_t i = 0; i < plan.launches.size(); ++i) {
    ::lfm::Launch &launch = plan.launches[i];
    for (const LargeRowsFamily &family : kLargeRowsFamilies) {
      if (launch.op != family.op || launch.kernel < 0)
        continue;
      llvm::Expected<int32_t> index =
          addKernel(plan, launch, i, family.emit, "_large_rows");
      if (!index)
        return index.takeError();
      launch.large_rows_kernel = *index;
      launch.large_rows_threshold = family.threshold;
      launch.large_rows_basis = family.basis;
    }
  }
  return kernels;
}

namespace {
llvm::StringRef withoutDevicePrelude(const ::lfm::KernelInfo &kernel) {
  llvm::StringRef source = kernel.cuda_source;
  if (source.startswith(devicePrelude()))
    source = source.drop_front(devicePrelude().size()).drop_front(1);
  return source;
}
} // namespace

bool usesQuantPrelude(const ::lfm::KernelInfo &kernel) {
  return withoutDevicePrelude(kernel).startswith(quantPrelude());
}

llvm::StringRef kernelBody(const ::lfm::KernelInfo &kernel) {
  llvm::StringRef source = withoutDevicePrelude(kernel);
  if (source.startswith(quantPrelude()))
    source = source.drop_front(quantPrelude().size()).drop_front(1);
  return source;
}

} // namespace mlir::lfm::cuda
