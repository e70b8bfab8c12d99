// Frame construction for the generator, tests and benchmarks.
#include "packet/packet_builder.h"

#include <arpa/inet.h>

#include <cstdlib>
#include <iostream>

namespace darkscope {
namespace {

constexpr uint8_t kProtoTcp = 6, kProtoUdp = 17, kProtoIcmp = 1,
                  kProtoIcmpv6 = 58, kProtoFragment = 44, kProtoNoNext = 59;

std::vector<uint8_t> ParseIp(absl::string_view text, int family) {
  std::vector<uint8_t> addr(family == AF_INET ? 4 : 16);
  if (inet_pton(family, std::string(text).c_str(), addr.data()) != 1) {
    std::cerr << "PacketBuilder: bad address " << text << "\n";
    std::abort();
  }
  return addr;
}

void Put16(std::vector<uint8_t>& out, uint16_t value) {
  out.push_back(value >> 8);
  out.push_back(value & 0xff);
}

void Put32(std::vector<uint8_t>& out, uint32_t value) {
  Put16(out, value >> 16);
  Put16(out, value & 0xffff);
}

void Set16(std::vector<uint8_t>& out, size_t at, uint16_t value) {
  out[at] = value >> 8;
  out[at + 1] = value & 0xff;
}

uint16_t Checksum(const uint8_t* data, size_t length) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < length; i += 2)
    sum += (data[i] << 8) | data[i + 1];
  if (length & 1) sum += data[length - 1] << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

}  // namespace

PacketBuilder& PacketBuilder::EtherType(uint16_t ether_type) {
  ether_type_ = ether_type;
  return *this;
}
PacketBuilder& PacketBuilder::Vlan(uint16_t tpid, uint16_t vid) {
  vlans_.emplace_back(tpid, vid);
  return *this;
}
PacketBuilder& PacketBuilder::Ipv4(absl::string_view src,
                                   absl::string_view dst) {
  l3_ = L3::kIpv4;
  src_ = ParseIp(src, AF_INET);
  dst_ = ParseIp(dst, AF_INET);
  return *this;
}
PacketBuilder& PacketBuilder::Ipv4Id(uint16_t id) {
  ip_id_ = id;
  return *this;
}
PacketBuilder& PacketBuilder::Ipv4Options(size_t bytes) {
  ipv4_options_ = bytes;
  return *this;
}
PacketBuilder& PacketBuilder::Ipv4Fragment(uint16_t offset_units, bool more) {
  frag_offset_ = offset_units;
  more_fragments_ = more;
  return *this;
}
PacketBuilder& PacketBuilder::Ipv4Version(uint8_t version) {
  version_ = version;
  return *this;
}
PacketBuilder& PacketBuilder::Ipv4Ihl(uint8_t ihl) {
  ihl_ = ihl;
  return *this;
}
PacketBuilder& PacketBuilder::Ipv4TotalLength(uint16_t tot_len) {
  ip_length_ = tot_len;
  return *this;
}
PacketBuilder& PacketBuilder::Ipv6(absl::string_view src,
                                   absl::string_view dst) {
  l3_ = L3::kIpv6;
  src_ = ParseIp(src, AF_INET6);
  dst_ = ParseIp(dst, AF_INET6);
  return *this;
}
PacketBuilder& PacketBuilder::Ipv6Version(uint8_t version) {
  version_ = version;
  return *this;
}
PacketBuilder& PacketBuilder::Ipv6PayloadLength(uint16_t payload_len) {
  ip_length_ = payload_len;
  return *this;
}
PacketBuilder& PacketBuilder::Ipv6Extension(uint8_t type, size_t bytes) {
  extensions_.emplace_back(type, bytes);
  return *this;
}
PacketBuilder& PacketBuilder::Ipv6Fragment(uint16_t offset_units, bool more) {
  extensions_.emplace_back(kProtoFragment, 8);
  frag_offset_ = offset_units;
  more_fragments_ = more;
  return *this;
}
PacketBuilder& PacketBuilder::Tcp(uint16_t sport, uint16_t dport, uint8_t flags,
                                  uint32_t seq) {
  l4_ = L4::kTcp;
  protocol_ = kProtoTcp;
  sport_ = sport;
  dport_ = dport;
  tcp_flags_ = flags;
  seq_ = seq;
  return *this;
}
PacketBuilder& PacketBuilder::TcpDataOffset(uint8_t doff) {
  doff_ = doff;
  return *this;
}
PacketBuilder& PacketBuilder::Udp(uint16_t sport, uint16_t dport) {
  l4_ = L4::kUdp;
  protocol_ = kProtoUdp;
  sport_ = sport;
  dport_ = dport;
  return *this;
}
PacketBuilder& PacketBuilder::Icmp(uint8_t type, uint8_t code) {
  l4_ = L4::kIcmp;
  protocol_ = kProtoIcmp;
  icmp_type_ = type;
  icmp_code_ = code;
  return *this;
}
PacketBuilder& PacketBuilder::Icmpv6(uint8_t type, uint8_t code) {
  l4_ = L4::kIcmpv6;
  protocol_ = kProtoIcmpv6;
  icmp_type_ = type;
  icmp_code_ = code;
  return *this;
}
PacketBuilder& PacketBuilder::Protocol(uint8_t protocol, size_t bytes) {
  l4_ = L4::kOther;
  protocol_ = protocol;
  other_bytes_ = bytes;
  return *this;
}
PacketBuilder& PacketBuilder::Payload(size_t bytes) {
  payload_ = bytes;
  return *this;
}

std::vector<uint8_t> PacketBuilder::BuildTransport() const {
  std::vector<uint8_t> out;
  switch (l4_) {
    case L4::kTcp: {
      Put16(out, sport_);
      Put16(out, dport_);
      Put32(out, seq_);
      Put32(out, tcp_flags_ & kAck ? 0x01020304 : 0);
      out.push_back(doff_ << 4);
      out.push_back(tcp_flags_);
      Put16(out, 64240);  // window
      Put16(out, 0);      // checksum: the program does not check it
      Put16(out, 0);      // urgent pointer
      // Options: NOPs up to the data offset.
      while (out.size() < size_t{doff_} * 4) out.push_back(1);
      break;
    }
    case L4::kUdp:
      Put16(out, sport_);
      Put16(out, dport_);
      Put16(out, static_cast<uint16_t>(8 + payload_));
      Put16(out, 0);
      break;
    case L4::kIcmp:
    case L4::kIcmpv6:
      out.push_back(icmp_type_);
      out.push_back(icmp_code_);
      Put16(out, 0);
      Put32(out, 0x00010001);  // identifier, sequence
      break;
    case L4::kOther:
      out.resize(other_bytes_);
      break;
    case L4::kNone:
      break;
  }
  out.resize(out.size() + payload_, 0xab);
  return out;
}

Frame PacketBuilder::Build() const {
  Frame frame;
  std::vector<uint8_t>& out = frame.bytes;
  frame.boundaries.push_back(0);
  const uint8_t dst_mac[6] = {0x02, 0, 0, 0, 0, 0x02};
  const uint8_t src_mac[6] = {0x02, 0, 0, 0, 0, 0x01};
  out.insert(out.end(), dst_mac, dst_mac + 6);
  out.insert(out.end(), src_mac, src_mac + 6);
  uint16_t inner_type = l3_ == L3::kIpv4   ? 0x0800
                        : l3_ == L3::kIpv6 ? 0x86dd
                                           : ether_type_;
  for (const auto& [tpid, vid] : vlans_) {
    Put16(out, tpid);
    frame.boundaries.push_back(out.size());
    Put16(out, vid);
  }
  Put16(out, inner_type);
  frame.l3_offset = out.size();
  if (l3_ == L3::kNone) {
    out.resize(out.size() + 46, 0);
    frame.boundaries.push_back(frame.l3_offset);
    frame.l4_offset = frame.l3_offset;
    return frame;
  }
  frame.boundaries.push_back(out.size());
  std::vector<uint8_t> transport = BuildTransport();

  if (l3_ == L3::kIpv4) {
    frame.ip_version = 4;
    size_t header = 20 + ipv4_options_;
    size_t start = out.size();
    out.push_back((version_.value_or(4) << 4) |
                  (ihl_.value_or(static_cast<uint8_t>(header / 4)) & 0xf));
    out.push_back(0);  // DSCP/ECN
    Put16(out, ip_length_.value_or(
                   static_cast<uint16_t>(header + transport.size())));
    Put16(out, ip_id_);
    Put16(out, (more_fragments_ ? 0x2000 : 0) | (frag_offset_ & 0x1fff));
    out.push_back(64);  // TTL
    out.push_back(protocol_);
    Put16(out, 0);
    out.insert(out.end(), src_.begin(), src_.end());
    out.insert(out.end(), dst_.begin(), dst_.end());
    if (ipv4_options_ > 0) {
      frame.boundaries.push_back(out.size());
      out.resize(out.size() + ipv4_options_, 1);  // NOP options
      out.back() = 0;                             // end of option list
    }
    Set16(out, start + 10, Checksum(out.data() + start, header));
  } else {
    frame.ip_version = 6;
    size_t ext_bytes = 0;
    for (const auto& extension : extensions_) ext_bytes += extension.second;
    Put32(out, uint32_t{version_.value_or(6)} << 28);
    Put16(out, ip_length_.value_or(
                   static_cast<uint16_t>(ext_bytes + transport.size())));
    out.push_back(extensions_.empty() ? protocol_ : extensions_[0].first);
    out.push_back(64);  // hop limit
    out.insert(out.end(), src_.begin(), src_.end());
    out.insert(out.end(), dst_.begin(), dst_.end());
    for (size_t i = 0; i < extensions_.size(); ++i) {
      const auto& [type, bytes] = extensions_[i];
      frame.boundaries.push_back(out.size());
      uint8_t next = i + 1 < extensions_.size() ? extensions_[i + 1].first
                     : l4_ == L4::kNone         ? kProtoNoNext
                                                : protocol_;
      size_t start = out.size();
      out.resize(start + bytes, 0);
      out[start] = next;
      if (type == kProtoFragment) {
        Set16(out, start + 2,
              static_cast<uint16_t>((frag_offset_ << 3) |
                                    (more_fragments_ ? 1 : 0)));
      } else if (type == 51) {  // AH: length in 4-byte units minus 2
        out[start + 1] = static_cast<uint8_t>(bytes / 4 - 2);
      } else {  // length in 8-byte units minus 1
        out[start + 1] = static_cast<uint8_t>(bytes / 8 - 1);
      }
    }
  }
  frame.l4_offset = out.size();
  frame.boundaries.push_back(out.size());
  out.insert(out.end(), transport.begin(), transport.end());
  if (payload_ > 0) frame.boundaries.push_back(out.size() - payload_);
  return frame;
}

Frame CutRaw(const Frame& frame, size_t length) {
  Frame cut = frame;
  cut.bytes.resize(length);
  return cut;
}

Frame CutConsistent(const Frame& frame, size_t length) {
  Frame cut = CutRaw(frame, length);
  std::vector<uint8_t>& b = cut.bytes;
  size_t l3 = frame.l3_offset;
  if (frame.ip_version == 4) {
    Set16(b, l3 + 2, static_cast<uint16_t>(length - l3));
    Set16(b, l3 + 10, 0);
    Set16(b, l3 + 10, Checksum(b.data() + l3, (b[l3] & 0xf) * 4));
  } else if (frame.ip_version == 6) {
    Set16(b, l3 + 4, static_cast<uint16_t>(length - l3 - 40));
  }
  return cut;
}

}  // namespace darkscope
