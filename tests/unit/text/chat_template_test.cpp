// lfm::ChatTemplate's API: create once, render many times (copies share the
// parsed template, renders run concurrently), and chatContext() building
// the context transformers' apply_chat_template builds.
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "lfm/ChatTemplate.h"

namespace {

using ::testing::HasSubstr;

constexpr const char *kChatMl =
    "{{- bos_token -}}"
    "{%- for m in messages -%}{{- '<|im_start|>' + m.role + '\\n' + m.content + '<|im_end|>\\n' "
    "-}}{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}{%- endif -%}";

TEST(ChatTemplate, CreateAndRender) {
  absl::StatusOr<lfm::ChatTemplate> chat = lfm::ChatTemplate::create(kChatMl, "test.jinja");
  ASSERT_TRUE(chat.ok()) << chat.status();
  EXPECT_EQ(chat->origin(), "test.jinja");
  nlohmann::json messages = nlohmann::json::array({{{"role", "user"}, {"content", "Hi"}}});
  absl::StatusOr<std::string> out =
      chat->render(lfm::chatContext(messages, nullptr, true, "<s>", "</s>"));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, "<s><|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
}

TEST(ChatTemplate, CopiesShareTheTemplateAndRenderConcurrently) {
  absl::StatusOr<lfm::ChatTemplate> chat = lfm::ChatTemplate::create(kChatMl, "test.jinja");
  ASSERT_TRUE(chat.ok()) << chat.status();
  std::vector<lfm::ChatTemplate> copies(4, *chat);
  std::vector<std::string> outputs(copies.size());
  std::vector<std::thread> threads;
  for (size_t t = 0; t < copies.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        nlohmann::json messages =
            nlohmann::json::array({{{"role", "user"}, {"content", "thread " + std::to_string(t)}}});
        absl::StatusOr<std::string> out =
            copies[t].render(lfm::chatContext(messages, nullptr, false, "", ""));
        outputs[t] = out.ok() ? *out : std::string(out.status().message());
      }
    });
  }
  for (std::thread &thread : threads) thread.join();
  for (size_t t = 0; t < copies.size(); ++t)
    EXPECT_EQ(outputs[t], "<|im_start|>user\nthread " + std::to_string(t) + "<|im_end|>\n");
}

TEST(ChatTemplate, ChatContextAsTransformersBuildsIt) {
  nlohmann::ordered_json messages = nlohmann::ordered_json::parse(R"([
    {"role": "user", "content": "Hi", "name": null},
    {"role": "assistant", "content": "Hello", "reasoning_content": "greet", "tool_calls": null},
    {"role": "assistant", "reasoning": "r", "content": "x"}
  ])");
  nlohmann::ordered_json context = lfm::chatContext(messages, nullptr, true, "<s>", "");
  EXPECT_EQ(
      context.dump(),
      R"({"messages":[{"role":"user","content":"Hi"},)"
      R"({"thinking":"greet","role":"assistant","content":"Hello","reasoning_content":"greet"},)"
      R"({"thinking":"r","role":"assistant","reasoning":"r","content":"x","reasoning_content":"r"}],)"
      R"("tools":null,"documents":null,"add_generation_prompt":true,"bos_token":"<s>"})");
}

TEST(ChatTemplate, ChatContextKeepsToolsAndExtraKwargs) {
  nlohmann::ordered_json tools = nlohmann::ordered_json::parse(
      R"([{"type": "function", "function": {"name": "f", "description": "d", "parameters": {}}}])");
  nlohmann::ordered_json context =
      lfm::chatContext(nlohmann::ordered_json::array(), tools, false, "<s>", "</s>");
  context["keep_past_thinking"] = true;
  absl::StatusOr<lfm::ChatTemplate> chat = lfm::ChatTemplate::create(
      "{{ tools[0] | tojson }}|{{ documents }}|{{ keep_past_thinking }}|{{ eos_token }}", "t");
  ASSERT_TRUE(chat.ok()) << chat.status();
  absl::StatusOr<std::string> out = chat->render(context);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(
      *out,
      R"({"type": "function", "function": {"name": "f", "description": "d", "parameters": {}}}|None|True|</s>)");
  // nlohmann::json sorts keys: the same tool prints in sorted order.
  nlohmann::json sorted =
      lfm::chatContext(nlohmann::json::array(), nlohmann::json::parse(tools.dump()), false, "", "");
  absl::StatusOr<std::string> sorted_out = chat->render(sorted);
  ASSERT_TRUE(sorted_out.ok()) << sorted_out.status();
  EXPECT_THAT(
      *sorted_out,
      HasSubstr(
          R"({"function": {"description": "d", "name": "f", "parameters": {}}, "type": "function"})"));
}

TEST(ChatTemplate, MissingSpecialTokenIsUndefined) {
  absl::StatusOr<lfm::ChatTemplate> chat = lfm::ChatTemplate::create(
      "{{ bos_token is defined }}{{ eos_token is defined }}[{{ bos_token }}]", "t");
  ASSERT_TRUE(chat.ok()) << chat.status();
  absl::StatusOr<std::string> out =
      chat->render(lfm::chatContext(nlohmann::json::array(), nullptr, false, "", "e"));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, "FalseTrue[]");
}

TEST(ChatTemplate, ErrorsNameTheOrigin) {
  absl::StatusOr<lfm::ChatTemplate> bad =
      lfm::ChatTemplate::create("{% if %}", "tokenizer_config.json: chat_template");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()),
              HasSubstr("tokenizer_config.json: chat_template:1:7:"));
}

}  // namespace
