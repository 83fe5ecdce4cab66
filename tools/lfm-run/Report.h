// lfm-run's outputs: the token lines or the JSON summary on stdout, and the
// logits dump file.
#ifndef LFM_TOOLS_LFMRUN_REPORT_H
#define LFM_TOOLS_LFMRUN_REPORT_H

#include <string>

#include "absl/status/status.h"
#include "Generate.h"

namespace lfm::tools {

// One line per sequence: its generated token ids, comma-separated.
std::string tokenLines(const GenerateResult &result);

struct RunInfo {
  std::string device;
  std::string weights;
  double load_seconds = 0;
};

// {"device":..., "sequences":[{"prompt_tokens":N,"generated":[...],"stop":...}],
//  "prefill":{"tokens","steps","seconds","tokens_per_second"}, "decode":{...}}
std::string jsonSummary(const GenerateResult &result, const RunInfo &info);

// Writes every sequence's kept logits rows, in sequence order, as float32
// little-endian (the host order, checked).
absl::Status dumpLogits(const GenerateResult &result, const std::string &path);

}  // namespace lfm::tools

#endif  // LFM_TOOLS_LFMRUN_REPORT_H
