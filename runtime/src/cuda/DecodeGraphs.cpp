// Stream capture, instantiation and replay of decode-step graphs.
#include "cuda/DecodeGraphs.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "lfm/StatusMacros.h"

namespace lfm::cuda {

int64_t bucketContext(int64_t max_context, int64_t max_seq_len) {
  int64_t rounded = (max_context + kContextBucket - 1) / kContextBucket * kContextBucket;
  return std::max<int64_t>(1, std::min(rounded, max_seq_len));
}

bool decodeGraphsEnabled() {
  const char *env = std::getenv("LFM_CUDA_GRAPHS");
  return env == nullptr || std::strcmp(env, "0") != 0;
}

absl::Status DecodeGraphs::launch(const Key &key, CUstream stream,
                                  const std::function<absl::Status()> &enqueue) {
  const CudaDriverApi &a = ctx_->api();
  auto it = graphs_.find(key);
  if (it == graphs_.end()) {
    if (graphs_.size() >= kMaxGraphs) clear();
    LFM_RETURN_IF_ERROR(ctx_->check(a.cuStreamBeginCapture(stream, CU_STREAM_CAPTURE_MODE_THREAD_LOCAL),
                                    "cuStreamBeginCapture"));
    absl::Status recorded = enqueue();
    // Capture must always be ended, even after an error, or the stream stays
    // unusable.
    CUgraph graph = nullptr;
    CUresult ended = a.cuStreamEndCapture(stream, &graph);
    if (!recorded.ok()) {
      if (graph != nullptr) a.cuGraphDestroy(graph);
      return recorded;
    }
    LFM_RETURN_IF_ERROR(ctx_->check(ended, "cuStreamEndCapture"));
    CUgraphExec exec = nullptr;
    CUresult r = a.cuGraphInstantiate(&exec, graph, 0);
    a.cuGraphDestroy(graph);
    LFM_RETURN_IF_ERROR(ctx_->check(
        r, absl::StrCat("cuGraphInstantiate (decode graph for ", key.seqs, " sequences, context ",
                        key.context_bucket, ")")));
    it = graphs_.emplace(key, exec).first;
  }
  return ctx_->check(a.cuGraphLaunch(it->second, stream), "cuGraphLaunch");
}

void DecodeGraphs::clear() {
  if (!graphs_.empty() && ctx_->makeCurrent().ok()) {
    for (auto &[key, exec] : graphs_) ctx_->api().cuGraphExecDestroy(exec);
  }
  graphs_.clear();
}

}  // namespace lfm::cuda
