// Test hosts on one machine: two network namespaces created by the test,
// joined by a veth pair, with no address and no route out. Frames are sent
// from the scanner end with an AF_PACKET socket on a thread that enters the
// scanner namespace, bounded in count and time. Everything is
// deleted when the VethLab goes away.
#ifndef DARKSCOPE_TESTS_NETNS_H_
#define DARKSCOPE_TESTS_NETNS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace darkscope::testing {

// Moves the calling thread (only it) into network namespace `ns`.
bool EnterNetns(const std::string& ns);

// A frame to send `copies` times.
struct FrameToSend {
  std::vector<uint8_t> bytes;
  int copies = 1;
};

class VethLab {
 public:
  // Names carry `tag` and the pid, so parallel runs do not collide.
  explicit VethLab(const std::string& tag);
  ~VethLab();

  // `queues`: rx and tx queues of each end (AF_XDP binds per rx queue).
  absl::Status Create(int queues = 1);
  const std::string& sensor_ns() const { return sensor_ns_; }
  const std::string& scanner_ns() const { return scanner_ns_; }
  // The sensor's end (in sensor_ns) and the scanner's end (in scanner_ns).
  static constexpr const char* kSensorIface = "dsveth0";
  static constexpr const char* kScannerIface = "dsveth1";

  // Sends the frames out of the scanner's end in `rounds` rounds spaced by
  // `spacing` (each round sends every frame copies/rounds times, the rest
  // in the last), so that traffic crosses interval boundaries. Fails if
  // any send fails or the whole takes longer than `limit`.
  absl::Status Send(const std::vector<FrameToSend>& frames, int rounds,
                    absl::Duration spacing, absl::Duration limit) const;

  // Runs `job` on a thread inside the scanner's namespace; its status is
  // the job's.
  absl::Status RunInScanner(const std::function<absl::Status()>& job) const;

 private:
  std::string sensor_ns_, scanner_ns_;
  bool created_ = false;
};

// Runs a shell command, returning its exit status (or -1).
int RunCommand(const std::string& command);

}  // namespace darkscope::testing

#endif  // DARKSCOPE_TESTS_NETNS_H_
