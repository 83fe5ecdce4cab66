// attention: causal GQA, ${HEADS} q heads over ${KV_HEADS} kv heads of dim ${D},
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
