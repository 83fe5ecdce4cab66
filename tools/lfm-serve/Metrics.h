// GET /metrics: the engine's stats and the server's response counts in the
// Prometheus text exposition format (0.0.4), written by hand (Debian 12 has
// no prometheus-cpp).
#ifndef LFM_TOOLS_LFMSERVE_METRICS_H
#define LFM_TOOLS_LFMSERVE_METRICS_H

#include <cstdint>
#include <map>
#include <string>

#include "lfm/ServeStats.h"

namespace lfm::tools {

struct ServerCounters {
  std::map<int, uint64_t> responses_by_status;  // HTTP status -> responses
  bool ready = false;
};

std::string prometheusText(const EngineStats *engine, const ServerCounters &server);

}  // namespace lfm::tools

#endif  // LFM_TOOLS_LFMSERVE_METRICS_H
