// Namespaces, veth pair and bounded sending for end-to-end tests.
#include "netns.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
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

namespace {

// In the child: enter the scanner namespace and send. Returns an exit code.
int SendInNamespace(const std::string& ns,
                    const std::vector<FrameToSend>& frames, int rounds,
                    absl::Duration spacing, absl::Time deadline) {
  int ns_fd =
      ::open(absl::StrCat("/var/run/netns/", ns).c_str(), O_RDONLY | O_CLOEXEC);
  if (ns_fd < 0 || setns(ns_fd, CLONE_NEWNET) != 0) return 10;
  absl::StatusOr<std::unique_ptr<PacketSocket>> socket =
      PacketSocket::Open(VethLab::kScannerIface);
  if (!socket.ok()) return 11;
  for (int round = 0; round < rounds; ++round) {
    for (const FrameToSend& frame : frames) {
      int copies = frame.copies / rounds +
                   (round == rounds - 1 ? frame.copies % rounds : 0);
      for (int i = 0; i < copies; ++i) {
        if (absl::Now() > deadline) return 13;
        if (!(*socket)->Send(frame.bytes).ok()) return 14;
      }
    }
    absl::SleepFor(spacing);
  }
  return 0;
}

}  // namespace

absl::Status VethLab::Send(const std::vector<FrameToSend>& frames, int rounds,
                           absl::Duration spacing, absl::Duration limit) const {
  const absl::Time deadline = absl::Now() + limit;
  pid_t child = fork();
  if (child < 0) return absl::InternalError("fork for the sender failed");
  if (child == 0)
    _exit(SendInNamespace(scanner_ns_, frames, rounds, spacing, deadline));
  int status = 0;
  waitpid(child, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(
        absl::StrCat("sender in ", scanner_ns_, " failed with code ",
                     WIFEXITED(status) ? WEXITSTATUS(status) : -1,
                     " (10 netns, 11 socket, 13 time limit, 14 sendto)"));
  }
  return absl::OkStatus();
}

absl::Status VethLab::RunInScanner(
    const std::function<absl::Status()>& job) const {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return absl::InternalError("pipe");
  pid_t child = fork();
  if (child < 0) return absl::InternalError("fork");
  if (child == 0) {
    close(pipe_fds[0]);
    int ns_fd = ::open(absl::StrCat("/var/run/netns/", scanner_ns_).c_str(),
                       O_RDONLY | O_CLOEXEC);
    absl::Status status =
        ns_fd >= 0 && setns(ns_fd, CLONE_NEWNET) == 0
            ? job()
            : absl::InternalError("setns into " + scanner_ns_);
    const std::string message(status.message());
    if (!message.empty())
      (void)!write(pipe_fds[1], message.data(), message.size());
    _exit(status.ok() ? 0 : 1);
  }
  close(pipe_fds[1]);
  std::string message;
  char buffer[256];
  ssize_t n;
  while ((n = read(pipe_fds[0], buffer, sizeof(buffer))) > 0)
    message.append(buffer, n);
  close(pipe_fds[0]);
  int status = 0;
  waitpid(child, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return absl::OkStatus();
  return absl::InternalError(
      absl::StrCat("job in ", scanner_ns_, " failed: ", message));
}

}  // namespace darkscope::testing
