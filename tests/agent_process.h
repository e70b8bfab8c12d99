// AgentProcess: `darkscope run` started by an end-to-end test (in the
// sensor's namespace, through `ip netns exec`), its stdout read for the
// lines it prints, stopped with SIGTERM.
#ifndef DARKSCOPE_TESTS_AGENT_PROCESS_H_
#define DARKSCOPE_TESTS_AGENT_PROCESS_H_

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/clock.h"

namespace darkscope::testing {

// The agent, started in the sensor namespace; stopped with SIGTERM.
class AgentProcess {
 public:
  absl::Status Start(const std::vector<std::string>& args) {
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) return absl::InternalError("pipe");
    pid_ = fork();
    if (pid_ < 0) return absl::InternalError("fork");
    if (pid_ == 0) {
      dup2(out[1], STDOUT_FILENO);
      std::vector<char*> argv;
      for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execvp(argv[0], argv.data());
      _exit(127);
    }
    close(out[1]);
    stdout_fd_ = out[0];
    return absl::OkStatus();
  }

  // Waits for the agent's "attached" line.
  absl::Status WaitAttached(absl::Duration limit) { return WaitFor("attached", limit); }

  // Waits until the agent's stdout contains `text`.
  absl::Status WaitFor(const std::string& text, absl::Duration limit) {
    const absl::Time deadline = absl::Now() + limit;
    while (absl::Now() < deadline) {
      pollfd p = {stdout_fd_, POLLIN, 0};
      if (poll(&p, 1, 100) > 0) {
        char buffer[512];
        ssize_t n = read(stdout_fd_, buffer, sizeof(buffer));
        if (n <= 0) return absl::InternalError("agent exited: " + output_);
        output_.append(buffer, n);
        if (output_.find(text) != std::string::npos) return absl::OkStatus();
      }
    }
    return absl::DeadlineExceededError("agent did not print '" + text + "': " + output_);
  }

  // SIGTERM, then the exit status.
  int Stop() {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  // What the agent printed so far.
  const std::string& output() const { return output_; }

  ~AgentProcess() {
    if (pid_ > 0) Stop();
    if (stdout_fd_ >= 0) close(stdout_fd_);
  }

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string output_;
};

}  // namespace darkscope::testing

#endif  // DARKSCOPE_TESTS_AGENT_PROCESS_H_
