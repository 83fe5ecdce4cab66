// generation_config.json: EOS ids (one or a list) and sampling defaults as
// transformers reads them; bad fields are errors naming the field.
#include "lfm/GenerationConfig.h"

#include <gtest/gtest.h>

namespace lfm {
namespace {

TEST(GenerationConfig, ReadsEosListsAndSamplingDefaults) {
  auto c = parseGenerationConfig(
      R"({"bos_token_id": 1, "eos_token_id": [7, 2], "do_sample": true, "temperature": 0.3,
          "min_p": 0.15, "repetition_penalty": 1.05, "transformers_version": "5.0"})",
      "g.json");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->eos_token_ids, (std::vector<int32_t>{7, 2}));
  EXPECT_EQ(c->bos_token_id, 1);
  SamplingOptions s = c->sampling();
  EXPECT_FLOAT_EQ(s.temperature, 0.3f);
  EXPECT_FLOAT_EQ(s.min_p, 0.15f);
  EXPECT_FLOAT_EQ(s.repetition_penalty, 1.05f);
  EXPECT_EQ(s.top_k, 50);  // transformers' default when do_sample
  EXPECT_FLOAT_EQ(s.top_p, 1.0f);
}

TEST(GenerationConfig, WithoutDoSampleDecodingIsGreedy) {
  auto c = parseGenerationConfig(R"({"eos_token_id": 7, "temperature": 0.7, "top_k": 5})", "g.json");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->eos_token_ids, (std::vector<int32_t>{7}));
  EXPECT_EQ(c->sampling().temperature, 0.0f);
  auto empty = parseGenerationConfig("{}", "g.json");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->eos_token_ids.empty());
  EXPECT_EQ(empty->sampling().temperature, 0.0f);
}

TEST(GenerationConfig, BadFieldsAreErrorsNamingThem) {
  const std::pair<const char *, const char *> cases[] = {
      {"not json", "g.json: (file): not valid JSON"},
      {"[1]", "not a JSON object"},
      {R"({"eos_token_id": "7"})", "g.json: eos_token_id: must be a non-negative token id"},
      {R"({"eos_token_id": [7, -1]})", "eos_token_id[1]"},
      {R"({"do_sample": "yes"})", "do_sample"},
      {R"({"top_k": 2.5})", "top_k: must be an integer"},
      {R"({"temperature": "hot"})", "temperature: must be a number"},
      {R"({"do_sample": true, "top_p": 0})", "top-p"},
      {R"({"repetition_penalty": -1})", "repetition penalty"},
      {"{\"eos_token_id\": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
       "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
       "g.json: JSON nested deeper than 128 levels"},
  };
  for (const auto &[text, message] : cases) {
    auto c = parseGenerationConfig(text, "g.json");
    ASSERT_FALSE(c.ok()) << text;
    EXPECT_NE(c.status().message().find(message), std::string::npos) << c.status();
  }
}

}  // namespace
}  // namespace lfm
