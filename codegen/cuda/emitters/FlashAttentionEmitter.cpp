//===- FlashAttentionEmitter.cpp - attention, flash form ------------------===//
//
// The attention form for steps of many rows (prefill); what it computes is
// in AttentionSpec.h.
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
// Tensor-core form (kFlashMmaTemplate), for q, K and V all bf16 or all f16
// and head_dim a multiple of 16 (else the f32 form above: f32 storage,
// head_dim 20 or 24): the same blocks, tile walk and 128 threads, 64-key
// K/V tiles staged bit for bit in the storage type. Warp w owns query rows
// 16 w .. 16 w + 15 and keeps their q rows as mma A fragments in registers
// (bit copies of the storage), computes its 16 x 64 scores with
// mma.m16n8k16 into f32 accumulators, runs the online softmax on the
// accumulator fragments (a row's 4 lanes combine with shuffles), rounds P
// to the storage type in registers -- the scores' C fragments, paired, are
// the A fragments of P V (FlashAttention-2's register reuse) -- and adds
// P V with mma.m16n8k16, reading V's columns from shared memory by index.
// Shared memory: 2 * 64 * (head_dim + 8) * 2 bytes (18432 at head_dim 64,
// 34816 at 128). Rounding P to 16 bits costs accuracy against the cpu
// reference, which keeps P in f32: in FlashAttentionForLongSteps the max
// |emu - cpu| / max(1, |cpu|) is 3.9e-3 with bf16 (the f32 form: up to
// 9.8e-4) and 4.9e-4 with f16 (the f32 form: 2.4e-4).
//
//===----------------------------------------------------------------------===//

#include "codegen/cuda/EmitterSupport.h"
#include "codegen/cuda/emitters/AttentionSpec.h"
#include "codegen/cuda/emitters/Emitters.h"

#include "llvm/Support/MathExtras.h"

#include <algorithm>

using namespace ::lfm;

namespace mlir::lfm::cuda {
namespace {

// The flash form's tiles: kFlashRows query rows per block, kFlashKeys keys
// per K/V tile, kFlashThreads threads. The kernel's thread mapping is
// written for exactly these (16 x 8 threads own 4 rows x 4 keys each; two
// threads per row keep the softmax statistics), see kFlashTemplate.
constexpr int64_t kFlashRows = 64;
constexpr int64_t kFlashKeys = 32;
constexpr int64_t kFlashThreads = 128;

// Both forms' walk to the block's (sequence, tile), its rows and keys, and
// its K/V rows in the cache.
constexpr llvm::StringLiteral kFlashTileWalk =
    R"(  // Block (head, b): b counts sequence 0's tiles, then sequence 1's, ...
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
  const ${VTYPE} *v_base = value_cache + slot_row * kKvWidth + kv_head * kHeadDim;)";

constexpr llvm::StringLiteral kFlashTemplate =
    R"(// attention: causal GQA, ${HEADS} q heads over ${KV_HEADS} kv heads of dim ${D},
// scale ${SCALE}. Flash form (steps of many rows): block (q head, tile)
// owns up to kBQ query rows of one sequence and walks their causal keys in
// kBK-key K/V tiles staged in shared memory, keeping an online softmax per
// row (running max and sum in f32) and an f32 output; it writes each row's
// normalized output once.
extern "C" __global__ void ${ENTRY}(LfmKernelArgs args) {
${SHAPE_CONSTANTS}
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
${TILE_WALK}

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

// The tensor-core form, for q, K and V in one 16-bit type (bf16 or f16) and
// head_dim a multiple of 16 (the mma's k step); other launches take the f32
// FMA form above. Same blocks and tile walk, 64-key K/V tiles, warp w owning
// query rows 16 w .. 16 w + 15 throughout.
constexpr int64_t kFlashMmaKeys = 64;

constexpr llvm::StringLiteral kFlashMmaTemplate =
    R"(// attention: causal GQA, ${HEADS} q heads over ${KV_HEADS} kv heads of dim ${D},
// scale ${SCALE}. Flash form (steps of many rows) on tensor cores: block
// (q head, tile) owns up to kBQ query rows of one sequence, 16 per warp, and
// walks their causal keys in kBK-key K/V tiles staged in shared memory in
// ${KTYPE} (bit copies). Each warp computes its 16 x kBK scores with
// mma.m16n8k16 (f32 accumulators in registers), keeps an online softmax per
// row (running max and sum in f32) on the accumulator fragments, and adds
// P V with mma.m16n8k16 too, P rounded to ${KTYPE} in registers; it writes
// each row's normalized output once.
extern "C" __global__ void ${ENTRY}(LfmKernelArgs args) {
${SHAPE_CONSTANTS}
  using T = ${KTYPE};  // q, K and V storage: the mma operand type
  constexpr int kBQ = ${BQ};  // query rows per block, 16 per warp
  constexpr int kBK = ${BK};  // keys per K/V tile
  // Shared row pitch (elements): 16-byte rows for the 128-bit copies, and
  // 16 bytes of padding so that the fragment reads (8 rows x 4 words of K,
  // or 4 row pairs x 8 elements of V) hit 32 distinct banks.
  constexpr int kLd = kHeadDim + 8;
  constexpr int kVec = 8;  // elements per 128-bit copy of a q, K or V row
  constexpr int kChunks = kHeadDim / kVec;
  constexpr int kDimSteps = kHeadDim / 16;  // k16 steps of Q K^T
  constexpr int kDimTiles = kHeadDim / 8;  // n8 tiles of the output (P V)
  constexpr int kKeyTiles = kBK / 8;  // n8 tiles of the scores (Q K^T)
  constexpr int kQWidth = kHeads * kHeadDim;
  constexpr int kKvWidth = kKvHeads * kHeadDim;
  constexpr float kScale = ${SCALE};
  constexpr float kNoScore = -3.0e38f;  // below every score; exp(it - m) = 0
  static_assert(kBQ == 64 && kBK % 16 == 0 && kHeadDim % 16 == 0, "4 warps of 16 rows, k16 steps");
${BIND}
${TILE_WALK}

  // Dynamic shared memory, ${SHARED} bytes: one K and one V tile, row-major
  // in T (the q tile passes through k_s first).
  extern __shared__ __align__(16) unsigned char lfm_flash_smem[];
  T (*k_s)[kLd] = reinterpret_cast<T (*)[kLd]>(lfm_flash_smem);
  T (*v_s)[kLd] = k_s + kBK;

  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
  // Fragment coordinates (lfm_mma_m16n8k16): lane (g, t) holds the
  // accumulators of rows g and g + 8 of its warp's 16, columns 2t and 2t + 1
  // of each n8 tile.
  const int g = lane >> 2, t = lane & 3;
  const int row0 = 16 * warp + g;  // the lane's rows: row0 and row0 + 8
  // Warps past the tile's rows skip the math, and so do warps whose rows
  // see none of a key tile (above the diagonal): warp-uniform, so the mma
  // and the shuffles stay converged.
  const bool warp_live = 16 * warp < rows;
  const int warp_last_pos = pos0 + 16 * warp + 15;
  // The causal mask: row row0 + 8 h sees keys 0 .. last_key[h]. (Rows past
  // the tile's end have zero q and are not written.)
  const int last_key[2] = {min(pos0 + row0, args.max_seq_len - 1),
                           min(pos0 + row0 + 8, args.max_seq_len - 1)};

  // The q tile, bit for bit (rows past the tile's end zero), through k_s
  // into the warp's A fragments: qf[ks] covers head dims 16 ks .. 16 ks + 15.
  for (int i = tid; i < kBQ * kChunks; i += blockDim.x) {
    const int r = i / kChunks, c = (i % kChunks) * kVec;
    if (r < rows) {
      lfm_copy_bits_n<kVec>(&k_s[r][c], q + (long long)(tok0 + r) * kQWidth + head * kHeadDim + c);
    } else {
      lfm_zero_n<kVec>(&k_s[r][c]);
    }
  }
  __syncthreads();
  unsigned int qf[kDimSteps][4];
#pragma unroll
  for (int ks = 0; ks < kDimSteps; ++ks) {
    qf[ks][0] = lfm_load_pair(&k_s[row0][16 * ks + 2 * t]);
    qf[ks][1] = lfm_load_pair(&k_s[row0 + 8][16 * ks + 2 * t]);
    qf[ks][2] = lfm_load_pair(&k_s[row0][16 * ks + 2 * t + 8]);
    qf[ks][3] = lfm_load_pair(&k_s[row0 + 8][16 * ks + 2 * t + 8]);
  }
  __syncthreads();  // k_s is the K tile's next

  // Per row (row0, row0 + 8): the running max, and this lane's part of the
  // running sum (its columns; the row's 4 lanes add theirs at the end).
  float m[2] = {kNoScore, kNoScore}, l[2] = {0.0f, 0.0f};
  float o[kDimTiles][4];  // C fragments of the output, dims 8 n .. 8 n + 7
#pragma unroll
  for (int n = 0; n < kDimTiles; ++n)
#pragma unroll
    for (int e = 0; e < 4; ++e) o[n][e] = 0.0f;

  for (int kb = 0; kb < key_end; kb += kBK) {
    // Stage keys kb .. kb + kBK - 1 bit for bit; those past key_end are
    // zero (their probabilities are 0, and 0 * garbage could be NaN).
    for (int i = tid; i < kBK * kChunks; i += blockDim.x) {
      const int j = i / kChunks, c = (i % kChunks) * kVec;
      if (kb + j < key_end) {
        lfm_copy_bits_n<kVec>(&k_s[j][c], k_base + (long long)(kb + j) * kKvWidth + c);
        lfm_copy_bits_n<kVec>(&v_s[j][c], v_base + (long long)(kb + j) * kKvWidth + c);
      } else {
        lfm_zero_n<kVec>(&k_s[j][c]);
        lfm_zero_n<kVec>(&v_s[j][c]);
      }
    }
    __syncthreads();

    if (warp_live && kb <= warp_last_pos) {
      // S = Q K^T: s[j] is the C fragment of keys kb + 8 j .. kb + 8 j + 7
      // (B = K^T: column g of the n8 tile is K row 8 j + g). Key tiles past
      // the warp's last row stay 0; the mask drops them.
      float s[kKeyTiles][4];
#pragma unroll
      for (int j = 0; j < kKeyTiles; ++j) {
#pragma unroll
        for (int e = 0; e < 4; ++e) s[j][e] = 0.0f;
        if (kb + 8 * j > warp_last_pos) continue;
#pragma unroll
        for (int ks = 0; ks < kDimSteps; ++ks) {
          const unsigned int b[2] = {lfm_load_pair(&k_s[8 * j + g][16 * ks + 2 * t]),
                                     lfm_load_pair(&k_s[8 * j + g][16 * ks + 2 * t + 8])};
          lfm_mma_m16n8k16(T(), s[j], qf[ks], b);
        }
      }

      // Online softmax of rows row0 + 8 h (fragment entries 2 h, 2 h + 1 of
      // each n8 tile), over the keys each row sees; the row's 4 lanes
      // (t = 0..3) combine their maxima with shuffles. The probabilities,
      // rounded to T (what P V multiplies), replace the scores and are what
      // the sum adds.
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        float tile_max = kNoScore;
#pragma unroll
        for (int j = 0; j < kKeyTiles; ++j)
#pragma unroll
          for (int e = 0; e < 2; ++e)
            if (kb + 8 * j + 2 * t + e <= last_key[h]) tile_max = fmaxf(tile_max, s[j][2 * h + e] * kScale);
        const float m_new = fmaxf(m[h], lfm_warp_max(tile_max, 4));
        const float alpha = expf(m[h] - m_new);
        m[h] = m_new;
        float sum = 0.0f;
#pragma unroll
        for (int j = 0; j < kKeyTiles; ++j)
#pragma unroll
          for (int e = 0; e < 2; ++e) {
            const float p = kb + 8 * j + 2 * t + e <= last_key[h] ? expf(s[j][2 * h + e] * kScale - m_new) : 0.0f;
            s[j][2 * h + e] = lfm_round_to<T>(p);
            sum += s[j][2 * h + e];
          }
        l[h] = l[h] * alpha + sum;
#pragma unroll
        for (int n = 0; n < kDimTiles; ++n) {
          o[n][2 * h] *= alpha;
          o[n][2 * h + 1] *= alpha;
        }
      }

      // O += P V over k16 steps of keys: the C fragments of score tiles
      // 2 kk and 2 kk + 1 are, packed in pairs, the A fragment of keys
      // 16 kk .. 16 kk + 15. B = V (k = key, n = head dim): its words pair
      // keys 2 t, 2 t + 1 (and + 8) of head dim 8 n + g, two V rows apart.
#pragma unroll
      for (int kk = 0; kk < kBK / 16; ++kk) {
        if (kb + 16 * kk > warp_last_pos) break;
        const unsigned int a[4] = {lfm_pack_floats<T>(s[2 * kk][0], s[2 * kk][1]),
                                   lfm_pack_floats<T>(s[2 * kk][2], s[2 * kk][3]),
                                   lfm_pack_floats<T>(s[2 * kk + 1][0], s[2 * kk + 1][1]),
                                   lfm_pack_floats<T>(s[2 * kk + 1][2], s[2 * kk + 1][3])};
        const int key = 16 * kk + 2 * t;
#pragma unroll
        for (int n = 0; n < kDimTiles; ++n) {
          const int dim = 8 * n + g;
          const unsigned int b[2] = {lfm_pack_pair(v_s[key][dim], v_s[key + 1][dim]),
                                     lfm_pack_pair(v_s[key + 8][dim], v_s[key + 9][dim])};
          lfm_mma_m16n8k16(T(), o[n], a, b);
        }
      }
    }
    __syncthreads();  // k_s and v_s are the next tile's
  }

  // y = o / l, each row once (lane t writes dims 8 n + 2 t, 8 n + 2 t + 1).
  if (!warp_live) return;
  const float row_sum[2] = {lfm_warp_sum(l[0], 4), lfm_warp_sum(l[1], 4)};
#pragma unroll
  for (int h = 0; h < 2; ++h) {
    const int r = row0 + 8 * h;
    if (r >= rows) break;
#pragma unroll
    for (int n = 0; n < kDimTiles; ++n) {
      const float out[2] = {o[n][2 * h] / row_sum[h], o[n][2 * h + 1] / row_sum[h]};
      lfm_store_n<2>(y + (long long)(tok0 + r) * kQWidth + head * kHeadDim + 8 * n + 2 * t, out);
    }
  }
}
)";

} // namespace

namespace {

// Whether the launch takes the tensor-core form: q, K and V in one 16-bit
// type, and head_dim a multiple of the mma's k step (16). head_dim 20 or 24,
// or f32 storage, keep the f32 FMA form.
bool useTensorCores(const AttentionSpec &spec) {
  const DType dt = spec.q.dtype;
  return (dt == DType::kBF16 || dt == DType::kF16) && spec.keys.dtype == dt &&
         spec.values.dtype == dt && spec.shape.headDim % 16 == 0;
}

} // namespace

llvm::Expected<KernelSource> emitAttentionLargeRows(const EmitContext &ctx) {
  llvm::Expected<AttentionSpec> spec = readAttentionSpec(ctx);
  if (!spec)
    return spec.takeError();
  const HeadShape &shape = spec->shape;
  const int64_t d = shape.headDim;
  const bool mma = useTensorCores(*spec);
  std::vector<std::pair<std::string, std::string>> vars =
      attentionTemplateVars(ctx, *spec);
  vars.emplace_back("TILE_WALK", fillTemplate(kFlashTileWalk, vars));
  vars.emplace_back("BQ", std::to_string(kFlashRows));
  int64_t sharedBytes = 0;
  if (mma) {
    // k_s and v_s: kBK rows of head_dim + 8 16-bit elements each.
    sharedBytes = 2 * kFlashMmaKeys * (d + 8) * 2;
    vars.emplace_back("BK", std::to_string(kFlashMmaKeys));
  } else {
    // q_s, k_s and v_s rows: head_dim floats rounded up to 16 bytes, plus
    // 16 bytes so that the 8 threads of a row group read 8 different K rows
    // without bank conflicts.
    const int64_t stride = llvm::alignTo(d, 4) + 4;
    // Output chunks: 8 threads share a row, each taking chunks of the
    // widest of 4, 2, 1 contiguous dims that splits the row evenly among
    // them.
    int64_t outVec = 1;
    for (int64_t v : {4, 2})
      if (d % (8 * v) == 0) {
        outVec = v;
        break;
      }
    sharedBytes = 4 * (stride * (kFlashRows + 2 * kFlashKeys) +
                       kFlashKeys * (kFlashRows + 4) + 2 * kFlashRows);
    vars.insert(
        vars.end(),
        {
            {"BK", std::to_string(kFlashKeys)},
            {"STRIDE", std::to_string(stride)},
            {"DOT_VEC", std::to_string(std::min<int64_t>(4, chooseChunk({d})))},
            {"OUT_VEC", std::to_string(outVec)},
            {"OUT_CHUNKS", std::to_string(llvm::divideCeil(d, 8 * outVec))},
        });
  }
  vars.emplace_back("SHARED", std::to_string(sharedBytes));
  KernelSource source;
  source.body = fillTemplate(mma ? kFlashMmaTemplate : kFlashTemplate, vars);
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
