// linear: y(rows x ${NOUT}) = ${WHAT}
// GEMV form: 8 warps per block, ${CPW} output column(s) per warp, up to
// ${RPB} rows of x per block, each lane streams ${VEC}-element chunks of the
// weight rows (128-bit loads) and accumulates in f32.
extern "C" __global__ void ${ENTRY}(LfmKernelArgs args) {
  constexpr int kK = ${K};  // reduction width (columns of x and W)
  constexpr int kOut = ${NOUT};  // output columns
  constexpr int kVec = ${VEC};  // elements per lane per step
  constexpr int kStep = 32 * kVec;  // elements per warp per step
  constexpr int kColsPerWarp = ${CPW};
  constexpr int kGates = ${GATES};  // weight rows per output column
  constexpr int kRows = ${RPB};  // rows of x per block
${BIND}
  const int warp = threadIdx.x >> 5;
  const int lane = threadIdx.x & 31;
  const int row0 = blockIdx.y * kRows;
  const int rows = min(kRows, ${ROWS} - row0);
  const int col0 = (blockIdx.x * ${WARPS} + warp) * kColsPerWarp;
${NORM_SETUP}
  // Weight row of gate g for output column c: W1 rows first, then W3 rows.
  const ${WTYPE} *wrow[kColsPerWarp][kGates];
  bool col_ok[kColsPerWarp];
#pragma unroll
  for (int c = 0; c < kColsPerWarp; ++c) {
    col_ok[c] = col0 + c < kOut;
#pragma unroll
    for (int g = 0; g < kGates; ++g)
      wrow[c][g] = w + (long long)(g * kOut + (col_ok[c] ? col0 + c : 0)) * ${WROW_STRIDE};
  }

  float acc[kColsPerWarp][kGates][kRows];
#pragma unroll
  for (int c = 0; c < kColsPerWarp; ++c)
#pragma unroll
    for (int g = 0; g < kGates; ++g)
#pragma unroll
      for (int r = 0; r < kRows; ++r) acc[c][g][r] = 0.0f;

#pragma unroll 4
  for (int k = lane * kVec; k < kK; k += kStep) {
    float wv[kColsPerWarp][kGates][kVec];
#pragma unroll
    for (int c = 0; c < kColsPerWarp; ++c)
#pragma unroll
      for (int g = 0; g < kGates; ++g) {
        if (col_ok[c]) {
          ${W_LOAD}
        } else {
#pragma unroll
          for (int i = 0; i < kVec; ++i) wv[c][g][i] = 0.0f;
        }
      }
${NORM_LOAD}
#pragma unroll
    for (int r = 0; r < kRows; ++r) {
      if (r < rows) {
        float xv[kVec];
        lfm_load_n<kVec>(x + (long long)(row0 + r) * kK + k, xv);
${NORM_APPLY}
#pragma unroll
        for (int c = 0; c < kColsPerWarp; ++c)
#pragma unroll
          for (int g = 0; g < kGates; ++g)
#pragma unroll
            for (int i = 0; i < kVec; ++i) acc[c][g][r] += wv[c][g][i] * xv[i];
      }
    }
  }

  // Butterfly sums leave every lane with every total (rows < `rows` only: the
  // condition is uniform over the warp); lane r stores row r.
#pragma unroll
  for (int c = 0; c < kColsPerWarp; ++c)
#pragma unroll
    for (int g = 0; g < kGates; ++g)
#pragma unroll
      for (int r = 0; r < kRows; ++r)
        if (r < rows) acc[c][g][r] = lfm_warp_sum(acc[c][g][r]);
#pragma unroll
  for (int r = 0; r < kRows; ++r) {
    if (lane != r || r >= rows) continue;
    const long long row = row0 + r;
#pragma unroll
    for (int c = 0; c < kColsPerWarp; ++c) {
      if (!col_ok[c]) continue;
      const int col = col0 + c;
${EPILOGUE}
      lfm_from_float(y[row * kOut + col], out);
    }
  }
}
