// tokenizer.json's post_processor, for one sequence with special tokens:
// the ids it puts before and after. TemplateProcessing (the single
// template), ByteLevel (nothing), BertProcessing and RobertaProcessing
// ([cls] A [sep]), a Sequence of these, or null (nothing).
#ifndef LFM_TEXT_POSTPROCESSOR_H
#define LFM_TEXT_POSTPROCESSOR_H

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "text/JsonFields.h"

namespace lfm::text {

struct PostProcessor {
  std::vector<int32_t> prefix, suffix;
};

absl::StatusOr<PostProcessor> parsePostProcessor(const Json *json, const JsonFields &fields);

}  // namespace lfm::text

#endif  // LFM_TEXT_POSTPROCESSOR_H
