// Formatting of StepProfile.
#include "ProfileReport.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace lfm::tools {
namespace {

double percent(double part, double whole) { return whole > 0 ? 100.0 * part / whole : 0; }

}  // namespace

std::string profileTable(const StepProfile &p, double peak) {
  std::string out = absl::StrFormat(
      "profile %s: %d token(s) x %d step(s), context %.0f: %.1f us/step, launches %.1f us "
      "(%.0f%%)\n",
      p.phase, p.tokens, p.steps, p.context, p.step_seconds * 1e6, p.launch_seconds * 1e6,
      percent(p.launch_seconds, p.step_seconds));
  size_t width = 6;
  for (const KernelProfile &k : p.kernels) width = std::max(width, k.name.size());
  const int w = static_cast<int>(width);
  absl::StrAppend(&out, absl::StrFormat("  %-*s %8s %11s %6s %10s %9s%s\n", w, "kernel",
                                        "launches", "us/step", "%step", "weight MB", "GB/s",
                                        peak > 0 ? "  %peak" : ""));
  for (const KernelProfile &k : p.kernels) {
    absl::StrAppend(&out, absl::StrFormat("  %-*s %8.1f %11.1f %6.1f", w, k.name, k.launches,
                                          k.seconds * 1e6, percent(k.seconds, p.step_seconds)));
    if (k.weight_bytes > 0) {
      const double bw = k.weightBytesPerSecond();
      absl::StrAppend(&out, absl::StrFormat(" %10.3f %9.1f", k.weight_bytes / 1e6, bw / 1e9));
      if (peak > 0) absl::StrAppend(&out, absl::StrFormat(" %7.1f", percent(bw, peak)));
    }
    absl::StrAppend(&out, "\n");
  }
  return out;
}

nlohmann::json profileJson(const std::vector<StepProfile> &profiles, double peak) {
  nlohmann::json out = nlohmann::json::object();
  for (const StepProfile &p : profiles) {
    nlohmann::json kernels = nlohmann::json::array();
    for (const KernelProfile &k : p.kernels) {
      const double bw = k.weightBytesPerSecond();
      nlohmann::json j = {{"name", k.name},
                          {"launches_per_step", k.launches},
                          {"us_per_step", k.seconds * 1e6},
                          {"percent_of_step", percent(k.seconds, p.step_seconds)},
                          {"weight_bytes_per_step", k.weight_bytes}};
      if (k.weight_bytes > 0) {
        j["weight_gbps"] = bw / 1e9;
        j["peak_percent"] = peak > 0 ? nlohmann::json(percent(bw, peak)) : nlohmann::json();
      }
      kernels.push_back(std::move(j));
    }
    // Decode at batch 1 is "decode", at the largest --batch "decode_batch".
    const std::string key = p.phase == "decode" && p.batch > 1 ? "decode_batch" : p.phase;
    out[key] = {{"batch", p.batch},
                    {"tokens", p.tokens},
                    {"context", p.context},
                    {"steps", p.steps},
                    {"step_us", p.step_seconds * 1e6},
                    {"launch_us", p.launch_seconds * 1e6},
                    {"kernels", std::move(kernels)}};
  }
  return out;
}

}  // namespace lfm::tools
