// What turns a model's token ids into text and back: the tokenizer, the
// chat template and the generation defaults, built from the checkpoint's
// text files (a model folder's, or those an artifact carries). lfm-run,
// lfm-tokenize and the server share it.
//
// Chat prompts: the template emits BOS itself, so the rendered chat is
// tokenized without adding special tokens (what transformers does).
#ifndef LFM_TEXTMODEL_H
#define LFM_TEXTMODEL_H

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lfm/ChatTemplate.h"
#include "lfm/GenerationConfig.h"
#include "lfm/Tokenizer.h"
#include "lfm/TokenizerFiles.h"
#include "nlohmann/json.hpp"

namespace lfm {

struct TextModel {
  std::unique_ptr<Tokenizer> tokenizer;
  std::optional<ChatTemplate> chat_template;  // none: the files have no chat_template
  GenerationConfig generation;                // defaults when there is no generation_config.json

  // The ids generation stops at: generation_config's EOS ids, the
  // tokenizer's EOS token and `config_eos` (the model config's; -1: none),
  // each once.
  std::vector<int32_t> eosIds(int64_t config_eos) const;

  // messages/tools in OpenAI form (tools null: none).
  absl::StatusOr<std::string> renderChat(const nlohmann::json &messages,
                                         const nlohmann::json &tools,
                                         bool add_generation_prompt = true) const;
};

// `origin` names where the files came from, for messages. An error when
// there is no tokenizer.json or it (or the template) is not supported.
absl::StatusOr<TextModel> loadTextModel(const TokenizerFiles &files, const std::string &origin);

}  // namespace lfm

#endif  // LFM_TEXTMODEL_H
