// The instruction sets the optimized cpu kernels are built for, and which
// one this process uses: the best the CPU has, or a lower one named by
// LFM_CPU_ISA (portable, avx2, avx512, avx512bf16, amx) so that tests and
// benchmarks can run every path on one machine. The dispatch layer: kernels
// ask for their function by Isa (DotKernels.h), never test the CPU
// themselves.
#ifndef LFM_RUNTIME_CPU_ISA_H
#define LFM_RUNTIME_CPU_ISA_H

namespace lfm::cpu {

enum class Isa {
  kPortable,    // plain C++, every architecture
  kAvx2,        // AVX2 + FMA + F16C
  kAvx512,      // AVX-512 F/BW/VL/DQ
  kAvx512Bf16,  // kAvx512 + AVX512_BF16 (vdpbf16ps)
  kAmx,         // kAvx512Bf16 + AMX-TILE/AMX-BF16 (tdpbf16ps), granted by the OS
};

// The best Isa this CPU runs.
Isa detectedIsa();
// detectedIsa(), lowered to LFM_CPU_ISA when that names a lower one.
Isa activeIsa();
const char *isaName(Isa isa);

}  // namespace lfm::cpu

#endif  // LFM_RUNTIME_CPU_ISA_H
