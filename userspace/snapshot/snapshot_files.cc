// Finding and reading snapshot files.
#include "snapshot/snapshot_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "common/unique_fd.h"

namespace darkscope {

absl::StatusOr<std::vector<uint8_t>> ReadWholeFile(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError(errno, "open", path);
  struct stat st = {};
  if (::fstat(fd.get(), &st) != 0) return ErrnoError(errno, "fstat", path);
  // Sized by fstat, read in place; a file that grows meanwhile is read on.
  std::vector<uint8_t> bytes(static_cast<size_t>(st.st_size) + 1);
  size_t used = 0;
  for (;;) {
    if (used == bytes.size()) bytes.resize(bytes.size() * 2);
    ssize_t n = ::read(fd.get(), bytes.data() + used, bytes.size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError(errno, "read", path);
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  bytes.resize(used);
  return bytes;
}

absl::StatusOr<std::vector<std::string>> ListSnapshotFiles(
    const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const std::string& path : paths) {
    struct stat st = {};
    if (::stat(path.c_str(), &st) != 0) return ErrnoError(errno, "stat", path);
    if (!S_ISDIR(st.st_mode)) {
      files.push_back(path);
      continue;
    }
    DIR* dir = ::opendir(path.c_str());
    if (dir == nullptr) return ErrnoError(errno, "opendir", path);
    std::vector<std::string> names;
    while (dirent* entry = ::readdir(dir)) {
      absl::string_view name = entry->d_name;
      // Temporary files start with '.', and are never complete.
      if (!absl::StartsWith(name, ".") && absl::EndsWith(name, ".dsnap")) {
        names.emplace_back(name);
      }
    }
    ::closedir(dir);
    std::sort(names.begin(), names.end());  // names sort in time order
    for (const std::string& name : names) files.push_back(absl::StrCat(path, "/", name));
  }
  return files;
}

}  // namespace darkscope
