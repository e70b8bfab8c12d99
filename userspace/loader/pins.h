// Where and under which names the attached program and its maps are pinned
// in bpffs, so that an agent can exit (SIGKILL, crash, upgrade, or SIGTERM
// with --keep-attached) while the program keeps counting, and the next
// agent on the same interface adopts them (docs/maps.md, Pinning).
//
// Layout: BPFFS/darkscope/IFACE/NAME_vLAYOUT, one directory per interface,
// every pin carrying the layout version of the build that pinned it
// (LayoutVersion(): DS_ABI_VERSION and a hash of include/darkscope/abi.h).
// A directory holding any pin of another layout is never adopted.
//
// This file knows names, directories and the bpffs mount; what is pinned
// and how it is adopted is DataPlane's (loader/data_plane.h).
#ifndef DARKSCOPE_LOADER_PINS_H_
#define DARKSCOPE_LOADER_PINS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/unique_fd.h"

namespace darkscope {

inline constexpr const char* kDefaultBpffs = "/sys/fs/bpf";

// This build's layout version, e.g. "1_3fa2b4c1": DS_ABI_VERSION, then the
// first 8 hex digits of abi.h's SHA-256 (bpffs refuses '.' in names).
const std::string& LayoutVersion();

// BPFFS/darkscope/IFACE.
std::string PinDirectory(absl::string_view bpffs, absl::string_view iface);

// OBJECT_vLAYOUT with this build's layout.
std::string PinName(absl::string_view object);

// One entry of a pin directory, split at its last "_v".
struct PinEntry {
  std::string name;    // as in the directory
  std::string object;  // "ds_ports"; the whole name if it has no "_v"
  std::string layout;  // "1_3fa2b4c1"; empty if the name has none
};

// The entries of `directory`; none if it does not exist.
absl::StatusOr<std::vector<PinEntry>> ListPins(const std::string& directory);

// Mounts bpffs at `mount_point` (creating the directory) unless a bpffs is
// mounted there already. Mounting needs CAP_SYS_ADMIN.
absl::Status EnsureBpffs(const std::string& mount_point);

// Whether the bpffs mounted at `mount_point` outlives this process. A mount
// lives as long as some mount namespace holds it: false when this process is
// the only one in its mount namespace and no other namespace has the same
// bpffs mounted (`ip netns exec` gives each command a mount namespace of its
// own, and a bpffs mounted there vanishes with the agent, pins and all).
// `why` says which, for the agent's warning. A process whose namespace
// link this one may not read (pid 1, for the service user) is judged by
// its mountinfo, which anyone may read.
absl::StatusOr<bool> BpffsOutlivesProcess(const std::string& mount_point,
                                          std::string* why);

// Creates `directory` and its parents (mode 0700) inside a bpffs.
absl::Status MakePinDirectory(const std::string& directory);

// Unlinks every entry of `directory`. The directory itself stays: it is the
// interface's lock (PinDirectoryLock).
absl::Status RemovePins(const std::string& directory);

// The exclusive flock on an interface's pin directory, held for as long as
// one process (an agent, `darkscope detach`) may adopt, change or remove
// its pins; released when destroyed (or when the process dies, SIGKILL
// included). The directory is never removed, so every process locks the
// same inode.
class PinDirectoryLock {
 public:
  // Creates `directory` (MakePinDirectory) and locks it without waiting.
  // FailedPrecondition naming `iface` when another process holds it.
  static absl::StatusOr<PinDirectoryLock> Acquire(const std::string& directory,
                                                  absl::string_view iface);
  PinDirectoryLock() = default;

 private:
  explicit PinDirectoryLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace darkscope

#endif  // DARKSCOPE_LOADER_PINS_H_
