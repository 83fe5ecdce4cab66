// Chat templates rendered byte for byte as Hugging Face transformers renders
// them: tests/data/text/chat/goldens.json holds conversations rendered by
// scripts/text/make_chat_goldens.py (transformers' apply_chat_template, or
// its compiled template for what apply_chat_template refuses) with each
// template in tests/data/text/chat/, and the errors transformers raised.
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "lfm/ChatTemplate.h"

namespace {

const std::string kChatDir = std::string(LFM_TEST_DATA_DIR) + "/text/chat/";

std::string readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The text with control characters escaped, for messages.
std::string shown(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\x%02x", c);
      out += buffer;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string mismatch(const std::string &expected, const std::string &actual) {
  size_t offset = 0;
  while (offset < expected.size() && offset < actual.size() && expected[offset] == actual[offset])
    ++offset;
  size_t from = offset > 40 ? offset - 40 : 0;
  std::ostringstream out;
  out << "first difference at byte " << offset << " (expected " << expected.size() << " bytes, got "
      << actual.size() << ")\n  expected: ..." << shown(expected.substr(from, 100))
      << "\n  actual:   ..." << shown(actual.substr(from, 100)) << "\n--- expected ---\n"
      << expected << "\n--- actual ---\n"
      << actual << "\n---";
  return out.str();
}

TEST(ChatTemplateGolden, RendersAsTransformers) {
  nlohmann::ordered_json goldens =
      nlohmann::ordered_json::parse(readFile(kChatDir + "goldens.json"));
  std::map<std::string, lfm::ChatTemplate> templates;
  for (const auto &[name, info] : goldens["templates"].items()) {
    std::string file = info["file"].get<std::string>();
    absl::StatusOr<lfm::ChatTemplate> parsed =
        lfm::ChatTemplate::create(readFile(kChatDir + file), file);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    templates.emplace(name, *std::move(parsed));
  }
  std::map<std::string, int> rendered;
  int failures = 0;
  for (const nlohmann::ordered_json &golden : goldens["cases"]) {
    std::string name = golden["template"].get<std::string>();
    std::string conversation_name = golden["conversation"].get<std::string>();
    bool add_generation_prompt = golden["add_generation_prompt"].get<bool>();
    SCOPED_TRACE(name + " / " + conversation_name +
                 (add_generation_prompt ? " / generation prompt" : ""));
    const nlohmann::ordered_json &conversation = goldens["conversations"][conversation_name];
    const nlohmann::ordered_json &info = goldens["templates"][name];
    nlohmann::ordered_json context = lfm::chatContext(
        conversation["messages"], conversation["tools"], add_generation_prompt,
        info["bos_token"].get<std::string>(), info["eos_token"].get<std::string>());
    for (const auto &[key, value] : conversation["kwargs"].items()) context[key] = value;
    absl::StatusOr<std::string> result = templates.at(name).render(context);
    ++rendered[name];
    if (golden.contains("error")) {
      EXPECT_FALSE(result.ok()) << "transformers failed (" << golden["error"].get<std::string>()
                                << ") but this rendered:\n"
                                << *result;
      failures += result.ok();
      continue;
    }
    if (!result.ok()) {
      ADD_FAILURE() << result.status();
      ++failures;
      continue;
    }
    std::string expected = golden["expected"].get<std::string>();
    if (*result != expected) {
      ADD_FAILURE() << mismatch(expected, *result);
      ++failures;
    }
  }
  for (const auto &[name, count] : rendered) EXPECT_GE(count, 60) << name;
  EXPECT_EQ(failures, 0);
}

// The goldens' conversations, rendered with nlohmann::json (sorted keys):
// the same text wherever no template prints a dict's key order.
TEST(ChatTemplateGolden, SortedJsonContextRendersToo) {
  nlohmann::ordered_json goldens =
      nlohmann::ordered_json::parse(readFile(kChatDir + "goldens.json"));
  absl::StatusOr<lfm::ChatTemplate> lfm = lfm::ChatTemplate::create(
      readFile(kChatDir + "LFM2.5-Instruct.jinja"), "LFM2.5-Instruct.jinja");
  ASSERT_TRUE(lfm.ok()) << lfm.status();
  for (const nlohmann::ordered_json &golden : goldens["cases"]) {
    if (golden["template"] != "LFM2.5-Instruct" || golden.contains("error")) continue;
    const nlohmann::ordered_json &conversation =
        goldens["conversations"][golden["conversation"].get<std::string>()];
    if (!conversation["tools"].is_null()) continue;  // tool schemas print in key order
    bool dict_content = false;                       // a dict in a message prints in key order
    for (const auto &message : conversation["messages"])
      dict_content |= message.contains("content") && message["content"].is_structured();
    if (dict_content) continue;
    SCOPED_TRACE(golden["conversation"].get<std::string>());
    nlohmann::json messages = nlohmann::json::parse(conversation["messages"].dump());
    nlohmann::json context =
        lfm::chatContext(messages, nullptr, golden["add_generation_prompt"].get<bool>(),
                         "<|startoftext|>", "<|im_end|>");
    for (const auto &[key, value] : conversation["kwargs"].items())
      context[key] = nlohmann::json::parse(value.dump());
    absl::StatusOr<std::string> result = lfm->render(context);
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(*result, golden["expected"].get<std::string>());
  }
}

}  // namespace
