/* A driver around ggml's reference quantizers (ggml/src/ggml-quants.c of
 * llama.cpp), for make_quant_goldens.py: reads rows x k float32 values from
 * stdin and writes the quantized bytes, then the dequantized float32
 * values, to stdout.
 *
 *   ggml_ref_driver FORMAT ROWS K < input.f32 > output.bin
 *
 * FORMAT is q8_0, q4_0, q4_k or q6_k. Built beside the project, never in
 * it; make_quant_goldens.py --ggml-src says how. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ggml-quants.h"

/* ggml-quants.c alone, without the rest of ggml: what it calls outside the
 * reference quantizers, never reached here. */
void ggml_abort(const char *file, int line, const char *fmt, ...) {
  fprintf(stderr, "ggml_abort at %s:%d (%s)\n", file, line, fmt);
  abort();
}
size_t ggml_row_size(enum ggml_type type, int64_t ne) { (void)type; (void)ne; abort(); }
const char *ggml_type_name(enum ggml_type type) { (void)type; return "?"; }
size_t ggml_type_size(enum ggml_type type) { (void)type; abort(); }

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s FORMAT ROWS K\n", argv[0]);
    return 2;
  }
  const char *fmt = argv[1];
  const long rows = atol(argv[2]), k = atol(argv[3]);
  long bs, bytes;
  if (!strcmp(fmt, "q8_0")) { bs = 32; bytes = sizeof(block_q8_0); }
  else if (!strcmp(fmt, "q4_0")) { bs = 32; bytes = sizeof(block_q4_0); }
  else if (!strcmp(fmt, "q4_k")) { bs = 256; bytes = sizeof(block_q4_K); }
  else if (!strcmp(fmt, "q6_k")) { bs = 256; bytes = sizeof(block_q6_K); }
  else { fprintf(stderr, "unknown format %s\n", fmt); return 2; }
  if (rows <= 0 || k <= 0 || k % bs) { fprintf(stderr, "bad shape\n"); return 2; }
  const long n = rows * k, qbytes = rows * (k / bs) * bytes;
  float *x = malloc(n * sizeof(float)), *y = malloc(n * sizeof(float));
  unsigned char *q = calloc(qbytes, 1);
  if (fread(x, sizeof(float), n, stdin) != (size_t)n) { fprintf(stderr, "short input\n"); return 1; }
  for (long r = 0; r < rows; ++r) {
    const float *xr = x + r * k;
    float *yr = y + r * k;
    void *qr = q + r * (k / bs) * bytes;
    if (!strcmp(fmt, "q8_0")) { quantize_row_q8_0_ref(xr, qr, k); dequantize_row_q8_0(qr, yr, k); }
    else if (!strcmp(fmt, "q4_0")) { quantize_row_q4_0_ref(xr, qr, k); dequantize_row_q4_0(qr, yr, k); }
    else if (!strcmp(fmt, "q4_k")) { quantize_row_q4_K_ref(xr, qr, k); dequantize_row_q4_K(qr, yr, k); }
    else { quantize_row_q6_K_ref(xr, qr, k); dequantize_row_q6_K(qr, yr, k); }
  }
  fwrite(q, 1, qbytes, stdout);
  fwrite(y, sizeof(float), n, stdout);
  return 0;
}
