#include "lfm/ReadFile.h"

#include <sys/stat.h>

#include <fstream>

#include "absl/strings/str_cat.h"

namespace lfm {

absl::StatusOr<std::string> readFileToString(const std::string &path, uint64_t max_bytes) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    return absl::NotFoundError(absl::StrCat("cannot open '", path, "'"));
  if (!S_ISREG(st.st_mode))
    return absl::InvalidArgumentError(absl::StrCat("'", path, "' is not a regular file"));
  if (static_cast<uint64_t>(st.st_size) > max_bytes)
    return absl::InvalidArgumentError(
        absl::StrCat("'", path, "' is ", st.st_size, " bytes, more than the ", max_bytes,
                     " allowed"));
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open '", path, "'"));
  std::string text(static_cast<size_t>(st.st_size), '\0');
  if (!in.read(text.data(), static_cast<std::streamsize>(text.size())) ||
      in.peek() != std::char_traits<char>::eof())
    return absl::DataLossError(absl::StrCat("cannot read '", path, "' (changed while reading?)"));
  return text;
}

}  // namespace lfm
