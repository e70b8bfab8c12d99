// PacketSocket: sends whole Ethernet frames out of one interface of the
// current network namespace through an AF_PACKET socket, bypassing the
// qdisc, in batches of sendmmsg. The generator's
// way onto the wire; tests and the demo call it only from inside network
// namespaces they created.
#ifndef DARKSCOPE_GEN_PACKET_SOCKET_H_
#define DARKSCOPE_GEN_PACKET_SOCKET_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/unique_fd.h"

namespace darkscope {

class PacketSocket {
 public:
  static absl::StatusOr<std::unique_ptr<PacketSocket>> Open(
      const std::string& interface);

  absl::Status Send(absl::Span<const uint8_t> frame);
  // Sends the frames in order, many per system call (sendmmsg).
  absl::Status SendBatch(absl::Span<const std::vector<uint8_t>> frames);

 private:
  PacketSocket(std::string interface, UniqueFd fd, int ifindex)
      : interface_(std::move(interface)),
        fd_(std::move(fd)),
        ifindex_(ifindex) {}

  std::string interface_;
  UniqueFd fd_;
  int ifindex_;
};

}  // namespace darkscope

#endif  // DARKSCOPE_GEN_PACKET_SOCKET_H_
