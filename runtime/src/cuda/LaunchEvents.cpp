// Event recording and elapsed times of timed steps.
#include "cuda/LaunchEvents.h"

#include "absl/strings/str_cat.h"
#include "lfm/StatusMacros.h"

namespace lfm::cuda {

LaunchEvents::~LaunchEvents() {
  if (events_.empty() || !ctx_->makeCurrent().ok()) return;
  for (CUevent e : events_) ctx_->api().cuEventDestroy(e);
}

void LaunchEvents::beginStep(size_t launches) {
  recorded_ = 0;
  launch_of_event_.clear();
  times_.assign(launches, LaunchTime{});
}

absl::Status LaunchEvents::record(CUstream stream) {
  const CudaDriverApi &a = ctx_->api();
  if (recorded_ == events_.size()) {
    CUevent e = nullptr;
    LFM_RETURN_IF_ERROR(ctx_->check(a.cuEventCreate(&e, CU_EVENT_DEFAULT), "cuEventCreate"));
    events_.push_back(e);
  }
  LFM_RETURN_IF_ERROR(ctx_->check(a.cuEventRecord(events_[recorded_], stream), "cuEventRecord"));
  ++recorded_;
  return absl::OkStatus();
}

absl::Status LaunchEvents::beforeLaunch(size_t launch, int32_t kernel, CUstream stream) {
  if (launch >= times_.size()) {
    return absl::InternalError(absl::StrCat("launch timing: launch ", launch, " of a step of ",
                                            times_.size()));
  }
  LFM_RETURN_IF_ERROR(record(stream));
  launch_of_event_.push_back(launch);
  times_[launch].kernel = kernel;
  return absl::OkStatus();
}

absl::Status LaunchEvents::endStep(CUstream stream) {
  return launch_of_event_.empty() ? absl::OkStatus() : record(stream);
}

absl::Status LaunchEvents::collect() {
  if (launch_of_event_.empty()) return absl::OkStatus();
  const CudaDriverApi &a = ctx_->api();
  LFM_RETURN_IF_ERROR(ctx_->check(a.cuEventSynchronize(events_[recorded_ - 1]),
                                  "cuEventSynchronize"));
  for (size_t i = 0; i < launch_of_event_.size(); ++i) {
    float ms = 0;
    LFM_RETURN_IF_ERROR(ctx_->check(a.cuEventElapsedTime(&ms, events_[i], events_[i + 1]),
                                    "cuEventElapsedTime"));
    times_[launch_of_event_[i]].seconds = static_cast<double>(ms) * 1e-3;
  }
  return absl::OkStatus();
}

}  // namespace lfm::cuda
