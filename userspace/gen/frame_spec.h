// FrameSpec: a generated frame described by what the generator chose (its
// addresses, ports, flags, IP id, sequence number, tags, damage), from which
// come both its bytes (BuildFrame) and how the sensor must count it
// (CountFrameSpec). The second is the ground truth: it applies the rules of
// docs/maps.md to the generator's own choices, never to parsed bytes.
#ifndef DARKSCOPE_GEN_FRAME_SPEC_H_
#define DARKSCOPE_GEN_FRAME_SPEC_H_

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "common/prefix.h"
#include "gen/counted_frame.h"

namespace darkscope {

enum class Transport { kTcp, kUdp, kIcmp, kIcmpv6, kOther };

struct FrameSpec {
  bool non_ip = false;  // an ARP frame: nothing else applies
  std::vector<std::pair<uint16_t, uint16_t>> vlans;  // (TPID, VID), outer first
  Prefix src, dst;                                   // same family
  uint16_t ip_id = 0x1234;                           // IPv4 only
  uint16_t fragment_offset =
      0;  // IPv4, in 8-byte units: > 0 is a non-first fragment
  Transport transport = Transport::kTcp;
  uint8_t protocol = 0;  // kOther: the IP protocol number
  uint16_t sport = 0, dport = 0;
  uint8_t tcp_flags = 0;
  uint32_t seq = 0;
  uint8_t icmp_type = 0, icmp_code = 0;
  size_t payload = 0;
  // Cut the transport header to this many bytes, with the IP lengths
  // rewritten (a short, malformed transport header). Kept whole if larger
  // than the header.
  size_t transport_bytes = SIZE_MAX;
};

std::vector<uint8_t> BuildFrame(const FrameSpec& spec);

// How the sensor counts `spec` with these darknet prefixes and verdict.
CountedFrame CountFrameSpec(const FrameSpec& spec,
                            const std::vector<Prefix>& darknet,
                            uint32_t darknet_action);

// True if `address` is inside one of `prefixes`.
bool PrefixesContain(const std::vector<Prefix>& prefixes,
                     const Prefix& address);

}  // namespace darkscope

#endif  // DARKSCOPE_GEN_FRAME_SPEC_H_
