#include "Isa.h"

#include <cstdlib>
#include <cstring>
#include <initializer_list>

namespace lfm::cpu {

Isa detectedIsa() {
#if defined(__x86_64__) || defined(__i386__)
  static const Isa isa = [] {
    __builtin_cpu_init();
    const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
    if (avx512 && __builtin_cpu_supports("avx512bf16")) return Isa::kAvx512Bf16;
    if (avx512) return Isa::kAvx512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Isa::kAvx2;
    return Isa::kPortable;
  }();
  return isa;
#else
  return Isa::kPortable;
#endif
}

Isa activeIsa() {
  Isa isa = detectedIsa();
  const char *want = std::getenv("LFM_CPU_ISA");
  if (want == nullptr || *want == '\0') return isa;
  for (Isa lower : {Isa::kPortable, Isa::kAvx2, Isa::kAvx512, Isa::kAvx512Bf16}) {
    if (std::strcmp(want, isaName(lower)) == 0 && lower < isa) return lower;
  }
  return isa;
}

const char *isaName(Isa isa) {
  switch (isa) {
    case Isa::kPortable: return "portable";
    case Isa::kAvx2: return "avx2";
    case Isa::kAvx512: return "avx512";
    case Isa::kAvx512Bf16: return "avx512bf16";
  }
  return "?";
}

}  // namespace lfm::cpu
