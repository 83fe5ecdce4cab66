//===- AttentionEmitter.cpp - causal GQA attention over the KV cache ------===//
//
// attention [q(T, h*d), key_cache, value_cache, row_offsets, slots,
// start_pos] -> [y(T, h*d)]: a token at position p attends to rows 0..p of
// its slot's cache; q head j reads kv head j / (h / kvh).
//
// Block (token, kv head, split): the `group` q heads that share a kv head
// read each K and V row once. The block's 8 (or 4) warps split its keys into
// 32-key chunks (warp w takes chunks w, w+8, ...) and each keeps an online
// softmax (running max m, sum l, output o) per q head:
//   - scores: lane i scores key (chunk + i) against the group's q vectors,
//     held pre-loaded in shared memory, reading its K row in wide chunks;
//   - softmax update: warp max / warp sum of the chunk, rescaling o and l;
//   - values: the lanes, which own the head dims, load the chunk's V rows 8
//     at a time (coalesced, overlapping loads) and accumulate p * V row, the
//     probabilities broadcast by shuffle.
// The warps' (m, l, o) are then merged through shared memory.
//
// Split-KV (flash-decoding): grid x = T, y = kv heads, z = kSplits. In a
// step of few tokens, a token with `keys` keys splits them into ranges of
// len = ceil(keys / max_splits) rounded up to whole 32-key chunks; block z takes
// [z * len, (z + 1) * len), and blocks past the last non-empty range return
// at once (so do all z > 0 blocks of a many-token step, which does not
// split). With one range the block writes y = o / l itself. Otherwise each
// block writes its partial (o, m, l per q head) to the launch scratch,
// fences, and bumps the (token, kv head) counter there; the block that sees
// the count reach splits - 1 is the last: it combines the partials,
// m = max m_s, l = sum l_s e^(m_s - m), y = sum o_s e^(m_s - m) / l, and
// resets the counter and the partials to 0 (the scratch is zero at every
// launch, KernelAbi.h).
//
// Scratch (a constant 1 MiB or just under): int counters[kPartials / 2]
// padded to 16 bytes, then float partials[kPartials][group * (head_dim + 2)],
// partial (pair, s) at pair * max_splits + s for pair = t * kv_heads + kv
// head, each o[group][head_dim], m[group], l[group]. A step of T tokens
// splits into max_splits = min(kSplits, kPartials / (T * kv_heads)) ranges
// at most (1: no split), so both fit.
//
// Flash form (emitAttentionLargeRows, FlashAttention-2 style): the
// large-rows variant that devices run for steps of >= 64 rows
// (EmitterRegistry.cpp), i.e. prefill chunks. Block (q head, tile) owns a
// tile of up to 64 query rows of one sequence (tiles never span sequences)
// and one q head: q heads rather than kv-head groups, so that a chunk gets
// `heads` (not kv_heads) blocks per tile, and shared memory and registers do
// not grow with the group; the group's heads are adjacent in grid x and
// share each K/V tile through L2. The block's 128 threads walk the keys
// [0, last row's position] in 32-key tiles staged in shared memory (wide
// loads, f32) and for each tile
//   - compute the 64 x 32 scores, thread (ty, tx) 4 rows x 4 keys, from
//     the q tile (staged once) and the K tile;
//   - update each row's online softmax (two threads per row, masking keys
//     past the row's position: the diagonal tile), writing probabilities
//     and the rescale factor to shared memory;
//   - rescale and accumulate o += P V, thread (ty, tx) owning the same 4
//     rows and 1/8 of the head dims, in f32 registers.
// Warp w owns rows 16 w .. 16 w + 15 in all three steps, so a warp whose
// rows are past the tile's end or see none of a key tile (above the
// diagonal) skips that tile's math. Then y = o / l, once per row: no
// scratch.
//
// Grid x = heads, y = ceil((T + 63 N) / 64), an upper bound (affine in T and
// N) on the sum over sequences of ceil(rows / 64): each block finds its
// (sequence, tile) by walking row_offsets, and the surplus blocks leave.
// Dynamic shared memory: 4 * ((64 + 2 * 32) * stride + 32 * 68 + 128)
// bytes, stride = head_dim rounded up to 4, plus 4 floats (44032 bytes at
// head_dim 64).
//
//===----------------------------------------------------------------------===//

#include "codegen/cuda/EmitterSupport.h"
#include "codegen/cuda/emitters/Emitters.h"
#include "codegen/cuda/emitters/SequenceInputs.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>

using namespace ::lfm;

namespace mlir::lfm::cuda {
namespace {

// Warps per block: 8 keep more K/V loads in flight for long decode contexts;
// 4 where the per-warp partials of a large group would not fit.
constexpr int64_t kMaxWarps = 8;
constexpr int64_t kMinWarps = 4;
constexpr int64_t kStaticSharedLimit = 48 * 1024;

// Split-KV: a step of few tokens (decode) splits each token's keys over up
// to kSplits blocks (gridDim.z), in whole 32-key chunks, so that a batch-1
// decode of a model with 8 kv heads fills 128 blocks rather than 8. The
// scratch is a constant kScratchBudget bytes (the largest constant the
// affine rule takes) holding kPartials partials; a step of T tokens splits
// into min(kSplits, kPartials / (T * kv_heads)) ranges, so steps of many
// tokens, which have (token, kv head) blocks enough, do not split (their
// z > 0 blocks leave at once).
constexpr int64_t kSplits = 16;
constexpr int64_t kScratchBudget = int64_t{1} << 20;

// Shared memory: q, per-warp (m, l) and per-warp o of the group.
int64_t sharedBytes(int64_t warps, int64_t group, int64_t headDim) {
  return 4 * (group * headDim + 2 * warps * group + warps * group * headDim);
}

constexpr llvm::StringLiteral kTemplate =
    R"(// attention: causal GQA, ${HEADS} q heads over ${KV_HEADS} kv heads of dim ${D},
// scale ${SCALE}. Split-KV: block (t, kv head, s) takes split s of the
// token's keys with ${WARPS} warps over 32-key chunks (an online softmax
// each, merged in shared memory); with several splits each block writes a
// partial to scratch and the last to finish combines them.
extern "C" __global__ void ${ENTRY}(LfmKernelArgs args) {
  constexpr int kHeads = ${HEADS};
  constexpr int kKvHeads = ${KV_HEADS};
  constexpr int kGroup = kHeads / kKvHeads;  // q heads per kv head
  constexpr int kHeadDim = ${D};
  constexpr int kDimsPerLane = ${DPL};  // head dims owned by a lane
  constexpr int kVec = ${VEC};  // K elements per load
  constexpr int kWarps = ${WARPS};
  constexpr int kBatch = 8;  // V rows loaded together
  constexpr int kSplits = ${SPLITS};  // gridDim.z: most key splits per token
  constexpr int kPartials = ${PARTIALS};  // partials the scratch holds
  constexpr int kPartial = kGroup * (kHeadDim + 2);  // floats: o[kGroup][kHeadDim], m, l
  constexpr int kCounterBytes = ${COUNTER_BYTES};  // kPartials / 2 int counters, padded
  constexpr int kQWidth = kHeads * kHeadDim;
  constexpr int kKvWidth = kKvHeads * kHeadDim;
  constexpr float kScale = ${SCALE};
  constexpr float kNoScore = -3.0e38f;  // a masked score; exp(it - m) = 0
${BIND}
  const int t = blockIdx.x;
  const int kv_head = blockIdx.y;
  const int split = blockIdx.z;
  const int warp = threadIdx.x >> 5;
  const int lane = threadIdx.x & 31;
  const int seq = lfm_seq_of_token(row_offsets, args.num_seqs, t);
  // Rows 0..pos (the runtime rejects a step past the cache; min() only keeps
  // a bad step inside the slot).
  const int keys = min(start_pos[seq] + t - row_offsets[seq] + 1, args.max_seq_len);
  // Splits of whole 32-key chunks, as many as the scratch holds partials for
  // (a step of many tokens has blocks enough without splitting). Blocks past
  // the last non-empty split leave at once and are not counted.
  const int max_splits =
      max(1, min(kSplits, kPartials / max(1, args.num_tokens * kKvHeads)));
  const int split_len = (((keys + max_splits - 1) / max_splits) + 31) & ~31;
  const int splits = (keys + split_len - 1) / split_len;
  if (split >= splits) return;
  const int key_begin = split * split_len;
  const int key_end = min(keys, key_begin + split_len);
  const long long slot_row = lfm_state_row(slots[seq], args.max_seq_len, 0);
  const ${KTYPE} *k_base = key_cache + slot_row * kKvWidth + kv_head * kHeadDim;
  const ${VTYPE} *v_base = value_cache + slot_row * kKvWidth + kv_head * kHeadDim;

  __shared__ float q_s[kGroup][kHeadDim];
  __shared__ float m_s[kWarps][kGroup];
  __shared__ float l_s[kWarps][kGroup];
  __shared__ float o_s[kWarps][kGroup][kHeadDim];
  __shared__ int last_s;
  for (int i = threadIdx.x; i < kGroup * kHeadDim; i += blockDim.x)
    q_s[i / kHeadDim][i % kHeadDim] =
        lfm_to_float(q[(long long)t * kQWidth + kv_head * kGroup * kHeadDim + i]);
  __syncthreads();

  float m[kGroup], l[kGroup], o[kGroup][kDimsPerLane];
#pragma unroll
  for (int g = 0; g < kGroup; ++g) {
    m[g] = kNoScore;
    l[g] = 0.0f;
#pragma unroll
    for (int e = 0; e < kDimsPerLane; ++e) o[g][e] = 0.0f;
  }

  for (int chunk = key_begin + warp * 32; chunk < key_end; chunk += kWarps * 32) {
    // Scores of key (chunk + lane) for every q head of the group.
    const int key = chunk + lane;
    float s[kGroup];
#pragma unroll
    for (int g = 0; g < kGroup; ++g) s[g] = 0.0f;
    if (key < key_end) {
      const ${KTYPE} *k_row = k_base + (long long)key * kKvWidth;
#pragma unroll
      for (int i = 0; i < kHeadDim; i += kVec) {
        float kv[kVec];
        lfm_load_n<kVec>(k_row + i, kv);
#pragma unroll
        for (int g = 0; g < kGroup; ++g)
#pragma unroll
          for (int e = 0; e < kVec; ++e) s[g] += q_s[g][i + e] * kv[e];
      }
    }
    // Online softmax update per q head.
    float p[kGroup];
#pragma unroll
    for (int g = 0; g < kGroup; ++g) {
      const float score = key < key_end ? s[g] * kScale : kNoScore;
      const float m_new = fmaxf(m[g], lfm_warp_max(score));
      const float rescale = expf(m[g] - m_new);
      p[g] = key < key_end ? expf(score - m_new) : 0.0f;
      l[g] = l[g] * rescale + lfm_warp_sum(p[g]);
      m[g] = m_new;
#pragma unroll
      for (int e = 0; e < kDimsPerLane; ++e) o[g][e] *= rescale;
    }
    // o += p * V over the chunk's keys; lanes own the head dims. V rows are
    // loaded kBatch at a time so that their loads overlap.
    const int chunk_keys = min(32, key_end - chunk);
    for (int j0 = 0; j0 < chunk_keys; j0 += kBatch) {
      float vb[kBatch][kDimsPerLane];
#pragma unroll
      for (int b = 0; b < kBatch; ++b) {
        float *v = vb[b];
        if (j0 + b < chunk_keys) {
          const ${VTYPE} *v_row = v_base + (long long)(chunk + j0 + b) * kKvWidth;
${LOAD_V}
        } else {
#pragma unroll
          for (int e = 0; e < kDimsPerLane; ++e) v[e] = 0.0f;
        }
      }
#pragma unroll
      for (int b = 0; b < kBatch; ++b) {
#pragma unroll
        for (int g = 0; g < kGroup; ++g) {
          // p is 0 for keys past the chunk's end.
          const float pj = __shfl_sync(LFM_FULL_MASK, p[g], j0 + b);
#pragma unroll
          for (int e = 0; e < kDimsPerLane; ++e) o[g][e] += pj * vb[b][e];
        }
      }
    }
  }

  // Merge the warps' partial softmaxes (a warp without keys has l = 0 and
  // m = kNoScore, so it adds nothing).
#pragma unroll
  for (int g = 0; g < kGroup; ++g) {
    if (lane == 0) {
      m_s[warp][g] = m[g];
      l_s[warp][g] = l[g];
    }
#pragma unroll
    for (int e = 0; e < kDimsPerLane; ++e) {
      const int dim = ${DIM};
      if (dim < kHeadDim) o_s[warp][g][dim] = o[g][e];
    }
  }
  __syncthreads();
  const long long pair = (long long)t * kKvHeads + kv_head;
  // Scratch: an int counter per (token, kv head) of a split step, then the
  // partials, max_splits per (token, kv head).
  int *counters = (int *)args.scratch;
  float *partials =
      (float *)((char *)args.scratch + kCounterBytes) + pair * max_splits * kPartial;
  for (int i = threadIdx.x; i < kGroup * kHeadDim; i += blockDim.x) {
    const int g = i / kHeadDim, dim = i % kHeadDim;
    float m_all = kNoScore;
#pragma unroll
    for (int w = 0; w < kWarps; ++w) m_all = fmaxf(m_all, m_s[w][g]);
    float l_all = 0.0f, o_all = 0.0f;
#pragma unroll
    for (int w = 0; w < kWarps; ++w) {
      const float f = expf(m_s[w][g] - m_all);
      l_all += l_s[w][g] * f;
      o_all += o_s[w][g][dim] * f;
    }
    if (splits == 1) {
      lfm_from_float(y[(long long)t * kQWidth + kv_head * kGroup * kHeadDim + i], o_all / l_all);
    } else {
      float *part = partials + split * kPartial;
      part[i] = o_all;
      if (dim == 0) {
        part[kGroup * kHeadDim + g] = m_all;
        part[kGroup * kHeadDim + kGroup + g] = l_all;
      }
    }
  }
  if (splits == 1) return;

  // The last block of (t, kv head) to finish combines the partials and
  // resets the counter, so that scratch is zero again for the next launch.
  __threadfence();
  __syncthreads();
  if (threadIdx.x == 0) {
    const int done = atomicAdd(&counters[pair], 1);
    last_s = done == splits - 1;
    if (last_s) atomicExch(&counters[pair], 0);
  }
  __syncthreads();
  if (!last_s) return;
  __threadfence();
  // Volatile: other blocks' partials, never through a stale L1 line.
  const volatile float *parts = partials;
  for (int i = threadIdx.x; i < kGroup * kHeadDim; i += blockDim.x) {
    const int g = i / kHeadDim;
    float m_all = kNoScore;
    for (int s = 0; s < splits; ++s) m_all = fmaxf(m_all, parts[s * kPartial + kGroup * kHeadDim + g]);
    float l_all = 0.0f, o_all = 0.0f;
    for (int s = 0; s < splits; ++s) {
      const float f = expf(parts[s * kPartial + kGroup * kHeadDim + g] - m_all);
      l_all += parts[s * kPartial + kGroup * kHeadDim + kGroup + g] * f;
      o_all += parts[s * kPartial + i] * f;
    }
    lfm_from_float(y[(long long)t * kQWidth + kv_head * kGroup * kHeadDim + i], o_all / l_all);
  }
  // Leave the scratch zero, as the next launch expects it (KernelAbi.h).
  __syncthreads();
  for (int i = threadIdx.x; i < splits * kPartial; i += blockDim.x) partials[i] = 0.0f;
}
)";

// Lane-owned head dims: a contiguous run per lane when the head splits
// evenly over 32 lanes (one wide load), else dims lane, lane + 32, ...
constexpr llvm::StringLiteral kLoadVContiguous =
    "          lfm_load_n<kDimsPerLane>(v_row + lane * kDimsPerLane, v);";
constexpr llvm::StringLiteral kLoadVStrided = R"(#pragma unroll
          for (int e = 0; e < kDimsPerLane; ++e) {
            const int dim = lane + 32 * e;
            v[e] = dim < kHeadDim ? lfm_to_float(v_row[dim]) : 0.0f;
          })";

// What both forms read from an attention launch: its head shape, scale,
// buffers, and the lines that bind them (q, key_cache, value_cache,
// row_offsets, slots, start_pos, y).
struct AttentionSpec {
  HeadShape shape;
  double scale = 0;
  int64_t group = 0;  // q heads per kv head
  BufferDesc q, keys, values, y;
  std::string bind;
};

llvm::Expected<AttentionSpec> readAttentionSpec(const EmitContext &ctx) {
  if (llvm::Error err = expectArity(ctx, 6, 1))
    return std::move(err);
  AttentionSpec spec;
  llvm::Expected<HeadShape> shape = headShape(ctx);
  if (!shape)
    return shape.takeError();
  spec.shape = *shape;
  llvm::Expected<double> scale = floatAttr(ctx, "scale");
  if (!scale)
    return scale.takeError();
  spec.scale = *scale;
  const int64_t d = shape->headDim;
  spec.group = shape->heads / shape->kvHeads;

  const Launch &launch = ctx.launch;
  spec.q = describeBuffer(ctx.plan, launch.operands[0]);
  spec.keys = describeBuffer(ctx.plan, launch.operands[1]);
  spec.values = describeBuffer(ctx.plan, launch.operands[2]);
  spec.y = describeBuffer(ctx.plan, launch.results[0]);
  if (spec.q.rows != RowSpace::kTokens || spec.y.rows != RowSpace::kTokens)
    return emitError(ctx, "queries and result must have token rows");
  if (spec.q.width != shape->heads * d || spec.y.width != shape->heads * d)
    return emitError(
        ctx, "the queries and the result must be heads * head_dim wide");
  if (spec.keys.ref.kind != BufferRef::kKeyCache ||
      spec.values.ref.kind != BufferRef::kValueCache ||
      spec.keys.width != shape->kvHeads * d ||
      spec.values.width != shape->kvHeads * d)
    return emitError(ctx,
                     "operands 1 and 2 must be the layer's K and V caches");

  spec.bind = bindBuffer("q", spec.q, 0, false) +
              bindBuffer("key_cache", spec.keys, 1, false) +
              bindBuffer("value_cache", spec.values, 2, false);
  llvm::Expected<std::string> sequenceInputs = bindSequenceInputs(ctx, 3);
  if (!sequenceInputs)
    return sequenceInputs.takeError();
  spec.bind += *sequenceInputs;
  spec.bind += bindBuffer("y", spec.y, 6, true);
  return spec;
}

} // namespace

llvm::Expected<KernelSource> emitAttention(const EmitContext &ctx) {
  llvm::Expected<AttentionSpec> spec = readAttentionSpec(ctx);
  if (!spec)
    return spec.takeError();
  const HeadShape &shape = spec->shape;
  const int64_t d = shape.headDim;
  const int64_t group = spec->group;
  const int64_t warps = sharedBytes(kMaxWarps, group, d) <= kStaticSharedLimit
                            ? kMaxWarps
                            : kMinWarps;
  if (sharedBytes(warps, group, d) > kStaticSharedLimit)
    return emitError(ctx, llvm::formatv("a kv-head group needs {0} bytes of "
                                        "shared memory (more than 48 KiB)",
                                        sharedBytes(warps, group, d)));

  // Scratch: kPartials / 2 int counters (a split step has at most that many
  // (token, kv head) pairs), padded to 16 bytes, then kPartials partials of
  // group * (d + 2) floats.
  const int64_t partialBytes = 4 * group * (d + 2);
  const int64_t partials = (kScratchBudget - 16) / (partialBytes + 2);
  const int64_t counterBytes = llvm::alignTo(4 * (partials / 2), 16);
  const int64_t scratchBytes = counterBytes + partials * partialBytes;
  if (partials < 2)
    return emitError(ctx, "a kv-head group's split-KV partial does not fit the scratch");

  const bool contiguous = d % 32 == 0;
  std::vector<std::pair<std::string, std::string>> vars = {
      {"ENTRY", ctx.entryPoint},
      {"HEADS", std::to_string(shape.heads)},
      {"KV_HEADS", std::to_string(shape.kvHeads)},
      {"D", std::to_string(d)},
      {"DPL", std::to_string(llvm::divideCeil(d, 32))},
      {"VEC", std::to_string(chooseChunk({d}))},
      {"WARPS", std::to_string(warps)},
      {"SPLITS", std::to_string(kSplits)},
      {"PARTIALS", std::to_string(partials)},
      {"COUNTER_BYTES", std::to_string(counterBytes)},
      {"SCALE", floatLiteral(spec->scale)},
      {"BIND", spec->bind},
      {"KTYPE", storageType(spec->keys.dtype).str()},
      {"VTYPE", storageType(spec->values.dtype).str()},
      {"LOAD_V", contiguous ? kLoadVContiguous.str() : kLoadVStrided.str()},
      {"DIM", contiguous ? "lane * kDimsPerLane + e" : "lane + 32 * e"},
  };
  KernelSource source;
  source.body = fillTemplate(kTemplate, vars);
  source.geometry = affineGeometry(static_cast<int32_t>(32 * warps),
                                   AffineTerm::rows(RowSpace::kTokens),
                                   AffineTerm{0, 0, 0, 0, shape.kvHeads, 1},
                                   AffineTerm{0, 0, 0, 0, kSplits, 1},
                                   AffineTerm{0, 0, 0, 0, scratchBytes, 1});
  return source;
}

namespace {

// The flash form's tiles: kFlashRows query rows per block, kFlashKeys keys
// per K/V tile, kFlashThreads threads. The kernel's thread mapping is
// written for exactly these (16 x 8 threads own 4 rows x 4 keys each; two
// threads per row keep the softmax statistics), see kFlashTemplate.
constexpr int64_t kFlashRows = 64;
constexpr int64_t kFlashKeys = 32;
constexpr int64_t kFlashThreads = 128;

constexpr llvm::StringLiteral kFlashTemplate =
    R"(// attention: causal GQA, ${HEADS} q heads over ${KV_HEADS} kv heads of dim ${D},
// scale ${SCALE}. Flash form (steps of many rows): block (q head, tile)
// owns up to kBQ query rows of one sequence and walks their causal keys in
// kBK-key K/V tiles staged in shared memory, keeping an online softmax per
// row (running max and sum in f32) and an f32 output; it writes each row's
// normalized output once.
extern "C" __global__ void ${ENTRY}(LfmKernelArgs args) {
  constexpr int kHeads = ${HEADS};
  constexpr int kKvHeads = ${KV_HEADS};
  constexpr int kGroup = kHeads / kKvHeads;  // q heads per kv head
  constexpr int kHeadDim = ${D};
  constexpr int kBQ = ${BQ};  // query rows per block
  constexpr int kBK = ${BK};  // keys per K/V tile
  constexpr int kStride = ${STRIDE};  // floats per row of q_s, k_s, v_s (16-byte rows, padded)
  constexpr int kVec = ${VEC};  // elements per global load of a q, K or V row
  constexpr int kChunks = kHeadDim / kVec;
  constexpr int kDotVec = ${DOT_VEC};  // head dims per shared load in Q K^T
  constexpr int kOutVec = ${OUT_VEC};  // contiguous output dims per chunk
  constexpr int kOutChunks = ${OUT_CHUNKS};  // output chunks per thread and row
  constexpr int kQWidth = kHeads * kHeadDim;
  constexpr int kKvWidth = kKvHeads * kHeadDim;
  constexpr float kScale = ${SCALE};
  constexpr float kNoScore = -3.0e38f;  // below every score; exp(it - m) = 0
  static_assert(kBQ == 64 && kBK == 32, "the thread mapping below is for 64 x 32 tiles");
${BIND}
  // Block (head, b): b counts sequence 0's tiles, then sequence 1's, ...
  // The grid's ceil((T + 63 N) / 64) is at least the sum of ceil(rows / 64)
  // over the sequences; the surplus blocks leave. Within a sequence the
  // last tiles (most keys) come first.
  const int head = blockIdx.x;
  const int kv_head = head / kGroup;
  int tile = blockIdx.y, seq = 0, seq_rows = 0;
  for (; seq < args.num_seqs; ++seq) {
    seq_rows = row_offsets[seq + 1] - row_offsets[seq];
    const int tiles = (seq_rows + kBQ - 1) / kBQ;
    if (tile < tiles) {
      tile = tiles - 1 - tile;
      break;
    }
    tile -= tiles;
  }
  if (seq == args.num_seqs) return;
  const int rows = min(kBQ, seq_rows - tile * kBQ);
  const int tok0 = row_offsets[seq] + tile * kBQ;  // the tile's first token
  const int pos0 = start_pos[seq] + tile * kBQ;  // and its position
  // Row r sees keys 0..pos0 + r; the tile's keys are those of its last row
  // (the runtime rejects a step past the cache; min() only keeps a bad step
  // inside the slot).
  const int key_end = min(pos0 + rows, args.max_seq_len);
  const long long slot_row = lfm_state_row(slots[seq], args.max_seq_len, 0);
  const ${KTYPE} *k_base = key_cache + slot_row * kKvWidth + kv_head * kHeadDim;
  const ${VTYPE} *v_base = value_cache + slot_row * kKvWidth + kv_head * kHeadDim;

  // Dynamic shared memory, ${SHARED} bytes: the q tile, one K and one V tile
  // (row-major, f32), the tile's scores, then probabilities, key-major
  // (p_s[key][row]), and per row the rescale factor and the final sum.
  extern __shared__ __align__(16) float lfm_flash_smem[];
  float (*q_s)[kStride] = reinterpret_cast<float (*)[kStride]>(lfm_flash_smem);
  float (*k_s)[kStride] = q_s + kBQ;
  float (*v_s)[kStride] = k_s + kBK;
  float (*p_s)[kBQ + 4] = reinterpret_cast<float (*)[kBQ + 4]>(v_s + kBK);
  float *alpha_s = &p_s[kBK][0];
  float *l_s = alpha_s + kBQ;

  const int tid = threadIdx.x;
  // Q K^T and P V: thread (ty, tx) owns tile rows 4 ty .. 4 ty + 3 against
  // keys tx, tx + 8, tx + 16, tx + 24 (the 8 threads of a row group read 8
  // consecutive K rows: no bank conflicts), and the same rows' output chunks
  // tx, tx + 8, ...
  const int ty = tid >> 3, tx = tid & 7;
  // The softmax statistics: two threads per row, each over half the keys.
  const int stat_row = tid >> 1, half = tid & 1;
  const int stat_last_key = stat_row < rows ? min(pos0 + stat_row, args.max_seq_len - 1) : -1;
  // Warp w owns rows 16 w .. 16 w + 15 in all three roles: warps past the
  // tile's rows skip the math (warp-uniform, so the shuffles stay full), and
  // so do warps whose rows see none of a key tile (above the diagonal).
  const bool warp_live = 16 * (tid >> 5) < rows;
  const int warp_last_pos = pos0 + 16 * (tid >> 5) + 15;

  for (int i = tid; i < kBQ * kChunks; i += blockDim.x) {
    const int r = i / kChunks, c = (i % kChunks) * kVec;
    float v[kVec];
    if (r < rows) {
      lfm_load_n<kVec>(q + (long long)(tok0 + r) * kQWidth + head * kHeadDim + c, v);
    } else {
#pragma unroll
      for (int e = 0; e < kVec; ++e) v[e] = 0.0f;
    }
    lfm_store_n<kVec>(&q_s[r][c], v);
  }

  float m = kNoScore, l = 0.0f;  // stat_row's running max and sum
  float o[4][kOutChunks * kOutVec];
#pragma unroll
  for (int i = 0; i < 4; ++i)
#pragma unroll
    for (int e = 0; e < kOutChunks * kOutVec; ++e) o[i][e] = 0.0f;

  for (int kb = 0; kb < key_end; kb += kBK) {
    // Stage keys kb .. kb + kBK - 1; those past key_end are zero (their
    // probabilities are 0, and 0 * garbage could be NaN).
    for (int i = tid; i < kBK * kChunks; i += blockDim.x) {
      const int j = i / kChunks, c = (i % kChunks) * kVec;
      float kv[kVec], vv[kVec];
      if (kb + j < key_end) {
        lfm_load_n<kVec>(k_base + (long long)(kb + j) * kKvWidth + c, kv);
        lfm_load_n<kVec>(v_base + (long long)(kb + j) * kKvWidth + c, vv);
      } else {
#pragma unroll
        for (int e = 0; e < kVec; ++e) kv[e] = vv[e] = 0.0f;
      }
      lfm_store_n<kVec>(&k_s[j][c], kv);
      lfm_store_n<kVec>(&v_s[j][c], vv);
    }
    __syncthreads();
    const bool warp_on = warp_live && kb <= warp_last_pos;

    // Scores of the thread's 4 rows x 4 keys, scaled, into p_s.
    if (warp_on) {
      float s[4][4];
#pragma unroll
      for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j) s[i][j] = 0.0f;
#pragma unroll 4
      for (int dd = 0; dd < kHeadDim; dd += kDotVec) {
        float a[4][kDotVec], b[4][kDotVec];
#pragma unroll
        for (int i = 0; i < 4; ++i) lfm_load_n<kDotVec>(&q_s[4 * ty + i][dd], a[i]);
#pragma unroll
        for (int j = 0; j < 4; ++j) lfm_load_n<kDotVec>(&k_s[tx + 8 * j][dd], b[j]);
#pragma unroll
        for (int i = 0; i < 4; ++i)
#pragma unroll
          for (int j = 0; j < 4; ++j)
#pragma unroll
            for (int e = 0; e < kDotVec; ++e) s[i][j] += a[i][e] * b[j][e];
      }
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        const float col[4] = {s[0][j] * kScale, s[1][j] * kScale, s[2][j] * kScale,
                              s[3][j] * kScale};
        lfm_store_n<4>(&p_s[tx + 8 * j][4 * ty], col);
      }
    }
    __syncthreads();

    // Online softmax of stat_row over the tile's visible keys (key <=
    // stat_last_key: the causal mask): the new max, the rescale factor of
    // what came before, and the probabilities in place of the scores.
    if (warp_on) {
      // Thread `half` takes the keys j with (j / 4) % 2 == half: the pair's
      // reads of a row then fall in different banks.
      float tile_max = kNoScore;
#pragma unroll
      for (int j4 = 4 * half; j4 < kBK; j4 += 8)
#pragma unroll
        for (int j = j4; j < j4 + 4; ++j)
          if (kb + j <= stat_last_key) tile_max = fmaxf(tile_max, p_s[j][stat_row]);
      const float m_new = fmaxf(m, lfm_warp_max(tile_max, 2));
      const float alpha = expf(m - m_new);
      float sum = 0.0f;
#pragma unroll
      for (int j4 = 4 * half; j4 < kBK; j4 += 8)
#pragma unroll
        for (int j = j4; j < j4 + 4; ++j) {
          const float p = kb + j <= stat_last_key ? expf(p_s[j][stat_row] - m_new) : 0.0f;
          p_s[j][stat_row] = p;
          sum += p;
        }
      l = l * alpha + lfm_warp_sum(sum, 2);
      m = m_new;
      if (half == 0) alpha_s[stat_row] = alpha;
    }
    __syncthreads();

    // o = o * alpha + P V for the thread's rows and output chunks.
    if (warp_on) {
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        const float alpha = alpha_s[4 * ty + i];
#pragma unroll
        for (int e = 0; e < kOutChunks * kOutVec; ++e) o[i][e] *= alpha;
      }
#pragma unroll 4
      for (int j = 0; j < kBK; ++j) {
        float p[4];
        lfm_load_n<4>(&p_s[j][4 * ty], p);
#pragma unroll
        for (int c = 0; c < kOutChunks; ++c) {
          const int dim = (tx + 8 * c) * kOutVec;
          if (dim < kHeadDim) {
            float v[kOutVec];
            lfm_load_n<kOutVec>(&v_s[j][dim], v);
#pragma unroll
            for (int i = 0; i < 4; ++i)
#pragma unroll
              for (int e = 0; e < kOutVec; ++e) o[i][c * kOutVec + e] += p[i] * v[e];
          }
        }
      }
    }
    __syncthreads();
  }

  // y = o / l, each row once.
  if (warp_live && half == 0) l_s[stat_row] = l;
  __syncthreads();
  if (!warp_live) return;
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const int r = 4 * ty + i;
    if (r >= rows) break;
#pragma unroll
    for (int c = 0; c < kOutChunks; ++c) {
      const int dim = (tx + 8 * c) * kOutVec;
      if (dim < kHeadDim) {
        float out[kOutVec];
#pragma unroll
        for (int e = 0; e < kOutVec; ++e) out[e] = o[i][c * kOutVec + e] / l_s[r];
        lfm_store_n<kOutVec>(y + (long long)(tok0 + r) * kQWidth + head * kHeadDim + dim, out);
      }
    }
  }
}
)";

} // namespace

llvm::Expected<KernelSource> emitAttentionLargeRows(const EmitContext &ctx) {
  llvm::Expected<AttentionSpec> spec = readAttentionSpec(ctx);
  if (!spec)
    return spec.takeError();
  const HeadShape &shape = spec->shape;
  const int64_t d = shape.headDim;
  // q_s, k_s and v_s rows: head_dim floats rounded up to 16 bytes, plus 16
  // bytes so that the 8 threads of a row group read 8 different K rows
  // without bank conflicts.
  const int64_t stride = llvm::alignTo(d, 4) + 4;
  // Output chunks: 8 threads share a row, each taking chunks of the widest
  // of 4, 2, 1 contiguous dims that splits the row evenly among them.
  int64_t outVec = 1;
  for (int64_t v : {4, 2})
    if (d % (8 * v) == 0) {
      outVec = v;
      break;
    }
  const int64_t sharedFloats = stride * (kFlashRows + 2 * kFlashKeys) +
                               kFlashKeys * (kFlashRows + 4) + 2 * kFlashRows;
  const int64_t sharedBytes = 4 * sharedFloats;
  std::vector<std::pair<std::string, std::string>> vars = {
      {"ENTRY", ctx.entryPoint},
      {"HEADS", std::to_string(shape.heads)},
      {"KV_HEADS", std::to_string(shape.kvHeads)},
      {"D", std::to_string(d)},
      {"BQ", std::to_string(kFlashRows)},
      {"BK", std::to_string(kFlashKeys)},
      {"STRIDE", std::to_string(stride)},
      {"VEC", std::to_string(chooseChunk({d}))},
      {"DOT_VEC", std::to_string(std::min<int64_t>(4, chooseChunk({d})))},
      {"OUT_VEC", std::to_string(outVec)},
      {"OUT_CHUNKS", std::to_string(llvm::divideCeil(d, 8 * outVec))},
      {"SCALE", floatLiteral(spec->scale)},
      {"SHARED", std::to_string(sharedBytes)},
      {"BIND", spec->bind},
      {"KTYPE", storageType(spec->keys.dtype).str()},
      {"VTYPE", storageType(spec->values.dtype).str()},
  };
  KernelSource source;
  source.body = fillTemplate(kFlashTemplate, vars);
  // Grid: x = q heads (the heads of a kv-head group run side by side and
  // share its K/V tiles in L2), y = ceil((T + 63 N) / 64) tiles.
  source.geometry = affineGeometry(
      static_cast<int32_t>(kFlashThreads),
      AffineTerm{0, 0, 0, 0, shape.heads, 1},
      AffineTerm{1, kFlashRows - 1, 0, 0, 0, kFlashRows});
  source.dynamicSharedBytes = sharedBytes;
  return source;
}

} // namespace mlir::lfm::cuda
