// lfm_emu_scheduler.cpp: runs the blocks of one kernel launch on the calling
// OS thread, every CUDA thread of a block as a Boost.Context fiber. The emu
// device compiles it (embedded in the runtime) into the same shared library
// as the kernels and calls lfm_emu_run_blocks from its worker threads.
//
// A block is scheduled in passes: every runnable fiber runs, in thread
// order, until it finishes or suspends at a barrier, and then switches
// straight to the next runnable fiber of the pass (one context switch per
// suspension; the last one switches back to the scheduler). Then the
// scheduler releases
//   - a warp's waiters once every live lane named by their masks waits at a
//     warp barrier (shuffle, vote, __syncwarp), and otherwise
//   - the block barrier once every live thread waits at __syncthreads.
// Threads that exited no longer count, as on the GPU. When neither release
// is possible the kernel would hang on a GPU (a barrier that not every
// thread reaches): the launch fails with a message instead.
//
// LFM_EMU_SCHEDULE picks among schedules a GPU may run, so that a kernel
// whose threads share memory without a barrier between the write and the
// read (a race) gives different results under them; the tests run the
// kernels under each:
//   - (default) passes in thread order, every warp advancing one warp
//     barrier per pass;
//   - "reverse": passes last thread first (a thread reads what a later one
//     has not written yet);
//   - "warps": warp by warp: the first warp with work runs on, through its
//     own shuffles, until every lane of it waits at __syncthreads or has
//     exited, before the next warp starts (a warp runs ahead into the next
//     tile while the others still read the current one).
//
// Warp exchanges use two buffers per warp in turn: lanes write the current
// one and read, after the release, the one of their round, so a fast lane
// that runs ahead into the next shuffle cannot overwrite a value that a slow
// lane has still to read.
// System headers first: lfm_emu.h defines CUDA's qualifiers as macros.
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <boost/context/fiber.hpp>
#include <cstdlib>
#include <exception>
#include <new>
#include <string>
#include <vector>

#include "lfm_emu.h"

namespace lfm_emu {

__thread Identity identity __attribute__((visibility("hidden")));

namespace {

namespace bctx = boost::context;

enum class Wait : unsigned char { kRunnable, kBlockBarrier, kWarpBarrier, kDone };

// A CUDA thread, or the scheduler itself (Block::scheduler).
struct Fiber {
  bctx::fiber context;  // its continuation, while it does not run
  uint3 thread_idx{};
  unsigned int linear = 0;
  Wait wait = Wait::kRunnable;
  unsigned int mask = 0;    // at a warp barrier: the lanes it waits for
  unsigned char round = 0;  // after a warp barrier: the exchange buffer to read
};

struct Warp {
  Exchange rounds[2];
  unsigned char current = 0;
};

// Fiber stacks: fixed size, with a guard page below so that an overflow
// faults instead of corrupting a neighbour, kept per OS thread and reused
// by every block and launch it runs.
class StackPool {
 public:
  ~StackPool() {
    for (void *base : free_) munmap(base, mappedBytes());
  }
  static size_t stackBytes() {
    static const size_t bytes = [] {
      const char *env = std::getenv("LFM_EMU_STACK_KB");
      long kb = env != nullptr ? std::atol(env) : 0;
      return static_cast<size_t>(kb >= 16 ? kb : 64) * 1024;
    }();
    return bytes;
  }
  static size_t pageBytes() { return static_cast<size_t>(sysconf(_SC_PAGESIZE)); }
  static size_t mappedBytes() { return stackBytes() + pageBytes(); }

  void *take() {
    if (!free_.empty()) {
      void *base = free_.back();
      free_.pop_back();
      return base;
    }
    void *base = mmap(nullptr, mappedBytes(), PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED) throw std::bad_alloc();
    mprotect(base, pageBytes(), PROT_NONE);
    return base;
  }
  void give(void *base) { free_.push_back(base); }

 private:
  std::vector<void *> free_;
};

thread_local StackPool t_stacks;

// Boost.Context's StackAllocator concept over the pool.
struct PooledStack {
  bctx::stack_context allocate() {
    char *base = static_cast<char *>(t_stacks.take());
    bctx::stack_context sc;
    sc.size = StackPool::stackBytes();
    sc.sp = base + StackPool::mappedBytes();  // stacks grow down
    return sc;
  }
  void deallocate(bctx::stack_context &sc) noexcept {
    t_stacks.give(static_cast<char *>(sc.sp) - StackPool::mappedBytes());
  }
};

struct Block {
  void (*entry)(const void *) = nullptr;
  const void *args = nullptr;
  std::vector<Fiber> fibers;
  std::vector<Warp> warps;
  Fiber scheduler;
  Fiber *current = nullptr;  // what runs
  Fiber *from = nullptr;     // what switched to it
  size_t cursor = 0;         // the pass's next fiber to consider
  bool reverse = false;      // passes run the threads last to first
  bool warp_serial = false;  // passes run one warp ("warps" schedule)
  size_t active_warp = 0;    // with warp_serial: the warp a pass runs
};

__thread Block *t_block = nullptr;

// The next runnable fiber of the pass, or the scheduler at its end.
Fiber &nextInPass(Block &b) {
  const size_t n = b.fibers.size();
  while (b.cursor < n) {
    const size_t i = b.cursor++;
    Fiber &f = b.fibers[b.reverse ? n - 1 - i : i];
    if (b.warp_serial && f.linear / 32 != b.active_warp) continue;
    if (f.wait == Wait::kRunnable) return f;
  }
  return b.scheduler;
}

// The first warp with a runnable lane, or warps.size() when none has.
size_t firstRunnableWarp(const Block &b) {
  for (const Fiber &f : b.fibers) {
    if (f.wait == Wait::kRunnable) return f.linear / 32;
  }
  return b.warps.size();
}

// LFM_EMU_SCHEDULE (see the top of the file).
void readSchedule(Block &b) {
  const char *env = std::getenv("LFM_EMU_SCHEDULE");
  const std::string schedule = env != nullptr ? env : "";
  b.reverse = schedule == "reverse";
  b.warp_serial = schedule == "warps";
}

// Makes `to` run. The context that switched to us hands over its own
// continuation; we file it under its Fiber (b.from) when we run again.
void prepareSwitch(Block &b, Fiber &self, Fiber &to) {
  b.from = &self;
  b.current = &to;
  identity.thread_idx = to.thread_idx;
  identity.lane = to.linear % 32;
}
void switchTo(Block &b, Fiber &self, Fiber &to) {
  prepareSwitch(b, self, to);
  bctx::fiber back = std::move(to.context).resume();
  b.from->context = std::move(back);
}

void suspend(Wait wait) {
  Block &b = *t_block;
  Fiber &self = *b.current;
  self.wait = wait;
  switchTo(b, self, nextInPass(b));
}

// Releases the waiters of warp `w` if all the lanes they wait for are there.
bool releaseWarp(Block &b, size_t w) {
  const size_t first = w * 32;
  const size_t lanes = std::min<size_t>(32, b.fibers.size() - first);
  unsigned int live = 0, waiting = 0, needed = 0;
  for (size_t lane = 0; lane < lanes; ++lane) {
    const Fiber &f = b.fibers[first + lane];
    if (f.wait == Wait::kDone) continue;
    live |= 1u << lane;
    if (f.wait == Wait::kWarpBarrier) {
      waiting |= 1u << lane;
      needed |= f.mask;
    }
  }
  if (waiting == 0 || (needed & live & ~waiting) != 0) return false;
  Warp &warp = b.warps[w];
  for (size_t lane = 0; lane < lanes; ++lane) {
    Fiber &f = b.fibers[first + lane];
    if (!(waiting >> lane & 1u)) continue;
    f.wait = Wait::kRunnable;
    f.round = warp.current;
  }
  warp.current ^= 1;
  warp.rounds[warp.current].valid = 0;
  return true;
}

std::string describeHang(const Block &b) {
  std::string at_block, at_warp;
  for (const Fiber &f : b.fibers) {
    std::string &list = f.wait == Wait::kBlockBarrier ? at_block : at_warp;
    if (f.wait == Wait::kDone || f.wait == Wait::kRunnable || !list.empty()) continue;
    list = "thread " + std::to_string(f.linear);
    if (f.wait == Wait::kWarpBarrier) {
      char mask[16];
      std::snprintf(mask, sizeof(mask), "%08x", f.mask);
      list += std::string(" (mask 0x") + mask + ")";
    }
  }
  return "the block cannot make progress (on a GPU it would hang): " +
         (at_block.empty() ? std::string("no thread") : at_block) +
         " waits at __syncthreads and " + (at_warp.empty() ? std::string("no thread") : at_warp) +
         " at a warp shuffle, vote or __syncwarp whose lanes never all arrive";
}

// Runs one block to completion; returns an error message or "".
std::string runBlock(Block &b, unsigned int threads) {
  b.fibers.clear();
  b.fibers.resize(threads);  // no reallocation below: fibers point into it
  b.warps.assign((threads + 31) / 32, Warp{});
  const dim3 dim = identity.block_dim;
  for (unsigned int i = 0; i < threads; ++i) {
    Fiber &f = b.fibers[i];
    f.linear = i;
    f.thread_idx = {i % dim.x, (i / dim.x) % dim.y, i / (dim.x * dim.y)};
    f.context = bctx::fiber(std::allocator_arg, PooledStack{},
                            [&b, &f](bctx::fiber &&caller) {
                              b.from->context = std::move(caller);
                              b.entry(b.args);
                              f.wait = Wait::kDone;
                              // Returning a continuation resumes it.
                              Fiber &next = nextInPass(b);
                              prepareSwitch(b, f, next);
                              return std::move(next.context);
                            });
  }
  for (;;) {
    b.cursor = 0;
    if (b.warp_serial) b.active_warp = firstRunnableWarp(b);
    Fiber &first = nextInPass(b);
    if (&first != &b.scheduler) switchTo(b, b.scheduler, first);
    bool released = false;
    if (b.warp_serial) {
      // One warp at a time, the first that can go: it runs on alone.
      for (size_t w = 0; w < b.warps.size() && !released; ++w) released = releaseWarp(b, w);
      if (released || firstRunnableWarp(b) < b.warps.size()) continue;
    } else {
      for (size_t w = 0; w < b.warps.size(); ++w) released |= releaseWarp(b, w);
      if (released) continue;
    }
    size_t live = 0, at_barrier = 0;
    for (const Fiber &f : b.fibers) {
      live += f.wait != Wait::kDone;
      at_barrier += f.wait == Wait::kBlockBarrier;
    }
    if (live == 0) return "";
    if (at_barrier != live) {
      std::string message = describeHang(b);
      b.fibers.clear();  // unwinds the suspended fibers
      return message;
    }
    for (Fiber &f : b.fibers) {
      if (f.wait == Wait::kBlockBarrier) f.wait = Wait::kRunnable;
    }
  }
}

}  // namespace

void syncthreads() { suspend(Wait::kBlockBarrier); }

const Exchange &warpExchange(unsigned int mask, unsigned long long value) {
  Block &b = *t_block;
  Fiber &f = *b.current;
  Warp &warp = b.warps[f.linear / 32];
  const unsigned int lane = f.linear % 32;
  Exchange &round = warp.rounds[warp.current];
  round.values[lane] = value;
  round.valid |= 1u << lane;
  f.mask = mask;
  suspend(Wait::kWarpBarrier);
  return warp.rounds[f.round];
}

unsigned int liveLanes() {
  const Block &b = *t_block;
  const size_t first = b.current->linear / 32 * 32;
  const size_t lanes = std::min<size_t>(32, b.fibers.size() - first);
  unsigned int live = 0;
  for (size_t lane = 0; lane < lanes; ++lane) {
    if (b.fibers[first + lane].wait != Wait::kDone) live |= 1u << lane;
  }
  return live;
}

}  // namespace lfm_emu

// Runs blocks [begin, end) (linear, x fastest) of a launch of `entry` with
// grid (gx, gy, gz) and block (bx, by, bz). Returns 0, or 1 with a message
// in `error`.
extern "C" __attribute__((visibility("default"))) int lfm_emu_run_blocks(
    void (*entry)(const void *), const void *args, unsigned int gx, unsigned int gy,
    unsigned int gz, unsigned int bx, unsigned int by, unsigned int bz, long long begin,
    long long end, char *error, unsigned long error_size) {
  using namespace lfm_emu;
  Block block;
  block.entry = entry;
  block.args = args;
  readSchedule(block);
  Block *outer = t_block;
  t_block = &block;
  identity.grid_dim = {gx, gy, gz};
  identity.block_dim = {bx, by, bz};
  const unsigned int threads = bx * by * bz;
  int status = 0;
  try {
    for (long long id = begin; id < end && status == 0; ++id) {
      const unsigned long long linear = static_cast<unsigned long long>(id);
      identity.block_idx = {static_cast<unsigned int>(linear % gx),
                            static_cast<unsigned int>(linear / gx % gy),
                            static_cast<unsigned int>(linear / gx / gy)};
      std::string message = runBlock(block, threads);
      if (!message.empty()) {
        std::snprintf(error, error_size, "block (%u, %u, %u): %s", identity.block_idx.x,
                      identity.block_idx.y, identity.block_idx.z, message.c_str());
        status = 1;
      }
    }
  } catch (const std::exception &e) {
    std::snprintf(error, error_size, "%s", e.what());
    status = 1;
  }
  t_block = outer;
  return status;
}
