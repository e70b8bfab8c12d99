// Creating an output directory the way `mkdir -p` does, for the commands
// that are given one (replay --out, gen --truth).
#ifndef DARKSCOPE_COMMON_DIRECTORIES_H_
#define DARKSCOPE_COMMON_DIRECTORIES_H_

#include <string>

#include "absl/status/status.h"

namespace darkscope {

// Creates `path` and any missing parents (mode 0777 less the umask); OK if
// it is a directory already. The error names the path ("create directory
// /x/y: Permission denied"; "... File exists" for a non-directory).
absl::Status MakeDirectories(const std::string& path);

}  // namespace darkscope

#endif  // DARKSCOPE_COMMON_DIRECTORIES_H_
