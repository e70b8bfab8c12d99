// `darkscope run` as a child process of a test.
#include "agent_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

#include "absl/time/clock.h"

namespace darkscope::testing {

absl::Status AgentProcess::Start(const std::vector<std::string>& args) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return absl::InternalError("pipe");
  pid_ = fork();
  if (pid_ < 0) return absl::InternalError("fork");
  if (pid_ == 0) {
    dup2(out[1], STDOUT_FILENO);
    std::vector<char*> argv;
    for (const std::string& a : args)
      argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  close(out[1]);
  stdout_fd_ = out[0];
  return absl::OkStatus();
}

absl::Status AgentProcess::WaitFor(const std::string& text,
                                   absl::Duration limit) {
  const absl::Time deadline = absl::Now() + limit;
  while (absl::Now() < deadline) {
    pollfd p = {stdout_fd_, POLLIN, 0};
    if (poll(&p, 1, 100) > 0) {
      char buffer[512];
      ssize_t n = read(stdout_fd_, buffer, sizeof(buffer));
      if (n <= 0)
        return absl::InternalError("agent exited before printing '" + text +
                                   "': " + output_);
      output_.append(buffer, n);
      if (output_.find(text) != std::string::npos) return absl::OkStatus();
    }
  }
  return absl::DeadlineExceededError("agent did not print '" + text +
                                     "': " + output_);
}

int AgentProcess::Signal(int signal) {
  kill(pid_, signal);
  int status = 0;
  waitpid(pid_, &status, 0);
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
