// linear: y(rows x ${NOUT}) = ${WHAT}
// Tiled GEMM form (long prefill chunks): ${BM} x ${BN} output tiles per block,
// ${BK}-wide K slices of x and W staged through shared memory, 4 x 4 outputs
// (x ${GATES} gate(s)) per thread, f32 accumulation.
extern "C" __global__ void ${ENTRY}(LfmKernelArgs args) {
${TILE_CONSTANTS}
  constexpr int kThreads = ${THREADS};
${BIND}
  // k-major slices; rows padded to keep 16-byte alignment (128-bit reads).
  struct alignas(16) F4 { float v[4]; };
  __shared__ __align__(16) float xs[kBK][kBM + 4];
  __shared__ __align__(16) float ws[kGates][kBK][kBN + 4];
  const int tid = threadIdx.x;
  const int tx = tid & 15;
  const int ty = tid >> 4;
  const int row0 = blockIdx.y * kBM;
  const int rows = min(kBM, ${ROWS} - row0);
  const int col0 = blockIdx.x * kBN;
${TILE_NORM_SETUP}
  float acc[kGates][4][4];
#pragma unroll
  for (int g = 0; g < kGates; ++g)
#pragma unroll
    for (int i = 0; i < 4; ++i)
#pragma unroll
      for (int j = 0; j < 4; ++j) acc[g][i][j] = 0.0f;

  for (int k0 = 0; k0 < kK; k0 += kBK) {
    // Stage x[row0.., k0..] (zero outside) and W's rows for the tile's
    // columns; consecutive threads read consecutive k (coalesced).
    for (int e = tid; e < kBM * kBK; e += kThreads) {
      const int r = e / kBK;
      const int kk = e % kBK;
      const int k = k0 + kk;
      float v = 0.0f;
      if (r < rows && k < kK) {
        v = lfm_to_float(x[(long long)(row0 + r) * kK + k]);
${TILE_NORM_APPLY}
      }
      xs[kk][r] = v;
    }
#pragma unroll
    for (int g = 0; g < kGates; ++g) {
      for (int e = tid; e < kBN * kBK; e += kThreads) {
        const int c = e / kBK;
        const int kk = e % kBK;
        const int k = k0 + kk;
        float v = 0.0f;
        if (col0 + c < kOut && k < kK)
          ${W_TILE_LOAD}
        ws[g][kk][c] = v;
      }
    }
    __syncthreads();
#pragma unroll 8
    for (int kk = 0; kk < kBK; ++kk) {
      const F4 a = *reinterpret_cast<const F4 *>(&xs[kk][4 * ty]);
#pragma unroll
      for (int g = 0; g < kGates; ++g) {
        const F4 b = *reinterpret_cast<const F4 *>(&ws[g][kk][4 * tx]);
#pragma unroll
        for (int i = 0; i < 4; ++i)
#pragma unroll
          for (int j = 0; j < 4; ++j) acc[g][i][j] += a.v[i] * b.v[j];
      }
    }
    __syncthreads();
  }

#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const int r = 4 * ty + i;
    if (r >= rows) continue;
    const long long row = row0 + r;
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const int col = col0 + 4 * tx + j;
      if (col >= kOut) continue;
${TILE_EPILOGUE}
      lfm_from_float(y[row * kOut + col], out);
    }
  }
}
