#include "lfm/TextModel.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "lfm/StatusMacros.h"

namespace lfm {

std::vector<int32_t> TextModel::eosIds(int64_t config_eos) const {
  std::vector<int32_t> ids = generation.eos_token_ids;
  if (std::optional<int32_t> eos = tokenizer->eosId()) ids.push_back(*eos);
  if (config_eos >= 0) ids.push_back(static_cast<int32_t>(config_eos));
  std::vector<int32_t> unique;
  for (int32_t id : ids)
    if (std::find(unique.begin(), unique.end(), id) == unique.end()) unique.push_back(id);
  return unique;
}

absl::StatusOr<std::string> TextModel::renderChat(const nlohmann::json &messages,
                                                  const nlohmann::json &tools,
                                                  bool add_generation_prompt) const {
  if (!chat_template)
    return absl::FailedPreconditionError(
        "the model has no chat template (tokenizer_config.json: chat_template)");
  return chat_template->render(chatContext(messages, tools, add_generation_prompt,
                                           tokenizer->bosToken(), tokenizer->eosToken()));
}

absl::StatusOr<TextModel> loadTextModel(const TokenizerFiles &files, const std::string &origin) {
  if (files.tokenizer_json.empty())
    return absl::NotFoundError(absl::StrCat(origin, ": no tokenizer.json"));
  TextModel model;
  LFM_ASSIGN_OR_RETURN(model.tokenizer,
                       Tokenizer::create(files.tokenizer_json, files.tokenizer_config_json,
                                         absl::StrCat(origin, ": tokenizer.json")));
  if (!model.tokenizer->chatTemplate().empty()) {
    LFM_ASSIGN_OR_RETURN(ChatTemplate tmpl,
                         ChatTemplate::create(model.tokenizer->chatTemplate(),
                                              absl::StrCat(origin, ": tokenizer_config.json: chat_template")));
    model.chat_template = std::move(tmpl);
  }
  if (!files.generation_config_json.empty()) {
    LFM_ASSIGN_OR_RETURN(model.generation,
                         parseGenerationConfig(files.generation_config_json,
                                               absl::StrCat(origin, ": generation_config.json")));
  }
  return model;
}

}  // namespace lfm
