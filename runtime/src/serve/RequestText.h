// One request's generated text as its tokens arrive: the streaming
// detokenizer (special tokens skipped), then the stop strings, so that a
// stop string split across tokens is still found and never reaches the
// output.
#ifndef LFM_SERVE_REQUESTTEXT_H
#define LFM_SERVE_REQUESTTEXT_H

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lfm/StopStrings.h"
#include "lfm/Tokenizer.h"

namespace lfm::serve {

class RequestText {
 public:
  RequestText(const Tokenizer &tokenizer, std::vector<std::string> stops)
      : detok_(tokenizer, /*skip_special_tokens=*/true), stops_(std::move(stops)) {}

  // The text that is now certain. An id that is no token is an error.
  absl::StatusOr<std::string> push(int32_t token);
  // At the end: what was held back (nothing after a stop string).
  std::string finish();
  bool stopped() const { return stops_.stopped(); }

 private:
  StreamingDetokenizer detok_;
  StopStrings stops_;
};

}  // namespace lfm::serve

#endif  // LFM_SERVE_REQUESTTEXT_H
