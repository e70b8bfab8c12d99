// Checking and dropping capabilities with libcap.
#include "agent/privileges.h"

#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status.h"

// The sanitizer build (DARKSCOPE_SANITIZE: ASan + UBSan).
#if defined(__SANITIZE_ADDRESS__)
#define DARKSCOPE_SANITIZER_RUNTIME 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DARKSCOPE_SANITIZER_RUNTIME 1
#endif
#endif
#ifdef DARKSCOPE_SANITIZER_RUNTIME
#include <sanitizer/lsan_interface.h>
#endif

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
    if (cap_get_flag(caps.get(), cap.value, CAP_EFFECTIVE, &value) != 0 ||
        value != CAP_SET) {
      missing.push_back(cap.name);
    }
  }
  if (sampling) {
    cap_flag_value_t value = CAP_CLEAR;
    if (cap_get_flag(caps.get(), CAP_NET_RAW, CAP_EFFECTIVE, &value) != 0 ||
        value != CAP_SET) {
      missing.push_back(
          "CAP_NET_RAW (AF_XDP sockets for --sample-rate/--sample-first)");
    }
  }
  if (missing.empty()) return absl::OkStatus();
  return absl::PermissionDeniedError("needs " + absl::StrJoin(missing, ", ") +
                                     " to load and attach the XDP program (run "
                                     "as root or from darkscope.service)");
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

namespace {

// The system calls of a running agent after the drop: its interval loop
// and drain (bpf, netlink for the attachment check and detach), the
// io_uring writer and retention, the HTTP server (civetweb), the AF_XDP
// sampler's threads, and what the C and C++ runtimes, abseil, libbpf and
// libxdp do on their behalf (memory, futexes, time, signals, thread start
// and exit, aborting).
constexpr const char* kAllowedSyscalls[] = {
    // memory
    "brk",
    "mmap",
    "munmap",
    "mremap",
    "mprotect",
    "madvise",
    // threads, time, signals
    "futex",
    "set_robust_list",
    "get_robust_list",
    "rseq",
    "exit",
    "exit_group",
    "sched_yield",
    "sched_getaffinity",
    "sched_setaffinity",
    "gettid",
    "getpid",
    "getppid",
    "tgkill",
    "clock_gettime",
    "clock_getres",
    "clock_nanosleep",
    "gettimeofday",
    "nanosleep",
    "rt_sigaction",
    "rt_sigprocmask",
    "rt_sigreturn",
    "rt_sigtimedwait",
    "sigaltstack",
    "restart_syscall",
    "getrandom",
    "prlimit64",
    "uname",
    "prctl",
    "membarrier",
    "getuid",
    "geteuid",
    "getgid",
    "getegid",
    "capget",
    // files: snapshots, samples, retention, pins, sysfs and procfs reads
    "openat",
    "close",
    "close_range",
    "read",
    "pread64",
    "readv",
    "preadv",
    "write",
    "pwrite64",
    "writev",
    "pwritev",
    "lseek",
    "fstat",
    "newfstatat",
    "statx",
    "statfs",
    "fstatfs",
    "getdents64",
    "faccessat",
    "faccessat2",
    "access",
    "readlinkat",
    "fcntl",
    "dup",
    "dup3",
    "flock",
    "fsync",
    "fdatasync",
    "ftruncate",
    "fallocate",
    "rename",
    "renameat",
    "renameat2",
    "unlink",
    "unlinkat",
    "mkdir",
    "mkdirat",
    "rmdir",
    "ioctl",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    // sockets: HTTP, netlink, AF_XDP
    "socket",
    "bind",
    "listen",
    "accept",
    "accept4",
    "connect",
    "getsockname",
    "getpeername",
    "setsockopt",
    "getsockopt",
    "sendto",
    "recvfrom",
    "sendmsg",
    "recvmsg",
    "shutdown",
    "poll",
    "ppoll",
    "select",
    "pselect6",
    "epoll_create1",
    "epoll_ctl",
    "epoll_wait",
    "epoll_pwait",
    // the data plane
    "bpf",
};

// What the ASan/UBSan runtime itself calls after the lock-down, in the
// sanitizer build only (DARKSCOPE_SANITIZE): pipe2 to probe whether memory
// is readable (UBSan's vptr check), readlink and open of /proc/self/exe,
// cmdline and environ to name the binary in a report. Without them every
// vptr check after the lock-down reports a false "invalid vptr".
#ifdef DARKSCOPE_SANITIZER_RUNTIME
constexpr const char* kSanitizerRuntimeSyscalls[] = {"pipe2", "readlink",
                                                     "open"};
#endif

using SeccompContext = std::unique_ptr<void, void (*)(scmp_filter_ctx)>;

}  // namespace

absl::Status LockDownAfterAttach() {
  // The bounding set first: dropping from it needs CAP_SETPCAP, which the
  // capability drop below removes.
  std::vector<std::string> refused;
  for (cap_value_t cap = 0; cap < static_cast<cap_value_t>(cap_max_bits());
       ++cap) {
    if (std::find(std::begin(kKeptCaps), std::end(kKeptCaps), cap) !=
        std::end(kKeptCaps)) {
      continue;
    }
    if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) != 1) continue;  // not in it
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) {
      char* name = cap_to_name(cap);
      refused.push_back(name != nullptr ? name : std::to_string(cap));
      cap_free(name);
    }
  }
  if (!refused.empty()) {
    // Without CAP_SETPCAP (a unit whose bounding set also has CAP_NET_RAW
    // for sampling): no_new_privs and the filter's refusal of execve keep
    // them from ever being gained.
    std::fprintf(stderr,
                 "darkscope: warning: prctl PR_CAPBSET_DROP %s: %s (no "
                 "CAP_SETPCAP); they stay "
                 "in the bounding set, but no_new_privs and the seccomp filter "
                 "(no execve) keep "
                 "them from being gained\n",
                 absl::StrJoin(refused, " ").c_str(), std::strerror(EPERM));
  }
  DS_RETURN_IF_ERROR(DropCapabilitiesAfterAttach());
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return ErrnoError(errno, "prctl PR_SET_NO_NEW_PRIVS", "darkscope");
  }
#ifdef DARKSCOPE_SANITIZER_RUNTIME
  // LeakSanitizer's check stops the threads with ptrace from a child,
  // which the filter forbids by design: it runs once here (what leaked so
  // far is reported) and the check at exit, which could only fail, is
  // skipped.
  __lsan_do_leak_check();
#endif
  SeccompContext filter(seccomp_init(SCMP_ACT_ERRNO(EPERM)), seccomp_release);
  if (filter == nullptr) return absl::InternalError("seccomp_init: failed");
  auto allow = [&](const char* name) -> absl::Status {
    const int number = seccomp_syscall_resolve_name(name);
    if (number == __NR_SCMP_ERROR)
      return absl::OkStatus();  // not on this architecture
    if (int err = seccomp_rule_add(filter.get(), SCMP_ACT_ALLOW, number, 0);
        err != 0) {
      return ErrnoError(err, "seccomp_rule_add", name);
    }
    return absl::OkStatus();
  };
  for (const char* name : kAllowedSyscalls) DS_RETURN_IF_ERROR(allow(name));
#ifdef DARKSCOPE_SANITIZER_RUNTIME
  for (const char* name : kSanitizerRuntimeSyscalls)
    DS_RETURN_IF_ERROR(allow(name));
#endif
  // Threads, never processes or namespaces.
  if (int err = seccomp_rule_add(
          filter.get(), SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
          SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
      err != 0) {
    return ErrnoError(err, "seccomp_rule_add", "clone (CLONE_THREAD)");
  }
  if (int err = seccomp_rule_add(filter.get(), SCMP_ACT_ERRNO(ENOSYS),
                                 SCMP_SYS(clone3), 0);
      err != 0) {
    return ErrnoError(err, "seccomp_rule_add", "clone3");
  }
  // Every thread, should one exist already.
  if (int err = seccomp_attr_set(filter.get(), SCMP_FLTATR_CTL_TSYNC, 1);
      err != 0) {
    return ErrnoError(err, "seccomp_attr_set", "SCMP_FLTATR_CTL_TSYNC");
  }
  if (int err = seccomp_load(filter.get()); err != 0) {
    return ErrnoError(err, "seccomp_load", "the agent's system call filter");
  }
  return absl::OkStatus();
}

absl::Status CheckDirectoryWritable(const std::string& directory) {
  const std::string probe =
      absl::StrCat(directory, "/.darkscope-probe-", getpid());
  const int fd =
      open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return ErrnoError(
        errno,
        "create a file (capabilities dropped, uid " +
            std::to_string(geteuid()) + ")",
        absl::StrCat("in '", directory, "': make it writable by that user"));
  }
  close(fd);
  unlink(probe.c_str());
  return absl::OkStatus();
}

}  // namespace darkscope
