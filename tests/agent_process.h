// AgentProcess: `darkscope run` as a child process for end-to-end tests,
// started (typically under `ip netns exec`), awaited until it says it is
// attached, and stopped with SIGTERM; and Capture, a command's stdout.
#ifndef DARKSCOPE_TESTS_AGENT_PROCESS_H_
#define DARKSCOPE_TESTS_AGENT_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace darkscope::testing {

class AgentProcess {
 public:
  absl::Status Start(const std::vector<std::string>& args);
  // Waits for the agent's "attached" line.
  absl::Status WaitAttached(absl::Duration limit) {
    // "attached xdp_count_darknet to IF", or "attached (adopted) ...".
    return WaitFor("xdp_count_darknet to ", limit);
  }
  // Waits until the agent's stdout contains `text`.
  absl::Status WaitFor(const std::string& text, absl::Duration limit);
  // SIGTERM, then the exit status.
  int Stop();
  // Sends `signal` and waits up to kExitLimit: the raw wait status
  // (WIFSIGNALED for SIGKILL); -1 if it had to be killed.
  int Signal(int signal);
  static constexpr absl::Duration kExitLimit = absl::Seconds(60);
  ~AgentProcess();
  // What the agent printed so far.
  const std::string& output() const { return output_; }
  // The child's pid (`ip netns exec` execs the agent: the agent's).
  pid_t pid() const { return pid_; }

 private:
  enum class Output { kNone, kRead, kClosed };
  // Appends what the agent printed within `timeout_ms` to output_.
  Output ReadOutput(int timeout_ms);

  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string output_;
};

// The standard output of a shell command.
std::string Capture(const std::string& command);

}  // namespace darkscope::testing

#endif  // DARKSCOPE_TESTS_AGENT_PROCESS_H_
