// Hugging Face chat templates (Jinja), rendered exactly as transformers'
// apply_chat_template(..., tokenize=False) renders them: jinja2 with
// trim_blocks and lstrip_blocks, the loopcontrols extension, the sandbox's
// immutable lists and dicts, transformers' tojson (json.dumps), and its
// raise_exception() and strftime_now() globals. Values follow Python's
// rules (None prints "None", lists print as ['a', 'b'], floats as repr()).
//
// A template is parsed once by create(); a ChatTemplate is cheap to copy
// (it shares the parsed tree) and render() may run on many threads at once.
// Errors name the origin and line:column ("tokenizer_config.json:
// chat_template:12:5: unknown tag 'foo'"); a render that a hostile template
// drives past the bounds of text/jinja/Limits.h (64 MiB of output, nesting,
// loop iterations, steps) fails with kResourceExhausted instead of
// exhausting the process. A template's raise_exception("...") fails the
// render with kInvalidArgument and "raise_exception: ..." in the message.
//
// Key order: Python dicts keep insertion order, and templates print tool
// schemas with tojson. nlohmann::json sorts object keys; pass
// nlohmann::ordered_json (parsed from the request) to keep the order of
// the JSON a caller sent, byte for byte as transformers would.
#ifndef LFM_CHATTEMPLATE_H
#define LFM_CHATTEMPLATE_H

#include <concepts>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace lfm {
namespace jinja {
struct TemplateAst;
}

class ChatTemplate {
 public:
  // Parses once; errors name origin, line and column.
  static absl::StatusOr<ChatTemplate> create(std::string_view source, std::string_view origin);

  // context: a JSON object of the template's variables, as transformers
  // passes them: messages, tools (null when none), add_generation_prompt,
  // bos_token, eos_token, ... and any extra kwargs (see chatContext()).
  absl::StatusOr<std::string> render(const nlohmann::json &context) const;
  // The same with the context's key order kept (what transformers sees).
  template <class Json>
  requires std::same_as<Json, nlohmann::ordered_json> absl::StatusOr<std::string> render(
      const Json &context)
  const { return renderOrdered(context); }

  const std::string &origin() const;

 private:
  explicit ChatTemplate(std::shared_ptr<const jinja::TemplateAst> ast) : ast_(std::move(ast)) {}
  absl::StatusOr<std::string> renderOrdered(const nlohmann::ordered_json &context) const;

  std::shared_ptr<const jinja::TemplateAst> ast_;
};

// The context transformers' apply_chat_template(messages, tools=tools,
// add_generation_prompt=..., tokenize=False) builds: each message without
// its null-valued keys, a message's reasoning ("reasoning_content",
// "thinking" or "reasoning") under both "thinking" and "reasoning_content",
// tools (null when `tools` is null), documents null, add_generation_prompt,
// and the special tokens (an empty one is left out, as a tokenizer without
// it has none). Add further kwargs (e.g. "keep_past_thinking") to the
// result before render().
nlohmann::json chatContext(const nlohmann::json &messages, const nlohmann::json &tools,
                           bool add_generation_prompt, std::string_view bos_token,
                           std::string_view eos_token);
nlohmann::ordered_json orderedChatContext(const nlohmann::ordered_json &messages,
                                          const nlohmann::ordered_json &tools,
                                          bool add_generation_prompt, std::string_view bos_token,
                                          std::string_view eos_token);
// chatContext() on ordered_json messages keeps their key order.
template <class Json>
requires std::same_as<Json, nlohmann::ordered_json> nlohmann::ordered_json chatContext(
    const Json &messages, const std::type_identity_t<Json> &tools, bool add_generation_prompt,
    std::string_view bos_token, std::string_view eos_token) {
  return orderedChatContext(messages, tools, add_generation_prompt, bos_token, eos_token);
}

}  // namespace lfm

#endif  // LFM_CHATTEMPLATE_H
