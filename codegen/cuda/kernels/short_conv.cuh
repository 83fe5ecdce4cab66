// ${OP}
// Causal depthwise conv of width ${L} over ${H} channels; the history is in
// the slot's conv state [slots][${HIST}][${H}] (oldest row first).
// One block per (sequence, 64 channels); 4 token lanes x 64 channels.
extern "C" __global__ void ${ENTRY}(LfmKernelArgs args) {
  constexpr int kHidden = ${H};
  constexpr int kTaps = ${L};  // conv kernel width L
  constexpr int kHist = kTaps - 1;  // state rows per slot
  constexpr int kInWidth = ${INW};  // columns of the input rows
  constexpr int kChannels = ${CPB};  // channels per block
  constexpr int kTokenLanes = ${LANES};
${BIND}
  const int seq = blockIdx.y;
  const int c = blockIdx.x * kChannels + (int)threadIdx.x % kChannels;
  const int token_lane = (int)threadIdx.x / kChannels;
  const int begin = row_offsets[seq];
  const int n = row_offsets[seq + 1] - begin;
  const int start = start_pos[seq];
  ${STYPE} *__restrict__ slot_state = state + (long long)slots[seq] * kHist * kHidden;

  // Input j of this chunk (j < 0: the history), as the state stores it.
  auto input_at = [&](int j) -> float {
    if (j < 0) {
      if (start + j < 0) return 0.0f;  // before position 0
      return lfm_to_float(slot_state[(kHist + j) * kHidden + c]);
    }
    const long long row = (long long)(begin + j) * kInWidth;
    return lfm_round_to<${STYPE}>(${INPUT});
  };

  if (c < kHidden) {
    float w[kTaps];
#pragma unroll
    for (int k = 0; k < kTaps; ++k) w[k] = lfm_to_float(weight[c * kTaps + k]);
    for (int t = token_lane; t < n; t += kTokenLanes) {
      float acc = 0.0f;
#pragma unroll
      for (int k = 0; k < kTaps; ++k) acc += w[k] * input_at(t - kHist + k);
      const long long row = (long long)(begin + t);
      lfm_from_float(y[row * kHidden + c], ${OUTPUT});
    }
  }

  // Every read of this slot's state (history) happened before the barrier.
  __syncthreads();
  if (token_lane == 0 && c < kHidden) {
    for (int k = 0; k < kHist; ++k) {
      const float u = input_at(n - kHist + k);
      lfm_from_float(slot_state[k * kHidden + c], u);
    }
  }
}
