// Reads a whole small file (configs, indexes, tokenizer files) into memory,
// refusing one larger than the caller's bound before allocating.
#ifndef LFM_READFILE_H
#define LFM_READFILE_H

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace lfm {

// NotFound when `path` cannot be opened; InvalidArgument when it is larger
// than `max_bytes` or not a regular file; DataLoss when reading fails.
absl::StatusOr<std::string> readFileToString(const std::string &path, uint64_t max_bytes);

}  // namespace lfm

#endif  // LFM_READFILE_H
