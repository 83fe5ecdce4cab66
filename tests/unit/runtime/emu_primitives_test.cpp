// The emu device's emulation of CUDA built-ins (lfm_emu.h and its fiber
// scheduler), with hand-written kernels compiled through EmuCompiler: block
// barriers and shared memory, warp shuffles and votes (also over the partial
// warp at the end of a block), dynamic shared memory, atomics from blocks on
// several OS threads, a barrier that never completes, compile errors and the
// cache.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "../ScopedEnv.h"
#include "emu/EmuCompiler.h"
#include "lfm/Artifact.h"
#include "lfm/DTypeConvert.h"
#include "lfm/KernelAbi.h"
#include "KernelArgsText.h"

namespace lfm::emu {
namespace {

// What the codegen prelude provides that these kernels need: the argument
// block (include-guarded like the prelude, so kernels can share a unit).
const std::string kMiniPrelude = ::lfm::testing::kernelArgsText();

class EmuPrimitives : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    setenv("LFM_CACHE_DIR", LFM_BINARY_DIR "/emu-cache", 1);
  }

  // Compiles `body` as kernel "k" (plus a mini prelude).
  static std::unique_ptr<EmuModule> compile(const std::string &body) {
    KernelInfo k;
    k.name = "k";
    k.entry_point = "k";
    k.cuda_source = std::string(kMiniPrelude) + body;
    absl::StatusOr<std::unique_ptr<EmuModule>> m = compileKernels({&k, 1});
    EXPECT_TRUE(m.ok()) << m.status();
    return m.ok() ? std::move(*m) : nullptr;
  }

  // Runs every block of a launch, spread over `os_threads` threads.
  static absl::Status run(const EmuModule &m, std::vector<void *> buffers, LaunchDims dims,
                          int os_threads = 1) {
    LfmKernelArgs args{};
    for (size_t i = 0; i < buffers.size(); ++i) args.buf[i] = buffers[i];
    const int64_t blocks = dims.grid[0] * dims.grid[1] * dims.grid[2];
    std::vector<absl::Status> results(os_threads);
    std::vector<std::thread> threads;
    for (int t = 0; t < os_threads; ++t) {
      threads.emplace_back([&, t] {
        results[t] = m.runBlocks(m.entry(0), args, dims, blocks * t / os_threads,
                                 blocks * (t + 1) / os_threads);
      });
    }
    for (std::thread &t : threads) t.join();
    for (const absl::Status &s : results) {
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }

  static LaunchDims dims(int64_t grid, int32_t block) {
    LaunchDims d;
    d.grid = {grid, 1, 1};
    d.block = {block, 1, 1};
    return d;
  }
};

TEST_F(EmuPrimitives, SyncthreadsAndSharedMemory) {
  // Each thread writes its slot, then reads the mirrored one: correct only
  // if every thread's write happens before any read (the barrier), and if
  // each block sees its own shared array.
  auto m = compile(R"(
extern "C" __global__ void k(LfmKernelArgs args) {
  __shared__ int tile[96];
  int *out = (int *)args.buf[0];
  const int n = blockDim.x, t = threadIdx.x;
  for (int round = 0; round < 3; ++round) {
    tile[t] = (blockIdx.x + 1) * 1000 + t * 10 + round;
    __syncthreads();
    int v = tile[n - 1 - t];
    __syncthreads();
    if (round == 2) out[blockIdx.x * n + t] = v;
  }
})");
  ASSERT_NE(m, nullptr);
  const int blocks = 7, n = 96;
  for (const char *schedule : {"forward", "reverse", "warps"}) {
    lfm::testing::ScopedEnv env("LFM_EMU_SCHEDULE", schedule);
    std::vector<int> out(blocks * n, -1);
    ASSERT_TRUE(run(*m, {out.data()}, dims(blocks, n), 3).ok());
    for (int b = 0; b < blocks; ++b) {
      for (int t = 0; t < n; ++t) {
        EXPECT_EQ(out[b * n + t], (b + 1) * 1000 + (n - 1 - t) * 10 + 2)
            << schedule << " " << b << " " << t;
      }
    }
  }
}

// LFM_EMU_SCHEDULE=reverse runs each pass of a block last thread first. A
// race (thread 0 writes shared memory that the others read with no barrier
// between) reads the new value in thread order and the old one in reverse:
// the two schedules tell it apart. The barrier-correct kernel above gives the
// same result under both.
TEST_F(EmuPrimitives, TheReverseScheduleExposesRaces) {
  auto racy = compile(R"(
extern "C" __global__ void k(LfmKernelArgs args) {
  __shared__ int v;
  int *out = (int *)args.buf[0];
  if (threadIdx.x == 0) v = 0;
  __syncthreads();
  if (threadIdx.x == 0) v = 42;  // no barrier before the reads: a race
  out[threadIdx.x] = v;
})");
  ASSERT_NE(racy, nullptr);
  auto runRacy = [&](const char *schedule) {
    lfm::testing::ScopedEnv env("LFM_EMU_SCHEDULE", schedule);
    std::vector<int> out(64, -1);
    EXPECT_TRUE(run(*racy, {out.data()}, dims(1, 64)).ok());
    return out;
  };
  std::vector<int> forward = runRacy(nullptr), reverse = runRacy("reverse");
  std::vector<int> warps = runRacy("warps");
  EXPECT_EQ(warps, forward) << "warp 0 runs in thread order";
  EXPECT_EQ(forward[0], 42);
  EXPECT_EQ(reverse[0], 42);
  for (int t = 1; t < 64; ++t) {
    EXPECT_EQ(forward[t], 42) << t;
    EXPECT_EQ(reverse[t], 0) << t;
  }
}

// LFM_EMU_SCHEDULE=warps runs warp 0 on to the block barrier before warp 1
// starts. A race across warps (reads of the other warp's shared values, a
// shuffle, then the next round's writes with no barrier between) hides from
// the thread-order schedules, whose warps advance one shuffle per pass
// together: every read is done before any write. Warp by warp, warp 0
// overwrites its values before warp 1 reads them.
TEST_F(EmuPrimitives, TheWarpScheduleExposesRacesAcrossWarps) {
  auto racy = compile(R"(
extern "C" __global__ void k(LfmKernelArgs args) {
  __shared__ int s[64];
  int *out = (int *)args.buf[0];
  const int t = threadIdx.x;
  int acc = 0;
  for (int round = 0; round < 2; ++round) {
    s[t] = round * 100 + t;
    __syncthreads();
    acc += __shfl_xor_sync(0xffffffffu, s[63 - t], 1);
    // A barrier belongs here: the next round's write races with the reads.
  }
  out[t] = acc;
})");
  ASSERT_NE(racy, nullptr);
  for (const char *schedule : {"forward", "reverse", "warps"}) {
    lfm::testing::ScopedEnv env("LFM_EMU_SCHEDULE", schedule);
    std::vector<int> out(64, -1);
    ASSERT_TRUE(run(*racy, {out.data()}, dims(1, 64)).ok());
    for (int t = 0; t < 64; ++t) {
      const int partner = 63 - (t ^ 1);  // whose round value lane t reads
      const bool overwritten = std::string(schedule) == "warps" && t >= 32;
      const int want = overwritten ? 2 * (100 + partner) : partner + (100 + partner);
      EXPECT_EQ(out[t], want) << schedule << " thread " << t;
    }
  }
}

TEST_F(EmuPrimitives, ShufflesOverFullAndPartialWarps) {
  // 48 threads: warp 0 full, warp 1 has 16 lanes. A lane whose source lane
  // is outside the segment or does not exist keeps its own value.
  auto m = compile(R"(
extern "C" __global__ void k(LfmKernelArgs args) {
  int *out = (int *)args.buf[0];
  const int t = threadIdx.x;
  const int v = 100 + t;
  out[t * 6 + 0] = __shfl_xor_sync(0xffffffffu, v, 1);
  out[t * 6 + 1] = __shfl_xor_sync(0xffffffffu, v, 16);
  out[t * 6 + 2] = __shfl_down_sync(0xffffffffu, v, 3);
  out[t * 6 + 3] = __shfl_up_sync(0xffffffffu, v, 2, 8);
  out[t * 6 + 4] = __shfl_sync(0xffffffffu, v, 5);
  float f = (float)t;
  for (int o = 16; o > 0; o >>= 1) f += __shfl_xor_sync(0xffffffffu, f, o);
  out[t * 6 + 5] = (int)f;
})");
  ASSERT_NE(m, nullptr);
  const int n = 48;
  std::vector<int> out(n * 6, -1);
  ASSERT_TRUE(run(*m, {out.data()}, dims(1, n)).ok());
  auto exists = [&](int lane_in_block) { return lane_in_block >= 0 && lane_in_block < n; };
  for (int t = 0; t < n; ++t) {
    const int base = t / 32 * 32, lane = t % 32;
    auto val = [&](int src_lane, bool ok) {
      int src = base + src_lane;
      return ok && exists(src) ? 100 + src : 100 + t;
    };
    EXPECT_EQ(out[t * 6 + 0], val(lane ^ 1, true)) << t;
    EXPECT_EQ(out[t * 6 + 1], val(lane ^ 16, true)) << t;
    EXPECT_EQ(out[t * 6 + 2], val(lane + 3, lane + 3 < 32)) << t;
    EXPECT_EQ(out[t * 6 + 3], val(lane - 2, lane % 8 >= 2)) << t;
    EXPECT_EQ(out[t * 6 + 4], val(5, true)) << t;
    // The butterfly sum over the existing lanes, where missing partners
    // contribute the lane's own value again (what the emu defines).
    int want = 0;
    {
      std::vector<int> f(32);
      for (int l = 0; l < 32; ++l) f[l] = base + l;
      for (int o = 16; o > 0; o >>= 1) {
        std::vector<int> g(32);
        for (int l = 0; l < 32; ++l) {
          int src = l ^ o;
          g[l] = f[l] + (exists(base + src) ? f[src] : f[l]);
        }
        f = g;
      }
      want = f[lane];
    }
    if (n - base >= 32) {
      EXPECT_EQ(out[t * 6 + 5], 32 * base + 496) << t;
    }
    EXPECT_EQ(out[t * 6 + 5], want) << t;
  }
}

TEST_F(EmuPrimitives, VotesOverPartialWarps) {
  // 40 threads: the second warp has 8 lanes; votes count only those.
  auto m = compile(R"(
extern "C" __global__ void k(LfmKernelArgs args) {
  unsigned *out = (unsigned *)args.buf[0];
  const int t = threadIdx.x;
  out[t * 5 + 0] = __ballot_sync(0xffffffffu, t % 3 == 0);
  out[t * 5 + 1] = __all_sync(0xffffffffu, t < 40);
  out[t * 5 + 2] = __all_sync(0xffffffffu, t % 2 == 0);
  out[t * 5 + 3] = __any_sync(0xffffffffu, t == 35);
  out[t * 5 + 4] = __activemask();
})");
  ASSERT_NE(m, nullptr);
  const int n = 40;
  std::vector<unsigned> out(n * 5, 7);
  ASSERT_TRUE(run(*m, {out.data()}, dims(1, n)).ok());
  for (int t = 0; t < n; ++t) {
    const int base = t / 32 * 32, lanes = std::min(32, n - base);
    unsigned ballot = 0;
    for (int l = 0; l < lanes; ++l) ballot |= (base + l) % 3 == 0 ? 1u << l : 0u;
    EXPECT_EQ(out[t * 5 + 0], ballot) << t;
    EXPECT_EQ(out[t * 5 + 1], 1u) << t;
    EXPECT_EQ(out[t * 5 + 2], 0u) << t;
    EXPECT_EQ(out[t * 5 + 3], base == 32 ? 1u : 0u) << t;
    // __activemask: the lanes that have not exited, with the caller among
    // them (the emu runs lanes one after another between barriers).
    const unsigned existing = lanes == 32 ? 0xffffffffu : (1u << lanes) - 1;
    EXPECT_NE(out[t * 5 + 4] & (1u << (t % 32)), 0u) << t;
    EXPECT_EQ(out[t * 5 + 4] & ~existing, 0u) << t;
  }
}

TEST_F(EmuPrimitives, DivergentWarpsAndEarlyExit) {
  // Lanes that exit early no longer count at barriers (as on the GPU); a
  // half-warp shuffle with a half mask waits only for its lanes.
  auto m = compile(R"(
extern "C" __global__ void k(LfmKernelArgs args) {
  int *out = (int *)args.buf[0];
  const int t = threadIdx.x;
  if (t >= 60) return;
  int v = t;
  if (t % 32 < 16) v = __shfl_xor_sync(0x0000ffffu, v, 1);
  else v = __shfl_down_sync(0xffff0000u, v, 1) + 1000;
  __syncthreads();
  out[t] = v;
})");
  ASSERT_NE(m, nullptr);
  std::vector<int> out(64, -1);
  ASSERT_TRUE(run(*m, {out.data()}, dims(1, 64)).ok());
  for (int t = 0; t < 64; ++t) {
    int lane = t % 32;
    int want = t >= 60 ? -1
               : lane < 16 ? t ^ 1
                           : (lane + 1 < 32 && t + 1 < 60 ? t + 1 : t) + 1000;
    EXPECT_EQ(out[t], want) << t;
  }
}

TEST_F(EmuPrimitives, DynamicSharedMemory) {
  auto m = compile(R"(
extern "C" __global__ void k(LfmKernelArgs args) {
  extern __shared__ __align__(16) float dyn[];
  float *out = (float *)args.buf[0];
  const int n = blockDim.x, t = threadIdx.x;
  for (int i = t; i < 4096; i += n) dyn[i] = (float)(i + blockIdx.x);
  __syncthreads();
  float s = 0;
  for (int i = 0; i < 4096; ++i) s += dyn[(i + t) % 4096];
  out[blockIdx.x * n + t] = s;
})");
  ASSERT_NE(m, nullptr);
  std::vector<float> out(4 * 64);
  ASSERT_TRUE(run(*m, {out.data()}, dims(4, 64), 2).ok());
  for (int b = 0; b < 4; ++b) {
    EXPECT_EQ(out[b * 64 + 5], 4095.0f * 4096.0f / 2 + 4096.0f * b);
  }
}

TEST_F(EmuPrimitives, AtomicsAcrossOsThreads) {
  auto m = compile(R"(
extern "C" __global__ void k(LfmKernelArgs args) {
  float *fsum = (float *)args.buf[0];
  int *isum = (int *)args.buf[1];
  atomicAdd(fsum, 1.0f);
  atomicAdd(isum, (int)threadIdx.x);
})");
  ASSERT_NE(m, nullptr);
  float fsum = 0;
  int isum = 0;
  ASSERT_TRUE(run(*m, {&fsum, &isum}, dims(64, 128), 4).ok());
  EXPECT_EQ(fsum, 64.0f * 128);
  EXPECT_EQ(isum, 64 * (127 * 128 / 2));
}

TEST_F(EmuPrimitives, BarrierThatNeverCompletesIsAnError) {
  auto m = compile(R"(
extern "C" __global__ void k(LfmKernelArgs args) {
  // Half of warp 0 waits at the block barrier, the other half for a
  // full-warp shuffle: neither can complete.
  int v = threadIdx.x;
  if (threadIdx.x < 16) __syncthreads();
  else v = __shfl_xor_sync(0xffffffffu, v, 1);
  ((int *)args.buf[0])[threadIdx.x] = v;
})");
  ASSERT_NE(m, nullptr);
  std::vector<int> out(64);
  absl::Status s = run(*m, {out.data()}, dims(2, 64));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("block (0, 0, 0)"), std::string::npos) << s;
  EXPECT_NE(s.message().find("would hang"), std::string::npos) << s;
  // The module stays usable after a failed block.
  EXPECT_FALSE(run(*m, {out.data()}, dims(1, 64)).ok());
}

TEST_F(EmuPrimitives, ThreeDimensionalIds) {
  auto m = compile(R"(
extern "C" __global__ void k(LfmKernelArgs args) {
  int *out = (int *)args.buf[0];
  int block = blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z);
  int thread = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
  int n = blockDim.x * blockDim.y * blockDim.z;
  out[block * n + thread] = block * 1000 + thread;
})");
  ASSERT_NE(m, nullptr);
  LaunchDims d;
  d.grid = {3, 2, 2};
  d.block = {4, 2, 3};
  std::vector<int> out(12 * 24, -1);
  ASSERT_TRUE(run(*m, {out.data()}, d, 2).ok());
  for (int b = 0; b < 12; ++b) {
    for (int t = 0; t < 24; ++t) EXPECT_EQ(out[b * 24 + t], b * 1000 + t);
  }
}

TEST_F(EmuPrimitives, CompileErrorsCarryTheCompilerOutput) {
  KernelInfo k;
  k.name = "broken_kernel";
  k.entry_point = "broken";
  k.cuda_source = std::string(kMiniPrelude) +
                  "extern \"C\" __global__ void broken(LfmKernelArgs args) { undefined_thing(); }";
  absl::StatusOr<std::unique_ptr<EmuModule>> m = compileKernels({&k, 1});
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("undefined_thing"), std::string::npos) << m.status();
  EXPECT_NE(m.status().message().find("broken_kernel"), std::string::npos) << m.status();

  k.entry_point = "not an identifier";
  EXPECT_FALSE(compileKernels({&k, 1}).ok());
}

TEST_F(EmuPrimitives, SharedSourcesCompileOnceAndTheCacheIsReused) {
  const std::string body = R"(
extern "C" __global__ void twice(LfmKernelArgs args) { ((int *)args.buf[0])[threadIdx.x] *= 2; }
)";
  std::vector<KernelInfo> table(3);
  for (KernelInfo &k : table) {
    k.name = "twice";
    k.entry_point = "twice";
    k.cuda_source = std::string(kMiniPrelude) + body;
  }
  table[2].name = "other";
  table[2].entry_point = "other";
  table[2].cuda_source = std::string(kMiniPrelude) +
                         "extern \"C\" __global__ void other(LfmKernelArgs) {}";
  absl::StatusOr<std::string> tu = kernelTranslationUnit(table);
  ASSERT_TRUE(tu.ok()) << tu.status();
  EXPECT_EQ(tu->find("void twice"), tu->rfind("void twice"));

  auto first = compileKernels(table);
  ASSERT_TRUE(first.ok()) << first.status();
  auto start = std::chrono::steady_clock::now();
  auto second = compileKernels(table);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ((*first)->path(), (*second)->path());
  EXPECT_LT(seconds, 2.0) << "the second compile should come from the cache";
  EXPECT_EQ((*second)->entry(0), (*second)->entry(1));
}

// The prelude's tensor-core helper (lfm_mma_m16n8k16_bf16 / _f16) on its
// host path, the one the emu runs, against a plain matrix product: each of
// two warps packs its own A (16 x 16), B (16 x 8) and C (16 x 8) into
// fragments by the PTX ISA's formulas (written out here independently of
// the prelude), and unpacks D the same way. A fragment layout that differs
// anywhere moves products between outputs and fails by O(1). Both host
// gathers: the emu's warpGather and the plain-shuffle one.
// The prelude as the build embeds it: lfm/KernelArgs.h spliced in.
std::string readPrelude() {
  std::string prelude = ::lfm::testing::readTextFile(LFM_PRELUDE_PATH);
  const std::string include = "#include \"lfm/KernelArgs.h\"";
  const size_t at = prelude.find(include);
  if (at == std::string::npos) return prelude;
  const size_t end = prelude.find('\n', at);
  return prelude.replace(at, end - at, ::lfm::testing::kernelArgsText());
}

constexpr const char *kMmaKernel = R"(
extern "C" __global__ void k(LfmKernelArgs args) {
  const unsigned short *A = (const unsigned short *)args.buf[0];  // [warp][16][16]
  const unsigned short *B = (const unsigned short *)args.buf[1];  // [warp][16][8]
  const float *C = (const float *)args.buf[2];                    // [warp][16][8]
  float *D = (float *)args.buf[3];
  const int bf16 = *(const int *)args.buf[4];
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  A += warp * 256; B += warp * 128; C += warp * 128; D += warp * 128;
  const int group = lane >> 2, tid = lane % 4;
  unsigned int a[4] = {0, 0, 0, 0}, b[2] = {0, 0};
  for (int i = 0; i < 8; ++i) {  // a_i: element i, word i / 2, half i % 2
    const int row = (i < 2 || (i >= 4 && i < 6)) ? group : group + 8;
    const int col = tid * 2 + (i & 1) + (i >= 4 ? 8 : 0);
    a[i / 2] |= (unsigned int)A[row * 16 + col] << (16 * (i % 2));
  }
  for (int i = 0; i < 4; ++i) {  // b_i
    const int row = tid * 2 + (i & 1) + (i >= 2 ? 8 : 0);
    b[i / 2] |= (unsigned int)B[row * 8 + group] << (16 * (i % 2));
  }
  float c[4];
  for (int i = 0; i < 4; ++i) c[i] = C[(i < 2 ? group : group + 8) * 8 + tid * 2 + (i & 1)];
  if (bf16) lfm_mma_m16n8k16_bf16(c, a, b); else lfm_mma_m16n8k16_f16(c, a, b);
  for (int i = 0; i < 4; ++i) D[(i < 2 ? group : group + 8) * 8 + tid * 2 + (i & 1)] = c[i];
}
)";

TEST_F(EmuPrimitives, TensorCoreMmaHostPathIsAMatrixProduct) {
  const std::string prelude = readPrelude();
  ASSERT_NE(prelude.find("lfm_mma_m16n8k16_bf16"), std::string::npos) << LFM_PRELUDE_PATH;
  for (bool shuffles : {false, true}) {
    KernelInfo k;
    k.name = "k";
    k.entry_point = "k";
    k.cuda_source = std::string(shuffles ? "#define LFM_MMA_GATHER_WITH_SHUFFLES 1\n" : "") +
                    prelude + kMmaKernel;
    absl::StatusOr<std::unique_ptr<EmuModule>> m = compileKernels({&k, 1});
    ASSERT_TRUE(m.ok()) << m.status();
    for (int bf16 : {1, 0}) {
      SCOPED_TRACE(std::string(bf16 ? "bf16" : "f16") + (shuffles ? ", shuffles" : ""));
      const int warps = 2;
      std::vector<uint16_t> a(warps * 256), b(warps * 128);
      std::vector<float> af(a.size()), bf(b.size()), c(warps * 128), d(c.size(), NAN);
      uint32_t s = 12345u + bf16;
      auto next = [&] {
        s = s * 1664525u + 1013904223u;
        return static_cast<float>((s >> 8) & 0xffff) / 32768.0f - 1.0f;
      };
      auto round = [&](float v, uint16_t &bits) {
        bits = bf16 ? floatToBf16(v) : floatToF16(v);
        return bf16 ? bf16ToFloat(bits) : f16ToFloat(bits);
      };
      for (size_t i = 0; i < a.size(); ++i) af[i] = round(next(), a[i]);
      for (size_t i = 0; i < b.size(); ++i) bf[i] = round(next(), b[i]);
      for (float &v : c) v = next();
      int flag = bf16;
      ASSERT_TRUE(run(**m, {a.data(), b.data(), c.data(), d.data(), &flag}, dims(1, 32 * warps))
                      .ok());
      for (int w = 0; w < warps; ++w) {
        for (int i = 0; i < 16; ++i) {
          for (int j = 0; j < 8; ++j) {
            double want = c[w * 128 + i * 8 + j];
            for (int kk = 0; kk < 16; ++kk) {
              want += double(af[w * 256 + i * 16 + kk]) * bf[w * 128 + kk * 8 + j];
            }
            EXPECT_NEAR(d[w * 128 + i * 8 + j], want, 1e-5)
                << "warp " << w << " D[" << i << "][" << j << "]";
          }
        }
      }
    }
  }
}

// The async-copy helpers' host path: lfm_copy_bits_async_n stages 16-bit
// elements into shared memory (one cp.async per 8 on a GPU, a synchronous
// copy for 4), and after the wait and a barrier every thread reads what
// the others copied (each reads another warp's chunk, in reverse).
TEST_F(EmuPrimitives, AsyncCopyHostPathStagesSharedMemory) {
  KernelInfo k;
  k.name = "k";
  k.entry_point = "k";
  k.cuda_source = readPrelude() + R"(
extern "C" __global__ void k(LfmKernelArgs args) {
  const lfm_bf16_t *src = (const lfm_bf16_t *)args.buf[0];  // 64 x 8 + 64 x 4
  lfm_bf16_t *dst = (lfm_bf16_t *)args.buf[1];
  __shared__ __align__(16) lfm_bf16_t wide[64][8];
  __shared__ __align__(16) lfm_bf16_t narrow[64][4];
  const int t = threadIdx.x;
  lfm_copy_bits_async_n<8>(wide[t], src + 8 * t);
  lfm_copy_bits_async_n<4>(narrow[t], src + 64 * 8 + 4 * t);
  lfm_cp_async_commit();
  lfm_cp_async_wait<0>();
  __syncthreads();
  const int u = 63 - t;
  for (int i = 0; i < 8; ++i) dst[8 * u + i] = wide[u][i];
  for (int i = 0; i < 4; ++i) dst[64 * 8 + 4 * u + i] = narrow[u][i];
}
)";
  absl::StatusOr<std::unique_ptr<EmuModule>> m = compileKernels({&k, 1});
  ASSERT_TRUE(m.ok()) << m.status();
  std::vector<uint16_t> src(64 * 12), dst(src.size(), 0);
  for (size_t i = 0; i < src.size(); ++i) src[i] = static_cast<uint16_t>(i * 7 + 1);
  ASSERT_TRUE(run(**m, {src.data(), dst.data()}, dims(1, 64)).ok());
  EXPECT_EQ(dst, src);
}

}  // namespace
}  // namespace lfm::emu
