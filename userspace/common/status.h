// Status helpers shared by every room of the agent: the two propagation
// macros that this abseil release lacks, and the conversion of an errno into
// an absl::Status whose message names the operation and the object
// ("bpf_map_lookup_batch ds_sources_0: No space left on device").
#ifndef DARKSCOPE_COMMON_STATUS_H_
#define DARKSCOPE_COMMON_STATUS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace darkscope {

// An error from a system or libbpf call that failed with `error_number`
// (positive or negative errno).
absl::Status ErrnoError(int error_number, absl::string_view operation,
                        absl::string_view object);

}  // namespace darkscope

#define DS_STATUS_CONCAT_INNER(a, b) a##b
#define DS_STATUS_CONCAT(a, b) DS_STATUS_CONCAT_INNER(a, b)

// Returns from the enclosing function if `expr` (an absl::Status) is an
// error.
#define DS_RETURN_IF_ERROR(expr)                                               \
  do {                                                                         \
    if (absl::Status ds_status_ = (expr); !ds_status_.ok()) return ds_status_; \
  } while (0)

// Evaluates `expr` (an absl::StatusOr<T>); returns its error, or moves its
// value into `lhs` (a declaration or an lvalue).
#define DS_ASSIGN_OR_RETURN(lhs, expr) \
  DS_ASSIGN_OR_RETURN_IMPL(DS_STATUS_CONCAT(ds_statusor_, __LINE__), lhs, expr)
#define DS_ASSIGN_OR_RETURN_IMPL(statusor, lhs, expr)      \
  auto statusor = (expr);                                  \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()

#endif  // DARKSCOPE_COMMON_STATUS_H_
