// lfm-run end to end on a tiny hand-built artifact: generation matches an
// in-process session, the prefill modes and batching give the same tokens
// and logits, the dump has the documented rows, and every bad input exits 1
// with a message.
#include <gtest/gtest.h>

#include <cstdlib>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "TinyModel.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "lfm/Artifact.h"
#include "lfm/Sampler.h"
#include "lfm/Session.h"

namespace lfm::testing {
namespace {

const std::string kLfmRun = std::string(LFM_BINARY_DIR) + "/tools/lfm-run";

struct Result {
  int code = -1;
  std::string out, err;
};

std::string readFile(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

Result runLfm(const std::string &args) {
  const std::string err_path = ::testing::TempDir() + "/lfm_run_stderr.txt";
  std::string cmd = kLfmRun + " " + args + " 2>" + err_path;
  Result r;
  FILE *p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.err = readFile(err_path);
  return r;
}

std::vector<std::vector<int32_t>> parseLines(const std::string &out) {
  std::vector<std::vector<int32_t>> seqs;
  for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipEmpty())) {
    std::vector<int32_t> tokens;
    for (absl::string_view t : absl::StrSplit(line, ',')) {
      int32_t v = -1;
      EXPECT_TRUE(absl::SimpleAtoi(t, &v)) << line;
      tokens.push_back(v);
    }
    seqs.push_back(tokens);
  }
  return seqs;
}

std::vector<float> readFloats(const std::string &path) {
  std::string bytes = readFile(path);
  std::vector<float> v(bytes.size() / 4);
  std::memcpy(v.data(), bytes.data(), v.size() * 4);
  return v;
}

// A safetensors file with each weight of `b` as an F32 tensor named by its
// source.
void writeCheckpoint(const PlanBuilder &b, const std::vector<std::vector<float>> &values,
                     const std::string &path) {
  std::string header = "{";
  std::string data;
  for (size_t i = 0; i < b.plan.weights.size(); ++i) {
    const WeightSpec &w = b.plan.weights[i];
    std::string shape;
    for (int64_t d : w.shape) shape += (shape.empty() ? "" : ",") + std::to_string(d);
    size_t begin = data.size();
    data.append(reinterpret_cast<const char *>(values[i].data()), values[i].size() * 4);
    header += (i ? "," : "") + std::string("\"") + w.sources[0].tensor +
              "\":{\"dtype\":\"F32\",\"shape\":[" + shape + "],\"data_offsets\":[" +
              std::to_string(begin) + "," + std::to_string(data.size()) + "]}";
  }
  header += "}";
  while (header.size() % 8) header += ' ';
  uint64_t len = header.size();
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char *>(&len), 8);
  f << header << data;
}

class LfmRun : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(kLfmRun)) << "build lfm-run first: " << kLfmRun;
  }

  static void SetUpTestSuite() {
    dir_ = ::testing::TempDir() + "/lfm_run_test";
    std::system(("mkdir -p " + dir_).c_str());
    TinyWeights w;
    PlanBuilder b = tinyFusedPlan(w);
    Artifact artifact;
    artifact.plan = b.plan;
    ASSERT_TRUE(writeArtifact(artifact, &b.weights, dir_ + "/embedded.lfma").ok());
    ASSERT_TRUE(writeArtifact(artifact, nullptr, dir_ + "/plain.lfma").ok());
    std::vector<std::vector<float>> values;
    for (size_t i = 0; i < b.weights.buffers.size(); ++i) {
      const auto &bytes = b.weights.buffers[i];
      values.emplace_back(bytes.size() / 4);
      std::memcpy(values.back().data(), bytes.data(), bytes.size());
    }
    writeCheckpoint(b, values, dir_ + "/model.safetensors");
    plan_ = b.plan;
    weights_ = b.weights;
  }

  static std::string embedded() { return dir_ + "/embedded.lfma"; }
  static std::string path(const std::string &name) { return dir_ + "/" + name; }

  // Greedy generation with an in-process session, for comparison.
  static std::vector<int32_t> greedyInProcess(const std::vector<int32_t> &prompt, int max_new) {
    auto dev = createDevice({DeviceKind::kCpu, 1});
    auto s = Session::create(std::move(dev->device), plan_, weights_, {1, 64});
    EXPECT_TRUE(s.ok());
    EXPECT_TRUE((*s)->claim(0).ok());
    std::vector<int32_t> out, feed = prompt;
    while (static_cast<int>(out.size()) < max_new) {
      SequenceStep seq{0, feed};
      auto r = (*s)->step({&seq, 1});
      EXPECT_TRUE(r.ok());
      int32_t t = *argmax(r->lastRow(0));
      out.push_back(t);
      if (t == plan_.config.eos_token_id) break;
      feed = {t};
    }
    return out;
  }

  static std::string dir_;
  static Plan plan_;
  static HostWeights weights_;
};
std::string LfmRun::dir_;
Plan LfmRun::plan_;
HostWeights LfmRun::weights_;

TEST_F(LfmRun, HelpListsEveryOption) {
  Result r = runLfm("--help");
  EXPECT_EQ(r.code, 0);
  for (const char *opt : {"--weights", "--random-weights", "--prompt-ids", "--max-new-tokens",
                          "--temperature", "--top-k", "--top-p", "--seed", "--ignore-eos",
                          "--device", "--max-seq-len", "--slots", "--threads", "--prefill-chunk",
                          "--dump-logits", "--all-logits", "--json"}) {
    EXPECT_NE(r.out.find(opt), std::string::npos) << opt;
  }
}

TEST_F(LfmRun, GreedyMatchesAnInProcessSession) {
  Result r = runLfm(embedded() + " --device cpu --prompt-ids 1,5,9,3 --max-new-tokens 6 --ignore-eos");
  ASSERT_EQ(r.code, 0) << r.err;
  auto seqs = parseLines(r.out);
  ASSERT_EQ(seqs.size(), 1u);
  std::vector<int32_t> want = greedyInProcess({1, 5, 9, 3}, 6);
  if (want.size() < 6) {  // the in-process run stopped at EOS; lfm-run ignored it
    GTEST_SKIP() << "EOS came early";
  }
  EXPECT_EQ(seqs[0], want);
}

TEST_F(LfmRun, PrefillModesAndBatchingAgree) {
  const std::string prompts[] = {"1,5,9,3,7,10,4", "6,6,8"};
  const int max_new = 4;
  std::vector<std::vector<float>> dumps;
  std::vector<std::vector<std::vector<int32_t>>> outputs;
  for (const char *chunk : {"", "--prefill-chunk 1", "--prefill-chunk 3"}) {
    std::string dump = path(std::string("dump") + std::to_string(dumps.size()) + ".f32");
    Result r = runLfm(embedded() + " --device cpu --ignore-eos --all-logits --max-new-tokens " +
                      std::to_string(max_new) + " --prompt-ids \"" + prompts[0] + ";" +
                      prompts[1] + "\" --dump-logits " + dump + " " + chunk);
    ASSERT_EQ(r.code, 0) << r.err;
    outputs.push_back(parseLines(r.out));
    dumps.push_back(readFloats(dump));
  }
  // Rows: per sequence, prompt length + generated - 1 (the last token is
  // never fed).
  ASSERT_EQ(dumps[0].size(), static_cast<size_t>((7 + max_new - 1 + 3 + max_new - 1) * kVocab));
  for (size_t m = 1; m < dumps.size(); ++m) {
    EXPECT_EQ(outputs[m], outputs[0]);
    ASSERT_EQ(dumps[m].size(), dumps[0].size());
    for (size_t i = 0; i < dumps[0].size(); ++i) ASSERT_NEAR(dumps[m][i], dumps[0][i], 1e-5) << i;
  }
  // Each sequence alone gives its rows of the batched run.
  size_t offset = 0;
  for (int s = 0; s < 2; ++s) {
    std::string dump = path("alone.f32");
    Result r = runLfm(embedded() + " --device cpu --ignore-eos --all-logits --max-new-tokens " +
                      std::to_string(max_new) + " --prompt-ids " + prompts[s] +
                      " --dump-logits " + dump);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(parseLines(r.out)[0], outputs[0][s]);
    std::vector<float> alone = readFloats(dump);
    ASSERT_LE(offset + alone.size(), dumps[0].size());
    for (size_t i = 0; i < alone.size(); ++i) ASSERT_NEAR(alone[i], dumps[0][offset + i], 1e-5);
    offset += alone.size();
  }
}

TEST_F(LfmRun, DumpWithoutAllLogitsHasOneRowPerSampledToken) {
  std::string all = path("all.f32"), sampled = path("sampled.f32");
  Result a = runLfm(embedded() + " --ignore-eos --max-new-tokens 3 --prompt-ids 4,4,4,4 --all-logits --dump-logits " + all);
  Result s = runLfm(embedded() + " --ignore-eos --max-new-tokens 3 --prompt-ids 4,4,4,4 --dump-logits " + sampled);
  ASSERT_EQ(a.code, 0) << a.err;
  ASSERT_EQ(s.code, 0) << s.err;
  std::vector<float> av = readFloats(all), sv = readFloats(sampled);
  ASSERT_EQ(av.size(), static_cast<size_t>(6 * kVocab));  // 4 prompt rows + 2 fed generated
  ASSERT_EQ(sv.size(), static_cast<size_t>(3 * kVocab));  // rows 3, 4, 5 of the full dump
  for (size_t i = 0; i < sv.size(); ++i) EXPECT_NEAR(sv[i], av[3 * kVocab + i], 1e-5);
}

TEST_F(LfmRun, CheckpointWeightsMatchEmbeddedWeights) {
  std::string args = " --ignore-eos --max-new-tokens 5 --prompt-ids 3,1,4,1,5";
  Result a = runLfm(embedded() + args);
  Result b = runLfm(path("plain.lfma") + " --weights " + path("model.safetensors") + args);
  ASSERT_EQ(a.code, 0) << a.err;
  ASSERT_EQ(b.code, 0) << b.err;
  EXPECT_EQ(a.out, b.out);
  Result c = runLfm(path("plain.lfma") + " --random-weights 7" + args);
  EXPECT_EQ(c.code, 0) << c.err;
}

TEST_F(LfmRun, JsonSummaryAndAutoDevice) {
  Result r = runLfm(embedded() + " --device auto --json --max-new-tokens 2 --prompt-ids \"1,2;3\"");
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char *key : {"\"sequences\"", "\"generated\"", "\"prefill\"", "\"decode\"",
                          "\"tokens_per_second\""}) {
    EXPECT_NE(r.out.find(key), std::string::npos) << key << "\n" << r.out;
  }
  EXPECT_NE(r.err.find("using the cpu device"), std::string::npos) << r.err;
}

// A GPU that cannot run the artifact (this one has no kernels): auto falls
// back to the cpu device and says why; an explicit cuda fails before it runs.
TEST_F(LfmRun, AutoLeavesAGpuThatCannotRunTheArtifact) {
  setenv("LFM_LIBCUDA", LFM_FAKE_CUDA, 1);
  Result a = runLfm(embedded() + " --device auto --max-new-tokens 2 --prompt-ids 1,2");
  Result c = runLfm(embedded() + " --device cuda --max-new-tokens 2 --prompt-ids 1,2");
  unsetenv("LFM_LIBCUDA");
  ASSERT_EQ(a.code, 0) << a.err;
  EXPECT_EQ(parseLines(a.out).size(), 1u) << a.out;
  EXPECT_NE(a.err.find("cuda:0 cannot run this artifact"), std::string::npos) << a.err;
  EXPECT_NE(a.err.find("has no generated kernel"), std::string::npos) << a.err;
  EXPECT_NE(a.err.find("using the cpu device"), std::string::npos) << a.err;
  EXPECT_EQ(c.code, 1) << c.err;
  EXPECT_NE(c.err.find("cuda device: launch 0"), std::string::npos) << c.err;
  EXPECT_TRUE(c.out.empty()) << c.out;
}

TEST_F(LfmRun, SamplingIsDeterministicPerSeed) {
  std::string args = embedded() + " --ignore-eos --max-new-tokens 8 --prompt-ids 1,2,3 --temperature 1.5 --top-k 5 --top-p 0.9 --seed ";
  Result a = runLfm(args + "11"), b = runLfm(args + "11");
  ASSERT_EQ(a.code, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
}

TEST_F(LfmRun, BadInputsExitOneWithAMessage) {
  struct Case {
    std::string args, message;
  };
  const Case cases[] = {
      {embedded() + " --prompt-ids 1,2,11", "outside the model's vocabulary"},
      {embedded() + " --prompt-ids \"1,2;\"", "sequence 1 is empty"},
      {embedded() + " --prompt-ids 1,x,3", "'x' is not a token id"},
      {embedded() + " --prompt-ids 1,,3", "is not a token id"},
      {embedded() + " --prompt-ids -4", "is not a token id"},
      {embedded(), "give a prompt"},
      {embedded() + " --prompt hello", "carries no tokenizer"},
      {embedded() + " --chat", "carries no tokenizer"},
      {embedded() + " --prompt a --prompt-ids 1", "one kind of input"},
      {embedded() + " --prompt-ids 1 --system hi", "--system goes with --chat"},
      {embedded() + " --prompt-ids 1 --stop ''", "--stop: empty string"},
      {embedded() + " --prompt-ids 1 --min-p 1.5", "min-p"},
      {embedded() + " --prompt-ids 1 --repetition-penalty 0", "repetition penalty"},
      {embedded() + " --prompt-file " + path("no-such-prompt.txt"), "no-such-prompt.txt"},
      {embedded() + " --prompt-ids 1 --tokenizer " + path("no-such-dir"), "no-such-dir"},
      {path("missing.lfma") + " --prompt-ids 1", "missing.lfma"},
      {path("plain.lfma") + " --prompt-ids 1", "no embedded weights"},
      {path("plain.lfma") + " --weights " + path("nowhere") + " --prompt-ids 1", "nowhere"},
      {embedded() + " --device cuda --prompt-ids 1", "CUDA device not available"},
      {embedded() + " --device tpu --prompt-ids 1", "unknown device"},
      {embedded() + " --prompt-ids 1,2,3,4 --max-seq-len 6 --max-new-tokens 5 --ignore-eos",
       "capacity of 6"},
      {embedded() + " --prompt-ids \"1;2;3\" --slots 2", "--slots"},
      {embedded() + " --prompt-ids 1 --frobnicate", "unknown option --frobnicate"},
      {embedded() + " --prompt-ids 1 --max-new-tokens", "needs a value"},
      {embedded() + " --prompt-ids 1 --max-new-tokens ten", "not an integer"},
      {embedded() + " --prompt-ids 1 --top-p 0", "top-p"},
      {embedded() + " --prompt-ids 1 --weights a --random-weights 1", "not both"},
      {embedded() + " --prompt-ids 1 --dump-logits /nonexistent/dir/x.f32", "cannot open"},
  };
  for (const Case &c : cases) {
    Result r = runLfm(c.args);
    EXPECT_EQ(r.code, 1) << c.args << "\n" << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.args << "\n" << r.err;
  }
}

}  // namespace
}  // namespace lfm::testing
