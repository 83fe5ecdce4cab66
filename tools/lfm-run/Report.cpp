#include "Report.h"

#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace lfm::tools {
namespace {

std::string jsonString(const std::string &s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += absl::StrCat("\\u00", (c >> 4) & 0xf, std::string(1, "0123456789abcdef"[c & 0xf]));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string phase(int64_t tokens, int64_t steps, double seconds) {
  double rate = seconds > 0 ? tokens / seconds : 0;
  return absl::StrCat("{\"tokens\": ", tokens, ", \"steps\": ", steps,
                      ", \"seconds\": ", seconds, ", \"tokens_per_second\": ", rate, "}");
}

}  // namespace

std::string tokenLines(const GenerateResult &result) {
  std::string out;
  for (const SequenceResult &s : result.sequences) {
    absl::StrAppend(&out, absl::StrJoin(s.generated, ","), "\n");
  }
  return out;
}

std::string jsonSummary(const GenerateResult &result, const RunInfo &info) {
  std::vector<std::string> seqs;
  for (const SequenceResult &s : result.sequences) {
    seqs.push_back(absl::StrCat("{\"prompt_tokens\": ", s.prompt.size(), ", \"generated\": [",
                                absl::StrJoin(s.generated, ", "), "], \"stop\": ",
                                jsonString(s.stop),
                                s.text ? absl::StrCat(", \"text\": ", jsonString(*s.text)) : "",
                                "}"));
  }
  const GenerateStats &st = result.stats;
  return absl::StrCat("{\"device\": ", jsonString(info.device),
                      ", \"weights\": ", jsonString(info.weights),
                      ", \"load_seconds\": ", info.load_seconds,
                      ",\n \"sequences\": [", absl::StrJoin(seqs, ",\n   "),
                      "],\n \"prefill\": ", phase(st.prefill_tokens, st.prefill_steps, st.prefill_seconds),
                      ",\n \"decode\": ", phase(st.decode_tokens, st.decode_steps, st.decode_seconds),
                      "}\n");
}

absl::Status dumpLogits(const GenerateResult &result, const std::string &path) {
  static_assert(std::endian::native == std::endian::little,
                "--dump-logits writes the host's float32 bytes, which must be little-endian");
  std::FILE *f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("--dump-logits: cannot open ", path, ": ", std::strerror(errno)));
  }
  bool ok = true;
  for (const SequenceResult &s : result.sequences) {
    if (!s.logits.empty()) ok &= std::fwrite(s.logits.data(), sizeof(float), s.logits.size(), f) == s.logits.size();
  }
  ok &= std::fclose(f) == 0;
  if (!ok) return absl::InternalError(absl::StrCat("--dump-logits: cannot write ", path));
  return absl::OkStatus();
}

}  // namespace lfm::tools
