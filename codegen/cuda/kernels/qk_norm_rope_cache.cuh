${TABLE}
// qk_norm_rope_cache: per-head rms_norm of q and k (eps ${EPS}), NeoX RoPE,
// k and v into the KV cache at the token's position, q to the output.
// One block per token, one warp per head, lane = rotation pairs (j, j + d/2).
extern "C" __global__ void ${ENTRY}(LfmKernelArgs args) {
  constexpr int kHeads = ${HEADS};
  constexpr int kKvHeads = ${KV_HEADS};
  constexpr int kHeadDim = ${D};
  constexpr int kHalf = kHeadDim / 2;
  constexpr int kPairsPerLane = ${PPL};  // ceil(kHalf / 32)
  constexpr int kQkvWidth = (kHeads + 2 * kKvHeads) * kHeadDim;
  constexpr int kQWidth = kHeads * kHeadDim;
  constexpr int kKvWidth = kKvHeads * kHeadDim;
${BIND}
  const int t = blockIdx.x;
  const int warp = threadIdx.x >> 5;
  const int lane = threadIdx.x & 31;
  const int seq = lfm_seq_of_token(row_offsets, args.num_seqs, t);
  const int pos = start_pos[seq] + t - row_offsets[seq];
  if (pos >= args.max_seq_len) return;  // the runtime rejects cache overflow
  const long long cache_row = lfm_state_row(slots[seq], args.max_seq_len, pos);

  // This lane's rotation angles, shared by every q and k head of the token.
  float cos_a[kPairsPerLane], sin_a[kPairsPerLane];
#pragma unroll
  for (int m = 0; m < kPairsPerLane; ++m) {
    const int j = lane + 32 * m;
    cos_a[m] = 1.0f;
    sin_a[m] = 0.0f;
    if (j < kHalf) lfm_rope_cos_sin(pos, ${ENTRY}_inv_freq[j], &cos_a[m], &sin_a[m]);
  }

  for (int head = warp; head < kHeads + 2 * kKvHeads; head += ${WARPS}) {
    const ${QKVTYPE} *src = qkv + (long long)t * kQkvWidth + head * kHeadDim;
    float a[kPairsPerLane], b[kPairsPerLane];  // elements j and j + d/2
    float sum_sq = 0.0f;
#pragma unroll
    for (int m = 0; m < kPairsPerLane; ++m) {
      const int j = lane + 32 * m;
      a[m] = j < kHalf ? lfm_to_float(src[j]) : 0.0f;
      b[m] = j < kHalf ? lfm_to_float(src[j + kHalf]) : 0.0f;
      sum_sq += a[m] * a[m] + b[m] * b[m];
    }
    if (head < kHeads + kKvHeads) {
      // q or k head: rms_norm with its weight, then rotate.
      const bool is_q = head < kHeads;
      const float inv_rms = lfm_rms_scale(lfm_warp_sum(sum_sq), (float)kHeadDim, ${EPS});
#pragma unroll
      for (int m = 0; m < kPairsPerLane; ++m) {
        const int j = lane + 32 * m;
        if (j >= kHalf) continue;
        const float wa = lfm_to_float(is_q ? q_norm_w[j] : k_norm_w[j]);
        const float wb = lfm_to_float(is_q ? q_norm_w[j + kHalf] : k_norm_w[j + kHalf]);
        const float na = a[m] * inv_rms * wa;
        const float nb = b[m] * inv_rms * wb;
        a[m] = na * cos_a[m] - nb * sin_a[m];
        b[m] = nb * cos_a[m] + na * sin_a[m];
      }
    }
    // Where the head goes: the output (q), or the slot's K or V row.
    if (head < kHeads) {
      ${QTYPE} *dst = q_out + (long long)t * kQWidth + head * kHeadDim;
${STORE}
    } else if (head < kHeads + kKvHeads) {
      ${KTYPE} *dst = key_cache + cache_row * kKvWidth + (head - kHeads) * kHeadDim;
${STORE}
    } else {
      ${VTYPE} *dst = value_cache + cache_row * kKvWidth + (head - kHeads - kKvHeads) * kHeadDim;
${STORE}
    }
  }
}
