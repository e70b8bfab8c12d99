// CountedFrame: how one frame is counted, stated in the terms of
// docs/maps.md (passed and why, or counted as darknet traffic with this
// class, port, source port, fingerprints), and the exact table entries that
// follow from it. The generator's ground truth and the data plane's
// fixture tests both say what a frame should count this way; neither reads
// the frame's bytes.
#ifndef DARKSCOPE_GEN_COUNTED_FRAME_H_
#define DARKSCOPE_GEN_COUNTED_FRAME_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "common/prefix.h"
#include "counts/counts.h"

namespace darkscope {

struct CountedFrame {
  // Set when the program passes the frame before counting it as darknet
  // traffic: the counter that says why (non_ip, non_darknet, malformed_*).
  std::optional<uint32_t> pass_reason;
  // Otherwise: the class or transport malformation (enum ds_counter).
  uint32_t outcome = 0;
  Prefix src, dst;
  // When the transport header was read: its slot and port (ICMP type,
  // protocol number), and for TCP/UDP the source port.
  std::optional<uint8_t> slot;
  uint16_t port = 0;
  std::optional<uint16_t> sport;
  // DS_CTR_MIRAI, DS_CTR_ZMAP, DS_CTR_MASSCAN, DS_CTR_BACKSCATTER.
  std::vector<uint32_t> marks;
  bool vlan = false;
  uint32_t action = 1;  // XDP_DROP: the verdict for darknet frames
};

// Adds one frame of `frame_len` bytes, counted as `frame` says, to `into`.
void AddCountedFrame(const CountedFrame& frame, uint64_t frame_len,
                     EpochCounts& into);

}  // namespace darkscope

#endif  // DARKSCOPE_GEN_COUNTED_FRAME_H_
