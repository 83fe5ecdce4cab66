// lfm_device.cuh: the device prelude every generated lfm kernel starts with.
//
// The same text is compiled two ways:
//   - by NVRTC for the GPU (__CUDACC__ defined; __CUDA_ARCH__ in device code),
//   - by the host C++ compiler for the emu device, after the emu's emulation
//     header, which must NOT define __CUDACC__ or __CUDA_ARCH__.
// It includes no header at all (NVRTC then needs no include path), so it
// spells its integer types with the built-in types.
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
#define LFM_MAX_KERNEL_BUFFERS 16
struct LfmKernelArgs {
  void *buf[LFM_MAX_KERNEL_BUFFERS];
  int num_tokens;      // T: tokens in this step
  int num_seqs;        // N: sequences in this step
  int num_logit_rows;  // R: rows whose logits are computed
  int max_seq_len;     // KV-cache capacity per slot
  int max_context;     // max over sequences of start_pos + tokens
  int num_slots;       // slots in the state pools
  void *scratch;       // per-launch scratch (may be null)
  long long scratch_bytes;
};
static_assert(sizeof(void *) == 8, "the kernel ABI assumes 64-bit pointers");
static_assert(sizeof(LfmKernelArgs) == 16 * 8 + 6 * 4 + 8 + 8, "LfmKernelArgs size");
#if !defined(__CUDACC_RTC__)  // NVRTC has no offsetof; the host build checks
static_assert(__builtin_offsetof(LfmKernelArgs, num_tokens) == 128, "LfmKernelArgs layout");
static_assert(__builtin_offsetof(LfmKernelArgs, num_slots) == 148, "LfmKernelArgs layout");
static_assert(__builtin_offsetof(LfmKernelArgs, scratch) == 152, "LfmKernelArgs layout");
static_assert(__builtin_offsetof(LfmKernelArgs, scratch_bytes) == 160, "LfmKernelArgs layout");
#endif

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
// ---------------------------------------------------------------------------
struct alignas(16) lfm_u32x4 { unsigned int w[4]; };
struct alignas(8) lfm_u32x2 { unsigned int w[2]; };

template <int N, typename T>
LFM_INLINE void lfm_load_n(const T *__restrict__ p, float *out) {
  constexpr int kBytes = N * (int)sizeof(T);
  if constexpr (kBytes % 16 == 0 || kBytes % 8 == 0 || (kBytes % 4 == 0 && sizeof(T) < 4)) {
    // Copy through the widest word type that tiles the run, then convert.
    alignas(16) T tmp[N];
    if constexpr (kBytes % 16 == 0) {
      const lfm_u32x4 *src = reinterpret_cast<const lfm_u32x4 *>(p);
      lfm_u32x4 *dst = reinterpret_cast<lfm_u32x4 *>(tmp);
#pragma unroll
      for (int i = 0; i < kBytes / 16; ++i) dst[i] = src[i];
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
