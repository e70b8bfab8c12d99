// Pin names, pin directories and the bpffs mount.
#include "loader/pins.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "darkscope/abi.h"

namespace darkscope {
namespace {

bool IsBpffs(const std::string& path) {
  struct statfs fs = {};
  return statfs(path.c_str(), &fs) == 0 && fs.f_type == BPF_FS_MAGIC;
}

// mkdir -p with mode 0700; existing directories are fine.
absl::Status MakeDirectories(const std::string& path) {
  for (size_t slash = 1; slash != std::string::npos;) {
    slash = path.find('/', slash + 1);
    const std::string prefix = path.substr(0, slash);
    if (mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) {
      return ErrnoError(errno, "mkdir", prefix);
    }
  }
  return absl::OkStatus();
}

}  // namespace

const std::string& LayoutVersion() {
  static const std::string* version =
      new std::string(absl::StrCat(DS_ABI_VERSION, "_", DARKSCOPE_ABI_HASH));
  return *version;
}

std::string PinDirectory(absl::string_view bpffs, absl::string_view iface) {
  return absl::StrCat(bpffs, "/darkscope/", iface);
}

std::string PinName(absl::string_view object) {
  return absl::StrCat(object, "_v", LayoutVersion());
}

absl::StatusOr<std::vector<PinEntry>> ListPins(const std::string& directory) {
  std::vector<PinEntry> entries;
  std::unique_ptr<DIR, int (*)(DIR*)> dir(opendir(directory.c_str()), closedir);
  if (dir == nullptr) {
    if (errno == ENOENT) return entries;
    return ErrnoError(errno, "opendir", directory);
  }
  while (dirent* entry = readdir(dir.get())) {
    const std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    PinEntry pin{name, name, ""};
    // The layout's hash is hex, so the last "_v" starts it.
    if (size_t v = name.rfind("_v"); v != std::string::npos && v > 0) {
      pin.object = name.substr(0, v);
      pin.layout = name.substr(v + 2);
    }
    entries.push_back(std::move(pin));
  }
  return entries;
}

absl::Status EnsureBpffs(const std::string& mount_point) {
  if (IsBpffs(mount_point)) return absl::OkStatus();
  DS_RETURN_IF_ERROR(MakeDirectories(mount_point));
  if (mount("bpf", mount_point.c_str(), "bpf", 0, "mode=0700") != 0) {
    return ErrnoError(errno, "mount -t bpf (needs CAP_SYS_ADMIN)", mount_point);
  }
  return absl::OkStatus();
}

namespace {

// "MAJOR:MINOR" of the bpffs mounted on `mount_point` in the mountinfo text,
// as /proc/PID/mountinfo lists it; true when found.
bool MountinfoHasDevice(const std::string& mountinfo,
                        const std::string& device) {
  // Each line: ID PARENT MAJOR:MINOR ROOT MOUNTPOINT OPTIONS... - TYPE SOURCE
  // ...
  size_t line = 0;
  while (line < mountinfo.size()) {
    size_t end = mountinfo.find('\n', line);
    if (end == std::string::npos) end = mountinfo.size();
    const std::string_view text(mountinfo.data() + line, end - line);
    line = end + 1;
    const size_t first = text.find(' ');
    const size_t second =
        first == std::string_view::npos ? first : text.find(' ', first + 1);
    if (second == std::string_view::npos) continue;
    const size_t third = text.find(' ', second + 1);
    if (text.substr(second + 1, third - second - 1) != device) continue;
    if (text.find(" - bpf ") != std::string_view::npos) return true;
  }
  return false;
}

std::string ReadSmallFile(const std::string& path) {
  std::string text;
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return text;
  char buffer[8192];
  for (ssize_t n; (n = read(fd.get(), buffer, sizeof(buffer))) > 0;)
    text.append(buffer, n);
  return text;
}

}  // namespace

absl::StatusOr<bool> BpffsOutlivesProcess(const std::string& mount_point,
                                          std::string* why) {
  struct stat bpffs = {}, own_ns = {};
  if (stat(mount_point.c_str(), &bpffs) != 0)
    return ErrnoError(errno, "stat", mount_point);
  if (stat("/proc/self/ns/mnt", &own_ns) != 0) {
    return ErrnoError(errno, "stat", "/proc/self/ns/mnt");
  }
  const std::string device =
      absl::StrCat(major(bpffs.st_dev), ":", minor(bpffs.st_dev));
  std::unique_ptr<DIR, int (*)(DIR*)> proc(opendir("/proc"), closedir);
  if (proc == nullptr) return ErrnoError(errno, "opendir", "/proc");
  const std::string self = std::to_string(getpid());
  std::vector<ino_t> seen = {own_ns.st_ino};
  while (dirent* entry = readdir(proc.get())) {
    const std::string pid = entry->d_name;
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos)
      continue;
    if (pid == self) continue;
    // The namespace link needs ptrace access (not the service user's to
    // pid 1's); mountinfo does not, so it is read whenever the namespace
    // cannot be told.
    struct stat ns = {};
    if (stat(absl::StrCat("/proc/", pid, "/ns/mnt").c_str(), &ns) == 0) {
      if (ns.st_ino == own_ns.st_ino) {
        *why = absl::StrCat("process ", pid, " shares this mount namespace");
        return true;
      }
      if (std::find(seen.begin(), seen.end(), ns.st_ino) != seen.end())
        continue;
      seen.push_back(ns.st_ino);
    }
    if (MountinfoHasDevice(
            ReadSmallFile(absl::StrCat("/proc/", pid, "/mountinfo")), device)) {
      *why = absl::StrCat("the mount namespace of process ", pid,
                          " has it mounted too");
      return true;
    }
  }
  *why = absl::StrCat(
      "no other process is in this mount namespace and no other namespace has "
      "this bpffs (device ",
      device, ") mounted, as under `ip netns exec`");
  return false;
}

absl::Status MakePinDirectory(const std::string& directory) {
  DS_RETURN_IF_ERROR(MakeDirectories(directory));
  if (!IsBpffs(directory)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "pin directory ", directory, ": not inside a bpffs mount"));
  }
  return absl::OkStatus();
}

absl::Status RemovePins(const std::string& directory) {
  DS_ASSIGN_OR_RETURN(std::vector<PinEntry> entries, ListPins(directory));
  for (const PinEntry& entry : entries) {
    const std::string path = absl::StrCat(directory, "/", entry.name);
    if (unlink(path.c_str()) != 0 && errno != ENOENT) {
      return ErrnoError(errno, "unlink", path);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<PinDirectoryLock> PinDirectoryLock::Acquire(
    const std::string& directory, absl::string_view iface) {
  DS_RETURN_IF_ERROR(MakePinDirectory(directory));
  // Read-only is enough for flock, so a directory another user made (a run
  // as root before the service) only needs to be readable.
  UniqueFd fd(open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError(errno, "open (to lock)", directory);
  if (flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return absl::FailedPreconditionError(
          absl::StrCat("interface ", iface,
                       " is in use by another darkscope (a running agent or "
                       "`darkscope detach`): it holds the lock on ",
                       directory, "; stop it first (one agent per interface)"));
    }
    return ErrnoError(errno, "flock LOCK_EX", directory);
  }
  return PinDirectoryLock(std::move(fd));
}

}  // namespace darkscope
