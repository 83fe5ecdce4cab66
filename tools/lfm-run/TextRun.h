// lfm-run with text: prompts tokenized as transformers' tokenizer(text),
// continuations streamed to stdout as they decode; and --chat, a
// conversation on stdin that stays in its slot between turns.
#ifndef LFM_TOOLS_LFMRUN_TEXTRUN_H
#define LFM_TOOLS_LFMRUN_TEXTRUN_H

#include <iosfwd>
#include <string>
#include <vector>

#include "Generate.h"
#include "absl/status/statusor.h"
#include "lfm/Runtime.h"
#include "lfm/Session.h"
#include "lfm/TextModel.h"

namespace lfm::tools {

// The text files: `tokenizer_path` (--tokenizer) when given, else the
// model's (the artifact's, or its GGUF weights'); an error that says what to
// do when there are none, or why (an unsupported GGUF tokenizer).
absl::StatusOr<TextModel> loadRunTextModel(const std::string &tokenizer_path,
                                           const LoadedModel &model,
                                           const std::string &artifact_path);

// Generates from text prompts. With one prompt and `stream`, the text goes
// to `out` as it decodes; every sequence's text is in the result.
absl::StatusOr<GenerateResult> runTextPrompts(Session &session, const TextModel &text,
                                              const std::vector<std::string> &prompts,
                                              const std::vector<std::string> &stops,
                                              GenerateOptions options, bool stream,
                                              std::ostream &out);

// The interactive chat: one user turn per line of `in`, answers streamed
// to `out`; "/reset" starts over. Ends at the end of `in`.
absl::Status runChat(Session &session, const TextModel &text, const std::string &system,
                     const std::vector<std::string> &stops, GenerateOptions options,
                     std::istream &in, std::ostream &out);

}  // namespace lfm::tools

#endif  // LFM_TOOLS_LFMRUN_TEXTRUN_H
