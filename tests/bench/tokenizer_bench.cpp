// Encode throughput of lfm::Tokenizer, for scripts/tokenizer-bench (which
// runs HF tokenizers on the same text beside it).
//
//   tokenizer_bench TOKENIZER_DIR TEXT_FILE [--seconds S]
//
// Prints one JSON line: the text's size, the ids of the whole text (count
// and an FNV-1a hash, to compare with HF), and MB/s encoding the whole text
// at once and line by line (best of several runs, one thread).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "lfm/Tokenizer.h"

namespace {

std::string readFile(const std::string &path, bool *ok) {
  std::ifstream in(path, std::ios::binary);
  *ok = static_cast<bool>(in);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Runs `fn` until `seconds` have passed (at least 3 times); the best MB/s.
template <typename F>
double bestMBps(size_t bytes, double seconds, F &&fn) {
  double best = 0, start = now();
  for (int run = 0; run < 3 || now() - start < seconds; ++run) {
    double t0 = now();
    fn();
    double dt = now() - t0;
    best = std::max(best, static_cast<double>(bytes) / dt / 1e6);
  }
  return best;
}

}  // namespace

int main(int argc, char **argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s TOKENIZER_DIR TEXT_FILE [--seconds S]\n", argv[0]);
    return 2;
  }
  std::string dir = argv[1];
  double seconds = 3;
  if (argc >= 5 && std::string(argv[3]) == "--seconds") seconds = std::atof(argv[4]);
  bool ok_json = false, ok_config = false, ok_text = false;
  std::string json = readFile(dir + "/tokenizer.json", &ok_json);
  std::string config = readFile(dir + "/tokenizer_config.json", &ok_config);
  std::string text = readFile(argv[2], &ok_text);
  if (!ok_json || !ok_text) {
    std::fprintf(stderr, "cannot read %s/tokenizer.json or %s\n", dir.c_str(), argv[2]);
    return 1;
  }
  double t0 = now();
  auto tok = lfm::Tokenizer::create(json, ok_config ? config : "", dir);
  double load_s = now() - t0;
  if (!tok.ok()) {
    std::fprintf(stderr, "%s\n", std::string(tok.status().message()).c_str());
    return 1;
  }
  std::vector<std::string_view> lines;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    end = end == std::string::npos ? text.size() : end + 1;
    lines.push_back(std::string_view(text).substr(start, end - start));
    start = end;
  }

  auto ids = (*tok)->encode(text, false);
  if (!ids.ok()) {
    std::fprintf(stderr, "%s\n", std::string(ids.status().message()).c_str());
    return 1;
  }
  uint64_t hash = 0xcbf29ce484222325ull;
  for (int32_t id : *ids) hash = (hash ^ static_cast<uint32_t>(id)) * 0x100000001b3ull;

  size_t sink = 0;
  double whole = bestMBps(text.size(), seconds, [&] { sink += (*tok)->encode(text, false)->size(); });
  size_t line_tokens = 0;
  double by_line = bestMBps(text.size(), seconds, [&] {
    line_tokens = 0;
    for (std::string_view line : lines) line_tokens += (*tok)->encode(line, false)->size();
  });
  std::printf(
      "{\"bytes\": %zu, \"lines\": %zu, \"tokens\": %zu, \"line_tokens\": %zu, \"ids_fnv1a\": \"%016llx\", "
      "\"load_s\": %.3f, \"whole_MBps\": %.2f, \"lines_MBps\": %.2f}\n",
      text.size(), lines.size(), ids->size(), line_tokens, static_cast<unsigned long long>(hash), load_s,
      whole, by_line);
  return sink == 0 && !text.empty() ? 1 : 0;
}
