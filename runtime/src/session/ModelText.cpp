// A loaded model's text side: the tokenizer files a tool was told to use
// (--tokenizer) or, without them, the ones the model carries.
#include "lfm/Runtime.h"
#include "lfm/StatusMacros.h"

namespace lfm {

absl::StatusOr<std::optional<TextModel>> loadModelText(const TokenizerFiles &model_files,
                                                       const std::string &origin,
                                                       const std::string &tokenizer_path) {
  if (!tokenizer_path.empty()) {
    LFM_ASSIGN_OR_RETURN(TokenizerFiles files, readTokenizerFilesAt(tokenizer_path));
    LFM_ASSIGN_OR_RETURN(TextModel text, loadTextModel(files, tokenizer_path));
    return std::optional<TextModel>(std::move(text));
  }
  if (model_files.tokenizer_json.empty()) return std::optional<TextModel>();
  LFM_ASSIGN_OR_RETURN(TextModel text, loadTextModel(model_files, origin));
  return std::optional<TextModel>(std::move(text));
}

absl::StatusOr<std::optional<TextModel>> loadModelText(const LoadedModel &model,
                                                       const std::string &tokenizer_path) {
  return loadModelText(model.tokenizer, model.tokenizer_origin, tokenizer_path);
}

}  // namespace lfm
