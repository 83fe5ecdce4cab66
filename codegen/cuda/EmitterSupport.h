//===- EmitterSupport.h - Shared pieces of the CUDA emitters ----*- C++ -*-===//
//
// What every emitter needs besides its own math: the dtype and width of a
// plan buffer, C++ spellings of types and constants, the "affine" launch
// geometry, the row tiling of row-wise kernels (how many threads share a
// row, how many rows share a block, how wide each thread's vector access is)
// and a small template filler for readable kernel text.
//
// Emitters fill kernel templates with ${name} placeholders: whole kernels
// are files under cuda/kernels/ (embedded at build time), small fragments
// raw strings beside the emitter:
//
//   fillTemplate(R"(  lfm_load_n<${C}>(x + ${OFF}, v);)", {{"C", "8"}, ...})
//
// so the generated CUDA reads like hand-written CUDA.
//
//===----------------------------------------------------------------------===//

#ifndef LFM_CODEGEN_CUDA_EMITTERSUPPORT_H
#define LFM_CODEGEN_CUDA_EMITTERSUPPORT_H

#include "codegen/cuda/KernelEmitter.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>
#include <utility>

namespace mlir::lfm::cuda {

/// One plan buffer as a kernel sees it: `width` elements of `dtype` per row.
/// State pools have `rowsPerSlot` rows per slot (conv: kernel - 1; K/V caches:
/// the runtime's max_seq_len, read from args.max_seq_len, so 0 here).
struct BufferDesc {
  ::lfm::BufferRef ref;
  ::lfm::DType dtype = ::lfm::DType::kF32;
  int64_t width = 0;
  ::lfm::RowSpace rows = ::lfm::RowSpace::kTokens;
  int64_t rowsPerSlot = 0;
  std::string name;  // for errors and comments, e.g. "activation 3 (layer0.x)"
};

BufferDesc describeBuffer(const ::lfm::Plan &plan, ::lfm::BufferRef ref);

/// The storage type's C++ name in the prelude: float, lfm_bf16_t, lfm_f16_t,
/// int.
llvm::StringRef storageType(::lfm::DType dtype);

/// The expression for the number of rows of a row space: args.num_tokens or
/// args.num_logit_rows.
llvm::StringRef rowCountExpr(::lfm::RowSpace rows);

/// A float constant that round-trips exactly, e.g. "1.00000001e-05f".
std::string floatLiteral(double value);
/// A double constant that round-trips exactly.
std::string doubleLiteral(double value);

/// "  const lfm_bf16_t *__restrict__ x = (const lfm_bf16_t *)args.buf[0];"
/// with a comment giving the buffer's kind, dtype and width (never its
/// name, which would defeat deduplication across layers).
std::string bindBuffer(llvm::StringRef var, const BufferDesc &buffer,
                       int argIndex, bool writable);

/// One term of the affine launch rule (KernelAbi.h):
/// ceil((t*T + n*N + r*R + c*max_context + c0) / div).
struct AffineTerm {
  int64_t t = 0, n = 0, r = 0, c = 0, c0 = 0, div = 1;
  static AffineTerm one() { return {0, 0, 0, 0, 1, 1}; }
  static AffineTerm zero() { return {}; }
  /// ceil(rows / div) for a row space.
  static AffineTerm rows(::lfm::RowSpace space, int64_t div = 1);
};

/// A launch geometry with the "affine" rule.
::lfm::LaunchGeometry affineGeometry(int32_t blockThreads, AffineTerm x,
                                     AffineTerm y = AffineTerm::one(),
                                     AffineTerm z = AffineTerm::one(),
                                     AffineTerm scratch = AffineTerm::zero());

/// The largest of 8, 4, 2, 1 that divides every value: the elements one
/// thread loads at once (8 x bf16 = one 128-bit load; 8 x f32 = two), so that
/// every access stays aligned to its size.
int64_t chooseChunk(llvm::ArrayRef<int64_t> widthsAndOffsets);

/// How a row-wise kernel spreads `units` work units (usually chunks) of a row
/// over threads: `threadsPerRow` (a power of two) lanes share a row, a block
/// holds `rowsPerBlock` rows, and each lane handles `unitsPerThread` units
/// (unit u of a row goes to lane u % threadsPerRow). Rows narrower than a
/// warp share warps, so reductions stay within shuffles.
struct RowTiling {
  int64_t units = 0;
  int64_t threadsPerRow = 1;
  int64_t rowsPerBlock = 1;
  int64_t blockThreads = 32;
  int64_t unitsPerThread = 1;

  /// The launch: one block per rowsPerBlock rows of `space`.
  ::lfm::LaunchGeometry geometry(::lfm::RowSpace space) const;
  /// The ${...} values: TPR, RPB, UPT, UNITS.
  void addVars(std::vector<std::pair<std::string, std::string>> &vars) const;
  /// The lines that define `row`, `lane` and the `in_range` flag.
  std::string rowPrologue(llvm::StringRef rowCount) const;
  /// The expression that sums a float over the lanes of a row (all lanes of
  /// the block must call it): a segmented warp sum or a block sum through
  /// the kernel's `__shared__ float lfm_red[32]` (see needsSharedReduction).
  std::string rowSumExpr(llvm::StringRef value) const;
  bool needsSharedReduction() const { return threadsPerRow > 32; }
  /// Opens the loop over this lane's units: `u` is the unit index. With
  /// `skipMissing`, lanes past the last unit leave the loop (`break`);
  /// otherwise the loop defines `has_unit` (u in range and the row too) for
  /// kernels whose lanes must all reach a shuffle. Close with "  }\n".
  std::string unitLoopBegin(bool skipMissing) const;
};

RowTiling tileRows(int64_t units, int64_t maxThreadsPerRow = 256);

/// Replaces each ${name} in `text` by its value; an unknown name is a bug in
/// the emitter and aborts with the name (llvm::report_fatal_error).
std::string fillTemplate(
    llvm::StringRef text,
    llvm::ArrayRef<std::pair<std::string, std::string>> vars);

/// `LFM_TABLE double NAME[head_dim / 2] = {...}`: the RoPE inverse
/// frequencies theta^(-2j/head_dim), computed on the host in double exactly as
/// the CPU reference does, for lfm_rope_cos_sin.
std::string ropeFrequencyTable(llvm::StringRef name, int64_t headDim,
                               double theta);

/// An emitter error naming the launch: "launch 12 (rope, layer 3): ...".
llvm::Error emitError(const EmitContext &ctx, const llvm::Twine &message);

/// Checks the launch's operand and result counts.
llvm::Error expectArity(const EmitContext &ctx, size_t operands,
                        size_t results);

/// The launch's integer or float attribute, or an error naming the launch.
llvm::Expected<int64_t> intAttr(const EmitContext &ctx, ::lfm::IntAttr attr);

/// The attention geometry attributes (heads, kv_heads, head_dim), each
/// positive, kv_heads dividing heads.
struct HeadShape {
  int64_t heads = 0, kvHeads = 0, headDim = 0;
};
llvm::Expected<HeadShape> headShape(const EmitContext &ctx);
llvm::Expected<double> floatAttr(const EmitContext &ctx, ::lfm::FloatAttr attr);

} // namespace mlir::lfm::cuda

#endif // LFM_CODEGEN_CUDA_EMITTERSUPPORT_H
