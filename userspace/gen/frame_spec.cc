// Frame bytes and ground truth from a FrameSpec.
#include "gen/frame_spec.h"

#include <linux/bpf.h>

#include "packet/packet_builder.h"

namespace darkscope {
namespace {

constexpr uint8_t kProtoTcp = 6, kProtoUdp = 17, kProtoIcmp = 1,
                  kProtoIcmpv6 = 58;

uint8_t ProtocolOf(const FrameSpec& spec) {
  switch (spec.transport) {
    case Transport::kTcp:
      return kProtoTcp;
    case Transport::kUdp:
      return kProtoUdp;
    case Transport::kIcmp:
      return kProtoIcmp;
    case Transport::kIcmpv6:
      return kProtoIcmpv6;
    case Transport::kOther:
      return spec.protocol;
  }
  return spec.protocol;
}

// Bytes of the transport header as the program requires them.
size_t HeaderBytes(Transport transport) {
  return transport == Transport::kTcp     ? 20
         : transport == Transport::kOther ? 0
                                          : 8;
}

uint32_t HostOrderIpv4(const Prefix& address) {
  return (uint32_t{address.addr[0]} << 24) | (uint32_t{address.addr[1]} << 16) |
         (uint32_t{address.addr[2]} << 8) | address.addr[3];
}

}  // namespace

bool PrefixesContain(const std::vector<Prefix>& prefixes,
                     const Prefix& address) {
  for (const Prefix& prefix : prefixes) {
    if (prefix.family != address.family) continue;
    bool inside = true;
    for (int bit = 0; bit < prefix.length && inside; ++bit) {
      const uint8_t mask = 0x80 >> (bit % 8);
      inside = (prefix.addr[bit / 8] & mask) == (address.addr[bit / 8] & mask);
    }
    if (inside) return true;
  }
  return false;
}

std::vector<uint8_t> BuildFrame(const FrameSpec& spec) {
  PacketBuilder builder;
  for (const auto& [tpid, vid] : spec.vlans) builder.Vlan(tpid, vid);
  if (spec.non_ip) return builder.EtherType(0x0806).Build().bytes;
  const std::string src = spec.src.ToString(), dst = spec.dst.ToString();
  // ToString gives "addr/len": the builder wants the address alone.
  const std::string src_addr = src.substr(0, src.find('/'));
  const std::string dst_addr = dst.substr(0, dst.find('/'));
  if (spec.src.family == DS_FAMILY_IPV4) {
    builder.Ipv4(src_addr, dst_addr).Ipv4Id(spec.ip_id);
    if (spec.fragment_offset > 0)
      builder.Ipv4Fragment(spec.fragment_offset, false);
  } else {
    builder.Ipv6(src_addr, dst_addr);
  }
  if (spec.fragment_offset > 0) {
    builder.Protocol(ProtocolOf(spec), 8 + spec.payload);
  } else {
    switch (spec.transport) {
      case Transport::kTcp:
        builder.Tcp(spec.sport, spec.dport, spec.tcp_flags, spec.seq);
        break;
      case Transport::kUdp:
        builder.Udp(spec.sport, spec.dport);
        break;
      case Transport::kIcmp:
        builder.Icmp(spec.icmp_type, spec.icmp_code);
        break;
      case Transport::kIcmpv6:
        builder.Icmpv6(spec.icmp_type, spec.icmp_code);
        break;
      case Transport::kOther:
        builder.Protocol(spec.protocol, 8);
        break;
    }
    builder.Payload(spec.payload);
  }
  Frame frame = builder.Build();
  if (spec.transport_bytes < HeaderBytes(spec.transport) &&
      spec.fragment_offset == 0) {
    frame = CutConsistent(frame, frame.l4_offset + spec.transport_bytes);
  }
  return frame.bytes;
}

CountedFrame CountFrameSpec(const FrameSpec& spec,
                            const std::vector<Prefix>& darknet,
                            uint32_t darknet_action) {
  CountedFrame counted;
  if (spec.vlans.size() > 2) {
    counted.pass_reason = DS_CTR_VLAN_TOO_DEEP;
    return counted;
  }
  if (spec.non_ip) {
    counted.pass_reason = DS_CTR_NON_IP;
    return counted;
  }
  if (!PrefixesContain(darknet, spec.dst)) {
    counted.pass_reason = DS_CTR_NON_DARKNET;
    return counted;
  }
  const bool ipv4 = spec.src.family == DS_FAMILY_IPV4;
  counted.src = spec.src;
  counted.dst = spec.dst;
  counted.vlan = !spec.vlans.empty();
  counted.action = darknet_action;

  if (ipv4 && spec.fragment_offset > 0) {
    counted.outcome = DS_CTR_FRAGMENT;
    return counted;
  }
  // ICMP over IPv6 and ICMPv6 over IPv4 are just other protocols.
  Transport transport = spec.transport;
  if ((transport == Transport::kIcmp && !ipv4) ||
      (transport == Transport::kIcmpv6 && ipv4)) {
    transport = Transport::kOther;
  }
  if (spec.transport_bytes < HeaderBytes(transport)) {
    counted.outcome = transport == Transport::kTcp    ? DS_CTR_MALFORMED_TCP
                      : transport == Transport::kUdp  ? DS_CTR_MALFORMED_UDP
                      : transport == Transport::kIcmp ? DS_CTR_MALFORMED_ICMP
                                                      : DS_CTR_MALFORMED_ICMPV6;
    return counted;
  }
  bool backscatter = false;
  switch (transport) {
    case Transport::kTcp: {
      counted.slot = DS_SLOT_TCP;
      counted.port = spec.dport;
      counted.sport = spec.sport;
      const bool syn = spec.tcp_flags & kSyn, ack = spec.tcp_flags & kAck;
      if (spec.tcp_flags & kRst) {
        counted.outcome = DS_CTR_TCP_RST;
        backscatter = true;
      } else if (syn && ack) {
        counted.outcome = DS_CTR_TCP_SYNACK;
        backscatter = true;
      } else if (syn) {
        counted.outcome = DS_CTR_TCP_SYN;
        if (ipv4) {
          const uint32_t daddr = HostOrderIpv4(spec.dst);
          if (spec.seq == daddr) counted.marks.push_back(DS_CTR_MIRAI);
          if (spec.ip_id == ((daddr ^ spec.dport ^ spec.seq) & 0xffff)) {
            counted.marks.push_back(DS_CTR_MASSCAN);
          }
        }
      } else {
        counted.outcome = DS_CTR_TCP_OTHER;
      }
      break;
    }
    case Transport::kUdp:
      counted.slot = DS_SLOT_UDP;
      counted.port = spec.dport;
      counted.sport = spec.sport;
      counted.outcome = DS_CTR_UDP;
      backscatter = spec.sport == 53;
      break;
    case Transport::kIcmp:
    case Transport::kIcmpv6: {
      const bool v4 = transport == Transport::kIcmp;
      counted.slot = v4 ? DS_SLOT_ICMP : DS_SLOT_ICMPV6;
      counted.port = spec.icmp_type;
      const uint8_t t = spec.icmp_type;
      const bool echo = v4 ? t == 8 : t == 128;
      const bool error = v4 ? (t == 3 || t == 4 || t == 5 || t == 11 || t == 12)
                            : (t >= 1 && t <= 4);
      const bool echo_reply = v4 ? t == 0 : t == 129;
      counted.outcome = echo    ? DS_CTR_ICMP_ECHO
                        : error ? DS_CTR_ICMP_ERROR
                                : DS_CTR_ICMP_OTHER;
      backscatter = error || echo_reply;
      break;
    }
    case Transport::kOther:
      counted.slot = DS_SLOT_OTHER;
      counted.port = ProtocolOf(spec);
      counted.outcome = DS_CTR_OTHER_PROTO;
      break;
  }
  if (ipv4 && spec.ip_id == 54321) counted.marks.push_back(DS_CTR_ZMAP);
  if (backscatter) counted.marks.push_back(DS_CTR_BACKSCATTER);
  return counted;
}

}  // namespace darkscope
