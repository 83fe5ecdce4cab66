// lfm_quant.cuh: the dequantizers of block-quantized weights, the second
// prelude of every generated kernel that reads one (after lfm_device.cuh;
// kernels of unquantized weights do not carry it).
//
// The blocks are ggml's / GGUF's (runtime/include/lfm/QuantFormats.h and
// runtime/src/quant/Blocks.h give the layouts); a quantized row of K
// elements is K / block_elems blocks back to back, so a row starts at
// `row * row_bytes` and its blocks are at most 2-byte aligned: every field
// is read a byte at a time. The arithmetic is the cpu reference's
// (dequantizeRows), in f32.
//
// lfm_dequant_FORMAT<N>(row, k, out) writes elements [k, k + N) of the row
// starting at byte pointer `row` to out[0..N). N must divide 16 and k be a
// multiple of N: the N elements then share one block, one scale and (q4_0,
// q4_k, q6_k) one nibble half, so the block header is read once.
#ifndef LFM_QUANT_CUH
#define LFM_QUANT_CUH

// The f16 at p (little-endian, any alignment).
LFM_INLINE float lfm_load_f16_bytes(const unsigned char *p) {
  return lfm_f16_to_float((unsigned short)(p[0] | (p[1] << 8)));
}

// q8_0: 34-byte blocks of 32: f16 d; int8 qs[32]. x = d * q.
template <int N>
LFM_INLINE void lfm_dequant_q8_0(const unsigned char *row, int k, float *out) {
  const unsigned char *b = row + (long long)(k >> 5) * 34;
  const float d = lfm_load_f16_bytes(b);
  const signed char *qs = (const signed char *)(b + 2) + (k & 31);
#pragma unroll
  for (int i = 0; i < N; ++i) out[i] = qs[i] * d;
}

// q4_0: 18-byte blocks of 32: f16 d; u8 qs[16], element j < 16 in the low
// nibble of qs[j], j + 16 in its high nibble. x = d * (q - 8).
template <int N>
LFM_INLINE void lfm_dequant_q4_0(const unsigned char *row, int k, float *out) {
  const unsigned char *b = row + (long long)(k >> 5) * 18;
  const float d = lfm_load_f16_bytes(b);
  const int j = k & 31;
  const int shift = j < 16 ? 0 : 4;
  const unsigned char *qs = b + 2 + (j & 15);
#pragma unroll
  for (int i = 0; i < N; ++i) out[i] = (((qs[i] >> shift) & 0xF) - 8) * d;
}

// q4_k: 144-byte blocks of 256: f16 d, f16 dmin, u8 scales[12], u8 qs[128].
// Sub-block s (32 elements) has a 6-bit scale and min (ggml's
// get_scale_min_k4); element 64 g + l (l < 32) is the low nibble of
// qs[32 g + l], 64 g + 32 + l its high nibble. x = d * sc * q - dmin * m.
template <int N>
LFM_INLINE void lfm_dequant_q4_k(const unsigned char *row, int k, float *out) {
  const unsigned char *b = row + (long long)(k >> 8) * 144;
  const unsigned char *scales = b + 4;
  const int j = k & 255;
  const int s = j >> 5;
  int sc, m;
  if (s < 4) {
    sc = scales[s] & 63;
    m = scales[s + 4] & 63;
  } else {
    sc = (scales[s + 4] & 0xF) | ((scales[s - 4] >> 6) << 4);
    m = (scales[s + 4] >> 4) | ((scales[s] >> 6) << 4);
  }
  const float d1 = lfm_load_f16_bytes(b) * sc;
  const float m1 = lfm_load_f16_bytes(b + 2) * m;
  const int shift = (s & 1) ? 4 : 0;
  const unsigned char *qs = b + 16 + 32 * (j >> 6) + (j & 31);
#pragma unroll
  for (int i = 0; i < N; ++i) out[i] = d1 * ((qs[i] >> shift) & 0xF) - m1;
}

// q6_k: 210-byte blocks of 256: u8 ql[128], u8 qh[64], int8 scales[16],
// f16 d. Half h (128 elements) uses ql[64 h..], qh[32 h..], scales[8 h..];
// its element l + 32 t (l < 32, t < 4) has its low 4 bits in
// ql[l + 32 (t & 1)] (the high nibble when t >= 2), its high 2 bits at
// qh[l] >> 2 t, and scale scales[l / 16 + 2 t]. x = d * sc * (q - 32).
template <int N>
LFM_INLINE void lfm_dequant_q6_k(const unsigned char *row, int k, float *out) {
  const unsigned char *b = row + (long long)(k >> 8) * 210;
  const int j = k & 255;
  const int h = j >> 7;
  const int t = (j >> 5) & 3;
  const int l = j & 31;
  const unsigned char *ql = b + 64 * h + l + 32 * (t & 1);
  const unsigned char *qh = b + 128 + 32 * h + l;
  const signed char sc = ((const signed char *)(b + 192))[8 * h + l / 16 + 2 * t];
  const float dsc = lfm_load_f16_bytes(b + 208) * sc;
  const int lo_shift = t >= 2 ? 4 : 0;
  const int hi_shift = 2 * t;
#pragma unroll
  for (int i = 0; i < N; ++i) {
    const int q = (((ql[i] >> lo_shift) & 0xF) | (((qh[i] >> hi_shift) & 3) << 4)) - 32;
    out[i] = dsc * q;
  }
}

#endif  // LFM_QUANT_CUH
