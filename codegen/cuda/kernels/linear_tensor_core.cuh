// linear: y(rows x ${NOUT}) = ${WHAT}
// Tensor-core tiled GEMM form (long prefill chunks): ${BM} x ${BN} output
// tiles per block, 4 warps of 32 x 32, mma.m16n8k16 on ${WTYPE} operands
// with f32 accumulation; ${BK}-wide K slices of x (${XFORM}) and W staged
// through shared memory in ${STAGES} stages (${SHARED_BYTES} bytes): the
// warps multiply one slice while the next ones load (${PIPELINE}).
extern "C" __global__ void ${ENTRY}(LfmKernelArgs args) {
${TILE_CONSTANTS}
  constexpr int kLd = kBK + 8;  // shared row pitch (elements)
  constexpr int kXVec = ${XVEC};  // x elements per global read
  constexpr int kWVec = ${WVEC};  // W elements per global read
  constexpr int kThreads = ${THREADS};
  constexpr int kStages = ${STAGES};  // K slices in shared memory at once
${BIND}
  __shared__ __align__(16) ${WTYPE} xs[kStages][kBM][kLd];
${TC_XLO_DECL}  __shared__ __align__(16) ${WTYPE} ws[kStages][kGates][kBN][kLd];
  const int tid = threadIdx.x;
  const int warp = tid >> 5;
  const int lane = tid & 31;
  const int wm = (warp >> 1) * 32;  // the warp's rows within the tile
  const int wn = (warp & 1) * 32;  // the warp's columns within the tile
  const int gid = lane >> 2;  // fragment row group
  const int tig = lane & 3;  // thread in group
  const int row0 = blockIdx.y * kBM;
  const int rows = min(kBM, ${ROWS} - row0);
  const int col0 = blockIdx.x * kBN;
${TILE_NORM_SETUP}
  float acc[kGates][2][4][4];
#pragma unroll
  for (int g = 0; g < kGates; ++g)
#pragma unroll
    for (int mi = 0; mi < 2; ++mi)
#pragma unroll
      for (int ni = 0; ni < 4; ++ni)
#pragma unroll
        for (int h = 0; h < 4; ++h) acc[g][mi][ni][h] = 0.0f;

  // Stage K slice k0 into stage st, bit for bit: W's rows for the tile's
  // columns${STAGE_X_WHAT} (zero outside). Consecutive threads read
  // consecutive chunks of a row (coalesced); 16-byte chunks are async copies.
  auto stage_slice = [&](int st, int k0) {
#pragma unroll
    for (int g = 0; g < kGates; ++g) {
      for (int e = tid; e < kBN * (kBK / kWVec); e += kThreads) {
        const int c = e / (kBK / kWVec);
        const int kk = e % (kBK / kWVec) * kWVec;
        const int k = k0 + kk;
        if (col0 + c < kOut && k < kK)
          lfm_copy_bits_async_n<kWVec>(&ws[st][g][c][kk], w + (long long)(g * kOut + col0 + c) * kK + k);
        else
          lfm_zero_n<kWVec>(&ws[st][g][c][kk]);
      }
    }
${TC_X_COPY}  };
${TC_X_SPLIT}
  // Prologue: slices 0 .. kStages - 2 in flight, one commit group each
  // (empty groups past K keep the count uniform).
${TC_X_FIRST}#pragma unroll
  for (int s = 0; s < kStages - 1; ++s) {
    if (s * kBK < kK) stage_slice(s, s * kBK);
    lfm_cp_async_commit();
  }

  for (int k0 = 0, st = 0; k0 < kK; k0 += kBK, st = (st + 1) % kStages) {
    // This thread's copies of slice k0 have landed (later slices may be in
    // flight); after the barrier every thread's have, and every warp is
    // done with the previous slice's stage, which the loads below reuse.
    lfm_cp_async_wait<kStages - 2>();
    __syncthreads();
    const int k_next = k0 + (kStages - 1) * kBK;  // the slice to start loading
    if (k_next < kK) stage_slice((st + kStages - 1) % kStages, k_next);
    lfm_cp_async_commit();
${TC_X_NEXT}#pragma unroll
    for (int ks = 0; ks < kBK; ks += 16) {
      // A fragments (rows of x): rows gid and gid + 8, k 2 tig and 2 tig + 8.
      unsigned int a[2][4];
${TC_ALO_DECL}#pragma unroll
      for (int mi = 0; mi < 2; ++mi) {
        const int at = (wm + 16 * mi + gid) * kLd + ks + 2 * tig;
        const ${WTYPE} *p = &xs[st][0][0] + at;
        a[mi][0] = lfm_load_pair(p);
        a[mi][1] = lfm_load_pair(p + 8 * kLd);
        a[mi][2] = lfm_load_pair(p + 8);
        a[mi][3] = lfm_load_pair(p + 8 * kLd + 8);
${TC_ALO_LOAD}      }
#pragma unroll
      for (int g = 0; g < kGates; ++g) {
#pragma unroll
        for (int ni = 0; ni < 4; ++ni) {
          // B fragments (rows of W = columns of B): column gid, k 2 tig, 2 tig + 8.
          const ${WTYPE} *p = &ws[st][g][wn + 8 * ni + gid][ks + 2 * tig];
          const unsigned int b[2] = {lfm_load_pair(p), lfm_load_pair(p + 8)};
#pragma unroll
          for (int mi = 0; mi < 2; ++mi) {
${TC_MMA_LO}            lfm_mma_m16n8k16(${WTYPE}{}, acc[g][mi][ni], a[mi], b);
          }
        }
      }
    }
${TC_X_STORE}  }

  // Accumulator h of tile (mi, ni): row gid (+ 8 for h >= 2), column
  // 2 tig + (h & 1).
#pragma unroll
  for (int mi = 0; mi < 2; ++mi) {
#pragma unroll
    for (int h = 0; h < 4; ++h) {
      const int r = wm + 16 * mi + gid + (h >= 2 ? 8 : 0);
      if (r >= rows) continue;
      const long long row = row0 + r;
#pragma unroll
      for (int ni = 0; ni < 4; ++ni) {
        const int col = col0 + wn + 8 * ni + 2 * tig + (h & 1);
        if (col >= kOut) continue;
${TILE_EPILOGUE}
        lfm_from_float(y[row * kOut + col], out);
      }
    }
  }
}
