#include "TextRun.h"

#include <unistd.h>

#include <iostream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "lfm/StatusMacros.h"
#include "lfm/StopStrings.h"
#include "nlohmann/json.hpp"

namespace lfm::tools {
namespace {

// One sequence's text as it is generated: tokens through the streaming
// detokenizer (special tokens skipped), then the stop strings.
class TextSink {
 public:
  TextSink(const Tokenizer &tokenizer, const std::vector<std::string> &stops)
      : detok_(tokenizer, /*skip_special_tokens=*/true), stops_(stops) {}

  // The new text, and whether generation goes on.
  absl::StatusOr<std::string> push(int32_t token) {
    LFM_ASSIGN_OR_RETURN(std::string piece, detok_.push(token));
    return stops_.push(piece);
  }
  std::string finish() {
    if (stops_.stopped()) return {};
    std::string out = stops_.push(detok_.flush());
    return out + stops_.flush();
  }
  bool stopped() const { return stops_.stopped(); }

 private:
  StreamingDetokenizer detok_;
  StopStrings stops_;
};

// Runs `prompts` with a sink per sequence; text goes to `emit(i, text)`.
absl::StatusOr<GenerateResult> generateText(Session &session, const TextModel &text,
                                            const std::vector<std::vector<int32_t>> &prompts,
                                            const std::vector<std::string> &stops,
                                            GenerateOptions options,
                                            const std::function<void(size_t, const std::string &)> &emit) {
  std::vector<std::unique_ptr<TextSink>> sinks;
  std::vector<std::string> texts(prompts.size());
  for (size_t i = 0; i < prompts.size(); ++i)
    sinks.push_back(std::make_unique<TextSink>(*text.tokenizer, stops));
  absl::Status sink_error;
  options.on_token = [&](size_t i, int32_t token) {
    absl::StatusOr<std::string> piece = sinks[i]->push(token);
    if (!piece.ok()) {
      sink_error = piece.status();
      return false;
    }
    texts[i] += *piece;
    emit(i, *piece);
    return !sinks[i]->stopped();
  };
  LFM_ASSIGN_OR_RETURN(GenerateResult result, generate(session, prompts, options));
  LFM_RETURN_IF_ERROR(sink_error);
  for (size_t i = 0; i < prompts.size(); ++i) {
    std::string rest = sinks[i]->finish();
    texts[i] += rest;
    emit(i, rest);
    result.sequences[i].text = std::move(texts[i]);
  }
  return result;
}

}  // namespace

absl::StatusOr<TextModel> loadRunTextModel(const std::string &tokenizer_path,
                                           const LoadedModel &model,
                                           const std::string &artifact_path) {
  LFM_ASSIGN_OR_RETURN(std::optional<TextModel> text, loadModelText(model, tokenizer_path));
  if (text) return std::move(*text);
  if (!model.tokenizer_note.empty())
    return absl::FailedPreconditionError(absl::StrCat(
        artifact_path, " carries no tokenizer and ", model.tokenizer_note,
        "; give --tokenizer PATH for text, or --prompt-ids"));
  return absl::FailedPreconditionError(absl::StrCat(
      artifact_path,
      " carries no tokenizer (compile it from a folder with tokenizer.json or a GGUF, run it "
      "with --weights MODEL.gguf, or give --tokenizer PATH; --prompt-ids needs none)"));
}

absl::StatusOr<GenerateResult> runTextPrompts(Session &session, const TextModel &text,
                                              const std::vector<std::string> &prompts,
                                              const std::vector<std::string> &stops,
                                              GenerateOptions options, bool stream,
                                              std::ostream &out) {
  std::vector<std::vector<int32_t>> ids;
  for (size_t i = 0; i < prompts.size(); ++i) {
    absl::StatusOr<std::vector<int32_t>> encoded = text.tokenizer->encode(prompts[i]);
    if (!encoded.ok())
      return absl::Status(encoded.status().code(),
                          absl::StrCat("prompt ", i, ": ", encoded.status().message()));
    if (encoded->empty())
      return absl::InvalidArgumentError(absl::StrCat("prompt ", i, " has no tokens"));
    ids.push_back(std::move(*encoded));
  }
  return generateText(session, text, ids, stops, std::move(options),
                      [&](size_t, const std::string &piece) {
                        if (stream && !piece.empty()) out << piece << std::flush;
                      });
}

absl::Status runChat(Session &session, const TextModel &text, const std::string &system,
                     const std::vector<std::string> &stops, GenerateOptions options,
                     std::istream &in, std::ostream &out) {
  if (!text.chat_template)
    return absl::FailedPreconditionError(
        "--chat: the model has no chat template (tokenizer_config.json: chat_template)");
  const bool interactive = ::isatty(STDIN_FILENO);
  nlohmann::json messages = nlohmann::json::array();
  if (!system.empty()) messages.push_back({{"role", "system"}, {"content", system}});
  const nlohmann::json start = messages;
  std::string slot_text;         // the text of the tokens in slot 0
  std::vector<int32_t> slot_ids;  // those tokens
  LFM_RETURN_IF_ERROR(session.claim(0).status());
  auto reset = [&]() -> absl::Status {
    LFM_RETURN_IF_ERROR(session.release(0));
    slot_text.clear();
    slot_ids.clear();
    return session.claim(0).status();
  };
  options.keep_requests = true;
  std::string line;
  while (true) {
    if (interactive) std::cerr << "> " << std::flush;
    if (!std::getline(in, line)) break;
    if (line == "/reset") {
      messages = start;
      LFM_RETURN_IF_ERROR(reset());
      std::cerr << "(conversation reset)\n";
      continue;
    }
    if (line.empty()) continue;
    messages.push_back({{"role", "user"}, {"content", line}});
    LFM_ASSIGN_OR_RETURN(std::string rendered, text.renderChat(messages, nullptr));
    // Only the new text goes in when the slot holds a prefix of the chat;
    // otherwise (the template rewrote a past turn) the chat is fed again.
    if (rendered.compare(0, slot_text.size(), slot_text) != 0) LFM_RETURN_IF_ERROR(reset());
    LFM_ASSIGN_OR_RETURN(std::vector<int32_t> fresh,
                         text.tokenizer->encode(std::string_view(rendered).substr(slot_text.size()),
                                                /*add_special_tokens=*/false));
    if (fresh.empty()) return absl::InternalError("--chat: the rendered turn has no tokens");
    options.context = slot_ids;
    absl::StatusOr<GenerateResult> result = generateText(
        session, text, {fresh}, stops, options,
        [&](size_t, const std::string &piece) { out << piece << std::flush; });
    if (!result.ok()) return result.status();
    out << "\n" << std::flush;
    const SequenceResult &seq = result->sequences[0];
    messages.push_back({{"role", "assistant"}, {"content", seq.text.value_or("")}});
    // The slot now holds the fresh tokens and every generated one but the last.
    slot_ids.insert(slot_ids.end(), fresh.begin(), fresh.end());
    std::span<const int32_t> fed(seq.generated);
    if (!fed.empty()) fed = fed.first(fed.size() - 1);
    slot_ids.insert(slot_ids.end(), fed.begin(), fed.end());
    LFM_ASSIGN_OR_RETURN(std::string fed_text, text.tokenizer->decode(fed, false));
    slot_text = rendered + fed_text;
  }
  return session.release(0);
}

}  // namespace lfm::tools
