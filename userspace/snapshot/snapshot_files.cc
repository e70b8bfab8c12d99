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

namespace {

const char* KindOf(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

}  // namespace

absl::StatusOr<std::vector<uint8_t>> ReadWholeFile(const std::string& path,
                                                   uint64_t max_bytes) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError(errno, "open", path);
  struct stat st = {};
  if (::fstat(fd.get(), &st) != 0) return ErrnoError(errno, "fstat", path);
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "read ", path, ": ", KindOf(st.st_mode), ", not a regular file"));
  }
  auto too_large = [&](uint64_t size) {
    return absl::FailedPreconditionError(absl::StrCat(
        "read ", path, ": ", size, " bytes or more; at most ", max_bytes));
  };
  if (static_cast<uint64_t>(st.st_size) > max_bytes)
    return too_large(st.st_size);
  // Sized by fstat, read in place; a file that grows meanwhile is read on,
  // up to the bound.
  std::vector<uint8_t> bytes(static_cast<size_t>(st.st_size) + 1);
  size_t used = 0;
  for (;;) {
    if (used == bytes.size()) {
      if (used > max_bytes) return too_large(used);
      bytes.resize(static_cast<size_t>(
          std::min<uint64_t>(bytes.size() * 2, max_bytes + 1)));
    }
    ssize_t n = ::read(fd.get(), bytes.data() + used, bytes.size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError(errno, "read", path);
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  if (used > max_bytes) return too_large(used);
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
    for (const std::string& name : names)
      files.push_back(absl::StrCat(path, "/", name));
  }
  return files;
}

}  // namespace darkscope
