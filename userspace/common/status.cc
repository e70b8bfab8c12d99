// Conversion of errno values into absl::Status with context.
#include "common/status.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace darkscope {

absl::Status ErrnoError(int error_number, absl::string_view operation,
                        absl::string_view object) {
  return absl::ErrnoToStatus(std::abs(error_number),
                             absl::StrCat(operation, " ", object));
}

}  // namespace darkscope
