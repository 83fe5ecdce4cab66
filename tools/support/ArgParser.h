// A small command-line parser: `--name value`, `--name=value`, boolean
// `--flag`s and positional arguments, with generated help. Enough for a thin
// main without pulling in a flags library.
#ifndef LFM_TOOLS_SUPPORT_ARGPARSER_H
#define LFM_TOOLS_SUPPORT_ARGPARSER_H

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace lfm::tools {

class ArgParser {
 public:
  // A boolean option: present or not.
  void addFlag(const std::string &name, const std::string &help);
  // An option with a value, shown in help as `--name VALUE`.
  void addOption(const std::string &name, const std::string &value_name, const std::string &help);
  // An option that may be given several times; values() lists them in order.
  void addRepeatedOption(const std::string &name, const std::string &value_name,
                         const std::string &help);

  // Errors: an unknown option, a missing value, a flag given a value, an
  // option given twice.
  absl::Status parse(int argc, const char *const *argv);

  bool has(const std::string &name) const { return values_.count(name) != 0; }
  std::optional<std::string> value(const std::string &name) const;
  std::vector<std::string> values(const std::string &name) const;
  const std::vector<std::string> &positional() const { return positional_; }

  // The option list, one block per option, wrapped for a terminal.
  std::string optionsHelp() const;

 private:
  struct Spec {
    std::string name;
    std::string value_name;  // empty for flags
    std::string help;
    bool repeated = false;
  };
  const Spec *find(const std::string &name) const;

  std::vector<Spec> specs_;
  std::map<std::string, std::string> values_;
  std::map<std::string, std::vector<std::string>> repeated_values_;
  std::vector<std::string> positional_;
};

// Whole-string number parsing with errors that name the option.
absl::StatusOr<int64_t> parseInt(const std::string &text, const std::string &what);
absl::StatusOr<uint64_t> parseUint(const std::string &text, const std::string &what);
absl::StatusOr<double> parseDouble(const std::string &text, const std::string &what);

// The integer value of option `name` into `out`, if given; an error names the
// option when it is not an integer in [lo, hi]. Absent, `out` is unchanged.
absl::Status intOption(const ArgParser &p, const std::string &name, int64_t lo, int64_t hi,
                       int64_t &out);

}  // namespace lfm::tools

#endif  // LFM_TOOLS_SUPPORT_ARGPARSER_H
