// Checking and dropping capabilities with libcap.
#include "agent/privileges.h"

#include <fcntl.h>
#include <sys/capability.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status.h"

namespace darkscope {
namespace {

struct NamedCap {
  cap_value_t value;
  const char* name;
};
const NamedCap kAttachCaps[] = {{CAP_BPF, "CAP_BPF"},
                                {CAP_NET_ADMIN, "CAP_NET_ADMIN"},
                                {CAP_SYS_ADMIN, "CAP_SYS_ADMIN"}};
const cap_value_t kKeptCaps[] = {CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN};

using CapState = std::unique_ptr<std::remove_pointer_t<cap_t>, int (*)(void*)>;

}  // namespace

absl::Status CheckAttachCapabilities(bool sampling) {
  CapState caps(cap_get_proc(), cap_free);
  if (caps == nullptr) return ErrnoError(errno, "cap_get_proc", "darkscope");
  std::vector<std::string> missing;
  for (const NamedCap& cap : kAttachCaps) {
    cap_flag_value_t value = CAP_CLEAR;
    if (cap_get_flag(caps.get(), cap.value, CAP_EFFECTIVE, &value) != 0 || value != CAP_SET) {
      missing.push_back(cap.name);
    }
  }
  if (sampling) {
    cap_flag_value_t value = CAP_CLEAR;
    if (cap_get_flag(caps.get(), CAP_NET_RAW, CAP_EFFECTIVE, &value) != 0 || value != CAP_SET) {
      missing.push_back("CAP_NET_RAW (AF_XDP sockets for --sample-rate/--sample-first)");
    }
  }
  if (missing.empty()) return absl::OkStatus();
  return absl::PermissionDeniedError(
      "needs " + absl::StrJoin(missing, ", ") +
      " to load and attach the XDP program (run as root or from darkscope.service)");
}

absl::Status DropCapabilitiesAfterAttach() {
  CapState caps(cap_init(), cap_free);  // everything clear
  if (caps == nullptr) return ErrnoError(errno, "cap_init", "darkscope");
  const int kept = static_cast<int>(sizeof(kKeptCaps) / sizeof(kKeptCaps[0]));
  if (cap_set_flag(caps.get(), CAP_EFFECTIVE, kept, kKeptCaps, CAP_SET) != 0 ||
      cap_set_flag(caps.get(), CAP_PERMITTED, kept, kKeptCaps, CAP_SET) != 0) {
    return ErrnoError(errno, "cap_set_flag", "CAP_BPF CAP_NET_ADMIN");
  }
  if (cap_reset_ambient() != 0 && errno != EINVAL) {
    return ErrnoError(errno, "cap_reset_ambient", "darkscope");
  }
  if (cap_set_proc(caps.get()) != 0) {
    return ErrnoError(errno, "cap_set_proc", "keep CAP_BPF CAP_NET_ADMIN");
  }
  return absl::OkStatus();
}

absl::Status CheckDirectoryWritable(const std::string& directory) {
  const std::string probe = absl::StrCat(directory, "/.darkscope-probe-", getpid());
  const int fd = open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return ErrnoError(errno, "create a file (capabilities dropped, uid " +
                                 std::to_string(geteuid()) + ")",
                      absl::StrCat("in '", directory, "': make it writable by that user"));
  }
  close(fd);
  unlink(probe.c_str());
  return absl::OkStatus();
}

}  // namespace darkscope
