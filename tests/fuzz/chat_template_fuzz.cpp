// libFuzzer target over chat templates (Jinja): template sources parsed and
// rendered, and messages rendered by real templates. Whatever renders stays
// within the output bound (text/jinja/Limits.h); whatever does not is an
// error, never a crash, a hang or an unbounded allocation. The first byte
// picks what the rest of the input is (byte % 3) and which of the test
// templates (tests/data/text/chat) it meets (byte / 3 % 4).
#include <array>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

#include "lfm/ChatTemplate.h"
#include "lfm/JsonNesting.h"
#include "nlohmann/json.hpp"
#include "text/jinja/Limits.h"

namespace {

using nlohmann::ordered_json;

std::string readAll(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

const std::array<lfm::ChatTemplate, 4> &templates() {
  static const std::array<lfm::ChatTemplate, 4> all = [] {
    const char *dir = std::getenv("LFM_FUZZ_DATA");
    const std::string data = std::string(dir ? dir : LFM_FUZZ_DATA_DIR) + "/text/chat/";
    auto load = [&](const char *name) {
      auto chat = lfm::ChatTemplate::create(readAll(data + name), name);
      if (!chat.ok()) std::abort();
      return *chat;
    };
    return std::array<lfm::ChatTemplate, 4>{load("LFM2.5-Instruct.jinja"),
                                            load("ChatML-Tools.jinja"), load("Llama-3.1.jinja"),
                                            load("Features.jinja")};
  }();
  return all;
}

// A chat with every kind of message and a tool, as lfm-serve passes it.
const ordered_json &fixedContext() {
  static const ordered_json context =
      lfm::chatContext(ordered_json::parse(R"([
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "What is the weather in Paris?"},
        {"role": "assistant", "content": "", "tool_calls": [{"type": "function",
          "function": {"name": "weather", "arguments": {"city": "Paris"}}}]},
        {"role": "tool", "content": "{\"celsius\": 21}"},
        {"role": "assistant", "content": "21 C.", "reasoning_content": "Read it."},
        {"role": "user", "content": [{"type": "text", "text": "Thanks"}]}])"),
                       ordered_json::parse(R"([{"type": "function", "function": {"name": "weather",
        "description": "Weather now", "parameters": {"type": "object",
        "properties": {"city": {"type": "string"}}, "required": ["city"]}}}])"),
                       true, "<|startoftext|>", "<|im_end|>");
  return context;
}

void render(const lfm::ChatTemplate &chat, const ordered_json &context) {
  auto text = chat.render(context);
  if (text.ok() && text->size() > lfm::jinja::kMaxOutputBytes) std::abort();
}

// JSON from the input, parsed as the readers do (nesting bounded first).
bool parseJson(std::string_view text, ordered_json &out) {
  if (lfm::jsonNestingExceeded(text) != std::string_view::npos) return false;
  out = ordered_json::parse(text, nullptr, /*allow_exceptions=*/false);
  return !out.is_discarded();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  const int mode = data[0] % 3;
  const lfm::ChatTemplate &fixed = templates()[data[0] / 3 % 4];
  std::string_view rest(reinterpret_cast<const char *>(data) + 1, size - 1);
  switch (mode) {
    case 0: {  // a template of its own, rendering the fixed chat
      auto chat = lfm::ChatTemplate::create(rest, "fuzz");
      if (chat.ok()) render(*chat, fixedContext());
      break;
    }
    case 1: {  // messages of their own (or {"messages", "tools"}), rendered by a test template
      ordered_json json;
      if (!parseJson(rest, json)) break;
      if (json.is_object() && json.contains("messages")) {
        render(fixed, lfm::chatContext(json["messages"], json.value("tools", ordered_json()), true,
                                       "<s>", "</s>"));
      } else {
        render(fixed, lfm::chatContext(json, ordered_json(), true, "<s>", "</s>"));
      }
      break;
    }
    case 2: {  // a template, a NUL, then the whole context of its own
      const size_t cut = rest.find('\0');
      if (cut == std::string_view::npos) break;
      ordered_json context;
      if (!parseJson(rest.substr(cut + 1), context)) break;
      auto chat = lfm::ChatTemplate::create(rest.substr(0, cut), "fuzz");
      if (chat.ok()) render(*chat, context);
      break;
    }
  }
  return 0;
}
