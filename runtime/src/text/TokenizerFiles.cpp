#include "lfm/TokenizerFiles.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "lfm/Gguf.h"
#include "lfm/GgufLfm2.h"
#include "lfm/JsonNesting.h"
#include "lfm/ReadFile.h"
#include "lfm/StatusMacros.h"
#include "nlohmann/json.hpp"

namespace lfm {
namespace {

namespace fs = std::filesystem;

// The file's text, or empty when it is not there.
absl::StatusOr<std::string> readIfPresent(const fs::path &path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::string();
  return readFileToString(path.string(), kMaxTokenizerFileBytes);
}

absl::StatusOr<TokenizerFiles> readBeside(const fs::path &dir, const fs::path &tokenizer_json) {
  TokenizerFiles files;
  LFM_ASSIGN_OR_RETURN(files.tokenizer_json, readIfPresent(tokenizer_json));
  LFM_ASSIGN_OR_RETURN(files.tokenizer_config_json, readIfPresent(dir / "tokenizer_config.json"));
  LFM_ASSIGN_OR_RETURN(files.generation_config_json,
                       readIfPresent(dir / "generation_config.json"));
  return files;
}

absl::Status verifyOne(const std::string &text, const char *name, const std::string &where) {
  if (text.empty()) return absl::OkStatus();
  if (text.size() > kMaxTokenizerFileBytes)
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", name, ": ", text.size(),
                                                   " bytes, at most ", kMaxTokenizerFileBytes));
  LFM_RETURN_IF_ERROR(checkJsonNesting(text, absl::StrCat(where, ": ", name)));
  nlohmann::json value = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded())
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", name, ": not valid JSON"));
  if (!value.is_object())
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", name, ": not a JSON object"));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<TokenizerFiles> readTokenizerFiles(const std::string &dir) {
  return readBeside(dir, fs::path(dir) / "tokenizer.json");
}

absl::StatusOr<TokenizerFiles> readTokenizerFilesAt(const std::string &path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return readTokenizerFiles(path);
  if (isGgufPath(path)) {
    LFM_ASSIGN_OR_RETURN(std::shared_ptr<const GgufFile> gguf, GgufFile::open(path));
    return tokenizerFilesFromGguf(*gguf);
  }
  if (!fs::exists(path, ec)) return absl::NotFoundError(absl::StrCat("'", path, "' does not exist"));
  fs::path file(path);
  return readBeside(file.parent_path().empty() ? fs::path(".") : file.parent_path(), file);
}

absl::Status verifyTokenizerFiles(const TokenizerFiles &files, const std::string &where) {
  LFM_RETURN_IF_ERROR(verifyOne(files.tokenizer_json, "tokenizer.json", where));
  LFM_RETURN_IF_ERROR(verifyOne(files.tokenizer_config_json, "tokenizer_config.json", where));
  return verifyOne(files.generation_config_json, "generation_config.json", where);
}

}  // namespace lfm
