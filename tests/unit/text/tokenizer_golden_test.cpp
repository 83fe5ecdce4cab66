// Every tokenizer under tests/data/text/tokenizers/ against what HF gives
// for it (golden.jsonl, written by scripts/text/make_tokenizer_goldens.py):
// encode with and without special tokens, for the raw tokenizer.json and for
// each tokenizer_config variant as transformers reads it, and decode with
// and without skipping special tokens, of the corpus's ids and random ids.
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "lfm/Tokenizer.h"
#include "nlohmann/json.hpp"

namespace lfm {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string readFile(const fs::path &path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string escaped(const std::string &s) {
  std::string e = absl::CHexEscape(s);
  return e.size() > 300 ? e.substr(0, 300) + "..." : e;
}

std::string ids(const std::vector<int32_t> &v) { return "[" + absl::StrJoin(v, ",") + "]"; }

std::vector<int32_t> concat(const json &a, const json &b, const json &c) {
  std::vector<int32_t> out;
  for (const json *j : {&a, &b, &c})
    for (const auto &x : *j) out.push_back(x.get<int32_t>());
  return out;
}

// Reports up to kMaxReports mismatches per check, then counts the rest.
struct Mismatches {
  static constexpr int kMaxReports = 8;
  std::map<std::string, int> count;
  void add(const std::string &check, const std::string &message) {
    if (++count[check] <= kMaxReports) ADD_FAILURE() << check << ": " << message;
  }
  ~Mismatches() {
    for (const auto &[check, n] : count)
      if (n > kMaxReports) ADD_FAILURE() << check << ": " << n << " mismatches in all";
  }
};

std::vector<fs::path> tokenizerDirs() {
  std::vector<fs::path> dirs;
  fs::path root = fs::path(LFM_TEST_DATA_DIR) / "text" / "tokenizers";
  for (const auto &entry : fs::directory_iterator(root))
    if (fs::exists(entry.path() / "tokenizer.json")) dirs.push_back(entry.path());
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

class TokenizerGolden : public ::testing::TestWithParam<fs::path> {};

TEST_P(TokenizerGolden, MatchesHuggingFace) {
  const fs::path dir = GetParam();
  ASSERT_TRUE(fs::exists(dir / "golden.jsonl")) << dir << " has no golden.jsonl";
  std::string tokenizer_json = readFile(dir / "tokenizer.json");
  std::string config_json =
      fs::exists(dir / "tokenizer_config.json") ? readFile(dir / "tokenizer_config.json") : "";

  std::ifstream in(dir / "golden.jsonl");
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  json header = json::parse(line);
  std::vector<json> texts, randoms;
  std::map<std::pair<size_t, std::string>, std::vector<int32_t>> overrides;  // (variant, text) -> ids
  while (std::getline(in, line)) {
    json j = json::parse(line);
    if (j.contains("r")) {
      randoms.push_back(std::move(j));
    } else if (j.contains("v")) {
      overrides[{j["v"].get<size_t>(), j["t"].get<std::string>()}] = j["full"].get<std::vector<int32_t>>();
    } else {
      texts.push_back(std::move(j));
    }
  }
  ASSERT_GT(texts.size(), 100u);

  // The raw tokenizer.json (Tokenizer.from_file(...).encode / decode).
  auto raw = Tokenizer::create(tokenizer_json, "", dir.string());
  ASSERT_TRUE(raw.ok()) << raw.status();
  Mismatches bad;
  for (const json &t : texts) {
    const std::string s = t["t"].get<std::string>();
    auto plain = t["ids"].get<std::vector<int32_t>>();
    auto got = (*raw)->encode(s, false);
    if (!got.ok()) {
      bad.add("encode", absl::StrCat("\"", escaped(s), "\": ", got.status().ToString()));
      continue;
    }
    if (*got != plain)
      bad.add("encode", absl::StrCat("\"", escaped(s), "\": ", ids(*got), " != HF ", ids(plain)));
    auto full = concat(header["raw"]["prefix"], t["ids"], header["raw"]["suffix"]);
    auto got_full = (*raw)->encode(s, true);
    if (!got_full.ok() || *got_full != full)
      bad.add("encode with special tokens",
              absl::StrCat("\"", escaped(s),
                           "\": ", got_full.ok() ? ids(*got_full) : got_full.status().ToString(), " != HF ",
                           ids(full)));
    std::string d = t.contains("d") ? t["d"].get<std::string>() : s;
    std::string ds = t.contains("ds") ? t["ds"].get<std::string>() : d;
    auto dec = (*raw)->decode(plain, false);
    if (!dec.ok() || *dec != d)
      bad.add("decode", absl::StrCat(ids(plain), ": \"", escaped(dec.ok() ? *dec : dec.status().ToString()),
                                     "\" != HF \"", escaped(d), "\""));
    auto dec_skip = (*raw)->decode(full, true);
    if (!dec_skip.ok() || *dec_skip != ds)
      bad.add(
          "decode skipping special tokens",
          absl::StrCat(ids(full), ": \"", escaped(dec_skip.ok() ? *dec_skip : dec_skip.status().ToString()),
                       "\" != HF \"", escaped(ds), "\""));
  }
  for (const json &r : randoms) {
    auto v = r["r"].get<std::vector<int32_t>>();
    for (bool skip : {false, true}) {
      std::string want = r[skip ? "ds" : "d"].get<std::string>();
      auto got = (*raw)->decode(v, skip);
      if (!got.ok() || *got != want)
        bad.add(skip ? "decode random ids skipping special tokens" : "decode random ids",
                absl::StrCat(ids(v), ": \"", escaped(got.ok() ? *got : got.status().ToString()),
                             "\" != HF \"", escaped(want), "\""));
    }
  }

  // As transformers reads each tokenizer_config (null: the folder's file).
  const json &variants = header["variants"];
  for (size_t k = 0; k < variants.size(); ++k) {
    const json &v = variants[k];
    std::string config = v["config"].is_null() ? config_json : v["config"].dump();
    std::string check =
        absl::StrCat("transformers variant ", k, " (",
                     v["config"].is_null() ? "the folder's config" : v["config"].dump().substr(0, 200), ")");
    auto tok = Tokenizer::create(tokenizer_json, config, dir.string());
    ASSERT_TRUE(tok.ok()) << check << ": " << tok.status();
    for (const json &t : texts) {
      const std::string s = t["t"].get<std::string>();
      auto it = overrides.find({k, s});
      auto want = it != overrides.end() ? it->second : concat(v["prefix"], t["ids"], v["suffix"]);
      auto got = (*tok)->encode(s, true);
      if (!got.ok() || *got != want)
        bad.add(check, absl::StrCat("\"", escaped(s), "\": ", got.ok() ? ids(*got) : got.status().ToString(),
                                    " != transformers ", ids(want)));
    }
    if (v.contains("bos_id")) {
      EXPECT_EQ((*tok)->bosId().value_or(-1), v["bos_id"].is_null() ? -1 : v["bos_id"].get<int32_t>())
          << check;
      EXPECT_EQ((*tok)->eosId().value_or(-1), v["eos_id"].is_null() ? -1 : v["eos_id"].get<int32_t>())
          << check;
      EXPECT_EQ((*tok)->vocabSize(), v["vocab_size"].get<int64_t>()) << check;
      for (const auto &id : v["special_ids"])
        EXPECT_TRUE((*tok)->isSpecial(id.get<int32_t>())) << check << " id " << id;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(All, TokenizerGolden, ::testing::ValuesIn(tokenizerDirs()),
                         [](const ::testing::TestParamInfo<fs::path> &info) {
                           std::string name = info.param.filename().string();
                           for (char &c : name)
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           return name;
                         });

}  // namespace
}  // namespace lfm
