// ScopedMount: a filesystem the test mounts on a fresh temporary directory
// and unmounts (and removes) when it goes away: a bpffs for pins that must
// outlive one agent (each `ip netns exec` gets a private /sys without one),
// a small tmpfs to fill up or make read-only under a running agent.
#ifndef DARKSCOPE_TESTS_SCOPED_MOUNT_H_
#define DARKSCOPE_TESTS_SCOPED_MOUNT_H_

#include <stdlib.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "absl/status/status.h"
#include "common/status.h"

namespace darkscope::testing {

class ScopedMount {
 public:
  ScopedMount() = default;
  ScopedMount(const ScopedMount&) = delete;
  ScopedMount& operator=(const ScopedMount&) = delete;
  ~ScopedMount() {
    if (mounted_) umount2(path_.c_str(), MNT_DETACH);
    if (!path_.empty()) rmdir(path_.c_str());
  }

  // Mounts a `type` filesystem ("bpf", "tmpfs") with `options` on a new
  // directory /tmp/darkscope-TAG-XXXXXX.
  absl::Status Mount(const std::string& tag, const char* type,
                     const std::string& options) {
    std::string dir = "/tmp/darkscope-" + tag + "-XXXXXX";
    if (mkdtemp(dir.data()) == nullptr)
      return ErrnoError(errno, "mkdtemp", dir);
    path_ = dir;
    if (mount(type, path_.c_str(), type, 0, options.c_str()) != 0) {
      return ErrnoError(errno, std::string("mount -t ") + type, path_);
    }
    mounted_ = true;
    return absl::OkStatus();
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool mounted_ = false;
};

}  // namespace darkscope::testing

#endif  // DARKSCOPE_TESTS_SCOPED_MOUNT_H_
