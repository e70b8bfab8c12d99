// `darkscope run` as a child process of a test.
#include "agent_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/time/clock.h"

namespace darkscope::testing {

absl::Status AgentProcess::Start(const std::vector<std::string>& args) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return absl::InternalError("pipe");
  // argv is built before the fork: the child of a process with other
  // threads may only make async-signal-safe calls before exec, and an
  // allocation can block forever on a lock another thread held.
  std::vector<char*> argv;
  for (const std::string& a : args)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_ = fork();
  if (pid_ < 0) return absl::InternalError("fork");
  if (pid_ == 0) {
    dup2(out[1], STDOUT_FILENO);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  close(out[1]);
  stdout_fd_ = out[0];
  return absl::OkStatus();
}

AgentProcess::Output AgentProcess::ReadOutput(int timeout_ms) {
  pollfd p = {stdout_fd_, POLLIN, 0};
  if (poll(&p, 1, timeout_ms) <= 0) return Output::kNone;
  char buffer[4096];
  const ssize_t n = read(stdout_fd_, buffer, sizeof(buffer));
  if (n <= 0) return Output::kClosed;
  output_.append(buffer, n);
  return Output::kRead;
}

absl::Status AgentProcess::WaitFor(const std::string& text,
                                   absl::Duration limit) {
  const absl::Time deadline = absl::Now() + limit;
  while (absl::Now() < deadline) {
    const Output read = ReadOutput(100);
    if (read == Output::kClosed)
      return absl::InternalError("agent exited before printing '" + text +
                                 "': " + output_);
    if (read == Output::kRead && output_.find(text) != std::string::npos)
      return absl::OkStatus();
  }
  return absl::DeadlineExceededError("agent did not print '" + text +
                                     "': " + output_);
}

int AgentProcess::Signal(int signal) {
  kill(pid_, signal);
  int status = 0;
  // Bounded: an agent that does not exit fails the test with its threads'
  // stacks instead of hanging it. Its stdout is drained meanwhile, so a
  // full pipe cannot be what holds it.
  const absl::Time deadline = absl::Now() + kExitLimit;
  bool stdout_open = true;
  while (waitpid(pid_, &status, WNOHANG) == 0) {
    if (absl::Now() >= deadline) {
      std::fprintf(stderr,
                   "agent %d did not exit within %s of signal %d; its "
                   "threads:\n",
                   pid_, absl::FormatDuration(kExitLimit).c_str(), signal);
      std::fflush(stderr);
      std::system(("gdb -p " + std::to_string(pid_) +
                   " -batch -ex 'thread apply all bt' 1>&2 2>/dev/null")
                      .c_str());
      std::fprintf(stderr, "it printed:\n%s\n", output_.c_str());
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      pid_ = -1;
      return -1;
    }
    if (stdout_open) stdout_open = ReadOutput(100) != Output::kClosed;
    // A closed stdout polls ready at once: sleep instead of spinning.
    if (!stdout_open) absl::SleepFor(absl::Milliseconds(100));
  }
  pid_ = -1;
  return status;
}

int AgentProcess::Stop() {
  const int status = Signal(SIGTERM);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

AgentProcess::~AgentProcess() {
  if (pid_ > 0) Stop();
  if (stdout_fd_ >= 0) close(stdout_fd_);
}

std::string Capture(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0)
    out.append(buffer, n);
  pclose(pipe);
  return out;
}

}  // namespace darkscope::testing
