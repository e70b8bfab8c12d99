// AF_PACKET sending.
#include "gen/packet_socket.h"

#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace darkscope {

absl::StatusOr<std::unique_ptr<PacketSocket>> PacketSocket::Open(
    const std::string& interface) {
  int ifindex = static_cast<int>(if_nametoindex(interface.c_str()));
  if (ifindex == 0) {
    return absl::NotFoundError(
        absl::StrCat("interface '", interface, "' not found"));
  }
  UniqueFd fd(::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return ErrnoError(errno, "socket AF_PACKET for", interface);
  // Straight to the driver: a generator has no use for queueing disciplines.
  int bypass = 1;
  if (::setsockopt(fd.get(), SOL_PACKET, PACKET_QDISC_BYPASS, &bypass,
                   sizeof(bypass)) != 0) {
    return ErrnoError(errno, "setsockopt PACKET_QDISC_BYPASS", interface);
  }
  return std::unique_ptr<PacketSocket>(
      new PacketSocket(interface, std::move(fd), ifindex));
}

absl::Status PacketSocket::Send(absl::Span<const uint8_t> frame) {
  sockaddr_ll address = {};
  address.sll_family = AF_PACKET;
  address.sll_ifindex = ifindex_;
  address.sll_halen = ETH_ALEN;
  for (;;) {
    ssize_t sent =
        ::sendto(fd_.get(), frame.data(), frame.size(), 0,
                 reinterpret_cast<sockaddr*>(&address), sizeof(address));
    if (sent == static_cast<ssize_t>(frame.size())) return absl::OkStatus();
    if (sent < 0 && (errno == EINTR || errno == ENOBUFS))
      continue;  // queue full: retry
    return ErrnoError(sent < 0 ? errno : EIO, "sendto", interface_);
  }
}

absl::Status PacketSocket::SendBatch(
    absl::Span<const std::vector<uint8_t>> frames) {
  constexpr size_t kBatch = 64;
  sockaddr_ll address = {};
  address.sll_family = AF_PACKET;
  address.sll_ifindex = ifindex_;
  address.sll_halen = ETH_ALEN;
  mmsghdr messages[kBatch];
  iovec vectors[kBatch];
  size_t next = 0;
  while (next < frames.size()) {
    const size_t count = std::min(kBatch, frames.size() - next);
    for (size_t i = 0; i < count; ++i) {
      const std::vector<uint8_t>& frame = frames[next + i];
      vectors[i] = {const_cast<uint8_t*>(frame.data()), frame.size()};
      messages[i] = {};
      messages[i].msg_hdr.msg_name = &address;
      messages[i].msg_hdr.msg_namelen = sizeof(address);
      messages[i].msg_hdr.msg_iov = &vectors[i];
      messages[i].msg_hdr.msg_iovlen = 1;
    }
    int sent = ::sendmmsg(fd_.get(), messages, static_cast<unsigned>(count), 0);
    if (sent < 0) {
      if (errno == EINTR || errno == ENOBUFS || errno == EAGAIN)
        continue;  // retry the batch
      return ErrnoError(errno, "sendmmsg", interface_);
    }
    next += static_cast<size_t>(sent);
  }
  return absl::OkStatus();
}

}  // namespace darkscope
