// The AVX512-VNNI tiles for quantized weights in 8-row panels against
// quantized x (QuantPanelTiles.h: vpdpbusd on 256-bit registers, AVX512-VL's
// encoding, which also gives the tiles 32 registers): the AVX2 tiles' exact
// integer dots in fewer instructions, so the same bits.
//
// Against the AVX2 panel tiles on a 2-core Xeon with AVX512-VNNI and AMX
// (`lfm-compile lfm2-350m.json --dtype bf16 --quantize Q`, `lfm-bench
// --device cpu --threads 2 --prompt-len 128 --batch 1,8`, prefill 128 /
// decode b1 / b8 tokens/s, one run each after two of prefill and b1): q4_0
// 578 / 77 / 332 -> 736 / 78 / 388, q8_0 407 / 51 / 237 -> 544 / 55 / 282,
// q4_k (q6_k tied lm_head) 532 / 76 / 294 -> 703 / 85 / 377.
#include "DotKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

#include <cstring>

#include "IsaTarget.h"
LFM_ISA_TARGET_BEGIN("avx2,fma,f16c,avx512f,avx512vl,avx512bw,avx512vnni")
#include "QuantPanelTiles.h"

namespace lfm::cpu {
DotTileFn vnniQuantPanelTile(PanelLayout layout) { return quantPanelTileFor<true>(layout); }
}  // namespace lfm::cpu

LFM_ISA_TARGET_END
#else
namespace lfm::cpu {
DotTileFn vnniQuantPanelTile(PanelLayout) { return nullptr; }
}  // namespace lfm::cpu
#endif
