#include "ArgParser.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace lfm::tools {

void ArgParser::addFlag(const std::string &name, const std::string &help) {
  specs_.push_back({name, "", help});
}

void ArgParser::addOption(const std::string &name, const std::string &value_name,
                          const std::string &help) {
  specs_.push_back({name, value_name, help});
}

void ArgParser::addRepeatedOption(const std::string &name, const std::string &value_name,
                                  const std::string &help) {
  specs_.push_back({name, value_name, help, /*repeated=*/true});
}

const ArgParser::Spec *ArgParser::find(const std::string &name) const {
  for (const Spec &s : specs_) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

absl::Status ArgParser::parse(int argc, const char *const *argv) {
  bool only_positional = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (only_positional || arg.size() < 2 || arg[0] != '-' || arg == "-") {
      positional_.push_back(arg);
      continue;
    }
    if (arg == "--") {
      only_positional = true;
      continue;
    }
    std::string name = arg.substr(arg[1] == '-' ? 2 : 1);
    std::optional<std::string> inline_value;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name.resize(eq);
    }
    if (name == "h" && find("help") != nullptr) name = "help";  // the usual short form
    const Spec *spec = find(name);
    if (spec == nullptr) return absl::InvalidArgumentError(absl::StrCat("unknown option ", arg));
    if (values_.count(name) && !spec->repeated) {
      return absl::InvalidArgumentError(absl::StrCat("option --", name, " given twice"));
    }
    std::string value;
    if (spec->value_name.empty()) {
      if (inline_value) {
        return absl::InvalidArgumentError(absl::StrCat("option --", name, " takes no value"));
      }
    } else if (inline_value) {
      value = *inline_value;
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("option --", name, " needs a value (", spec->value_name, ")"));
    }
    if (spec->repeated) repeated_values_[name].push_back(value);
    values_[name] = std::move(value);
  }
  return absl::OkStatus();
}

std::vector<std::string> ArgParser::values(const std::string &name) const {
  auto it = repeated_values_.find(name);
  return it == repeated_values_.end() ? std::vector<std::string>{} : it->second;
}

std::optional<std::string> ArgParser::value(const std::string &name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::string ArgParser::optionsHelp() const {
  std::string out;
  for (const Spec &s : specs_) {
    std::string head = absl::StrCat("  --", s.name);
    if (!s.value_name.empty()) absl::StrAppend(&head, " ", s.value_name);
    absl::StrAppend(&out, head, "\n");
    // Wrap the help text at about 76 columns, indented under the option.
    std::string line = "      ";
    size_t start = 0;
    while (start < s.help.size()) {
      size_t end = s.help.find(' ', start);
      if (end == std::string::npos) end = s.help.size();
      std::string word = s.help.substr(start, end - start);
      if (line.size() > 6 && line.size() + word.size() + 1 > 78) {
        absl::StrAppend(&out, line, "\n");
        line = "      ";
      }
      absl::StrAppend(&line, line.size() > 6 ? " " : "", word);
      start = end + 1;
    }
    absl::StrAppend(&out, line, "\n");
  }
  return out;
}

absl::StatusOr<int64_t> parseInt(const std::string &text, const std::string &what) {
  int64_t v;
  if (!absl::SimpleAtoi(text, &v)) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": '", text, "' is not an integer"));
  }
  return v;
}

absl::StatusOr<uint64_t> parseUint(const std::string &text, const std::string &what) {
  uint64_t v;
  if (text.empty() || text[0] == '-' || !absl::SimpleAtoi(text, &v)) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": '", text, "' is not a non-negative integer"));
  }
  return v;
}

absl::StatusOr<double> parseDouble(const std::string &text, const std::string &what) {
  double v;
  if (!absl::SimpleAtod(text, &v)) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": '", text, "' is not a number"));
  }
  return v;
}

absl::Status intOption(const ArgParser &p, const std::string &name, int64_t lo, int64_t hi,
                       int64_t &out) {
  std::optional<std::string> v = p.value(name);
  if (!v) return absl::OkStatus();
  absl::StatusOr<int64_t> n = parseInt(*v, "--" + name);
  if (!n.ok()) return n.status();
  if (*n < lo || *n > hi)
    return absl::InvalidArgumentError(
        absl::StrCat("--", name, " must be in [", lo, ", ", hi, "], got ", *n));
  out = *n;
  return absl::OkStatus();
}

}  // namespace lfm::tools
