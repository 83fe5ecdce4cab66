// lfm-serve's per-request bounds, before anything reaches the engine: the
// body's JSON nesting (a 100k-deep "[[[[..." is a 400, not a stack
// overflow), the --max-tokens cap and the --request-timeout deadline.
#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "OpenAiRequest.h"
#include "RequestBody.h"

namespace lfm::tools {
namespace {

using nlohmann::json;

ApiError bodyError(const std::string &body) {
  auto read = parseRequestBody(body);
  EXPECT_TRUE(std::holds_alternative<ApiError>(read)) << body.substr(0, 80);
  return std::holds_alternative<ApiError>(read) ? std::get<ApiError>(read) : ApiError{};
}

TEST(RequestBody, DeepNestingIsA400) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  ApiError e = bodyError(deep);
  EXPECT_EQ(e.http_status, 400);
  EXPECT_NE(e.message.find("nests JSON deeper than 64 levels (at byte 64)"), std::string::npos)
      << e.message;
  // Unterminated, or inside a valid request: the same.
  EXPECT_EQ(bodyError(std::string(100000, '{')).http_status, 400);
  const std::string tools = R"({"messages":[{"role":"user","content":"hi"}],"tools":)" +
                            std::string(1000, '[') + std::string(1000, ']') + "}";
  EXPECT_NE(bodyError(tools).message.find("deeper than 64"), std::string::npos);
}

TEST(RequestBody, NestingWithinTheBoundAndBracketsInStringsPass) {
  const std::string ok =
      std::string(kMaxRequestNesting, '[') + std::string(kMaxRequestNesting, ']');
  EXPECT_TRUE(std::holds_alternative<json>(parseRequestBody(ok)));
  const std::string too_deep = "[" + ok + "]";
  EXPECT_EQ(bodyError(too_deep).http_status, 400);
  // Brackets in strings, escaped quotes included, are text.
  const std::string text = R"({"prompt": "[[[[\"[[[[{{{{", "x": [1]})";
  EXPECT_TRUE(std::holds_alternative<json>(parseRequestBody(text)));
  json strings = json::array();
  for (int i = 0; i < 4; ++i) strings.push_back(std::string(1000, '[') + "\\\"" + "{{{");
  EXPECT_TRUE(std::holds_alternative<json>(parseRequestBody(strings.dump())));
}

TEST(RequestBody, NotJsonIsA400) {
  EXPECT_EQ(bodyError("{not json").message, "the body is not valid JSON");
  EXPECT_EQ(bodyError("").message, "the body is not valid JSON");
}

ApiContext context() {
  ApiContext ctx;  // no tokenizer: token-id prompts
  ctx.max_seq_len = 256;
  return ctx;
}

std::variant<ApiRequest, ApiError> completion(const json &fields, const ApiContext &ctx) {
  json body = {{"prompt", {1, 2, 3}}};
  body.update(fields);
  return parseApiRequest(Endpoint::kCompletions, body, ctx);
}

TEST(OpenAiRequest, MaxTokensAboveTheServersCapIsA400) {
  ApiContext ctx = context();
  ctx.max_tokens = 8;
  auto over = completion({{"max_tokens", 9}}, ctx);
  ASSERT_TRUE(std::holds_alternative<ApiError>(over));
  EXPECT_EQ(std::get<ApiError>(over).http_status, 400);
  EXPECT_EQ(std::get<ApiError>(over).param, "max_tokens");
  EXPECT_NE(std::get<ApiError>(over).message.find("at most 8 tokens"), std::string::npos)
      << std::get<ApiError>(over).message;
  auto over_new = completion({{"max_completion_tokens", 100}}, ctx);
  ASSERT_TRUE(std::holds_alternative<ApiError>(over_new));
  EXPECT_EQ(std::get<ApiError>(over_new).param, "max_completion_tokens");

  auto at = completion({{"max_tokens", 8}}, ctx);
  ASSERT_TRUE(std::holds_alternative<ApiRequest>(at));
  EXPECT_EQ(std::get<ApiRequest>(at).choices.at(0).max_tokens, 8);
  // Without max_tokens: the default (16 for completions), capped.
  auto unset = completion(json::object(), ctx);
  ASSERT_TRUE(std::holds_alternative<ApiRequest>(unset));
  EXPECT_EQ(std::get<ApiRequest>(unset).choices.at(0).max_tokens, 8);
  // No cap: as asked.
  auto uncapped = completion({{"max_tokens", 1000}}, context());
  ASSERT_TRUE(std::holds_alternative<ApiRequest>(uncapped));
  EXPECT_EQ(std::get<ApiRequest>(uncapped).choices.at(0).max_tokens, 1000);
}

TEST(OpenAiRequest, RequestTimeoutSetsEachChoicesDeadline) {
  ApiContext ctx = context();
  ctx.request_timeout = 5;
  const ServeClock::time_point before = ServeClock::now();
  auto r = completion({{"prompt", json::parse("[[1, 2], [3]]")}}, ctx);
  ASSERT_TRUE(std::holds_alternative<ApiRequest>(r));
  ASSERT_EQ(std::get<ApiRequest>(r).choices.size(), 2u);
  for (const GenerationRequest &choice : std::get<ApiRequest>(r).choices) {
    ASSERT_TRUE(choice.deadline.has_value());
    EXPECT_GE(*choice.deadline, before + std::chrono::seconds(5));
    EXPECT_LE(*choice.deadline, ServeClock::now() + std::chrono::seconds(5));
  }
  auto none = completion(json::object(), context());
  ASSERT_TRUE(std::holds_alternative<ApiRequest>(none));
  EXPECT_FALSE(std::get<ApiRequest>(none).choices.at(0).deadline.has_value());
}

}  // namespace
}  // namespace lfm::tools
