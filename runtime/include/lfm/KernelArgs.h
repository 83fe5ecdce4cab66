// KernelArgs.h: LfmKernelArgs, the one argument of every generated kernel
// (see lfm/KernelAbi.h for the contract). This is its only definition: the
// host includes this file (through KernelAbi.h) and the build splices it, as
// it is, into the device prelude (codegen/cuda/prelude/lfm_device.cuh) where
// that file includes it. So it is plain C++ that NVRTC, the emu's host
// compiler and the runtime all accept: no headers, built-in integer types,
// global scope.
#ifndef LFM_KERNELARGS_H
#define LFM_KERNELARGS_H

#define LFM_MAX_KERNEL_BUFFERS 16
struct LfmKernelArgs {
  void *buf[LFM_MAX_KERNEL_BUFFERS];  // the launch's operands, then its results
  int num_tokens;      // T: tokens in this step
  int num_seqs;        // N: sequences in this step
  int num_logit_rows;  // R: rows whose logits are computed
  int max_seq_len;     // KV-cache capacity per slot
  int max_context;     // max over sequences of start_pos + tokens
  int num_slots;       // slots in the state pools
  void *scratch;       // per-launch scratch, scratch_bytes long (may be null)
  long long scratch_bytes;
};
static_assert(sizeof(void *) == 8, "the kernel ABI assumes 64-bit pointers");
static_assert(sizeof(int) == 4 && sizeof(long long) == 8, "the kernel ABI's integer widths");
static_assert(sizeof(LfmKernelArgs) == 16 * 8 + 6 * 4 + 8 + 8, "LfmKernelArgs size");
#if !defined(__CUDACC_RTC__)  // NVRTC has no offsetof; the host builds check
static_assert(__builtin_offsetof(LfmKernelArgs, num_tokens) == 128, "LfmKernelArgs layout");
static_assert(__builtin_offsetof(LfmKernelArgs, num_slots) == 148, "LfmKernelArgs layout");
static_assert(__builtin_offsetof(LfmKernelArgs, scratch) == 152, "LfmKernelArgs layout");
static_assert(__builtin_offsetof(LfmKernelArgs, scratch_bytes) == 160, "LfmKernelArgs layout");
#endif

#endif  // LFM_KERNELARGS_H
