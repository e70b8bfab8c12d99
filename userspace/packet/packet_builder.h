// PacketBuilder: builds the Ethernet frames that the generator sends and
// the tests and benchmarks run through the XDP program: VLAN tags, IPv4 with
// options and fragments, IPv6 with extension headers, TCP, UDP, ICMP, ICMPv6,
// other protocols, and deliberately broken variants (wrong version, short
// lengths, bad data offsets). Lengths and the IPv4 header checksum are filled
// in unless a test overrides them.
#ifndef DARKSCOPE_PACKET_PACKET_BUILDER_H_
#define DARKSCOPE_PACKET_PACKET_BUILDER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace darkscope {

// TCP flag bits.
inline constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08,
                         kAck = 0x10;

// A built frame and where each of its headers starts.
struct Frame {
  std::vector<uint8_t> bytes;
  std::vector<size_t> boundaries;  // start of each header, then the payload
  size_t l3_offset = 0;
  size_t l4_offset = 0;  // after IPv6 extension headers
  int ip_version = 0;    // 4, 6, or 0 for non-IP
};

// `frame` cut to its first `length` bytes, the IP length fields left as
// they were (they now claim more than the frame holds).
Frame CutRaw(const Frame& frame, size_t length);

// `frame` cut to its first `length` bytes (at or after the IP header), with
// the IP length fields rewritten to match: a well-formed IP packet whose
// transport or extension header is short.
Frame CutConsistent(const Frame& frame, size_t length);

class PacketBuilder {
 public:
  // Non-IP frame with this EtherType.
  PacketBuilder& EtherType(uint16_t ether_type);
  PacketBuilder& Vlan(uint16_t tpid, uint16_t vid);

  PacketBuilder& Ipv4(absl::string_view src, absl::string_view dst);
  PacketBuilder& Ipv4Id(uint16_t id);
  PacketBuilder& Ipv4Options(size_t bytes);  // a multiple of 4, at most 40
  PacketBuilder& Ipv4Fragment(uint16_t offset_units, bool more_fragments);
  PacketBuilder& Ipv4Version(uint8_t version);
  PacketBuilder& Ipv4Ihl(uint8_t ihl);
  PacketBuilder& Ipv4TotalLength(uint16_t tot_len);

  PacketBuilder& Ipv6(absl::string_view src, absl::string_view dst);
  PacketBuilder& Ipv6Version(uint8_t version);
  PacketBuilder& Ipv6PayloadLength(uint16_t payload_len);
  // An extension header of `bytes` (a multiple of 8; of 4 for AH, 51).
  PacketBuilder& Ipv6Extension(uint8_t type, size_t bytes);
  PacketBuilder& Ipv6Fragment(uint16_t offset_units, bool more_fragments);

  PacketBuilder& Tcp(uint16_t sport, uint16_t dport, uint8_t flags,
                     uint32_t seq = 1000);
  PacketBuilder& TcpDataOffset(uint8_t doff);  // header words, default 5
  PacketBuilder& Udp(uint16_t sport, uint16_t dport);
  PacketBuilder& Icmp(uint8_t type, uint8_t code = 0);
  PacketBuilder& Icmpv6(uint8_t type, uint8_t code = 0);
  // A transport the program does not parse, given by protocol number;
  // `bytes` of zeros follow the IP header(s).
  PacketBuilder& Protocol(uint8_t protocol, size_t bytes = 8);
  PacketBuilder& Payload(size_t bytes);

  Frame Build() const;

 private:
  enum class L3 { kNone, kIpv4, kIpv6 };
  enum class L4 { kNone, kTcp, kUdp, kIcmp, kIcmpv6, kOther };

  std::vector<uint8_t> BuildTransport() const;

  uint16_t ether_type_ = 0;
  std::vector<std::pair<uint16_t, uint16_t>> vlans_;  // (tpid, vid)
  L3 l3_ = L3::kNone;
  std::vector<uint8_t> src_, dst_;
  uint16_t ip_id_ = 0x1234;
  size_t ipv4_options_ = 0;
  uint16_t frag_offset_ = 0;
  bool more_fragments_ = false;
  std::optional<uint8_t> version_, ihl_;
  std::optional<uint16_t> ip_length_;
  std::vector<std::pair<uint8_t, size_t>> extensions_;
  L4 l4_ = L4::kNone;
  uint8_t protocol_ = 0;
  uint16_t sport_ = 0, dport_ = 0;
  uint8_t tcp_flags_ = 0, icmp_type_ = 0, icmp_code_ = 0, doff_ = 5;
  uint32_t seq_ = 0;
  size_t other_bytes_ = 0, payload_ = 0;
};

}  // namespace darkscope

#endif  // DARKSCOPE_PACKET_PACKET_BUILDER_H_
