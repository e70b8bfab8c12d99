// AF_PACKET sending.
#include "gen/packet_socket.h"

#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sys/socket.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace darkscope {

absl::StatusOr<std::unique_ptr<PacketSocket>> PacketSocket::Open(
    const std::string& interface) {
  int ifindex = static_cast<int>(if_nametoindex(interface.c_str()));
  if (ifindex == 0) {
    return absl::NotFoundError(absl::StrCat("interface '", interface, "' not found"));
  }
  UniqueFd fd(::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return ErrnoError(errno, "socket AF_PACKET for", interface);
  return std::unique_ptr<PacketSocket>(new PacketSocket(interface, std::move(fd), ifindex));
}

absl::Status PacketSocket::Send(absl::Span<const uint8_t> frame) {
  sockaddr_ll address = {};
  address.sll_family = AF_PACKET;
  address.sll_ifindex = ifindex_;
  address.sll_halen = ETH_ALEN;
  for (;;) {
    ssize_t sent = ::sendto(fd_.get(), frame.data(), frame.size(), 0,
                            reinterpret_cast<sockaddr*>(&address), sizeof(address));
    if (sent == static_cast<ssize_t>(frame.size())) return absl::OkStatus();
    if (sent < 0 && (errno == EINTR || errno == ENOBUFS)) continue;  // queue full: retry
    return ErrnoError(sent < 0 ? errno : EIO, "sendto", interface_);
  }
}

}  // namespace darkscope
