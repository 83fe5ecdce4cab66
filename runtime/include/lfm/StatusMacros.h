// Early returns for absl::Status / absl::StatusOr, which abseil does not
// export publicly. Runtime code propagates errors with these instead of
// nesting `if (!st.ok()) return st;` everywhere.
#ifndef LFM_STATUSMACROS_H
#define LFM_STATUSMACROS_H

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Guarded so that a file-local copy of the same macros does not clash.
#ifndef LFM_RETURN_IF_ERROR
#define LFM_STATUS_CONCAT_INNER_(a, b) a##b
#define LFM_STATUS_CONCAT_(a, b) LFM_STATUS_CONCAT_INNER_(a, b)

// Returns the status of `expr` from the enclosing function unless it is OK.
#define LFM_RETURN_IF_ERROR(expr)                                                   \
  do {                                                                              \
    if (::absl::Status lfm_status_ = (expr); !lfm_status_.ok()) return lfm_status_; \
  } while (0)

// `lhs = value of the StatusOr expr`, or returns its error.
#define LFM_ASSIGN_OR_RETURN(lhs, expr) \
  LFM_ASSIGN_OR_RETURN_IMPL_(LFM_STATUS_CONCAT_(lfm_statusor_, __LINE__), lhs, expr)
#define LFM_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return std::move(tmp).status();   \
  lhs = std::move(tmp).value()
#endif  // LFM_RETURN_IF_ERROR

#endif  // LFM_STATUSMACROS_H
