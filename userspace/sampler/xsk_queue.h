// XskQueue: the AF_XDP socket of one rx queue, with its UMEM and rings,
// through libxdp's xsk API, owned as one RAII object.
//
// The socket is bound without libxdp's default program
// (XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD) and put into the data plane's own
// XSKMAP (ds_xsks) at its queue index. Zero-copy is tried first; drivers
// without it (veth, most virtual ones) get copy mode, and mode() says
// which. The wake-up flag is requested and honoured: Wait() kicks the
// kernel when it asks for it.
//
// Reap() hands each received frame to a callback, after checking the
// descriptor against the UMEM, and gives the buffers back to the fill
// ring. A descriptor that points outside the UMEM or is longer than the
// snap length is reported as bad, never read.
#ifndef DARKSCOPE_SAMPLER_XSK_QUEUE_H_
#define DARKSCOPE_SAMPLER_XSK_QUEUE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

struct xsk_umem;
struct xsk_socket;

namespace darkscope {

struct XskQueueOptions {
  std::string interface;
  uint32_t queue = 0;
  // Buffers in the UMEM, all of them circulating through the fill ring
  // (sized to match): more than the rx ring holds, so that the kernel
  // still finds buffers while a late reaper leaves the rx ring full.
  uint32_t umem_frames = 4096;  // a power of two
  uint32_t frame_size = 4096;   // bytes per buffer (a power of two)
  uint32_t ring_size = 2048;    // rx ring entries (a power of two)
};

// The socket's XDP_STATISTICS (cumulative since it was bound).
struct XskStats {
  uint64_t rx_dropped = 0;        // dropped by the kernel for other reasons
  uint64_t rx_invalid_descs = 0;  // bad descriptors
  uint64_t rx_ring_full = 0;      // dropped: the rx ring was full
  uint64_t fill_ring_empty = 0;   // the fill ring had no buffer to give
};

// The bytes of the frame an rx descriptor describes, or nullopt if the
// descriptor does not fit inside `umem` or exceeds `snaplen`.
std::optional<absl::Span<const uint8_t>> UmemFrame(
    absl::Span<const uint8_t> umem, uint64_t addr, uint32_t len,
    uint32_t snaplen);

class XskQueue {
 public:
  // Creates the UMEM and the socket, fills the fill ring, and puts the
  // socket into `xsk_map_fd` at the queue's index.
  static absl::StatusOr<std::unique_ptr<XskQueue>> Create(
      const XskQueueOptions& options, int xsk_map_fd);
  ~XskQueue();
  XskQueue(const XskQueue&) = delete;
  XskQueue& operator=(const XskQueue&) = delete;

  uint32_t queue() const { return options_.queue; }
  bool zero_copy() const { return zero_copy_; }
  const char* mode() const { return zero_copy_ ? "zero-copy" : "copy"; }
  // The longest frame a buffer holds: the frame size less the kernel's
  // XDP headroom.
  uint32_t snaplen() const;

  // Takes up to `batch` frames from the rx ring: `on_frame` gets each
  // frame, or nullopt for a bad descriptor. Returns how many were taken.
  size_t Reap(uint32_t batch,
              absl::FunctionRef<void(std::optional<absl::Span<const uint8_t>>)>
                  on_frame);
  // Waits up to `timeout_ms` for frames, waking the kernel if it asked.
  void Wait(int timeout_ms);

  absl::StatusOr<XskStats> Statistics() const;

 private:
  struct Rings;
  XskQueue(const XskQueueOptions& options);
  absl::Status Bind(int xsk_map_fd);

  XskQueueOptions options_;
  uint8_t* area_ = nullptr;
  size_t area_size_ = 0;
  xsk_umem* umem_ = nullptr;
  xsk_socket* socket_ = nullptr;
  std::unique_ptr<Rings> rings_;
  bool zero_copy_ = false;
};

}  // namespace darkscope

#endif  // DARKSCOPE_SAMPLER_XSK_QUEUE_H_
