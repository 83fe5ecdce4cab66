// A Hugging Face checkpoint: one safetensors file, or a folder with
// model.safetensors or with shards listed in model.safetensors.index.json.
#include <sys/stat.h>


#include "absl/strings/str_cat.h"
#include "lfm/Gguf.h"
#include "lfm/GgufLfm2.h"
#include "lfm/JsonNesting.h"
#include "lfm/ReadFile.h"
#include "lfm/Safetensors.h"
#include "lfm/StatusMacros.h"
#include "nlohmann/json.hpp"

namespace lfm {
namespace {

constexpr const char *kSingleFile = "model.safetensors";
constexpr const char *kIndexFile = "model.safetensors.index.json";
constexpr uint64_t kMaxIndexBytes = 100'000'000;

bool isRegularFile(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// A shard name from the index must name a file in the checkpoint folder
// itself: a hostile index must not reach elsewhere on disk.
bool isPlainFileName(const std::string &name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
         name.find('\\') == std::string::npos;
}

}  // namespace

absl::StatusOr<Checkpoint> Checkpoint::open(const std::string &path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    return absl::NotFoundError(absl::StrCat("checkpoint '", path, "' does not exist"));
  if (!S_ISDIR(st.st_mode)) {
    if (looksLikeGguf(path)) return openGguf(path);
    LFM_ASSIGN_OR_RETURN(SafetensorsFile file, SafetensorsFile::open(path));
    std::map<std::string, size_t, std::less<>> index;
    for (const auto &[name, tensor] : file.tensors()) index.emplace(name, 0);
    std::vector<SafetensorsFile> files;
    files.push_back(std::move(file));
    return Checkpoint(path, std::move(files), std::move(index));
  }

  std::string single = path + "/" + kSingleFile;
  if (isRegularFile(single)) {
    LFM_ASSIGN_OR_RETURN(Checkpoint checkpoint, Checkpoint::open(single));
    checkpoint.path_ = path;
    return checkpoint;
  }
  std::string index_path = path + "/" + kIndexFile;
  if (!isRegularFile(index_path))
    return absl::NotFoundError(absl::StrCat("checkpoint folder '", path, "' has neither ",
                                            kSingleFile, " nor ", kIndexFile));
  auto bad_index = [&](auto &&...why) {
    return absl::InvalidArgumentError(absl::StrCat("'", index_path, "': ", why...));
  };
  std::string text;
  LFM_ASSIGN_OR_RETURN(text, readFileToString(index_path, kMaxIndexBytes));
  LFM_RETURN_IF_ERROR(checkJsonNesting(text, absl::StrCat("'", index_path, "'")));
  nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return bad_index("not valid JSON");
  if (!json.is_object()) return bad_index("not a JSON object");
  auto weight_map = json.find("weight_map");
  if (weight_map == json.end() || !weight_map->is_object())
    return bad_index("missing the \"weight_map\" object");

  std::vector<SafetensorsFile> files;
  std::map<std::string, size_t, std::less<>> file_positions;
  std::map<std::string, size_t, std::less<>> index;
  for (const auto &[tensor, file_name] : weight_map->items()) {
    if (!file_name.is_string()) return bad_index("weight_map[\"", tensor, "\"] is not a file name");
    const std::string &name = file_name.get_ref<const std::string &>();
    if (!isPlainFileName(name))
      return bad_index("weight_map[\"", tensor, "\"] = \"", name, "\" is not a file in the folder");
    auto [it, inserted] = file_positions.emplace(name, files.size());
    if (inserted) {
      auto shard = SafetensorsFile::open(path + "/" + name);
      if (!shard.ok())
        return absl::Status(shard.status().code(),
                            absl::StrCat("checkpoint '", path, "': shard '", name, "' listed in ",
                                         kIndexFile, ": ", shard.status().message()));
      files.push_back(*std::move(shard));
    }
    if (files[it->second].find(tensor) == nullptr)
      return absl::DataLossError(absl::StrCat("checkpoint '", path, "': ", kIndexFile,
                                              " puts tensor '", tensor, "' in '", name,
                                              "', which does not contain it"));
    index.emplace(tensor, it->second);
  }
  return Checkpoint(path, std::move(files), std::move(index));
}

absl::StatusOr<Checkpoint> Checkpoint::openGguf(const std::string &path) {
  LFM_ASSIGN_OR_RETURN(std::shared_ptr<const GgufFile> gguf, GgufFile::open(path));
  Checkpoint checkpoint(path, {}, {});
  LFM_ASSIGN_OR_RETURN(checkpoint.gguf_tensors_, lfm2CheckpointTensors(*gguf));
  checkpoint.gguf_ = std::move(gguf);
  return checkpoint;
}

absl::StatusOr<const SafetensorsTensor *> Checkpoint::tensor(std::string_view name) const {
  if (gguf_) {
    auto it = gguf_tensors_.find(name);
    if (it != gguf_tensors_.end()) return &it->second;
  }
  auto it = index_.find(name);
  if (it == index_.end())
    return absl::NotFoundError(
        absl::StrCat("tensor '", std::string(name), "' is not in checkpoint '", path_, "'"));
  return files_[it->second].find(name);
}

std::string Checkpoint::fileOf(std::string_view name) const {
  if (gguf_) return gguf_tensors_.count(name) ? path_ : std::string();
  auto it = index_.find(name);
  return it == index_.end() ? std::string() : files_[it->second].path();
}

std::vector<std::string> Checkpoint::tensorNames() const {
  std::vector<std::string> names;
  for (const auto &[name, file] : index_) names.push_back(name);
  for (const auto &[name, tensor] : gguf_tensors_) names.push_back(name);
  return names;
}

}  // namespace lfm
