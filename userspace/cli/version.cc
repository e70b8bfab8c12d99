// The version text of cli/version.h, from what CMake captured: the project
// version and abi.h's hash at configure time, the git revision at build
// time (cmake/GitRevision.cmake writes darkscope_git_revision.h).
#include "cli/version.h"

#include "absl/strings/str_cat.h"
#include "darkscope/abi.h"
#include "darkscope_git_revision.h"

namespace darkscope::cli {

std::string AbiLayout() {
  return absl::StrCat(DS_ABI_VERSION, "_", DARKSCOPE_ABI_HASH);
}

std::string VersionText() {
  return absl::StrCat("darkscope ", DARKSCOPE_VERSION, "\ngit revision ",
                      DARKSCOPE_GIT_REVISION, "\nBPF object layout ",
                      AbiLayout(), " (DS_ABI_VERSION ", DS_ABI_VERSION,
                      ", abi.h SHA-256 ", DARKSCOPE_ABI_HASH, "...)\n");
}

}  // namespace darkscope::cli
