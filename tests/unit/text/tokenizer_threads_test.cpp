// One Tokenizer encoding and decoding from several threads at once gives
// what it gives from one (the per-word cache is shared).
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "lfm/Tokenizer.h"
#include "nlohmann/json.hpp"

namespace lfm {
namespace {

namespace fs = std::filesystem;

TEST(TokenizerThreads, ConcurrentEncodeDecode) {
  for (const char *name : {"gpt2-style", "lfm2-shape"}) {
    fs::path dir = fs::path(LFM_TEST_DATA_DIR) / "text/tokenizers" / name;
    std::ifstream json_in(dir / "tokenizer.json");
    std::stringstream json;
    json << json_in.rdbuf();
    auto tok = Tokenizer::create(json.str(), "", dir.string());
    ASSERT_TRUE(tok.ok()) << tok.status();
    std::vector<std::string> texts;
    std::vector<std::vector<int32_t>> want;
    std::ifstream golden(dir / "golden.jsonl");
    std::string line;
    std::getline(golden, line);
    while (std::getline(golden, line)) {
      auto j = nlohmann::json::parse(line);
      if (!j.contains("t") || j.contains("v")) continue;
      texts.push_back(j["t"].get<std::string>());
      want.push_back(j["ids"].get<std::vector<int32_t>>());
    }
    std::vector<int> bad(4, 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int round = 0; round < 3; ++round) {
          for (size_t i = 0; i < texts.size(); ++i) {
            size_t k = (i * 7 + static_cast<size_t>(t) * 131) % texts.size();
            auto ids = (*tok)->encode(texts[k], false);
            if (!ids.ok() || *ids != want[k]) ++bad[t];
            if (ids.ok() && !(*tok)->decode(*ids).ok()) ++bad[t];
          }
        }
      });
    }
    for (auto &th : threads) th.join();
    for (int t = 0; t < 4; ++t) EXPECT_EQ(bad[t], 0) << name << " thread " << t;
  }
}

}  // namespace
}  // namespace lfm
