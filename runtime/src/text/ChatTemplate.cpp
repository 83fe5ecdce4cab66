#include "lfm/ChatTemplate.h"

#include "text/jinja/Ast.h"
#include "text/jinja/Interpreter.h"
#include "text/jinja/JsonValue.h"
#include "text/jinja/Parser.h"
#include "text/jinja/Strings.h"

namespace lfm {
namespace {

template <class Json>
absl::StatusOr<std::string> renderWith(const std::shared_ptr<const jinja::TemplateAst> &ast,
                                       const Json &context) {
  if (!context.is_object())
    return absl::InvalidArgumentError(
        jinja::cat(ast->origin, ": the context must be a JSON object"));
  absl::StatusOr<jinja::Value> value = jinja::valueFromJson(context);
  if (!value.ok())
    return absl::InvalidArgumentError(jinja::cat(ast->origin, ": ", value.status().message()));
  jinja::Interpreter interpreter(ast, *std::move(value));
  return interpreter.render();
}

template <class Json>
Json makeChatContext(const Json &messages, const Json &tools, bool add_generation_prompt,
                     std::string_view bos_token, std::string_view eos_token) {
  Json normalized = messages;
  if (messages.is_array()) {
    normalized = Json::array();
    for (const Json &message : messages) {
      if (!message.is_object()) {
        normalized.push_back(message);
        continue;
      }
      // Keys whose value is None are dropped.
      Json kept = Json::object();
      for (auto it = message.begin(); it != message.end(); ++it)
        if (!it.value().is_null()) kept[it.key()] = it.value();
      // The reasoning, under the names templates read it by.
      const Json *reasoning = nullptr;
      for (const char *field : {"reasoning_content", "thinking", "reasoning"}) {
        auto found = kept.find(field);
        if (found != kept.end()) {
          reasoning = &*found;
          break;
        }
      }
      if (reasoning) {
        Json aliased = Json::object();
        aliased["thinking"] = *reasoning;
        for (auto it = kept.begin(); it != kept.end(); ++it) aliased[it.key()] = it.value();
        aliased["reasoning_content"] = *reasoning;
        kept = std::move(aliased);
      }
      normalized.push_back(std::move(kept));
    }
  }
  Json context = Json::object();
  context["messages"] = std::move(normalized);
  context["tools"] = tools;
  context["documents"] = nullptr;
  context["add_generation_prompt"] = add_generation_prompt;
  if (!bos_token.empty()) context["bos_token"] = std::string(bos_token);
  if (!eos_token.empty()) context["eos_token"] = std::string(eos_token);
  return context;
}

}  // namespace

absl::StatusOr<ChatTemplate> ChatTemplate::create(std::string_view source,
                                                  std::string_view origin) {
  absl::StatusOr<std::shared_ptr<const jinja::TemplateAst>> ast =
      jinja::parseTemplate(source, origin);
  if (!ast.ok()) return ast.status();
  return ChatTemplate(*std::move(ast));
}

absl::StatusOr<std::string> ChatTemplate::render(const nlohmann::json &context) const {
  return renderWith(ast_, context);
}

absl::StatusOr<std::string> ChatTemplate::renderOrdered(
    const nlohmann::ordered_json &context) const {
  return renderWith(ast_, context);
}

const std::string &ChatTemplate::origin() const { return ast_->origin; }

nlohmann::json chatContext(const nlohmann::json &messages, const nlohmann::json &tools,
                           bool add_generation_prompt, std::string_view bos_token,
                           std::string_view eos_token) {
  return makeChatContext(messages, tools, add_generation_prompt, bos_token, eos_token);
}

nlohmann::ordered_json orderedChatContext(const nlohmann::ordered_json &messages,
                                          const nlohmann::ordered_json &tools,
                                          bool add_generation_prompt, std::string_view bos_token,
                                          std::string_view eos_token) {
  return makeChatContext(messages, tools, add_generation_prompt, bos_token, eos_token);
}

}  // namespace lfm
