// CUDA graphs of decode steps, recorded once and replayed.
//
// A decode step (every sequence one token, logits for every row) launches
// the same ~100 kernels each time; replaying them as one graph removes the
// per-launch CPU cost that otherwise dominates small-batch decode.
//
// A graph bakes in every launch's grid and its LfmKernelArgs (passed by
// value), so a replay is valid only for steps whose arguments are all the
// same. The cuda device makes that so:
//   - every buffer is at a fixed address: weights, the activation arena,
//     the scratch buffers, the state pool of the step (graphs live in the
//     pool's CudaState, so another pool records its own), and the step
//     inputs, which are copied before each replay into a device input area
//     of fixed address;
//   - the sizes in the args are T = N = R = the sequence count, and
//     max_context rounded up to a multiple of kContextBucket (capped at the
//     pool's max_seq_len). Rounding up is sound because max_context is only
//     an upper bound for the grid: kernels already handle every sequence but
//     the longest being shorter than max_context (lfm/KernelAbi.h).
// So graphs are keyed by (N, max_context bucket) and recorded on first use.
// The device's scratch epoch joins the key: when it reallocates launch
// scratch, older graphs point at freed memory and are never replayed.
// LFM_CUDA_GRAPHS=0 turns graphs off (every step launches directly), which
// the GPU tests use to check that both paths give the same logits.
#ifndef LFM_RUNTIME_CUDA_DECODEGRAPHS_H
#define LFM_RUNTIME_CUDA_DECODEGRAPHS_H

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <tuple>

#include "absl/status/status.h"
#include "cuda/CudaContext.h"

namespace lfm::cuda {

inline constexpr int64_t kContextBucket = 256;

// max_context rounded up to its bucket, at most max_seq_len.
int64_t bucketContext(int64_t max_context, int64_t max_seq_len);

// Whether graphs are on: LFM_CUDA_GRAPHS unset or not "0".
bool decodeGraphsEnabled();

class DecodeGraphs {
 public:
  struct Key {
    int64_t seqs = 0;
    int64_t context_bucket = 0;
    uint64_t epoch = 0;
    bool operator<(const Key &o) const {
      return std::tie(seqs, context_bucket, epoch) < std::tie(o.seqs, o.context_bucket, o.epoch);
    }
  };

  explicit DecodeGraphs(std::shared_ptr<CudaContext> ctx) : ctx_(std::move(ctx)) {}
  ~DecodeGraphs() { clear(); }
  DecodeGraphs(const DecodeGraphs &) = delete;
  DecodeGraphs &operator=(const DecodeGraphs &) = delete;

  // Replays the graph for `key` on `stream`, recording it first by calling
  // `enqueue` (which issues the step's launches on `stream`) under stream
  // capture when there is none yet.
  absl::Status launch(const Key &key, CUstream stream,
                      const std::function<absl::Status()> &enqueue);

  size_t size() const { return graphs_.size(); }
  void clear();

 private:
  // Past this many graphs the cache starts over: a bound on device memory
  // for long runs over many batch sizes and contexts.
  static constexpr size_t kMaxGraphs = 256;

  std::shared_ptr<CudaContext> ctx_;
  std::map<Key, CUgraphExec> graphs_;
};

}  // namespace lfm::cuda

#endif  // LFM_RUNTIME_CUDA_DECODEGRAPHS_H
