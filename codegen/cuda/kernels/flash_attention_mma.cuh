// attention: causal GQA, ${HEADS} q heads over ${KV_HEADS} kv heads of dim ${D},
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
