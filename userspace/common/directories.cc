// mkdir -p, as common/directories.h says.
#include "common/directories.h"

#include <errno.h>

#include <filesystem>
#include <system_error>

#include "common/status.h"

namespace darkscope {

absl::Status MakeDirectories(const std::string& path) {
  std::error_code error;
  std::filesystem::create_directories(path, error);
  if (error) return ErrnoError(error.value(), "create directory", path);
  // create_directories succeeds on an existing non-directory's path only
  // when it is a symlink to one; anything else is not a directory.
  if (!std::filesystem::is_directory(path, error)) {
    return ErrnoError(ENOTDIR, "create directory", path);
  }
  return absl::OkStatus();
}

}  // namespace darkscope
