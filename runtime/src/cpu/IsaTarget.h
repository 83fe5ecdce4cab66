// Compiling a region of a file for an instruction set the build's baseline
// lacks (the kernels are chosen at run time by Isa, never by -m flags, so
// the rest of the library runs on any x86-64):
//
//   LFM_ISA_TARGET_BEGIN("avx2,fma,f16c")
//   ... functions and the templates they include ...
//   LFM_ISA_TARGET_END
//
// GCC takes `#pragma GCC target`; clang ignores it and takes a pushed
// target attribute for every function declared in the region instead.
#ifndef LFM_RUNTIME_CPU_ISATARGET_H
#define LFM_RUNTIME_CPU_ISATARGET_H

#define LFM_ISA_PRAGMA(text) _Pragma(#text)
#if defined(__clang__)
#define LFM_ISA_TARGET_BEGIN(isa) \
  LFM_ISA_PRAGMA(clang attribute push(__attribute__((target(isa))), apply_to = function))
#define LFM_ISA_TARGET_END _Pragma("clang attribute pop")
#else
#define LFM_ISA_TARGET_BEGIN(isa) _Pragma("GCC push_options") LFM_ISA_PRAGMA(GCC target(isa))
#define LFM_ISA_TARGET_END _Pragma("GCC pop_options")
#endif

// Before a loop of constant trip count over an array of vector registers
// (accumulators, a tile's weights): GCC keeps such an array in registers
// only if its loops are unrolled before scalar replacement; without the
// pragma it stored every FMA's result to the stack as well.
#define LFM_UNROLL _Pragma("GCC unroll 16")

// Pins vector `v` in a register at this point: the integer adds before and
// after it are not reassociated across it. GCC otherwise regrouped a
// tile's chain of int16 adds into a tree whose pending terms no longer fit
// in 16 ymm registers (stack spills in the inner loop).
#define LFM_PIN(v) __asm__("" : "+x"(v))

#endif  // LFM_RUNTIME_CPU_ISATARGET_H
