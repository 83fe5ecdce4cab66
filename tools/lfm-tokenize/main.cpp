// lfm-tokenize: text to token ids and back with a model's tokenizer, and its
// chat template rendered, exactly as Hugging Face transformers does them.
//
//   lfm-tokenize MODEL_DIR < text.txt             ids, as tokenizer(text)
//   lfm-tokenize MODEL_DIR --decode < ids.txt     text, as tokenizer.decode(ids)
//   lfm-tokenize MODEL_DIR --chat chat.json       the rendered chat prompt
//   lfm-tokenize MODEL.gguf < text.txt            the same with a GGUF's tokenizer
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "ArgParser.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "lfm/Artifact.h"
#include "lfm/Gguf.h"
#include "lfm/JsonNesting.h"
#include "lfm/ReadFile.h"
#include "lfm/StatusMacros.h"
#include "lfm/TextModel.h"
#include "nlohmann/json.hpp"

namespace lfm::tools {
namespace {

constexpr uint64_t kMaxChatFileBytes = uint64_t{64} << 20;

ArgParser makeParser() {
  ArgParser p;
  p.addFlag("no-special", "Add no special tokens (BOS) when encoding: tokenizer(text, add_special_tokens=False).");
  p.addFlag("decode", "Read comma-separated token ids on stdin and print their text.");
  p.addFlag("skip-special", "With --decode: leave special tokens out of the text.");
  p.addOption("chat", "FILE.json",
              "Render {\"messages\": [...], \"tools\": [...]} (OpenAI form) with the model's chat "
              "template, with the assistant's generation prompt, and print the prompt text.");
  p.addFlag("ids", "With --chat: print the rendered prompt's ids (tokenized without adding BOS: the template has it).");
  p.addFlag("help", "Show this help (also -h).");
  return p;
}

std::string help() {
  return absl::StrCat(
      "usage: lfm-tokenize SRC [--no-special | --decode [--skip-special] | --chat FILE.json [--ids]]\n\n"
      "SRC is a model folder (tokenizer.json, tokenizer_config.json), a tokenizer.json, a GGUF\n"
      "(its tokenizer.ggml.* metadata), or an .lfma artifact that carries its tokenizer. The whole of stdin is the text, byte for byte\n"
      "(a trailing newline is part of it); the ids print comma-separated on one line. Errors\n"
      "exit 1 with a message.\n\noptions:\n",
      makeParser().optionsHelp());
}

absl::StatusOr<TokenizerFiles> filesOf(const std::string &src) {
  if (absl::EndsWith(src, ".lfma")) {
    LFM_ASSIGN_OR_RETURN(Artifact artifact, readArtifact(src));
    if (artifact.tokenizer.tokenizer_json.empty())
      return absl::FailedPreconditionError(absl::StrCat(src, " carries no tokenizer"));
    return artifact.tokenizer;
  }
  LFM_ASSIGN_OR_RETURN(TokenizerFiles files, readTokenizerFilesAt(src));
  if (files.tokenizer_json.empty())
    return absl::NotFoundError(absl::StrCat(
        src, isGgufPath(src) ? ": has no tokenizer (no tokenizer.ggml.model)"
                             : ": no tokenizer.json there"));
  return files;
}

absl::StatusOr<std::vector<int32_t>> parseIds(const std::string &text) {
  std::vector<int32_t> ids;
  absl::string_view body = absl::StripAsciiWhitespace(text);
  if (body.empty()) return ids;
  int index = 0;
  for (absl::string_view item : absl::StrSplit(body, ',')) {
    int32_t id;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(item), &id) || id < 0)
      return absl::InvalidArgumentError(
          absl::StrCat("stdin: item ", index, ": '", item, "' is not a token id"));
    ids.push_back(id);
    ++index;
  }
  return ids;
}

absl::Status run(int argc, char **argv) {
  ArgParser p = makeParser();
  LFM_RETURN_IF_ERROR(p.parse(argc, argv));
  if (p.has("help")) {
    std::cout << help();
    return absl::OkStatus();
  }
  if (p.positional().size() != 1)
    return absl::InvalidArgumentError(
        absl::StrCat("expected one SRC (model folder, tokenizer.json, .gguf or .lfma), got ",
                     p.positional().size()));
  const std::string src = p.positional()[0];
  if (p.has("decode") && p.has("chat")) return absl::InvalidArgumentError("give --decode or --chat, not both");
  if (p.has("ids") && !p.has("chat")) return absl::InvalidArgumentError("--ids goes with --chat");
  if (p.has("skip-special") && !p.has("decode")) return absl::InvalidArgumentError("--skip-special goes with --decode");
  LFM_ASSIGN_OR_RETURN(TokenizerFiles files, filesOf(src));
  LFM_ASSIGN_OR_RETURN(TextModel text, loadTextModel(files, src));

  if (std::optional<std::string> chat_file = p.value("chat")) {
    LFM_ASSIGN_OR_RETURN(std::string body, readFileToString(*chat_file, kMaxChatFileBytes));
    LFM_RETURN_IF_ERROR(checkJsonNesting(body, *chat_file));
    nlohmann::json chat = nlohmann::json::parse(body, nullptr, false);
    if (chat.is_discarded()) return absl::InvalidArgumentError(absl::StrCat(*chat_file, ": not valid JSON"));
    if (!chat.is_object() || !chat.contains("messages") || !chat["messages"].is_array())
      return absl::InvalidArgumentError(
          absl::StrCat(*chat_file, ": expected {\"messages\": [...], \"tools\": [...]}"));
    nlohmann::json tools = chat.value("tools", nlohmann::json());
    if (!tools.is_null() && !tools.is_array())
      return absl::InvalidArgumentError(absl::StrCat(*chat_file, ": tools: expected a list"));
    LFM_ASSIGN_OR_RETURN(std::string rendered, text.renderChat(chat["messages"], tools));
    if (!p.has("ids")) {
      std::cout << rendered;
    } else {
      LFM_ASSIGN_OR_RETURN(std::vector<int32_t> ids, text.tokenizer->encode(rendered, false));
      std::cout << absl::StrJoin(ids, ",") << "\n";
    }
    return absl::OkStatus();
  }

  std::string input(std::istreambuf_iterator<char>(std::cin), {});
  if (p.has("decode")) {
    LFM_ASSIGN_OR_RETURN(std::vector<int32_t> ids, parseIds(input));
    LFM_ASSIGN_OR_RETURN(std::string decoded, text.tokenizer->decode(ids, p.has("skip-special")));
    std::cout << decoded;
    return absl::OkStatus();
  }
  LFM_ASSIGN_OR_RETURN(std::vector<int32_t> ids, text.tokenizer->encode(input, !p.has("no-special")));
  std::cout << absl::StrJoin(ids, ",") << "\n";
  return absl::OkStatus();
}

}  // namespace
}  // namespace lfm::tools

int main(int argc, char **argv) {
  absl::Status status = lfm::tools::run(argc, argv);
  std::cout.flush();
  if (!status.ok()) {
    std::cerr << "lfm-tokenize: error: " << status.message() << "\n";
    return 1;
  }
  return std::cout.good() ? 0 : 1;
}
