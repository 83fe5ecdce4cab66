// The AVX2 tiles for quantized weights in 8-row panels against quantized x
// (QuantPanelTiles.h: vpmaddubsw + vpmaddwd).
//
// Rows of x per pass: 8 for q4_0 and q8_0, whose per-row work fits the 16
// ymm registers for 8 rows, 4 for q4_k and q6_k, which spill at 8 (in L1, 1
// thread, 8 rows, 512 x 1024, best of 2 microbenchmark runs, G MAC/s at
// blocks of 4 / 8: q4_0 79 / 98, q8_0 55 / 57, q4_k 76 / 56, q6_k 60 / 52).
//
// Measured against the row-major tiles (best of 3 alternating runs of
// `lfm-bench Q.lfma --weights Q.gguf --device cpu --threads 2 --prompt-len
// 128 --batch 1,8`, LFM2-350M GGUFs from llama-quantize, an AMD EPYC Zen 3
// with AVX2 only), prefill 128 / decode batch 1 / batch 8 in tokens/s:
// q4_0 163 / 68 / 108 -> 449 / 89 / 208, q8_0 172 / 48 / 114 -> 320 / 64 /
// 169, q4_k_m (q4_k and q6_k) 124 / 60 / 93 -> 325 / 80 / 173 with q4_k in
// panels; q6_k in panels too (the q4_0 and q4_k_m files' tied lm_head):
// q4_0 decode 88 / 205 -> 91 / 250, q4_k_m 319 / 75 / 175 -> 354 / 92 / 207.
// AVX-512 CPUs run these tiles too (the VNNI ones, QuantPanelVnni.cpp, where
// they have AVX512-VNNI): on a 2-core Xeon with AVX512-VNNI and AMX
// (`lfm-compile lfm2-350m.json --dtype bf16 --quantize Q`, the same
// lfm-bench options, the row-major VNNI tiles of QuantDotQ8xAvx512.cpp ->
// these AVX2 ones), q4_0 373 / 48 / 179 -> 582 / 77 / 341, q8_0 (2 runs)
// 335-378 / 39 / 141-145 -> 406-417 / 50-53 / 240-246, q4_k (q6_k
// embedding) 231 / 43 / 116 -> 529 / 72 / 291.
#include "DotKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

#include <cstring>

#include "IsaTarget.h"
LFM_ISA_TARGET_BEGIN("avx2,fma,f16c")
#include "QuantPanelTiles.h"

namespace lfm::cpu {
DotTileFn avx2QuantPanelTile(PanelLayout layout) { return quantPanelTileFor<false>(layout); }
}  // namespace lfm::cpu

LFM_ISA_TARGET_END
#else
namespace lfm::cpu {
DotTileFn avx2QuantPanelTile(PanelLayout) { return nullptr; }
}  // namespace lfm::cpu
#endif
