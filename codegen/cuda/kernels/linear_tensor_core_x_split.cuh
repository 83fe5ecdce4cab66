  // Load x[row0.., k0..] into registers as float (normalized, with the
  // prologue), zero outside: the chunks tid + i * kThreads of the slice.
  constexpr int kXChunks = kBM * (kBK / kXVec) / kThreads;
  static_assert(kXChunks * kThreads == kBM * (kBK / kXVec), "whole chunks per thread");
  float xv[kXChunks][kXVec];
  auto load_x = [&](int k0) {
#pragma unroll
    for (int i = 0; i < kXChunks; ++i) {
      const int e = tid + i * kThreads;
      const int r = e / (kBK / kXVec);
      const int k = k0 + e % (kBK / kXVec) * kXVec;
      float *v = xv[i];
      if (r < rows && k < kK) {
        lfm_load_n<kXVec>(x + (long long)(row0 + r) * kK + k, v);
${TC_NORM_APPLY}
      } else {
#pragma unroll
        for (int j = 0; j < kXVec; ++j) v[j] = 0.0f;
      }
    }
  };
  // The loaded slice into stage st as x = hi + lo: hi rounded to ${WTYPE},
  // lo the exact remainder, rounded.
  auto store_x = [&](int st) {
#pragma unroll
    for (int i = 0; i < kXChunks; ++i) {
      const int e = tid + i * kThreads;
      const int r = e / (kBK / kXVec);
      const int kk = e % (kBK / kXVec) * kXVec;
      float hi[kXVec], lo[kXVec];
#pragma unroll
      for (int j = 0; j < kXVec; ++j) {
        hi[j] = lfm_round_to<${WTYPE}>(xv[i][j]);
        lo[j] = xv[i][j] - hi[j];
      }
      lfm_store_n<kXVec>(&xs[st][r][kk], hi);
      lfm_store_n<kXVec>(&xs_lo[st][r][kk], lo);
    }
  };
