// Namespaces, veth pair and bounded sending for end-to-end tests.
#include "netns.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "gen/packet_socket.h"

namespace darkscope::testing {

int RunCommand(const std::string& command) {
  int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

VethLab::VethLab(const std::string& tag)
    : sensor_ns_(absl::StrCat("ds-", tag, "-sensor-", getpid())),
      scanner_ns_(absl::StrCat("ds-", tag, "-scanner-", getpid())) {}

VethLab::~VethLab() {
  if (!created_) return;
  RunCommand(absl::StrCat("ip netns del ", sensor_ns_, " 2>/dev/null"));
  RunCommand(absl::StrCat("ip netns del ", scanner_ns_, " 2>/dev/null"));
}

absl::Status VethLab::Create(int queues) {
  created_ = true;
  // IPv6 is off in both namespaces: otherwise the kernel's own neighbour
  // discovery and MLD frames would reach the sensor beside the test's.
  const std::string commands[] = {
      absl::StrCat("ip netns add ", sensor_ns_),
      absl::StrCat("ip netns add ", scanner_ns_),
      absl::StrCat("ip netns exec ", sensor_ns_,
                   " sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
                   "net.ipv6.conf.default.disable_ipv6=1"),
      absl::StrCat("ip netns exec ", scanner_ns_,
                   " sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
                   "net.ipv6.conf.default.disable_ipv6=1"),
      absl::StrCat("ip link add ", kSensorIface, " netns ", sensor_ns_,
                   " numtxqueues ", queues, " numrxqueues ", queues,
                   " type veth peer name ", kScannerIface, " netns ",
                   scanner_ns_, " numtxqueues ", queues, " numrxqueues ",
                   queues),
      absl::StrCat("ip -n ", sensor_ns_, " link set ", kSensorIface, " up"),
      absl::StrCat("ip -n ", scanner_ns_, " link set ", kScannerIface, " up"),
  };
  for (const std::string& command : commands) {
    if (RunCommand(command) != 0) {
      return absl::InternalError(absl::StrCat("'", command, "' failed"));
    }
  }
  return absl::OkStatus();
}

bool EnterNetns(const std::string& ns) {
  const int fd =
      ::open(absl::StrCat("/var/run/netns/", ns).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = setns(fd, CLONE_NEWNET) == 0;
  close(fd);
  return ok;
}

absl::Status VethLab::Send(const std::vector<FrameToSend>& frames, int rounds,
                           absl::Duration spacing, absl::Duration limit) const {
  const absl::Time deadline = absl::Now() + limit;
  return RunInScanner([&]() -> absl::Status {
    absl::StatusOr<std::unique_ptr<PacketSocket>> socket =
        PacketSocket::Open(kScannerIface);
    if (!socket.ok()) return socket.status();
    for (int round = 0; round < rounds; ++round) {
      for (const FrameToSend& frame : frames) {
        const int copies = frame.copies / rounds +
                           (round == rounds - 1 ? frame.copies % rounds : 0);
        for (int i = 0; i < copies; ++i) {
          if (absl::Now() > deadline) {
            return absl::DeadlineExceededError(
                absl::StrCat("sending in ", scanner_ns_, ": not done within ",
                             absl::FormatDuration(limit)));
          }
          DS_RETURN_IF_ERROR((*socket)->Send(frame.bytes));
        }
      }
      absl::SleepFor(spacing);
    }
    return absl::OkStatus();
  });
}

// A thread, not a child process: fork() while other threads of the test
// run (pollers, background traffic) can leave the child blocked forever on
// a lock one of them held (the sanitizers' allocator's, for one), and the
// test with it. A network namespace is per thread, so one thread that
// enters it sends from there.
absl::Status VethLab::RunInScanner(
    const std::function<absl::Status()>& job) const {
  absl::Status status;
  std::thread([&] {
    status = EnterNetns(scanner_ns_)
                 ? job()
                 : absl::InternalError("setns into " + scanner_ns_);
  }).join();
  if (status.ok()) return status;
  return absl::Status(
      status.code(),
      absl::StrCat("job in ", scanner_ns_, " failed: ", status.message()));
}

}  // namespace darkscope::testing
