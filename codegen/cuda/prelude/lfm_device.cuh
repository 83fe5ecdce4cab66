// lfm_device.cuh: the device prelude every generated lfm kernel starts with.
//
// The same text is compiled two ways:
//   - by NVRTC for the GPU (__CUDACC__ defined; __CUDA_ARCH__ in device code),
//   - by the host C++ compiler for the emu device, after the emu's emulation
//     header, which must NOT define __CUDACC__ or __CUDA_ARCH__.
// It includes no header at all (NVRTC then needs no include path), so it
// spells its integer types with the built-in types; its one include line,
// runtime/include/lfm/KernelArgs.h (the kernel argument block the host
// shares), is replaced by that file's text when the build embeds the prelude.
//
// ## The contract with the emulation header
// Generated kernels and this prelude use only what is defined here plus these
// CUDA built-ins, which the emu's header must provide (and nothing else):
//   qualifiers:  __global__, __device__, __forceinline__, __shared__,
//                __restrict__, extern "C"
//   variables:   threadIdx, blockIdx, blockDim, gridDim (.x, .y, .z)
//   barriers:    __syncthreads(), __threadfence()
//   warp:        __shfl_xor_sync, __shfl_sync, __shfl_down_sync (on float
//                and int), __ballot_sync, __all_sync, __any_sync
//   atomics:     atomicAdd(float *, float), atomicAdd(int *, int),
//                atomicExch(int *, int)
//   bit casts:   __float_as_uint, __uint_as_float, __float_as_int,
//                __int_as_float
//   math:        expf, logf, sqrtf, rsqrtf, sinf, cosf, sincosf, powf, fmaxf,
//                fminf, fabsf, exp2f, __expf, __fdividef, min, max (int)
// Host paths compiled for the emu (which defines LFM_EMU) may also use one
// emu primitive that is not a CUDA built-in: lfm_emu::warpGather (every
// lane's few words to every lane in two warp rounds, where shuffles would
// take 32 rounds per word); see the tensor-core helpers below.
// Inline PTX (mma.sync, cp.async, ...) stays behind __CUDA_ARCH__ with a
// host path that means the same in program order; in particular the
// asynchronous copies (lfm_cp_async_16 / _commit / _wait, below) copy at
// once on the host and their commit and wait do nothing, so a kernel that
// waits for its copies and then passes a __syncthreads() before reading
// them is correct on both paths (the emu cannot catch a missing wait).
// Kernels assume 1-D blocks whose size is a multiple of 32 (full warps, so
// the full-mask shuffles are well defined) and buffer base addresses aligned
// to 16 bytes (the 128-bit loads rely on it; the devices guarantee it).
//
// ## Conventions
//   - Storage types are raw bits in distinct one-member structs (so the load
//     and store helpers overload on them); all arithmetic is float32.
//   - Row-major activations: element (r, c) of a W-wide buffer is p[r*W + c];
//     index math that can exceed 2^31 (caches, tables) uses long long.
#ifndef LFM_DEVICE_CUH
#define LFM_DEVICE_CUH

#if defined(__CUDACC__)
#define LFM_INLINE __device__ __forceinline__
#define LFM_TABLE __device__ const
#else
#define LFM_INLINE inline
#define LFM_TABLE static const
#endif

// ---------------------------------------------------------------------------
// The kernel ABI (runtime/include/lfm/KernelAbi.h): the one argument of
// every kernel. buf[i] = the launch's operands, then its results.
// ---------------------------------------------------------------------------
#include "lfm/KernelArgs.h"  // spliced in by the build: the text itself

// ---------------------------------------------------------------------------
// Storage types and scalar conversions (bit-exact with
// runtime/include/lfm/DTypeConvert.h, so every device rounds alike).
// ---------------------------------------------------------------------------
struct lfm_bf16_t { unsigned short bits; };
struct lfm_f16_t { unsigned short bits; };
static_assert(sizeof(lfm_bf16_t) == 2 && sizeof(lfm_f16_t) == 2, "16-bit storage");

LFM_INLINE float lfm_bf16_to_float(unsigned short h) {
  return __uint_as_float(((unsigned int)h) << 16);
}

// Round to nearest even; NaN stays a (quiet) NaN.
LFM_INLINE unsigned short lfm_float_to_bf16(float f) {
  unsigned int bits = __float_as_uint(f);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return (unsigned short)((bits >> 16) | 0x40u);
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return (unsigned short)(bits >> 16);
}

LFM_INLINE float lfm_f16_to_float(unsigned short h) {
#if defined(__CUDA_ARCH__)
  float f;
  asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h));
  return f;
#else
  unsigned int sign = ((unsigned int)(h & 0x8000u)) << 16;
  unsigned int exp = (h >> 10) & 0x1fu;
  unsigned int mant = h & 0x3ffu;
  if (exp == 0) {
    if (mant == 0) return __uint_as_float(sign);
    // Subnormal: mant * 2^-24, exact in float.
    float v = (float)mant * 5.9604644775390625e-8f;
    return sign ? -v : v;
  }
  if (exp == 31) return __uint_as_float(sign | 0x7f800000u | (mant << 13));
  return __uint_as_float(sign | ((exp + 127 - 15) << 23) | (mant << 13));
#endif
}

// IEEE binary16, round to nearest even, with subnormals and infinities.
LFM_INLINE unsigned short lfm_float_to_f16(float f) {
#if defined(__CUDA_ARCH__)
  unsigned short h;
  asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f));
  return h;
#else
  unsigned int bits = __float_as_uint(f);
  unsigned int sign = (bits >> 16) & 0x8000u;
  unsigned int absBits = bits & 0x7fffffffu;
  if (absBits > 0x7f800000u) return (unsigned short)(sign | 0x7e00u);   // NaN
  if (absBits >= 0x477ff000u) return (unsigned short)(sign | 0x7c00u);  // overflow -> inf
  if (absBits < 0x38800000u) {                                           // subnormal or zero
    if (absBits < 0x33000000u) return (unsigned short)sign;
    unsigned int exp = absBits >> 23;
    unsigned int mant = (absBits & 0x7fffffu) | 0x800000u;
    unsigned int shift = 126 - exp;
    unsigned int half = mant >> shift;
    unsigned int rem = mant & ((1u << shift) - 1);
    unsigned int halfway = 1u << (shift - 1);
    if (rem > halfway || (rem == halfway && (half & 1u))) ++half;
    return (unsigned short)(sign | half);
  }
  unsigned int exp = (absBits >> 23) - 127 + 15;
  unsigned int mant = absBits & 0x7fffffu;
  unsigned int h = (exp << 10) | (mant >> 13);
  unsigned int rem = mant & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;
  return (unsigned short)(sign | h);
#endif
}

// Element conversions, overloaded on the storage type.
LFM_INLINE float lfm_to_float(float v) { return v; }
LFM_INLINE float lfm_to_float(lfm_bf16_t v) { return lfm_bf16_to_float(v.bits); }
LFM_INLINE float lfm_to_float(lfm_f16_t v) { return lfm_f16_to_float(v.bits); }
LFM_INLINE float lfm_to_float(int v) { return (float)v; }

LFM_INLINE void lfm_from_float(float &dst, float v) { dst = v; }
LFM_INLINE void lfm_from_float(lfm_bf16_t &dst, float v) { dst.bits = lfm_float_to_bf16(v); }
LFM_INLINE void lfm_from_float(lfm_f16_t &dst, float v) { dst.bits = lfm_float_to_f16(v); }
LFM_INLINE void lfm_from_float(int &dst, float v) { dst = (int)v; }

// What storing v as T and loading it back gives (e.g. a fused kernel that
// must see the rounded value an unfused one would reload).
template <typename T>
LFM_INLINE float lfm_round_to(float v) {
  T t;
  lfm_from_float(t, v);
  return lfm_to_float(t);
}

// ---------------------------------------------------------------------------
// Loads and stores of N consecutive elements (p + N-element aligned), with
// the widest accesses the size allows: 128-bit when N * sizeof(T) is a
// multiple of 16, else 64-, 32-bit or single elements.
// kStream marks data that is read once and that no thread writes while the
// kernel runs (weights streamed by the GEMV): its 128-bit words are read
// through the non-coherent path without allocating in L1, which stays for
// the activations that every warp of the block rereads.
// ---------------------------------------------------------------------------
struct alignas(16) lfm_u32x4 { unsigned int w[4]; };
struct alignas(8) lfm_u32x2 { unsigned int w[2]; };

LFM_INLINE lfm_u32x4 lfm_load_stream(const lfm_u32x4 *p) {
#if defined(__CUDA_ARCH__)
  lfm_u32x4 v;
  asm("ld.global.nc.L1::no_allocate.v4.u32 {%0, %1, %2, %3}, [%4];"
      : "=r"(v.w[0]), "=r"(v.w[1]), "=r"(v.w[2]), "=r"(v.w[3])
      : "l"(p));
  return v;
#else
  return *p;
#endif
}

template <int N, bool kStream = false, typename T>
LFM_INLINE void lfm_load_n(const T *__restrict__ p, float *out) {
  constexpr int kBytes = N * (int)sizeof(T);
  if constexpr (kBytes % 16 == 0 || kBytes % 8 == 0 || (kBytes % 4 == 0 && sizeof(T) < 4)) {
    // Copy through the widest word type that tiles the run, then convert.
    alignas(16) T tmp[N];
    if constexpr (kBytes % 16 == 0) {
      const lfm_u32x4 *src = reinterpret_cast<const lfm_u32x4 *>(p);
      lfm_u32x4 *dst = reinterpret_cast<lfm_u32x4 *>(tmp);
#pragma unroll
      for (int i = 0; i < kBytes / 16; ++i) dst[i] = kStream ? lfm_load_stream(src + i) : src[i];
    } else if constexpr (kBytes % 8 == 0) {
      const lfm_u32x2 *src = reinterpret_cast<const lfm_u32x2 *>(p);
      lfm_u32x2 *dst = reinterpret_cast<lfm_u32x2 *>(tmp);
#pragma unroll
      for (int i = 0; i < kBytes / 8; ++i) dst[i] = src[i];
    } else {
      const unsigned int *src = reinterpret_cast<const unsigned int *>(p);
      unsigned int *dst = reinterpret_cast<unsigned int *>(tmp);
#pragma unroll
      for (int i = 0; i < kBytes / 4; ++i) dst[i] = src[i];
    }
#pragma unroll
    for (int i = 0; i < N; ++i) out[i] = lfm_to_float(tmp[i]);
  } else {
#pragma unroll
    for (int i = 0; i < N; ++i) out[i] = lfm_to_float(p[i]);
  }
}

template <int N, typename T>
LFM_INLINE void lfm_store_n(T *__restrict__ p, const float *in) {
  constexpr int kBytes = N * (int)sizeof(T);
  alignas(16) T tmp[N];
#pragma unroll
  for (int i = 0; i < N; ++i) lfm_from_float(tmp[i], in[i]);
  if constexpr (kBytes % 16 == 0) {
    lfm_u32x4 *dst = reinterpret_cast<lfm_u32x4 *>(p);
    const lfm_u32x4 *src = reinterpret_cast<const lfm_u32x4 *>(tmp);
#pragma unroll
    for (int i = 0; i < kBytes / 16; ++i) dst[i] = src[i];
  } else if constexpr (kBytes % 8 == 0) {
    lfm_u32x2 *dst = reinterpret_cast<lfm_u32x2 *>(p);
    const lfm_u32x2 *src = reinterpret_cast<const lfm_u32x2 *>(tmp);
#pragma unroll
    for (int i = 0; i < kBytes / 8; ++i) dst[i] = src[i];
  } else if constexpr (kBytes % 4 == 0 && sizeof(T) < 4) {
    unsigned int *dst = reinterpret_cast<unsigned int *>(p);
    const unsigned int *src = reinterpret_cast<const unsigned int *>(tmp);
#pragma unroll
    for (int i = 0; i < kBytes / 4; ++i) dst[i] = src[i];
  } else {
#pragma unroll
    for (int i = 0; i < N; ++i) p[i] = tmp[i];
  }
}

// Raw copy of N elements (no conversion), same access widths.
template <int N, typename T>
LFM_INLINE void lfm_copy_n(T *__restrict__ dst, const T *__restrict__ src) {
  float v[N];
  lfm_load_n<N>(src, v);
  lfm_store_n<N>(dst, v);
}

// ---------------------------------------------------------------------------
// Reductions. Warp-level with shuffles; `width` (a power of two <= 32) sums
// within aligned groups of that many lanes, so several rows can share a warp.
// ---------------------------------------------------------------------------
#define LFM_FULL_MASK 0xffffffffu

LFM_INLINE float lfm_warp_sum(float v, int width = 32) {
  for (int offset = width >> 1; offset > 0; offset >>= 1)
    v += __shfl_xor_sync(LFM_FULL_MASK, v, offset);
  return v;
}

LFM_INLINE float lfm_warp_max(float v, int width = 32) {
  for (int offset = width >> 1; offset > 0; offset >>= 1)
    v = fmaxf(v, __shfl_xor_sync(LFM_FULL_MASK, v, offset));
  return v;
}

// The sum of v over the whole block, returned to every thread. `smem` is a
// __shared__ float[32] of the calling kernel (kernels own their shared
// memory, so the emu needs no __shared__ inside helpers). Starts with a
// barrier so that back-to-back calls may reuse the same smem.
LFM_INLINE float lfm_block_sum(float v, float *smem) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int warps = (blockDim.x + 31) >> 5;
  v = lfm_warp_sum(v);
  __syncthreads();
  if (lane == 0) smem[warp] = v;
  __syncthreads();
  // Every warp sums the partials itself: no second barrier and broadcast.
  return lfm_warp_sum(lane < warps ? smem[lane] : 0.0f);
}

LFM_INLINE float lfm_block_max(float v, float *smem) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int warps = (blockDim.x + 31) >> 5;
  v = lfm_warp_max(v);
  __syncthreads();
  if (lane == 0) smem[warp] = v;
  __syncthreads();
  return lfm_warp_max(lane < warps ? smem[lane] : -3.402823466e38f);
}

// ---------------------------------------------------------------------------
// Tensor cores: D = A * B + C on one 16 x 8 x 16 tile per warp
// (mma.sync.aligned.m16n8k16.row.col.f32.{bf16,f16}.{bf16,f16}.f32), the
// whole warp calling together (converged: mma.sync.aligned requires it).
// Fragments, as in the PTX ISA ("Matrix Fragments for mma.m16n8k16 with
// floating point type"), with g = lane >> 2 and t = lane & 3; each 32-bit
// word holds two 16-bit values, the lower column (or k) in the low half:
//   a[0] = A[g][2t, 2t+1]    a[1] = A[g+8][2t, 2t+1]
//   a[2] = A[g][2t+8, 2t+9]  a[3] = A[g+8][2t+8, 2t+9]      (A: 16 x 16)
//   b[0] = B[2t, 2t+1][g]    b[1] = B[2t+8, 2t+9][g]        (B: 16 x 8, so
//                            column g of B is row g of a row-major W)
//   c[0], c[1] = C[g][2t, 2t+1]   c[2], c[3] = C[g+8][2t, 2t+1]
// sm_80 and later run the instruction. Elsewhere (the emu's host build, or
// an older GPU) the warp gathers every lane's six words and each lane
// computes its four outputs in f32: every product of two 16-bit values is
// exact in f32 and is added to c in k order. The tensor cores' summation
// order and internal precision are unspecified, so the two paths agree to
// f32 rounding of a 16-term sum, not bit for bit.
// ---------------------------------------------------------------------------
#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ < 800
struct lfm_mma_frags { unsigned int w[6]; };  // a[0..3], b[0..1]

// Every lane's fragments, all[lane] (all 32 lanes take part).
LFM_INLINE void lfm_mma_gather(const lfm_mma_frags &mine, lfm_mma_frags *all) {
#if defined(LFM_EMU) && !defined(LFM_MMA_GATHER_WITH_SHUFFLES)
  ::lfm_emu::warpGather(LFM_FULL_MASK, &mine, sizeof(mine), all);
#else
  for (int src = 0; src < 32; ++src)
    for (int i = 0; i < 6; ++i)
      all[src].w[i] = (unsigned int)__shfl_sync(LFM_FULL_MASK, (int)mine.w[i], src);
#endif
}

LFM_INLINE float lfm_mma_half(unsigned int word, int high, bool bf16) {
  const unsigned short h = (unsigned short)(high ? word >> 16 : word & 0xffffu);
  return bf16 ? lfm_bf16_to_float(h) : lfm_f16_to_float(h);
}

LFM_INLINE void lfm_mma_m16n8k16_generic(float c[4], const unsigned int a[4],
                                         const unsigned int b[2], bool bf16) {
  const lfm_mma_frags mine = {{a[0], a[1], a[2], a[3], b[0], b[1]}};
  lfm_mma_frags all[32];
  lfm_mma_gather(mine, all);
  const int lane = threadIdx.x & 31;
  const int g = lane >> 2, t = lane & 3;
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const int r = g + (i >= 2 ? 8 : 0);  // row of A and of C
    const int n = 2 * t + (i & 1);       // column of B and of C
    float sum = c[i];
    for (int k = 0; k < 16; ++k) {
      // A[r][k]: lane 4 (r % 8) + (k % 8) / 2, word (r >= 8) + 2 (k >= 8).
      const unsigned int aw = all[4 * (r & 7) + ((k & 7) >> 1)].w[(r >> 3) + 2 * (k >> 3)];
      // B[k][n]: lane 4 n + (k % 8) / 2, word 4 + (k >= 8).
      const unsigned int bw = all[4 * n + ((k & 7) >> 1)].w[4 + (k >> 3)];
      sum += lfm_mma_half(aw, k & 1, bf16) * lfm_mma_half(bw, k & 1, bf16);
    }
    c[i] = sum;
  }
}
#endif

LFM_INLINE void lfm_mma_m16n8k16_bf16(float c[4], const unsigned int a[4],
                                      const unsigned int b[2]) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
      "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
#else
  lfm_mma_m16n8k16_generic(c, a, b, true);
#endif
}

LFM_INLINE void lfm_mma_m16n8k16_f16(float c[4], const unsigned int a[4],
                                     const unsigned int b[2]) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 "
      "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
#else
  lfm_mma_m16n8k16_generic(c, a, b, false);
#endif
}

// The same, picked by the operands' storage type.
LFM_INLINE void lfm_mma_m16n8k16(lfm_bf16_t, float c[4], const unsigned int a[4],
                                 const unsigned int b[2]) {
  lfm_mma_m16n8k16_bf16(c, a, b);
}
LFM_INLINE void lfm_mma_m16n8k16(lfm_f16_t, float c[4], const unsigned int a[4],
                                 const unsigned int b[2]) {
  lfm_mma_m16n8k16_f16(c, a, b);
}

// Two consecutive 16-bit elements (p 4-byte aligned) as one fragment word.
template <typename T>
LFM_INLINE unsigned int lfm_load_pair(const T *p) {
  static_assert(sizeof(T) == 2, "fragment words pair 16-bit elements");
  return *reinterpret_cast<const unsigned int *>(p);
}

// Two 16-bit elements as one fragment word, lo in the low half: elements as
// they are (e.g. a column pair of a row-major tile), or f32 values rounded
// to T (e.g. f32 accumulators reused as the next mma's A operand).
template <typename T>
LFM_INLINE unsigned int lfm_pack_pair(T lo, T hi) {
  static_assert(sizeof(T) == 2, "fragment words pair 16-bit elements");
  return (unsigned int)lo.bits | ((unsigned int)hi.bits << 16);
}
template <typename T>
LFM_INLINE unsigned int lfm_pack_floats(float lo, float hi) {
  T a, b;
  lfm_from_float(a, lo);
  lfm_from_float(b, hi);
  return lfm_pack_pair(a, b);
}

// Raw copy of N elements (no conversion) with the widest aligned words, and
// N zero elements: the tiled kernels' staging of 16-bit tiles.
template <int N, typename T>
LFM_INLINE void lfm_copy_bits_n(T *__restrict__ dst, const T *__restrict__ src) {
  constexpr int kBytes = N * (int)sizeof(T);
  if constexpr (kBytes % 16 == 0) {
#pragma unroll
    for (int i = 0; i < kBytes / 16; ++i)
      reinterpret_cast<lfm_u32x4 *>(dst)[i] = reinterpret_cast<const lfm_u32x4 *>(src)[i];
  } else if constexpr (kBytes % 8 == 0) {
#pragma unroll
    for (int i = 0; i < kBytes / 8; ++i)
      reinterpret_cast<lfm_u32x2 *>(dst)[i] = reinterpret_cast<const lfm_u32x2 *>(src)[i];
  } else if constexpr (kBytes % 4 == 0) {
#pragma unroll
    for (int i = 0; i < kBytes / 4; ++i)
      reinterpret_cast<unsigned int *>(dst)[i] = reinterpret_cast<const unsigned int *>(src)[i];
  } else {
#pragma unroll
    for (int i = 0; i < N; ++i) dst[i] = src[i];
  }
}

template <int N, typename T>
LFM_INLINE void lfm_zero_n(T *__restrict__ dst) {
  float zeros[N];
#pragma unroll
  for (int i = 0; i < N; ++i) zeros[i] = 0.0f;
  lfm_store_n<N>(dst, zeros);
}

// ---------------------------------------------------------------------------
// Asynchronous global -> shared copies (cp.async, sm_80 and later), for
// pipelined staging: the copies a thread issues complete in the background
// while it computes; lfm_cp_async_commit() closes the group of the copies it
// issued since the last commit, and lfm_cp_async_wait<N>() returns once at
// most N of its groups are still in flight. A thread's wait covers only its
// own copies: other threads may read the data after a __syncthreads() that
// follows the wait. Both addresses must be 16-byte aligned.
// Elsewhere (the emu's host build, or an older GPU) the copy is done at
// once and commit / wait do nothing.
// ---------------------------------------------------------------------------
LFM_INLINE void lfm_cp_async_16(void *smem, const void *gmem) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  // .cg: cached in L2 only (each tile element is staged once per block).
  const unsigned int s = (unsigned int)__cvta_generic_to_shared(smem);
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16;" ::"r"(s), "l"(gmem) : "memory");
#else
  *reinterpret_cast<lfm_u32x4 *>(smem) = *reinterpret_cast<const lfm_u32x4 *>(gmem);
#endif
}

LFM_INLINE void lfm_cp_async_commit() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  asm volatile("cp.async.commit_group;" ::: "memory");
#endif
}

template <int N>
LFM_INLINE void lfm_cp_async_wait() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  asm volatile("cp.async.wait_group %0;" ::"n"(N) : "memory");
#endif
}

// N raw elements global -> shared, as lfm_copy_bits_n: one asynchronous
// 16-byte copy when they are 16 bytes (both ends then 16-byte aligned, as
// the tiled kernels' chunks are), else a synchronous copy. Either way the
// data may be read after lfm_cp_async_wait and a __syncthreads().
template <int N, typename T>
LFM_INLINE void lfm_copy_bits_async_n(T *__restrict__ dst, const T *__restrict__ src) {
  if constexpr (N * sizeof(T) == 16)
    lfm_cp_async_16(dst, src);
  else
    lfm_copy_bits_n<N>(dst, src);
}

// ---------------------------------------------------------------------------
// Math. Accurate by default (NVRTC runs without --use_fast_math so that the
// GPU and the emu agree closely with the CPU reference); the fast forms are
// used where they cannot matter.
// ---------------------------------------------------------------------------
LFM_INLINE float lfm_sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }
LFM_INLINE float lfm_silu(float x) { return x / (1.0f + expf(-x)); }
LFM_INLINE float lfm_fast_exp(float x) { return __expf(x); }
LFM_INLINE float lfm_fast_div(float a, float b) { return __fdividef(a, b); }

// 1 / sqrt(mean_square + eps), as the CPU reference computes it.
LFM_INLINE float lfm_rms_scale(float sum_sq, float n, float eps) {
  return 1.0f / sqrtf(sum_sq / n + eps);
}

// cos and sin of the RoPE angle pos * inv_freq. The product is formed and
// reduced modulo 2*pi in double (at long positions a float product loses
// digits), then the float functions take the reduced angle: this matches
// the CPU reference, which evaluates the angle in double.
LFM_INLINE void lfm_rope_cos_sin(long long pos, double inv_freq, float *c, float *s) {
  const double kTwoPi = 6.283185307179586476925;
  double angle = (double)pos * inv_freq;
  double turns = (double)(long long)(angle * (1.0 / kTwoPi));
  float reduced = (float)(angle - turns * kTwoPi);
  sincosf(reduced, s, c);
}

// ---------------------------------------------------------------------------
// Ragged batches (Plan.h): sequence i owns tokens row_offsets[i] ..
// row_offsets[i+1]; token t's position is start_pos[i] + t - row_offsets[i].
// ---------------------------------------------------------------------------
LFM_INLINE int lfm_seq_of_token(const int *__restrict__ row_offsets, int num_seqs, int t) {
  int lo = 0, hi = num_seqs - 1;  // the last i with row_offsets[i] <= t
  while (lo < hi) {
    int mid = (lo + hi + 1) >> 1;
    if (row_offsets[mid] <= t) lo = mid; else hi = mid - 1;
  }
  return lo;
}

// The slot's row of a state pool whose slots hold `rows_per_slot` rows.
LFM_INLINE long long lfm_state_row(int slot, long long rows_per_slot, long long row) {
  return (long long)slot * rows_per_slot + row;
}

#endif  // LFM_DEVICE_CUH
