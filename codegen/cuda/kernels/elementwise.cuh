// ${OP}: y = ${EXPR} elementwise, rows of ${W} values.
extern "C" __global__ void ${NAME}(LfmKernelArgs args) {
${BIND}${PROLOGUE}  if (!in_range) return;
  const long long base = (long long)row * ${W};
  ${LOOP}    const int col = u * ${C};
${LOADS}    float out[${C}];
#pragma unroll
    for (int k = 0; k < ${C}; ++k) out[k] = ${EXPR};
    lfm_store_n<${C}>(y + base + col, out);
  }
}
