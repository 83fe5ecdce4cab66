${TABLE}
// rope: NeoX rotate-half RoPE, ${HEADS} heads of ${D} per row; each unit is
// ${C} rotation pairs (j, j + ${HALF}) of one head.
extern "C" __global__ void ${NAME}(LfmKernelArgs args) {
${BIND}  const int *__restrict__ row_offsets = (const int *)args.buf[1];
  const int *__restrict__ start_pos = (const int *)args.buf[2];
${PROLOGUE}  if (!in_range) return;
  const int seq = lfm_seq_of_token(row_offsets, args.num_seqs, row);
  const int pos = start_pos[seq] + row - row_offsets[seq];
  const long long base = (long long)row * ${W};
  ${LOOP}    const int head = u / ${CPH};
    const int j0 = (u % ${CPH}) * ${C};
    const long long lo = base + head * ${D} + j0;
    float a[${C}], b[${C}];
    lfm_load_n<${C}>(x + lo, a);
    lfm_load_n<${C}>(x + lo + ${HALF}, b);
#pragma unroll
    for (int k = 0; k < ${C}; ++k) {
      float c, s;
      lfm_rope_cos_sin(pos, ${TABLENAME}[j0 + k], &c, &s);
      const float ak = a[k], bk = b[k];
      a[k] = ak * c - bk * s;
      b[k] = bk * c + ak * s;
    }
    lfm_store_n<${C}>(y + lo, a);
    lfm_store_n<${C}>(y + lo + ${HALF}, b);
  }
}
