// Progress of long weight work on stderr, a line per ~10%.
#include <chrono>
#include <cstdio>
#include <memory>

#include "lfm/WeightLoader.h"

namespace lfm {

ProgressFn stderrProgress(std::string what, int64_t quiet_below_bytes) {
  struct State {
    int last_decile = 0;
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  };
  auto state = std::make_shared<State>();
  return [what = std::move(what), quiet_below_bytes, state](int64_t done, int64_t total) {
    if (total <= 0 || total < quiet_below_bytes) return;
    int decile = static_cast<int>(done * 10 / total);
    if (decile <= state->last_decile) return;
    state->last_decile = decile;
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - state->start).count();
    std::fprintf(stderr, "lfm: %s: %3d%% (%.0f of %.0f MB, %.1f s)\n", what.c_str(), decile * 10,
                 done / 1e6, total / 1e6, seconds);
  };
}

}  // namespace lfm
