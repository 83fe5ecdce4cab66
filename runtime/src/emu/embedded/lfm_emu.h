// lfm_emu.h: the CUDA built-ins for host C++, so that the generated kernels
// (codegen/cuda/prelude/lfm_device.cuh + bodies) compile unchanged with the
// system C++ compiler for the emu device.
//
// The emu device writes this text (embedded into the runtime at build time)
// before the kernel sources of one translation unit; lfm_emu_scheduler.cpp,
// compiled into the same shared library, runs each CUDA thread of a block
// as a fiber and implements the barriers declared here.
//
// Execution model: the blocks of a launch are spread over OS threads; one OS
// thread runs one block at a time, its CUDA threads as cooperative fibers.
// A fiber runs until it reaches a barrier (__syncthreads, a warp shuffle or
// vote) and then yields to the block's scheduler, which resumes the others
// and releases a barrier once every live participant has arrived. So:
//   - threadIdx/blockIdx/blockDim/gridDim live in one `__thread` struct that
//     the scheduler sets before it resumes a fiber;
//   - __shared__ is `thread_local` (a block-scope thread_local is static):
//     the blocks of a kernel run one at a time per OS thread, so the OS
//     thread's copy is exactly the running block's shared memory;
//   - shuffles and votes publish each lane's value in a per-warp exchange
//     buffer, wait for the warp, then read their partner's value;
//   - atomics are real atomics, since blocks run on several OS threads.
// It must NOT define __CUDACC__ or __CUDA_ARCH__: the prelude tests them to
// pick its host paths.
//
// What differs from a GPU, by design: a shuffle whose source lane does not
// exist or did not take part returns the caller's own value (undefined on a
// GPU); __activemask() is the lanes that have not exited (lanes run one
// after another between barriers); the fast math forms (__expf, ...) are
// the accurate ones. Not provided: inline PTX, tensor-core and async-copy
// intrinsics (codegen keeps them behind __CUDA_ARCH__ with a host path).
// One addition that is not a CUDA built-in: lfm_emu::warpGather, which the
// prelude's host path of the tensor-core helpers uses (under LFM_EMU) to
// give every lane the whole warp's fragments in two rounds instead of one
// shuffle round per word and lane.
#ifndef LFM_EMU_H
#define LFM_EMU_H

#define LFM_EMU 1

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <math.h>
#include <type_traits>

// ---- qualifiers ------------------------------------------------------------
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline __attribute__((always_inline))
#define __launch_bounds__(...)
#define __align__(n) __attribute__((aligned(n)))
#define __shared__ thread_local
#define __constant__ static const
// __restrict__ is a GCC/Clang keyword already; `#pragma unroll` is ignored
// (the emu compiles with -Wno-unknown-pragmas).

// ---- thread identity -------------------------------------------------------
struct uint3 {
  unsigned int x, y, z;
};
struct dim3 {
  unsigned int x, y, z;
};

namespace lfm_emu {
struct Identity {
  uint3 thread_idx;
  uint3 block_idx;
  dim3 block_dim;
  dim3 grid_dim;
  unsigned int lane;  // threadIdx's linear index % 32
};
// Set by the scheduler for the fiber it resumes. `__thread` (not
// thread_local): a trivially constructed POD needs no TLS wrapper calls.
// Hidden: the compiler may then use the local-dynamic TLS model, one
// __tls_get_addr call per function instead of one per read. (initial-exec
// would be cheaper still, but makes glibc place the library's whole TLS,
// __shared__ arrays included, in the small static TLS area: dlopen fails.)
extern __thread Identity identity __attribute__((visibility("hidden")));

// Barriers, implemented by the scheduler.
void syncthreads();
// One round of a warp exchange: every lane of `mask` that is alive
// publishes `value`, waits for the others, and gets the round's 32 values
// with `valid` = the lanes that took part.
struct Exchange {
  unsigned long long values[32];
  unsigned int valid;
};
const Exchange &warpExchange(unsigned int mask, unsigned long long value);
inline unsigned int laneId() { return identity.lane; }
// The lanes of the caller's warp that exist and have not exited.
unsigned int liveLanes();
}  // namespace lfm_emu

#define threadIdx (::lfm_emu::identity.thread_idx)
#define blockIdx (::lfm_emu::identity.block_idx)
#define blockDim (::lfm_emu::identity.block_dim)
#define gridDim (::lfm_emu::identity.grid_dim)
constexpr int warpSize = 32;

inline void __syncthreads() { ::lfm_emu::syncthreads(); }
inline void __syncwarp(unsigned int mask = 0xffffffffu) { ::lfm_emu::warpExchange(mask, 0); }
inline unsigned int __activemask() { return ::lfm_emu::liveLanes(); }
inline void __threadfence() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
inline void __threadfence_block() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

// ---- warp shuffles and votes ----------------------------------------------
namespace lfm_emu {
template <typename T>
inline unsigned long long toBits(T v) {
  static_assert(sizeof(T) <= 8 && std::is_trivially_copyable<T>::value,
                "warp shuffles move values of at most 64 bits");
  unsigned long long bits = 0;
  std::memcpy(&bits, &v, sizeof(T));
  return bits;
}
// Lane `src`'s value of the round, or the caller's own where `src` is
// outside the segment or did not take part (undefined on a GPU).
template <typename T>
inline T shuffle(unsigned int mask, T v, int src, bool in_segment) {
  const Exchange &e = warpExchange(mask, toBits(v));
  if (!in_segment || src < 0 || src >= 32 || !(e.valid >> src & 1u)) return v;
  T out;
  std::memcpy(&out, &e.values[src], sizeof(T));
  return out;
}
// The lanes of `mask` that voted, and (in *voters) which of them took part.
inline unsigned int ballot(unsigned int mask, int predicate, unsigned int *voters = nullptr) {
  const Exchange &e = warpExchange(mask, predicate != 0);
  if (voters != nullptr) *voters = mask & e.valid;
  unsigned int bits = 0;
  for (int lane = 0; lane < 32; ++lane) {
    if ((mask & e.valid) >> lane & 1u && e.values[lane]) bits |= 1u << lane;
  }
  return bits;
}
// Not a CUDA built-in: every lane of `mask` that is alive takes part with
// its `bytes`-byte value at `mine`, and gets lane l's value in
// all[l * bytes ...] for every lane l that took part (the others' slots are
// left as they were). Two warp rounds: the first publishes each lane's
// address (the fibers share one address space) and releases the lanes, which
// then copy from one another; the second keeps every lane, and so the value
// it published, in place until all of them have copied.
inline void warpGather(unsigned int mask, const void *mine, unsigned long bytes, void *all) {
  const Exchange &e = warpExchange(mask, reinterpret_cast<unsigned long long>(mine));
  for (int lane = 0; lane < 32; ++lane) {
    if (!(e.valid >> lane & 1u)) continue;
    std::memcpy(static_cast<char *>(all) + lane * bytes,
                reinterpret_cast<const void *>(e.values[lane]), bytes);
  }
  warpExchange(mask, 0);
}
}  // namespace lfm_emu

template <typename T>
inline T __shfl_sync(unsigned int mask, T v, int src_lane, int width = 32) {
  const int lane = static_cast<int>(::lfm_emu::laneId());
  const int base = lane & ~(width - 1);
  return ::lfm_emu::shuffle(mask, v, base + (src_lane & (width - 1)), true);
}
template <typename T>
inline T __shfl_xor_sync(unsigned int mask, T v, int lane_mask, int width = 32) {
  const int lane = static_cast<int>(::lfm_emu::laneId());
  const int src = lane ^ lane_mask;
  const int base = lane & ~(width - 1);
  return ::lfm_emu::shuffle(mask, v, src, src >= base && src < base + width);
}
template <typename T>
inline T __shfl_down_sync(unsigned int mask, T v, unsigned int delta, int width = 32) {
  const int lane = static_cast<int>(::lfm_emu::laneId());
  const int src = lane + static_cast<int>(delta);
  const int base = lane & ~(width - 1);
  return ::lfm_emu::shuffle(mask, v, src, src < base + width);
}
template <typename T>
inline T __shfl_up_sync(unsigned int mask, T v, unsigned int delta, int width = 32) {
  const int lane = static_cast<int>(::lfm_emu::laneId());
  const int src = lane - static_cast<int>(delta);
  const int base = lane & ~(width - 1);
  return ::lfm_emu::shuffle(mask, v, src, src >= base);
}
inline unsigned int __ballot_sync(unsigned int mask, int predicate) {
  return ::lfm_emu::ballot(mask, predicate);
}
inline int __all_sync(unsigned int mask, int predicate) {
  unsigned int voters = 0;
  return ::lfm_emu::ballot(mask, predicate, &voters) == voters;
}
inline int __any_sync(unsigned int mask, int predicate) {
  return ::lfm_emu::ballot(mask, predicate) != 0;
}

// ---- atomics ---------------------------------------------------------------
namespace lfm_emu {
// Floating-point read-modify-write as a compare-and-swap loop on the bits.
template <typename F, typename Op>
inline F atomicUpdate(F *address, Op op) {
  using Bits = std::conditional_t<sizeof(F) == 4, unsigned int, unsigned long long>;
  Bits *word = reinterpret_cast<Bits *>(address);
  Bits expected = __atomic_load_n(word, __ATOMIC_RELAXED);
  for (;;) {
    F old;
    std::memcpy(&old, &expected, sizeof(F));
    F updated = op(old);
    Bits desired;
    std::memcpy(&desired, &updated, sizeof(F));
    if (__atomic_compare_exchange_n(word, &expected, desired, true, __ATOMIC_RELAXED,
                                    __ATOMIC_RELAXED)) {
      return old;
    }
  }
}
}  // namespace lfm_emu

inline float atomicAdd(float *a, float v) {
  return ::lfm_emu::atomicUpdate(a, [v](float old) { return old + v; });
}
inline double atomicAdd(double *a, double v) {
  return ::lfm_emu::atomicUpdate(a, [v](double old) { return old + v; });
}
inline float atomicMax(float *a, float v) {
  return ::lfm_emu::atomicUpdate(a, [v](float old) { return old > v ? old : v; });
}
#define LFM_EMU_INT_ATOMICS(T)                                                                \
  inline T atomicAdd(T *a, T v) { return __atomic_fetch_add(a, v, __ATOMIC_RELAXED); }        \
  inline T atomicSub(T *a, T v) { return __atomic_fetch_sub(a, v, __ATOMIC_RELAXED); }        \
  inline T atomicExch(T *a, T v) { return __atomic_exchange_n(a, v, __ATOMIC_RELAXED); }      \
  inline T atomicAnd(T *a, T v) { return __atomic_fetch_and(a, v, __ATOMIC_RELAXED); }        \
  inline T atomicOr(T *a, T v) { return __atomic_fetch_or(a, v, __ATOMIC_RELAXED); }          \
  inline T atomicXor(T *a, T v) { return __atomic_fetch_xor(a, v, __ATOMIC_RELAXED); }        \
  inline T atomicMax(T *a, T v) {                                                            \
    return ::lfm_emu::atomicUpdate(a, [v](T old) { return old < v ? v : old; });              \
  }                                                                                           \
  inline T atomicMin(T *a, T v) {                                                            \
    return ::lfm_emu::atomicUpdate(a, [v](T old) { return v < old ? v : old; });              \
  }                                                                                           \
  inline T atomicCAS(T *a, T compare, T v) {                                                 \
    __atomic_compare_exchange_n(a, &compare, v, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);   \
    return compare;                                                                           \
  }
LFM_EMU_INT_ATOMICS(int)
LFM_EMU_INT_ATOMICS(unsigned int)
LFM_EMU_INT_ATOMICS(unsigned long long)
#undef LFM_EMU_INT_ATOMICS

// ---- bit casts and integer intrinsics -------------------------------------
namespace lfm_emu {
template <typename To, typename From>
inline To bitCast(From v) {
  static_assert(sizeof(To) == sizeof(From), "bit casts keep the size");
  To out;
  std::memcpy(&out, &v, sizeof(To));
  return out;
}
}  // namespace lfm_emu
inline unsigned int __float_as_uint(float v) { return ::lfm_emu::bitCast<unsigned int>(v); }
inline int __float_as_int(float v) { return ::lfm_emu::bitCast<int>(v); }
inline float __uint_as_float(unsigned int v) { return ::lfm_emu::bitCast<float>(v); }
inline float __int_as_float(int v) { return ::lfm_emu::bitCast<float>(v); }
inline long long __double_as_longlong(double v) { return ::lfm_emu::bitCast<long long>(v); }
inline double __longlong_as_double(long long v) { return ::lfm_emu::bitCast<double>(v); }
inline int __popc(unsigned int v) { return __builtin_popcount(v); }
inline int __popcll(unsigned long long v) { return __builtin_popcountll(v); }
inline int __clz(int v) { return v == 0 ? 32 : __builtin_clz(static_cast<unsigned int>(v)); }
inline int __ffs(int v) { return __builtin_ffs(v); }
template <typename T>
inline T __ldg(const T *p) { return *p; }

// ---- math ------------------------------------------------------------------
// expf, logf, sqrtf, sinf, cosf, sincosf (glibc), powf, fmaxf, fminf, fabsf
// and exp2f come from <math.h>; the CUDA-only names map onto them with the
// accurate functions (the GPU's fast forms differ in the last bits only).
inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
inline float __expf(float x) { return expf(x); }
inline float __logf(float x) { return logf(x); }
inline float __sinf(float x) { return sinf(x); }
inline float __cosf(float x) { return cosf(x); }
inline float __powf(float x, float y) { return powf(x, y); }
inline void __sincosf(float x, float *s, float *c) { sincosf(x, s, c); }
inline float __fdividef(float a, float b) { return a / b; }
inline float __frcp_rn(float x) { return 1.0f / x; }
inline float __fsqrt_rn(float x) { return sqrtf(x); }
inline float __fmaf_rn(float a, float b, float c) { return fmaf(a, b, c); }
inline float __saturatef(float x) { return x < 0.0f ? 0.0f : (x > 1.0f ? 1.0f : x); }
inline int __float2int_rn(float x) { return static_cast<int>(nearbyintf(x)); }
inline int __float2int_rz(float x) { return static_cast<int>(x); }
inline float __int2float_rn(int x) { return static_cast<float>(x); }
// CUDA's min/max: overloads on the arithmetic types, mixed types promoted.
template <typename A, typename B,
          typename = std::enable_if_t<std::is_arithmetic<A>::value && std::is_arithmetic<B>::value>>
inline std::common_type_t<A, B> min(A a, B b) {
  using C = std::common_type_t<A, B>;
  return static_cast<C>(b) < static_cast<C>(a) ? static_cast<C>(b) : static_cast<C>(a);
}
template <typename A, typename B,
          typename = std::enable_if_t<std::is_arithmetic<A>::value && std::is_arithmetic<B>::value>>
inline std::common_type_t<A, B> max(A a, B b) {
  using C = std::common_type_t<A, B>;
  return static_cast<C>(a) < static_cast<C>(b) ? static_cast<C>(b) : static_cast<C>(a);
}

// ---- vector types ----------------------------------------------------------
#define LFM_EMU_VECTOR_TYPES(T, name)                                                      \
  struct __attribute__((aligned(2 * sizeof(T)))) name##2 { T x, y; };                       \
  struct __attribute__((aligned(4 * sizeof(T) > 16 ? 16 : 4 * sizeof(T)))) name##4 {      \
    T x, y, z, w;                                                                           \
  };                                                                                        \
  inline name##2 make_##name##2(T x, T y) { return {x, y}; }                                \
  inline name##4 make_##name##4(T x, T y, T z, T w) { return {x, y, z, w}; }
LFM_EMU_VECTOR_TYPES(float, float)
LFM_EMU_VECTOR_TYPES(int, int)
LFM_EMU_VECTOR_TYPES(unsigned int, uint)
LFM_EMU_VECTOR_TYPES(short, short)
LFM_EMU_VECTOR_TYPES(unsigned short, ushort)
#undef LFM_EMU_VECTOR_TYPES

// ---- launching -------------------------------------------------------------
namespace lfm_emu {
// The exported trampolines (one per entry point, emitted after the kernel
// sources) call a kernel through this: its one parameter is the prelude's
// LfmKernelArgs, which has the runtime's layout (static_asserts on both sides).
template <typename Args>
inline void invoke(void (*kernel)(Args), const void *args) {
  kernel(*static_cast<const Args *>(args));
}
}  // namespace lfm_emu

// The largest dynamic shared memory of a block (the H100/H200 opt-in limit):
// `extern __shared__` arrays get this many bytes per OS thread.
#define LFM_EMU_MAX_DYNAMIC_SHARED 232448

#endif  // LFM_EMU_H
