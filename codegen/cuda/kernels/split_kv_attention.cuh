// attention: causal GQA, ${HEADS} q heads over ${KV_HEADS} kv heads of dim ${D},
// scale ${SCALE}. Split-KV: block (t, kv head, s) takes split s of the
// token's keys with ${WARPS} warps over 32-key chunks (an online softmax
// each, merged in shared memory); with several splits each block writes a
// partial to scratch and the last to finish combines them.
extern "C" __global__ void ${ENTRY}(LfmKernelArgs args) {
${SHAPE_CONSTANTS}
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
