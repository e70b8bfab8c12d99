// The agent's lock-down (agent/privileges.h) in a child process, as root:
// after LockDownAfterAttach the kept capabilities still work (a BPF map is
// created), and what the filter and the bounding set forbid fails: execve
// (EPERM), unshare and mount (EPERM), a process-creating clone (EPERM),
// regaining a dropped capability (capset fails); threads still start.
#include "agent/privileges.h"

#include <bpf/bpf.h>
#include <sched.h>
#include <signal.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "privileged.h"

namespace darkscope {
namespace {

// What a locked-down child tries, and whether it must succeed.
struct Attempt {
  const char* what;
  std::function<bool()> succeeds;  // true when the call worked
  bool allowed;
};

TEST(LockDown, KeepsWhatTheAgentNeedsAndRefusesTheRest) {
  DS_REQUIRE_PRIVILEGES();
  const std::vector<Attempt> attempts = {
      {"bpf map create (CAP_BPF kept)",
       [] {
         const int fd =
             bpf_map_create(BPF_MAP_TYPE_ARRAY, "ds_probe", 4, 8, 1, nullptr);
         if (fd >= 0) close(fd);
         return fd >= 0;
       },
       true},
      {"a thread",
       [] {
         bool ran = false;
         std::thread([&] { ran = true; }).join();
         return ran;
       },
       true},
      {"execve /bin/true",
       [] {
         char* const argv[] = {const_cast<char*>("/bin/true"), nullptr};
         execv("/bin/true", argv);
         return false;  // still here: refused
       },
       false},
      {"fork (clone without CLONE_THREAD)",
       [] {
         const long pid =
             syscall(SYS_clone, SIGCHLD, nullptr, nullptr, nullptr, nullptr);
         if (pid == 0) _exit(0);
         if (pid > 0) waitpid(static_cast<pid_t>(pid), nullptr, 0);
         return pid >= 0;
       },
       false},
      {"unshare a mount namespace", [] { return unshare(CLONE_NEWNS) == 0; },
       false},
      {"mount a tmpfs",
       [] { return mount("none", "/mnt", "tmpfs", 0, nullptr) == 0; }, false},
      {"regain CAP_SYS_PTRACE",
       [] {
         cap_t caps = cap_get_proc();
         const cap_value_t cap = CAP_SYS_PTRACE;
         cap_set_flag(caps, CAP_EFFECTIVE, 1, &cap, CAP_SET);
         cap_set_flag(caps, CAP_PERMITTED, 1, &cap, CAP_SET);
         const bool ok = cap_set_proc(caps) == 0;
         cap_free(caps);
         return ok;
       },
       false},
  };
  for (const Attempt& attempt : attempts) {
    SCOPED_TRACE(attempt.what);
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      // 10: lock-down failed; 0: the call worked; 1: it failed.
      if (!LockDownAfterAttach().ok()) _exit(10);
      _exit(attempt.succeeds() ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status)) << status;
    ASSERT_NE(WEXITSTATUS(status), 10) << "LockDownAfterAttach failed";
    EXPECT_EQ(WEXITSTATUS(status), attempt.allowed ? 0 : 1);
  }
}

}  // namespace
}  // namespace darkscope
