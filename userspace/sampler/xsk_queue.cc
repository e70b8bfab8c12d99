// AF_XDP sockets through libxdp's xsk API.
#include "sampler/xsk_queue.h"

#include <linux/bpf.h>
#include <linux/if_xdp.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <xdp/xsk.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace darkscope {

struct XskQueue::Rings {
  xsk_ring_prod fill = {};
  xsk_ring_cons completion = {};
  xsk_ring_cons rx = {};
};

std::optional<absl::Span<const uint8_t>> UmemFrame(
    absl::Span<const uint8_t> umem, uint64_t addr, uint32_t len,
    uint32_t snaplen) {
  if (len == 0 || len > snaplen || addr >= umem.size() ||
      len > umem.size() - addr) {
    return std::nullopt;
  }
  return umem.subspan(addr, len);
}

XskQueue::XskQueue(const XskQueueOptions& options)
    : options_(options), rings_(std::make_unique<Rings>()) {}

XskQueue::~XskQueue() {
  // The kernel takes a closed socket out of the XSKMAP itself.
  if (socket_ != nullptr) xsk_socket__delete(socket_);
  if (umem_ != nullptr) xsk_umem__delete(umem_);
  if (area_ != nullptr) munmap(area_, area_size_);
}

uint32_t XskQueue::snaplen() const {
  return options_.frame_size - XDP_PACKET_HEADROOM;
}

absl::StatusOr<std::unique_ptr<XskQueue>> XskQueue::Create(
    const XskQueueOptions& options, int xsk_map_fd) {
  const std::string object =
      absl::StrCat(options.interface, " queue ", options.queue);
  if (options.frame_size <= XDP_PACKET_HEADROOM ||
      (options.frame_size & (options.frame_size - 1)) != 0 ||
      (options.ring_size & (options.ring_size - 1)) != 0 ||
      options.ring_size == 0 ||
      (options.umem_frames & (options.umem_frames - 1)) != 0 ||
      options.umem_frames == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "AF_XDP socket ", object, ": frame size ", options.frame_size,
        ", ring size ", options.ring_size, " and UMEM frames ",
        options.umem_frames, " must be powers of two, the frame larger than ",
        XDP_PACKET_HEADROOM, " bytes"));
  }
  std::unique_ptr<XskQueue> xsk(new XskQueue(options));
  xsk->area_size_ = size_t{options.umem_frames} * options.frame_size;
  void* area = mmap(nullptr, xsk->area_size_, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (area == MAP_FAILED) return ErrnoError(errno, "mmap UMEM", object);
  xsk->area_ = static_cast<uint8_t*>(area);
  DS_RETURN_IF_ERROR(xsk->Bind(xsk_map_fd));
  return xsk;
}

absl::Status XskQueue::Bind(int xsk_map_fd) {
  const std::string object =
      absl::StrCat(options_.interface, " queue ", options_.queue);
  const xsk_umem_config umem_config = {.fill_size = options_.umem_frames,
                                       .comp_size = options_.ring_size,
                                       .frame_size = options_.frame_size,
                                       .frame_headroom = 0,
                                       .flags = 0};
  // Zero-copy if the driver has it, else copy. A failed bind leaves the
  // UMEM in an unknown state: each attempt starts from a fresh one.
  int err = 0;
  for (uint16_t mode : {uint16_t{XDP_ZEROCOPY}, uint16_t{XDP_COPY}}) {
    *rings_ = Rings();
    err = xsk_umem__create(&umem_, area_, area_size_, &rings_->fill,
                           &rings_->completion, &umem_config);
    if (err != 0) return ErrnoError(err, "xsk_umem__create", object);
    const xsk_socket_config config = {
        .rx_size = options_.ring_size,
        .tx_size = 0,
        .libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
        .xdp_flags = 0,
        .bind_flags = static_cast<uint16_t>(mode | XDP_USE_NEED_WAKEUP)};
    err =
        xsk_socket__create(&socket_, options_.interface.c_str(), options_.queue,
                           umem_, &rings_->rx, nullptr, &config);
    if (err == 0) {
      zero_copy_ = mode == XDP_ZEROCOPY;
      break;
    }
    socket_ = nullptr;
    xsk_umem__delete(umem_);
    umem_ = nullptr;
  }
  if (err != 0) {
    return ErrnoError(err, "xsk_socket__create (zero-copy, then copy mode)",
                      object);
  }

  // Every buffer goes to the kernel (the fill ring holds them all).
  const uint32_t count = options_.umem_frames;
  uint32_t index = 0;
  if (xsk_ring_prod__reserve(&rings_->fill, count, &index) != count) {
    return absl::InternalError(
        absl::StrCat("fill ring of ", object, ": reserve failed"));
  }
  for (uint32_t i = 0; i < count; ++i) {
    *xsk_ring_prod__fill_addr(&rings_->fill, index + i) =
        uint64_t{i} * options_.frame_size;
  }
  xsk_ring_prod__submit(&rings_->fill, count);

  if (int update = xsk_socket__update_xskmap(socket_, xsk_map_fd);
      update != 0) {
    return ErrnoError(update, "xsk_socket__update_xskmap ds_xsks", object);
  }
  return absl::OkStatus();
}

size_t XskQueue::Reap(
    uint32_t batch,
    absl::FunctionRef<void(std::optional<absl::Span<const uint8_t>>)>
        on_frame) {
  uint32_t rx_index = 0;
  const uint32_t received = xsk_ring_cons__peek(&rings_->rx, batch, &rx_index);
  if (received == 0) return 0;
  // The fill ring has room for every buffer the rx ring returns: it holds
  // the whole UMEM (Bind).
  uint32_t fill_index = 0;
  const bool refill =
      xsk_ring_prod__reserve(&rings_->fill, received, &fill_index) == received;
  const absl::Span<const uint8_t> umem(area_, area_size_);
  const uint64_t frame_size = options_.frame_size;
  for (uint32_t i = 0; i < received; ++i) {
    const xdp_desc* desc = xsk_ring_cons__rx_desc(&rings_->rx, rx_index + i);
    const uint64_t addr = xsk_umem__add_offset_to_addr(desc->addr);
    on_frame(UmemFrame(umem, addr, desc->len, snaplen()));
    // Give back the buffer the descriptor came in (clamped into the UMEM
    // if the descriptor was bad).
    uint64_t buffer = addr - addr % frame_size;
    if (buffer >= area_size_) buffer = 0;
    if (refill)
      *xsk_ring_prod__fill_addr(&rings_->fill, fill_index + i) = buffer;
  }
  if (refill) xsk_ring_prod__submit(&rings_->fill, received);
  xsk_ring_cons__release(&rings_->rx, received);
  return received;
}

void XskQueue::Wait(int timeout_ms) {
  const int fd = xsk_socket__fd(socket_);
  if (xsk_ring_prod__needs_wakeup(&rings_->fill)) {
    recvfrom(fd, nullptr, 0, MSG_DONTWAIT, nullptr, nullptr);
  }
  pollfd p = {fd, POLLIN, 0};
  poll(&p, 1, timeout_ms);
}

absl::StatusOr<XskStats> XskQueue::Statistics() const {
  xdp_statistics stats = {};
  socklen_t len = sizeof(stats);
  if (getsockopt(xsk_socket__fd(socket_), SOL_XDP, XDP_STATISTICS, &stats,
                 &len) != 0) {
    return ErrnoError(
        errno, "getsockopt XDP_STATISTICS",
        absl::StrCat(options_.interface, " queue ", options_.queue));
  }
  return XskStats{.rx_dropped = stats.rx_dropped,
                  .rx_invalid_descs = stats.rx_invalid_descs,
                  .rx_ring_full = stats.rx_ring_full,
                  .fill_ring_empty = stats.rx_fill_ring_empty_descs};
}

}  // namespace darkscope
