#include "text/Regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "text/OnigPattern.h"

namespace lfm::text {
namespace {

std::string pcre2Message(int code) {
  PCRE2_UCHAR buf[256];
  if (pcre2_get_error_message(code, buf, sizeof buf) < 0) return absl::StrCat("PCRE2 error ", code);
  return reinterpret_cast<const char *>(buf);
}

// Per thread: match data for one pair (only the whole match is read) and a
// JIT stack that can grow to 16 MiB (long runs of one character class).
struct ThreadMatch {
  pcre2_match_data *data = nullptr;
  pcre2_match_context *context = nullptr;
  pcre2_jit_stack *stack = nullptr;
  ThreadMatch() {
    data = pcre2_match_data_create(1, nullptr);
    context = pcre2_match_context_create(nullptr);
    stack = pcre2_jit_stack_create(32 * 1024, 16 * 1024 * 1024, nullptr);
    if (context && stack) pcre2_jit_stack_assign(context, nullptr, stack);
  }
  ~ThreadMatch() {
    pcre2_match_data_free(data);
    pcre2_match_context_free(context);
    pcre2_jit_stack_free(stack);
  }
};

ThreadMatch &threadMatch() {
  thread_local ThreadMatch m;
  return m;
}

}  // namespace

absl::StatusOr<Regex::Code> Regex::compileCode(std::string_view pattern, bool literal) {
  pcre2_compile_context *ctx = pcre2_compile_context_create(nullptr);
  if (!ctx) return absl::ResourceExhaustedError("PCRE2: out of memory");
  pcre2_set_newline(ctx, PCRE2_NEWLINE_LF);
  uint32_t options = literal ? PCRE2_UTF | PCRE2_LITERAL : PCRE2_UTF | PCRE2_UCP | PCRE2_MULTILINE;
  int error = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code *code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), options,
                                   &error, &offset, ctx);
  pcre2_compile_context_free(ctx);
  if (!code)
    return absl::InvalidArgumentError(
        absl::StrCat("PCRE2 cannot compile it: ", pcre2Message(error), " at offset ", offset));
  return Code{code, pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0};
}

absl::StatusOr<std::unique_ptr<Regex>> Regex::compile(std::string_view pattern, bool literal) {
  auto code = compileCode(pattern, literal);
  if (!code.ok()) return code.status();
  std::unique_ptr<Regex> re(new Regex());
  re->exact_ = *code;
  return re;
}

absl::StatusOr<std::unique_ptr<Regex>> Regex::compileOnig(std::string_view pattern) {
  auto forms = onigToPcre2(pattern);
  if (!forms.ok()) return forms.status();
  auto re = compile(forms->exact, false);
  if (!re.ok()) return re.status();
  if (forms->fast != forms->exact && forms->fast_below >= 0x80) {
    auto fast = compileCode(forms->fast, false);
    if (fast.ok()) {
      (*re)->fast_ = *fast;
      (*re)->fast_below_ = forms->fast_below;
    }
  }
  return re;
}

Regex::~Regex() {
  pcre2_code_free(static_cast<pcre2_code *>(exact_.code));
  pcre2_code_free(static_cast<pcre2_code *>(fast_.code));
}

bool Regex::canRunFast(std::string_view subject) const {
  if (!fast_.code) return false;
  // Lead bytes: 0xC2.. starts U+0080, 0xE0.. U+0800, 0xF0.. U+10000.
  unsigned limit = fast_below_ >= 0x10000 ? 0xF0 : fast_below_ >= 0x800 ? 0xE0 : 0x80;
  const auto *p = reinterpret_cast<const unsigned char *>(subject.data());
  size_t n = subject.size(), i = 0;
  if (limit == 0x80) {
    for (; i + 8 <= n; i += 8) {
      uint64_t w;
      std::memcpy(&w, p + i, 8);
      if (w & 0x8080808080808080ull) return false;
    }
  }
  for (; i < n; ++i)
    if (p[i] >= limit) return false;
  return true;
}

size_t Regex::charLength(char lead) {
  auto b = static_cast<unsigned char>(lead);
  return b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
}

absl::StatusOr<std::optional<std::pair<size_t, size_t>>> Regex::findWith(bool fast, std::string_view subject,
                                                                         size_t from) const {
  ThreadMatch &m = threadMatch();
  if (!m.data || !m.context) return absl::ResourceExhaustedError("PCRE2: out of memory");
  const Code &c = fast ? fast_ : exact_;
  auto *code = static_cast<pcre2_code *>(c.code);
  auto *s = reinterpret_cast<PCRE2_SPTR>(subject.data());
  int rc = c.jit ? pcre2_jit_match(code, s, subject.size(), from, 0, m.data, m.context)
                 : pcre2_match(code, s, subject.size(), from, PCRE2_NO_UTF_CHECK, m.data, m.context);
  if (rc == PCRE2_ERROR_NOMATCH) return std::optional<std::pair<size_t, size_t>>();
  if (rc < 0) return absl::ResourceExhaustedError(absl::StrCat("regex match failed: ", pcre2Message(rc)));
  PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m.data);
  return std::optional<std::pair<size_t, size_t>>(std::make_pair(size_t{ov[0]}, size_t{ov[1]}));
}

absl::StatusOr<bool> Regex::matchesAt(std::string_view subject, size_t at) const {
  ThreadMatch &m = threadMatch();
  if (!m.data || !m.context) return absl::ResourceExhaustedError("PCRE2: out of memory");
  int rc = pcre2_match(static_cast<pcre2_code *>(exact_.code), reinterpret_cast<PCRE2_SPTR>(subject.data()),
                       subject.size(), at, PCRE2_NO_UTF_CHECK | PCRE2_ANCHORED, m.data, m.context);
  if (rc == PCRE2_ERROR_NOMATCH) return false;
  if (rc < 0) return absl::ResourceExhaustedError(absl::StrCat("regex match failed: ", pcre2Message(rc)));
  return true;
}

}  // namespace lfm::text
