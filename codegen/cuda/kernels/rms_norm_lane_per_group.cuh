// ${SUMMARY}
// One lane per group of ${G} columns (chunks of ${C}), two passes over it.
extern "C" __global__ void ${NAME}(LfmKernelArgs args) {
${BIND}${PROLOGUE}  if (!in_range) return;
  const long long base = (long long)row * ${W};
  ${LOOP}    const long long start = base + (long long)u * ${G};
    float sum_sq = 0.0f;
    for (int col = 0; col < ${G}; col += ${C}) {
      float v[${C}];
      lfm_load_n<${C}>(x + start + col, v);
#pragma unroll
      for (int k = 0; k < ${C}; ++k) sum_sq += v[k] * v[k];
    }
    const float scale = lfm_rms_scale(sum_sq, ${GF}, ${EPS});
    for (int col = 0; col < ${G}; col += ${C}) {
      float v[${C}], w[${C}];
      lfm_load_n<${C}>(x + start + col, v);
      lfm_load_n<${C}>(weight + col, w);
#pragma unroll
      for (int k = 0; k < ${C}; ++k) v[k] = v[k] * scale * w[k];
      lfm_store_n<${C}>(y + start + col, v);
    }
  }
}
