//===- Errors.h - absl::Status to llvm::Error at the driver's edge -*- C++ -*-===//
//
// The runtime libraries the driver calls (config loading, tokenizer files,
// weights, artifact writing) report absl::Status; the driver's API is in the
// compiler's style, llvm::Error. The message passes through unchanged.
//
//===----------------------------------------------------------------------===//

#ifndef LFM_DRIVER_ERRORS_H
#define LFM_DRIVER_ERRORS_H

#include "absl/status/status.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Error.h"

#include <string>

namespace mlir::lfm::driver {

inline llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

inline llvm::Error toError(const absl::Status &status) {
  if (status.ok())
    return llvm::Error::success();
  return makeError(std::string(status.message()));
}

} // namespace mlir::lfm::driver

#endif // LFM_DRIVER_ERRORS_H
