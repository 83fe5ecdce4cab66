// The text files of a checkpoint that the text layer reads, by content:
// tokenizer.json (HF `tokenizers` format), tokenizer_config.json (BOS/EOS,
// add_bos_token, chat template) and generation_config.json (EOS ids,
// sampling defaults). An artifact carries them (Artifact::tokenizer), so an
// --embed-weights artifact is a complete model in one file.
#ifndef LFM_TOKENIZERFILES_H
#define LFM_TOKENIZERFILES_H

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace lfm {

struct TokenizerFiles {
  std::string tokenizer_json;          // empty: none
  std::string tokenizer_config_json;   // empty: none
  std::string generation_config_json;  // empty: none

  bool empty() const {
    return tokenizer_json.empty() && tokenizer_config_json.empty() &&
           generation_config_json.empty();
  }
  bool operator==(const TokenizerFiles &) const = default;
};

// Each file of a model folder that is there; none there is an empty result.
// A file that cannot be read, or is larger than kMaxTokenizerFileBytes, is
// an error naming it.
absl::StatusOr<TokenizerFiles> readTokenizerFiles(const std::string &dir);

// The files of `path`: a model folder (as readTokenizerFiles), a
// tokenizer.json alone (its siblings tokenizer_config.json and
// generation_config.json are read too when present), or a GGUF (the files
// its tokenizer.ggml.* metadata stands for, lfm/GgufLfm2.h: an Unimplemented
// error when that tokenizer is of a kind lfm does not read).
absl::StatusOr<TokenizerFiles> readTokenizerFilesAt(const std::string &path);

// Each present file is a JSON object of at most kMaxTokenizerFileBytes.
// `where` prefixes messages ("artifact 'm.lfma': tokenizer").
absl::Status verifyTokenizerFiles(const TokenizerFiles &files, const std::string &where);

// Far above a real tokenizer.json (LFM2's is ~4.7 MB; the largest public
// ones are ~35 MB).
inline constexpr size_t kMaxTokenizerFileBytes = size_t{256} << 20;

}  // namespace lfm

#endif  // LFM_TOKENIZERFILES_H
