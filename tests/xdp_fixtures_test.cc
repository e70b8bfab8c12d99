// The data plane's table of fixtures: each case is a frame, the verdict the
// program must return, and the exact contents of every counter table after
// that one frame (BPF_PROG_TEST_RUN, repeat 1). The epoch is swapped out
// after each frame, so each case sees only its own counts, and every table
// is compared whole: an unexpected entry anywhere fails the case.
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <sched.h>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/counter_names.h"
#include "common/prefix.h"
#include "common/status.h"
#include "darkscope/abi.h"
#include "darkscope/sketch.h"
#include "drain/epoch_tables.h"
#include "gen/counted_frame.h"
#include "gtest/gtest.h"
#include "loader/data_plane.h"
#include "packet/packet_builder.h"
#include "privileged.h"

namespace darkscope::testing {
namespace {

// The darknet of every fixture.
constexpr const char* kDarknetV4 = "198.18.0.0/15";
constexpr const char* kDarknetV6 = "2001:db8:d::/48";

// Addresses the fixtures use.
constexpr const char* kScanner = "185.220.101.7";
constexpr const char* kDark = "198.18.5.9";  // 0xc6120509
constexpr uint32_t kDarkHostOrder = 0xc6120509;
constexpr const char* kScanner6 = "2a01:4f8:c0c:1::7";
constexpr const char* kDark6 = "2001:db8:d:0:1::9";

// The expected effect of one frame, stated the way a reader thinks of it;
// Build() turns it into the full contents of every table
// (AddCountedFrame, shared with the generator's ground truth).
class Expect {
 public:
  // Passed before reaching the darknet check, or outside the darknet.
  static Expect Passed(uint32_t reason) {
    Expect e;
    e.frame_.pass_reason = reason;
    return e;
  }
  // Counted as darknet traffic from `src` to `dst`, with this class or L4
  // malformation.
  static Expect Dark(uint32_t outcome, const char* src, const char* dst) {
    Expect e;
    e.frame_.outcome = outcome;
    e.frame_.src = *ParseAddress(src);
    e.frame_.dst = *ParseAddress(dst);
    return e;
  }
  // The packet reached the per-port tables at (slot, port).
  Expect& Port(uint8_t slot, uint16_t port) {
    frame_.slot = slot;
    frame_.port = port;
    return *this;
  }
  Expect& SrcPort(uint16_t sport) {
    frame_.sport = sport;
    return *this;
  }
  // A fingerprint or DS_CTR_BACKSCATTER.
  Expect& Mark(uint32_t counter) {
    frame_.marks.push_back(counter);
    return *this;
  }
  Expect& Vlan() {
    frame_.vlan = true;
    return *this;
  }
  Expect& Verdict(uint32_t action) {
    frame_.action = action;
    return *this;
  }

  uint32_t action() const {
    return frame_.pass_reason ? uint32_t{XDP_PASS} : frame_.action;
  }

  EpochCounts Build(uint64_t frame_len) const {
    EpochCounts counts;
    AddCountedFrame(frame_, frame_len, counts);
    return counts;
  }

 private:
  CountedFrame frame_;
};

struct Fixture {
  std::string name;
  Frame frame;
  Expect expect;
  DarknetAction config = DarknetAction::kDrop;
};

// gtest prints a case by its name, not its bytes.
void PrintTo(const Fixture& fixture, std::ostream* os) { *os << fixture.name; }

// Text of every nonzero count, one per line, for failure messages.
std::string Describe(const EpochCounts& c) {
  std::string out;
  for (int i = 0; i < DS_CTR_COUNT; ++i) {
    if (c.counters[i])
      absl::StrAppend(&out, "  counter[", i, "]=", c.counters[i], "\n");
  }
  for (const auto& [index, p] : c.ports) {
    absl::StrAppendFormat(&out,
                          "  port[%u] pkts=%u bytes=%u syn=%u synack=%u rst=%u "
                          "mirai=%u zmap=%u masscan=%u bs=%u\n",
                          index, p.packets, p.bytes, p.syn, p.synack, p.rst,
                          p.mirai, p.zmap, p.masscan, p.backscatter);
  }
  for (const auto& [index, t] : c.src_ports) {
    absl::StrAppendFormat(&out, "  src_port[%u] pkts=%u bytes=%u\n", index,
                          t.packets, t.bytes);
  }
  for (const auto& [key, s] : c.sources) {
    absl::StrAppendFormat(
        &out, "  source %s pkts=%u bytes=%u hosts=%x.%x.%x.%x sketch=",
        NetKeyToString(key), s.packets, s.bytes, s.hosts[0], s.hosts[1],
        s.hosts[2], s.hosts[3]);
    for (uint64_t w : s.port_sketch) absl::StrAppendFormat(&out, "%x.", w);
    absl::StrAppendFormat(&out, " synack=%u rst=%u\n", s.synack, s.rst);
  }
  for (const auto& [key, d] : c.destinations) {
    absl::StrAppendFormat(&out,
                          "  dest %s pkts=%u bytes=%u hosts=%x.%x.%x.%x\n",
                          NetKeyToString(key), d.packets, d.bytes, d.hosts[0],
                          d.hosts[1], d.hosts[2], d.hosts[3]);
  }
  for (const auto& [key, t] : c.flows) {
    absl::StrAppendFormat(&out,
                          "  flow %s slot=%u port=%u pkts=%u bytes=%u "
                          "mirai=%u zmap=%u masscan=%u\n",
                          NetKeyToString(key.src), key.proto_slot, key.port,
                          t.packets, t.bytes, t.mirai, t.zmap, t.masscan);
  }
  return out;
}

PacketBuilder V4() { return std::move(PacketBuilder().Ipv4(kScanner, kDark)); }
PacketBuilder V6() {
  return std::move(PacketBuilder().Ipv6(kScanner6, kDark6));
}

Expect DarkTcp(uint32_t outcome, uint16_t sport, uint16_t dport) {
  return std::move(Expect::Dark(outcome, kScanner, kDark)
                       .Port(DS_SLOT_TCP, dport)
                       .SrcPort(sport));
}
Expect DarkUdp(uint16_t sport, uint16_t dport) {
  return std::move(Expect::Dark(DS_CTR_UDP, kScanner, kDark)
                       .Port(DS_SLOT_UDP, dport)
                       .SrcPort(sport));
}
Expect DarkIcmp(uint32_t outcome, uint8_t type) {
  return std::move(
      Expect::Dark(outcome, kScanner, kDark).Port(DS_SLOT_ICMP, type));
}

// Masscan's IP id for a SYN to kDark:dport with this sequence number.
uint16_t MasscanId(uint16_t dport, uint32_t seq) {
  return static_cast<uint16_t>((kDarkHostOrder ^ dport ^ seq) & 0xffff);
}

std::vector<Fixture> ClassFixtures() {
  using E = Expect;
  return {
      // TCP classes.
      {"tcp_syn", V4().Tcp(40000, 23, kSyn).Build(),
       DarkTcp(DS_CTR_TCP_SYN, 40000, 23)},
      {"tcp_syn_fin", V4().Tcp(40000, 22, kSyn | kFin).Build(),
       DarkTcp(DS_CTR_TCP_SYN, 40000, 22)},
      {"tcp_synack_backscatter", V4().Tcp(443, 51000, kSyn | kAck).Build(),
       DarkTcp(DS_CTR_TCP_SYNACK, 443, 51000).Mark(DS_CTR_BACKSCATTER)},
      {"tcp_rst_backscatter", V4().Tcp(80, 52000, kRst).Build(),
       DarkTcp(DS_CTR_TCP_RST, 80, 52000).Mark(DS_CTR_BACKSCATTER)},
      {"tcp_rst_ack_backscatter", V4().Tcp(80, 52001, kRst | kAck).Build(),
       DarkTcp(DS_CTR_TCP_RST, 80, 52001).Mark(DS_CTR_BACKSCATTER)},
      {"tcp_ack_other", V4().Tcp(40000, 80, kAck).Build(),
       DarkTcp(DS_CTR_TCP_OTHER, 40000, 80)},
      {"tcp_fin_other", V4().Tcp(40000, 80, kFin).Build(),
       DarkTcp(DS_CTR_TCP_OTHER, 40000, 80)},
      {"tcp_psh_ack_payload",
       V4().Tcp(40000, 8080, kPsh | kAck).Payload(100).Build(),
       DarkTcp(DS_CTR_TCP_OTHER, 40000, 8080)},
      {"tcp_options_doff8", V4().Tcp(40000, 445, kSyn).TcpDataOffset(8).Build(),
       DarkTcp(DS_CTR_TCP_SYN, 40000, 445)},
      // UDP.
      {"udp_probe_53", V4().Udp(33000, 53).Payload(30).Build(),
       DarkUdp(33000, 53)},
      {"udp_from_53_backscatter", V4().Udp(53, 33001).Payload(60).Build(),
       DarkUdp(53, 33001).Mark(DS_CTR_BACKSCATTER)},
      {"udp_from_123_reflection", V4().Udp(123, 33002).Payload(468).Build(),
       DarkUdp(123, 33002)},
      {"udp_port_0", V4().Udp(0, 0).Build(), DarkUdp(0, 0)},
      // ICMP by type.
      {"icmp_echo", V4().Icmp(8).Build(), DarkIcmp(DS_CTR_ICMP_ECHO, 8)},
      {"icmp_echo_reply_backscatter", V4().Icmp(0).Build(),
       DarkIcmp(DS_CTR_ICMP_OTHER, 0).Mark(DS_CTR_BACKSCATTER)},
      {"icmp_unreachable", V4().Icmp(3, 3).Payload(28).Build(),
       DarkIcmp(DS_CTR_ICMP_ERROR, 3).Mark(DS_CTR_BACKSCATTER)},
      {"icmp_source_quench", V4().Icmp(4).Build(),
       DarkIcmp(DS_CTR_ICMP_ERROR, 4).Mark(DS_CTR_BACKSCATTER)},
      {"icmp_redirect", V4().Icmp(5).Build(),
       DarkIcmp(DS_CTR_ICMP_ERROR, 5).Mark(DS_CTR_BACKSCATTER)},
      {"icmp_time_exceeded", V4().Icmp(11).Payload(28).Build(),
       DarkIcmp(DS_CTR_ICMP_ERROR, 11).Mark(DS_CTR_BACKSCATTER)},
      {"icmp_parameter_problem", V4().Icmp(12).Build(),
       DarkIcmp(DS_CTR_ICMP_ERROR, 12).Mark(DS_CTR_BACKSCATTER)},
      {"icmp_timestamp_other", V4().Icmp(13).Build(),
       DarkIcmp(DS_CTR_ICMP_OTHER, 13)},
      // Other protocols, keyed by protocol number.
      {"gre", V4().Protocol(47).Build(),
       E::Dark(DS_CTR_OTHER_PROTO, kScanner, kDark).Port(DS_SLOT_OTHER, 47)},
      {"sctp", V4().Protocol(132, 12).Build(),
       E::Dark(DS_CTR_OTHER_PROTO, kScanner, kDark).Port(DS_SLOT_OTHER, 132)},
      {"icmpv6_over_ipv4_is_other", V4().Protocol(58).Build(),
       E::Dark(DS_CTR_OTHER_PROTO, kScanner, kDark).Port(DS_SLOT_OTHER, 58)},
      // Fingerprints and their near misses.
      {"mirai_syn", V4().Tcp(40000, 23, kSyn, kDarkHostOrder).Build(),
       DarkTcp(DS_CTR_TCP_SYN, 40000, 23).Mark(DS_CTR_MIRAI)},
      {"mirai_near_miss_seq_plus_1",
       V4().Tcp(40000, 23, kSyn, kDarkHostOrder + 1).Build(),
       DarkTcp(DS_CTR_TCP_SYN, 40000, 23)},
      {"mirai_seq_on_synack_is_not_mirai",
       V4().Tcp(23, 40000, kSyn | kAck, kDarkHostOrder).Build(),
       DarkTcp(DS_CTR_TCP_SYNACK, 23, 40000).Mark(DS_CTR_BACKSCATTER)},
      {"zmap_syn", V4().Ipv4Id(54321).Tcp(40000, 443, kSyn).Build(),
       DarkTcp(DS_CTR_TCP_SYN, 40000, 443).Mark(DS_CTR_ZMAP)},
      {"zmap_near_miss_54320", V4().Ipv4Id(54320).Tcp(40000, 443, kSyn).Build(),
       DarkTcp(DS_CTR_TCP_SYN, 40000, 443)},
      {"zmap_icmp_echo", V4().Ipv4Id(54321).Icmp(8).Build(),
       DarkIcmp(DS_CTR_ICMP_ECHO, 8).Mark(DS_CTR_ZMAP)},
      {"zmap_udp", V4().Ipv4Id(54321).Udp(40000, 161).Build(),
       DarkUdp(40000, 161).Mark(DS_CTR_ZMAP)},
      {"masscan_syn",
       V4().Ipv4Id(MasscanId(3389, 0x5a5a1234))
           .Tcp(61000, 3389, kSyn, 0x5a5a1234)
           .Build(),
       DarkTcp(DS_CTR_TCP_SYN, 61000, 3389).Mark(DS_CTR_MASSCAN)},
      {"masscan_near_miss_id_plus_1",
       V4().Ipv4Id(MasscanId(3389, 0x5a5a1234) + 1)
           .Tcp(61000, 3389, kSyn, 0x5a5a1234)
           .Build(),
       DarkTcp(DS_CTR_TCP_SYN, 61000, 3389)},
      {"masscan_id_on_rst_is_not_masscan",
       V4().Ipv4Id(MasscanId(3389, 0x5a5a1234))
           .Tcp(61000, 3389, kRst, 0x5a5a1234)
           .Build(),
       DarkTcp(DS_CTR_TCP_RST, 61000, 3389).Mark(DS_CTR_BACKSCATTER)},
      {"mirai_and_zmap_together",
       V4().Ipv4Id(54321).Tcp(40000, 2323, kSyn, kDarkHostOrder).Build(),
       DarkTcp(DS_CTR_TCP_SYN, 40000, 2323)
           .Mark(DS_CTR_MIRAI)
           .Mark(DS_CTR_ZMAP)},
      // VLAN tags.
      {"vlan_8021q", V4().Vlan(0x8100, 10).Tcp(40000, 23, kSyn).Build(),
       DarkTcp(DS_CTR_TCP_SYN, 40000, 23).Vlan()},
      {"qinq_8021ad_8021q",
       V4().Vlan(0x88a8, 100).Vlan(0x8100, 10).Udp(40000, 1900).Build(),
       DarkUdp(40000, 1900).Vlan()},
      {"double_8021q", V4().Vlan(0x8100, 100).Vlan(0x8100, 10).Icmp(8).Build(),
       DarkIcmp(DS_CTR_ICMP_ECHO, 8).Vlan()},
      {"three_tags_too_deep",
       V4().Vlan(0x88a8, 1)
           .Vlan(0x8100, 2)
           .Vlan(0x8100, 3)
           .Tcp(1, 23, kSyn)
           .Build(),
       E::Passed(DS_CTR_VLAN_TOO_DEEP)},
      {"vlan_around_arp",
       PacketBuilder().Vlan(0x8100, 5).EtherType(0x0806).Build(),
       E::Passed(DS_CTR_NON_IP)},
      // IPv4 header variants.
      {"ipv4_options_4", V4().Ipv4Options(4).Tcp(40000, 23, kSyn).Build(),
       DarkTcp(DS_CTR_TCP_SYN, 40000, 23)},
      {"ipv4_options_40", V4().Ipv4Options(40).Udp(40000, 5060).Build(),
       DarkUdp(40000, 5060)},
      {"ipv4_ihl_4", V4().Ipv4Ihl(4).Tcp(40000, 23, kSyn).Build(),
       E::Passed(DS_CTR_MALFORMED_IPV4)},
      {"ipv4_version_5", V4().Ipv4Version(5).Tcp(40000, 23, kSyn).Build(),
       E::Passed(DS_CTR_MALFORMED_IPV4)},
      {"ipv4_total_length_below_header",
       V4().Ipv4TotalLength(16).Tcp(1, 23, kSyn).Build(),
       E::Passed(DS_CTR_MALFORMED_IPV4)},
      {"ipv4_total_length_beyond_frame",
       V4().Ipv4TotalLength(1400).Tcp(1, 23, kSyn).Build(),
       E::Passed(DS_CTR_MALFORMED_IPV4)},
      {"ipv4_ethernet_padding",
       V4().Ipv4TotalLength(40).Tcp(40000, 23, kSyn).Payload(6).Build(),
       DarkTcp(DS_CTR_TCP_SYN, 40000, 23)},
      {"ipv4_ihl_beyond_frame",
       PacketBuilder()
           .Ipv4(kScanner, kDark)
           .Ipv4Ihl(15)
           .Protocol(253, 0)
           .Build(),
       E::Passed(DS_CTR_MALFORMED_IPV4)},
      // IPv4 fragments: only the first has ports.
      {"fragment_first",
       V4().Ipv4Fragment(0, true).Tcp(40000, 23, kSyn).Payload(64).Build(),
       DarkTcp(DS_CTR_TCP_SYN, 40000, 23)},
      {"fragment_middle", V4().Ipv4Fragment(100, true).Protocol(17, 64).Build(),
       E::Dark(DS_CTR_FRAGMENT, kScanner, kDark)},
      {"fragment_last", V4().Ipv4Fragment(185, false).Protocol(6, 40).Build(),
       E::Dark(DS_CTR_FRAGMENT, kScanner, kDark)},
      {"fragment_with_zmap_id_has_no_fingerprint",
       V4().Ipv4Id(54321).Ipv4Fragment(8, false).Protocol(6, 40).Build(),
       E::Dark(DS_CTR_FRAGMENT, kScanner, kDark)},
      // Outside the darknet: passed, counted only as such.
      {"miss_192_0_2",
       PacketBuilder().Ipv4(kScanner, "192.0.2.1").Tcp(1, 22, kSyn).Build(),
       E::Passed(DS_CTR_NON_DARKNET)},
      {"miss_203_0_113",
       PacketBuilder().Ipv4(kScanner, "203.0.113.5").Udp(1, 53).Build(),
       E::Passed(DS_CTR_NON_DARKNET)},
      {"miss_just_above_prefix",
       PacketBuilder().Ipv4(kScanner, "198.20.0.1").Tcp(1, 23, kSyn).Build(),
       E::Passed(DS_CTR_NON_DARKNET)},
      {"last_address_of_prefix",
       PacketBuilder()
           .Ipv4(kScanner, "198.19.255.255")
           .Tcp(40000, 23, kSyn)
           .Build(),
       std::move(Expect::Dark(DS_CTR_TCP_SYN, kScanner, "198.19.255.255")
                     .Port(DS_SLOT_TCP, 23)
                     .SrcPort(40000))},
      {"first_address_of_prefix",
       PacketBuilder().Ipv4("8.8.4.4", "198.18.0.0").Udp(53, 40000).Build(),
       std::move(Expect::Dark(DS_CTR_UDP, "8.8.4.4", "198.18.0.0")
                     .Port(DS_SLOT_UDP, 40000)
                     .SrcPort(53)
                     .Mark(DS_CTR_BACKSCATTER))},
      {"arp_non_ip", PacketBuilder().EtherType(0x0806).Build(),
       E::Passed(DS_CTR_NON_IP)},
      {"ipv6_miss",
       PacketBuilder()
           .Ipv6(kScanner6, "2001:db8:ffff::1")
           .Tcp(1, 22, kSyn)
           .Build(),
       E::Passed(DS_CTR_NON_DARKNET)},
      // IPv6.
      {"ipv6_tcp_syn", V6().Tcp(40000, 22, kSyn).Build(),
       std::move(Expect::Dark(DS_CTR_TCP_SYN, kScanner6, kDark6)
                     .Port(DS_SLOT_TCP, 22)
                     .SrcPort(40000))},
      {"ipv6_no_fingerprints", V6().Tcp(40000, 23, kSyn, 0x0009).Build(),
       std::move(Expect::Dark(DS_CTR_TCP_SYN, kScanner6, kDark6)
                     .Port(DS_SLOT_TCP, 23)
                     .SrcPort(40000))},
      {"ipv6_udp_from_53_backscatter", V6().Udp(53, 40000).Build(),
       std::move(Expect::Dark(DS_CTR_UDP, kScanner6, kDark6)
                     .Port(DS_SLOT_UDP, 40000)
                     .SrcPort(53)
                     .Mark(DS_CTR_BACKSCATTER))},
      {"icmpv6_echo_request", V6().Icmpv6(128).Build(),
       std::move(Expect::Dark(DS_CTR_ICMP_ECHO, kScanner6, kDark6)
                     .Port(DS_SLOT_ICMPV6, 128))},
      {"icmpv6_echo_reply_backscatter", V6().Icmpv6(129).Build(),
       std::move(Expect::Dark(DS_CTR_ICMP_OTHER, kScanner6, kDark6)
                     .Port(DS_SLOT_ICMPV6, 129)
                     .Mark(DS_CTR_BACKSCATTER))},
      {"icmpv6_unreachable", V6().Icmpv6(1, 4).Payload(48).Build(),
       std::move(Expect::Dark(DS_CTR_ICMP_ERROR, kScanner6, kDark6)
                     .Port(DS_SLOT_ICMPV6, 1)
                     .Mark(DS_CTR_BACKSCATTER))},
      {"icmpv6_packet_too_big", V6().Icmpv6(2).Build(),
       std::move(Expect::Dark(DS_CTR_ICMP_ERROR, kScanner6, kDark6)
                     .Port(DS_SLOT_ICMPV6, 2)
                     .Mark(DS_CTR_BACKSCATTER))},
      {"icmpv6_neighbor_solicitation", V6().Icmpv6(135).Build(),
       std::move(Expect::Dark(DS_CTR_ICMP_OTHER, kScanner6, kDark6)
                     .Port(DS_SLOT_ICMPV6, 135))},
      {"icmp_over_ipv6_is_other", V6().Protocol(1).Build(),
       std::move(Expect::Dark(DS_CTR_OTHER_PROTO, kScanner6, kDark6)
                     .Port(DS_SLOT_OTHER, 1))},
      {"ipv6_hop_by_hop", V6().Ipv6Extension(0, 8).Tcp(40000, 23, kSyn).Build(),
       std::move(Expect::Dark(DS_CTR_TCP_SYN, kScanner6, kDark6)
                     .Port(DS_SLOT_TCP, 23)
                     .SrcPort(40000))},
      {"ipv6_hop_routing_dstopts",
       V6().Ipv6Extension(0, 8)
           .Ipv6Extension(43, 24)
           .Ipv6Extension(60, 16)
           .Udp(40000, 500)
           .Build(),
       std::move(Expect::Dark(DS_CTR_UDP, kScanner6, kDark6)
                     .Port(DS_SLOT_UDP, 500)
                     .SrcPort(40000))},
      {"ipv6_auth_header",
       V6().Ipv6Extension(51, 24).Tcp(40000, 179, kSyn).Build(),
       std::move(Expect::Dark(DS_CTR_TCP_SYN, kScanner6, kDark6)
                     .Port(DS_SLOT_TCP, 179)
                     .SrcPort(40000))},
      {"ipv6_mobility_header",
       V6().Ipv6Extension(135, 8).Udp(40000, 4500).Build(),
       std::move(Expect::Dark(DS_CTR_UDP, kScanner6, kDark6)
                     .Port(DS_SLOT_UDP, 4500)
                     .SrcPort(40000))},
      {"ipv6_fragment_first",
       V6().Ipv6Fragment(0, true).Udp(40000, 53).Payload(64).Build(),
       std::move(Expect::Dark(DS_CTR_UDP, kScanner6, kDark6)
                     .Port(DS_SLOT_UDP, 53)
                     .SrcPort(40000))},
      {"ipv6_fragment_later",
       V6().Ipv6Fragment(100, false).Protocol(17, 64).Build(),
       Expect::Dark(DS_CTR_FRAGMENT, kScanner6, kDark6)},
      {"ipv6_six_extensions",
       V6().Ipv6Extension(0, 8)
           .Ipv6Extension(60, 8)
           .Ipv6Extension(43, 8)
           .Ipv6Extension(60, 8)
           .Ipv6Extension(43, 8)
           .Ipv6Extension(60, 8)
           .Tcp(40000, 80, kSyn)
           .Build(),
       std::move(Expect::Dark(DS_CTR_TCP_SYN, kScanner6, kDark6)
                     .Port(DS_SLOT_TCP, 80)
                     .SrcPort(40000))},
      {"ipv6_seven_extensions_limit",
       V6().Ipv6Extension(0, 8)
           .Ipv6Extension(60, 8)
           .Ipv6Extension(43, 8)
           .Ipv6Extension(60, 8)
           .Ipv6Extension(43, 8)
           .Ipv6Extension(60, 8)
           .Ipv6Extension(60, 8)
           .Tcp(40000, 80, kSyn)
           .Build(),
       Expect::Dark(DS_CTR_IPV6_EXT_LIMIT, kScanner6, kDark6)},
      {"ipv6_no_next_header", V6().Ipv6Extension(60, 8).Build(),
       std::move(Expect::Dark(DS_CTR_OTHER_PROTO, kScanner6, kDark6)
                     .Port(DS_SLOT_OTHER, 59))},
      {"ipv6_extension_longer_than_payload",
       V6().Ipv6Extension(60, 64)
           .Ipv6PayloadLength(16)
           .Tcp(1, 80, kSyn)
           .Build(),
       Expect::Dark(DS_CTR_MALFORMED_IPV6_EXT, kScanner6, kDark6)},
      {"ipv6_version_4", V6().Ipv6Version(4).Tcp(1, 80, kSyn).Build(),
       E::Passed(DS_CTR_MALFORMED_IPV6)},
      {"ipv6_payload_beyond_frame",
       V6().Ipv6PayloadLength(1000).Tcp(1, 80, kSyn).Build(),
       E::Passed(DS_CTR_MALFORMED_IPV6)},
      // Transport headers that lie.
      {"tcp_doff_4", V4().Tcp(40000, 23, kSyn).TcpDataOffset(4).Build(),
       Expect::Dark(DS_CTR_MALFORMED_TCP, kScanner, kDark)},
      {"tcp_doff_beyond_packet",
       V4().Tcp(40000, 23, kSyn).TcpDataOffset(15).Build(),
       // Built with 60 header bytes; cut to 24 below (see CutConsistent).
       Expect::Dark(DS_CTR_MALFORMED_TCP, kScanner, kDark)},
      // The configured verdict for darknet packets.
      {"pass_mode_counts_and_passes", V4().Tcp(40000, 23, kSyn).Build(),
       DarkTcp(DS_CTR_TCP_SYN, 40000, 23).Verdict(XDP_PASS),
       DarknetAction::kPass},
      {"pass_mode_non_darknet",
       PacketBuilder().Ipv4(kScanner, "192.0.2.9").Tcp(1, 23, kSyn).Build(),
       E::Passed(DS_CTR_NON_DARKNET), DarknetAction::kPass},
  };
}

// Truncation at every header boundary (and one byte into each header) of
// frames that stack many headers. Cut raw, the IP length fields claim more
// than the frame holds (malformed IP, passed); cut with the lengths rewritten,
// the IP packet is whole and its short extension or transport header is
// counted as darknet traffic under the malformation's name.
std::vector<Fixture> TruncationFixtures() {
  struct Base {
    std::string name;
    Frame frame;
    uint32_t ip_malformed;
    uint32_t l4_malformed;
    const char* src;
    const char* dst;
    bool vlan;
  };
  const Base bases[] = {
      {"qinq_ipv4_options_tcp",
       V4().Vlan(0x88a8, 100)
           .Vlan(0x8100, 10)
           .Ipv4Options(8)
           .Tcp(40000, 23, kSyn)
           .Build(),
       DS_CTR_MALFORMED_IPV4, DS_CTR_MALFORMED_TCP, kScanner, kDark, true},
      {"vlan_ipv4_udp", V4().Vlan(0x8100, 10).Udp(53, 40000).Build(),
       DS_CTR_MALFORMED_IPV4, DS_CTR_MALFORMED_UDP, kScanner, kDark, true},
      {"ipv4_icmp", V4().Icmp(3, 1).Build(), DS_CTR_MALFORMED_IPV4,
       DS_CTR_MALFORMED_ICMP, kScanner, kDark, false},
      {"ipv6_ext_icmpv6",
       V6().Ipv6Extension(0, 8).Ipv6Fragment(0, false).Icmpv6(128).Build(),
       DS_CTR_MALFORMED_IPV6, DS_CTR_MALFORMED_ICMPV6, kScanner6, kDark6,
       false},
      {"ipv6_auth_tcp", V6().Ipv6Extension(51, 16).Tcp(40000, 80, kSyn).Build(),
       DS_CTR_MALFORMED_IPV6, DS_CTR_MALFORMED_TCP, kScanner6, kDark6, false},
  };
  std::vector<Fixture> fixtures;
  for (const Base& base : bases) {
    const Frame& f = base.frame;
    std::vector<size_t> cuts;
    for (size_t boundary : f.boundaries) {
      cuts.push_back(boundary);
      cuts.push_back(boundary + 1);
    }
    for (size_t cut : cuts) {
      if (cut < 14 || cut >= f.bytes.size()) continue;  // see MinimumFrame
      std::string at = absl::StrCat(base.name, "_cut_", cut);
      if (cut < f.l3_offset) {
        fixtures.push_back(
            {at, CutRaw(f, cut), Expect::Passed(DS_CTR_MALFORMED_VLAN)});
        continue;
      }
      fixtures.push_back(
          {at + "_raw", CutRaw(f, cut), Expect::Passed(base.ip_malformed)});
      size_t ip_header =
          f.ip_version == 4 ? (f.bytes[f.l3_offset] & 0xf) * 4u : 40u;
      if (cut < f.l3_offset + ip_header) continue;
      uint32_t outcome = cut < f.l4_offset ? uint32_t{DS_CTR_MALFORMED_IPV6_EXT}
                                           : base.l4_malformed;
      Expect expect = Expect::Dark(outcome, base.src, base.dst);
      if (base.vlan) expect.Vlan();
      fixtures.push_back(
          {at + "_lengths_fixed", CutConsistent(f, cut), expect});
    }
  }
  return fixtures;
}

std::vector<Fixture> AllFixtures() {
  std::vector<Fixture> all = ClassFixtures();
  for (Fixture& fixture : all) {
    if (fixture.name == "tcp_doff_beyond_packet") {
      fixture.frame =
          CutConsistent(fixture.frame, fixture.frame.l4_offset + 24);
    }
  }
  std::vector<Fixture> cuts = TruncationFixtures();
  all.insert(all.end(), cuts.begin(), cuts.end());
  return all;
}

// A loaded program and the rotation that drains its epochs.
struct LoadedPlane {
  std::unique_ptr<DataPlane> plane;
  std::unique_ptr<EpochRotation> rotation;

  // Swaps `epoch` out and returns what it counted, recycling its maps.
  absl::StatusOr<EpochCounts> Drain(uint32_t epoch) {
    DS_ASSIGN_OR_RETURN(DetachedEpoch detached, rotation->SwapOut(epoch));
    DS_ASSIGN_OR_RETURN(EpochCounts counts, ReadEpochTables(detached));
    DS_RETURN_IF_ERROR(rotation->Recycle(std::move(detached), counts));
    return counts;
  }
};

// One loaded program per darknet verdict and hash layout, shared by all
// cases.
LoadedPlane& PlaneFor(DarknetAction action,
                      HashLayout layout = HashLayout::kShared) {
  static LoadedPlane planes[2][2];
  LoadedPlane& loaded =
      planes[action == DarknetAction::kPass][layout == HashLayout::kPerCpu];
  if (!loaded.plane) {
    // Small hash bounds: a case counts one frame, and every drain creates
    // new preallocated hash tables.
    DataPlaneOptions options = {.prefixes = {*ParseDarknetPrefix(kDarknetV4),
                                             *ParseDarknetPrefix(kDarknetV6)},
                                .action = action,
                                .hash_layout = layout,
                                .max_sources = 1024,
                                .max_destinations = 1024,
                                .max_flows = 1024};
    absl::StatusOr<std::unique_ptr<DataPlane>> plane = DataPlane::Load(options);
    if (!plane.ok()) {
      ADD_FAILURE() << plane.status();
      std::abort();
    }
    loaded.plane = std::move(*plane);
    loaded.rotation =
        std::make_unique<EpochRotation>(loaded.plane->outer_map_fds());
  }
  return loaded;
}

// Every fixture runs against both hash layouts: they must count alike.
class XdpFixtureTest
    : public ::testing::TestWithParam<std::tuple<Fixture, HashLayout>> {
 protected:
  void SetUp() override { DS_REQUIRE_PRIVILEGES(); }
};

TEST_P(XdpFixtureTest, CountsExactlyAsExpected) {
  const auto& [fixture, layout] = GetParam();
  LoadedPlane& loaded = PlaneFor(fixture.config, layout);
  // Start from an empty epoch 0.
  ASSERT_TRUE(loaded.plane->SetEpoch(0).ok());
  ASSERT_TRUE(loaded.Drain(0).ok());

  absl::StatusOr<TestRunResult> run =
      loaded.plane->TestRun(fixture.frame.bytes);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->action, fixture.expect.action());

  absl::StatusOr<EpochCounts> counts = loaded.Drain(0);
  ASSERT_TRUE(counts.ok()) << counts.status();
  EpochCounts expected = fixture.expect.Build(fixture.frame.bytes.size());
  EXPECT_TRUE(*counts == expected) << "counted:\n"
                                   << Describe(*counts) << "expected:\n"
                                   << Describe(expected);
}

INSTANTIATE_TEST_SUITE_P(
    Frames, XdpFixtureTest,
    ::testing::Combine(::testing::ValuesIn(AllFixtures()),
                       ::testing::Values(HashLayout::kShared,
                                         HashLayout::kPerCpu)),
    [](const ::testing::TestParamInfo<std::tuple<Fixture, HashLayout>>& info) {
      return std::get<0>(info.param).name +
             (std::get<1>(info.param) == HashLayout::kShared ? "_shared"
                                                             : "_percpu");
    });

TEST(XdpFixtureCount, AtLeastSixtyCases) {
  EXPECT_GE(AllFixtures().size(), 60u);
}

// The kernel refuses test runs on frames shorter than an Ethernet header
// (bpf_prog_test_run_xdp: -EINVAL), so DS_CTR_MALFORMED_ETH cannot be
// reached here; this case pins that behaviour down so a kernel change that
// lifts it is noticed.
TEST(XdpMinimumFrame, KernelRefusesFramesShorterThanEthernet) {
  DS_REQUIRE_PRIVILEGES();
  LoadedPlane& loaded = PlaneFor(DarknetAction::kDrop);
  std::vector<uint8_t> short_frame(13, 0);
  absl::StatusOr<TestRunResult> run = loaded.plane->TestRun(short_frame);
  EXPECT_EQ(run.status().code(), absl::StatusCode::kInvalidArgument)
      << run.status();
}

// The touched bitmap (ds_touched) that the drain reads the per-CPU arrays
// by: each counted array entry has its bit, set once whatever the packets,
// and nothing else; the drain clears it with the entries.
TEST(XdpTouched, MarksTheArrayEntriesItCountsAndTheDrainClearsThem) {
  DS_REQUIRE_PRIVILEGES();
  LoadedPlane& loaded = PlaneFor(DarknetAction::kDrop);
  ASSERT_TRUE(loaded.plane->SetEpoch(0).ok());
  ASSERT_TRUE(loaded.Drain(0).ok());
  auto touched_bits = [&]() -> std::vector<uint32_t> {
    absl::StatusOr<DetachedEpoch> maps =
        InnerMapsInPlace(loaded.plane->outer_map_fds(), 0);
    EXPECT_TRUE(maps.ok()) << maps.status();
    if (!maps.ok()) return {};
    const int fd = maps->maps[static_cast<int>(EpochTable::kTouched)].get();
    std::vector<uint32_t> bits;
    for (uint32_t word = 0; word < DS_TOUCHED_WORDS; ++word) {
      uint64_t value = 0;
      EXPECT_EQ(bpf_map_lookup_elem(fd, &word, &value), 0) << word;
      for (uint32_t bit = 0; bit < 64; ++bit) {
        if (value >> bit & 1) bits.push_back(word * 64 + bit);
      }
    }
    return bits;
  };
  const uint32_t src_ports = DS_TOUCHED_PORT_WORDS * 64;
  const Frame tcp = PacketBuilder()
                        .Ipv4("185.220.101.7", "198.18.0.9")
                        .Tcp(40000, 23, kSyn)
                        .Build();
  const Frame udp = PacketBuilder()
                        .Ipv4("185.220.101.7", "198.18.0.9")
                        .Udp(53, 1234)
                        .Payload(30)
                        .Build();
  for (const Frame* frame : {&tcp, &tcp, &udp, &tcp}) {
    ASSERT_TRUE(loaded.plane->TestRun(frame->bytes).ok());
  }
  const std::vector<uint32_t> want = {
      ds_port_index(DS_SLOT_TCP, 23), ds_port_index(DS_SLOT_UDP, 1234),
      src_ports + 40000, src_ports + 65536 + 53};
  EXPECT_EQ(touched_bits(), want);
  absl::StatusOr<EpochCounts> counts = loaded.Drain(0);
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->ports.size(), 2u);
  EXPECT_EQ(counts->ports.at(ds_port_index(DS_SLOT_TCP, 23)).packets, 3u);
  EXPECT_EQ(counts->src_ports.size(), 2u);
  EXPECT_EQ(counts->src_ports.at(40000).packets, 3u);
  EXPECT_EQ(counts->src_ports.at(65536 + 53).packets, 1u);
  EXPECT_TRUE(touched_bits().empty());
  // The next interval marks again from zero.
  ASSERT_TRUE(loaded.plane->TestRun(udp.bytes).ok());
  EXPECT_EQ(touched_bits(),
            (std::vector<uint32_t>{ds_port_index(DS_SLOT_UDP, 1234),
                                   src_ports + 65536 + 53}));
  ASSERT_TRUE(loaded.Drain(0).ok());
}

// A full table counts what did not fit, under its own name, and the
// packet is still counted everywhere else.
TEST(XdpOverflow, FullTablesCountWhatDidNotFit) {
  DS_REQUIRE_PRIVILEGES();
  DataPlaneOptions options = {.prefixes = {*ParseDarknetPrefix(kDarknetV4)},
                              .max_sources = 2,
                              .max_destinations = 2,
                              .max_flows = 2};
  absl::StatusOr<std::unique_ptr<DataPlane>> plane = DataPlane::Load(options);
  ASSERT_TRUE(plane.ok()) << plane.status();
  IntervalCutter cutter(**plane);
  ASSERT_TRUE(cutter.Start().ok());
  // Five sources in five /24s, to five destination /24s: three do not fit.
  for (int i = 0; i < 5; ++i) {
    Frame f = PacketBuilder()
                  .Ipv4(absl::StrCat("185.220.", 100 + i, ".7"),
                        absl::StrCat("198.18.", i, ".9"))
                  .Tcp(40000, 23, kSyn)
                  .Build();
    ASSERT_TRUE((*plane)->TestRun(f.bytes).ok());
  }
  absl::StatusOr<EpochCounts> counts = cutter.Cut();
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->counters[DS_CTR_OVERFLOW_SOURCES], 3u);
  EXPECT_EQ(counts->counters[DS_CTR_OVERFLOW_DESTINATIONS], 3u);
  EXPECT_EQ(counts->counters[DS_CTR_OVERFLOW_FLOWS], 3u);
  EXPECT_EQ(counts->sources.size(), 2u);
  EXPECT_EQ(counts->destinations.size(), 2u);
  EXPECT_EQ(counts->flows.size(), 2u);
  // Everything else counted all five.
  EXPECT_EQ(counts->counters[DS_CTR_TCP_SYN], 5u);
  EXPECT_EQ(counts->ports.at(ds_port_index(DS_SLOT_TCP, 23)).packets, 5u);
}

// Once a table is full, new keys are no longer tried (the overflow counter
// latches it for the epoch), but the keys it holds are still counted, and
// every new key after that is an overflow; the next epoch starts with
// room again.
TEST(XdpOverflow, AFullTableStillCountsTheKeysItHolds) {
  DS_REQUIRE_PRIVILEGES();
  DataPlaneOptions options = {.prefixes = {*ParseDarknetPrefix(kDarknetV4)},
                              .max_sources = 2,
                              .max_destinations = 2,
                              .max_flows = 2};
  absl::StatusOr<std::unique_ptr<DataPlane>> plane = DataPlane::Load(options);
  ASSERT_TRUE(plane.ok()) << plane.status();
  IntervalCutter cutter(**plane);
  ASSERT_TRUE(cutter.Start().ok());
  auto send = [&](int source, int dest) {
    Frame f = PacketBuilder()
                  .Ipv4(absl::StrCat("185.220.", 100 + source, ".7"),
                        absl::StrCat("198.18.", dest, ".9"))
                  .Tcp(40000, 23, kSyn)
                  .Build();
    ASSERT_TRUE((*plane)->TestRun(f.bytes).ok());
  };
  // Sources 0 and 1 fit, 2 and 3 overflow, then 0 and 1 again, then 4.
  for (int source : {0, 1, 2, 3, 0, 1, 0, 4}) send(source, source);
  absl::StatusOr<EpochCounts> counts = cutter.Cut();
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->counters[DS_CTR_OVERFLOW_SOURCES], 3u);
  EXPECT_EQ(counts->counters[DS_CTR_OVERFLOW_DESTINATIONS], 3u);
  EXPECT_EQ(counts->counters[DS_CTR_OVERFLOW_FLOWS], 3u);
  ASSERT_EQ(counts->sources.size(), 2u);
  EXPECT_EQ(counts->sources.begin()->second.packets, 3u);
  EXPECT_EQ(std::next(counts->sources.begin())->second.packets, 2u);
  uint64_t flow_packets = 0;
  for (const auto& [key, flow] : counts->flows) flow_packets += flow.packets;
  EXPECT_EQ(flow_packets, 5u);
  // A new epoch: room again.
  for (int source : {2, 3}) send(source, source);
  counts = cutter.Cut();
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->counters[DS_CTR_OVERFLOW_SOURCES], 0u);
  EXPECT_EQ(counts->sources.size(), 2u);
}

// A source's first DS_SOURCE_FLOW_SLOTS flows are found through its own
// record, the rest through the flow index, and so are the flows of a
// source the sources table had no room for: every flow has one record
// with all its packets, in every epoch, whichever way it was found.
TEST(XdpDenseTables, FlowsBeyondTheSourcesSlotsAndWithoutASourceRecord) {
  DS_REQUIRE_PRIVILEGES();
  DataPlaneOptions options = {.prefixes = {*ParseDarknetPrefix(kDarknetV4)},
                              .max_sources = 1,
                              .max_flows = 4096};
  absl::StatusOr<std::unique_ptr<DataPlane>> plane = DataPlane::Load(options);
  ASSERT_TRUE(plane.ok()) << plane.status();
  IntervalCutter cutter(**plane);
  ASSERT_TRUE(cutter.Start().ok());
  auto send = [&](const char* source, int port) {
    Frame f = PacketBuilder()
                  .Ipv4(source, "198.18.0.9")
                  .Tcp(40000, port, kSyn)
                  .Build();
    ASSERT_TRUE((*plane)->TestRun(f.bytes).ok());
  };
  struct Case {
    const char* name;
    int ports;         // destination ports 1000 .. 1000 + ports - 1
    bool table_taken;  // another source took the one source record first
  };
  const Case cases[] = {
      {"within the record's slots", DS_SOURCE_FLOW_SLOTS, false},
      {"past the record's slots", 3 * DS_SOURCE_FLOW_SLOTS, false},
      {"no source record (table full)", 5, true},
  };
  constexpr const char* kSource = "185.220.100.7";
  constexpr const char* kOther = "185.220.200.7";
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    // Three epochs: both sets, then the first again, emptied.
    for (int epoch = 0; epoch < 3; ++epoch) {
      if (c.table_taken) send(kOther, 9);
      // Each port twice, the second time after all the others.
      for (int round = 0; round < 2; ++round) {
        for (int port = 0; port < c.ports; ++port) send(kSource, 1000 + port);
      }
      absl::StatusOr<EpochCounts> counts = cutter.Cut();
      ASSERT_TRUE(counts.ok()) << counts.status();
      ASSERT_EQ(counts->flows.size(), c.ports + (c.table_taken ? 1u : 0u))
          << Describe(*counts);
      std::set<int> ports;
      for (const auto& [key, flow] : counts->flows) {
        if (key.port == 9) continue;  // the other source's
        EXPECT_EQ(key.proto_slot, DS_SLOT_TCP);
        EXPECT_EQ(flow.packets, 2u);
        ports.insert(key.port);
      }
      EXPECT_EQ(ports.size(), static_cast<size_t>(c.ports));
      EXPECT_EQ(*ports.begin(), 1000);
      EXPECT_EQ(*ports.rbegin(), 1000 + c.ports - 1);
      EXPECT_EQ(counts->counters[DS_CTR_OVERFLOW_FLOWS], 0u);
      EXPECT_EQ(counts->sources.size(), 1u);
      EXPECT_EQ(counts->counters[DS_CTR_OVERFLOW_SOURCES],
                c.table_taken ? 2u * c.ports : 0u);
    }
  }
}

// Packets go to the epoch the control map names, and a recycled epoch
// starts from zero.
TEST(XdpEpochs, CountsGoToTheSelectedEpoch) {
  DS_REQUIRE_PRIVILEGES();
  LoadedPlane& loaded = PlaneFor(DarknetAction::kDrop);
  ASSERT_TRUE(loaded.Drain(0).ok());
  ASSERT_TRUE(loaded.Drain(1).ok());
  Frame syn = V4().Tcp(40000, 23, kSyn).Build();
  for (int round = 0; round < 3; ++round) {
    ASSERT_TRUE(loaded.plane->SetEpoch(1).ok());
    ASSERT_TRUE(loaded.plane->TestRun(syn.bytes, 3).ok());
    ASSERT_TRUE(loaded.plane->SetEpoch(0).ok());
    ASSERT_TRUE(loaded.plane->TestRun(syn.bytes, 2).ok());

    absl::StatusOr<EpochCounts> counts0 = loaded.Drain(0);
    absl::StatusOr<EpochCounts> counts1 = loaded.Drain(1);
    ASSERT_TRUE(counts0.ok() && counts1.ok());
    EXPECT_EQ(counts0->counters[DS_CTR_TCP_SYN], 2u) << "round " << round;
    EXPECT_EQ(counts1->counters[DS_CTR_TCP_SYN], 3u) << "round " << round;
    EXPECT_EQ(counts0->ports.at(ds_port_index(DS_SLOT_TCP, 23)).syn, 2u);
    EXPECT_EQ(counts1->ports.at(ds_port_index(DS_SLOT_TCP, 23)).syn, 3u);
    EXPECT_EQ(counts0->sources.begin()->second.packets, 2u);
    EXPECT_EQ(counts1->flows.begin()->second.packets, 3u);
  }
}

// The sampling policy, through BPF_PROG_TEST_RUN: which packets it picks
// (1 in N, the first K of a source network, under the rate limit). No
// AF_XDP socket exists here, so every picked packet that passes the rate
// limit fails the redirect (sample_no_socket) and keeps the darknet
// verdict: what a sensor does on a queue without a socket.
struct PolicyRun {
  Frame frame;
  uint32_t repeat;
};
struct PolicyCase {
  std::string name;
  SamplePolicy policy;
  std::vector<PolicyRun> runs;
  // Expected counters; any sampling or verdict counter not listed is 0.
  std::vector<std::pair<uint32_t, uint64_t>> counters;
  DarknetAction config = DarknetAction::kDrop;
};

void PrintTo(const PolicyCase& c, std::ostream* os) { *os << c.name; }

std::vector<PolicyCase> PolicyCases() {
  const Frame syn = V4().Tcp(40000, 23, kSyn).Build();
  const Frame same_24 =
      PacketBuilder().Ipv4("185.220.101.99", kDark).Tcp(1, 23, kSyn).Build();
  const Frame other_24 =
      PacketBuilder().Ipv4("185.220.102.7", kDark).Tcp(1, 23, kSyn).Build();
  const Frame v6 = V6().Udp(5000, 53).Build();
  const Frame miss =
      PacketBuilder().Ipv4(kScanner, "192.0.2.1").Tcp(1, 23, kSyn).Build();
  const Frame cut =
      CutConsistent(V4().Tcp(40000, 23, kSyn).Build(), 14 + 20 + 10);
  return {
      {"off", {}, {{syn, 10}}, {{DS_CTR_ACTION_DROP, 10}}},
      {"rate_1_samples_all",
       {.rate = 1},
       {{syn, 10}},
       {{DS_CTR_SAMPLE_BY_RATE, 10},
        {DS_CTR_SAMPLE_NO_SOCKET, 10},
        {DS_CTR_ACTION_DROP, 10}}},
      {"rate_3_every_third",
       {.rate = 3},
       {{syn, 10}},
       {{DS_CTR_SAMPLE_BY_RATE, 3},
        {DS_CTR_SAMPLE_NO_SOCKET, 3},
        {DS_CTR_ACTION_DROP, 10}}},
      {"rate_1_pass_config",
       {.rate = 1},
       {{syn, 4}},
       {{DS_CTR_SAMPLE_BY_RATE, 4},
        {DS_CTR_SAMPLE_NO_SOCKET, 4},
        {DS_CTR_ACTION_PASS, 4}},
       DarknetAction::kPass},
      {"first_4_of_a_source",
       {.first = 4},
       {{syn, 10}},
       {{DS_CTR_SAMPLE_BY_FIRST, 4},
        {DS_CTR_SAMPLE_NO_SOCKET, 4},
        {DS_CTR_ACTION_DROP, 10}}},
      {"first_4_per_24_not_per_host",
       {.first = 4},
       {{syn, 3}, {same_24, 3}},
       {{DS_CTR_SAMPLE_BY_FIRST, 4},
        {DS_CTR_SAMPLE_NO_SOCKET, 4},
        {DS_CTR_ACTION_DROP, 6}}},
      {"first_4_of_each_24",
       {.first = 4},
       {{syn, 6}, {other_24, 6}},
       {{DS_CTR_SAMPLE_BY_FIRST, 8},
        {DS_CTR_SAMPLE_NO_SOCKET, 8},
        {DS_CTR_ACTION_DROP, 12}}},
      {"first_2_of_an_ipv6_48",
       {.first = 2},
       {{v6, 5}},
       {{DS_CTR_SAMPLE_BY_FIRST, 2},
        {DS_CTR_SAMPLE_NO_SOCKET, 2},
        {DS_CTR_ACTION_DROP, 5}}},
      // Packets 5 and 10 by rate; 1 and 2 as first of their source.
      {"rate_5_and_first_2",
       {.rate = 5, .first = 2},
       {{syn, 10}},
       {{DS_CTR_SAMPLE_BY_RATE, 2},
        {DS_CTR_SAMPLE_BY_FIRST, 2},
        {DS_CTR_SAMPLE_NO_SOCKET, 4},
        {DS_CTR_ACTION_DROP, 10}}},
      // A full bucket holds one second of tokens: 4 at 4 per second.
      {"rate_limit_4_pps",
       {.rate = 1, .pps = 4},
       {{syn, 10}},
       {{DS_CTR_SAMPLE_BY_RATE, 10},
        {DS_CTR_SAMPLE_RATE_LIMITED, 6},
        {DS_CTR_SAMPLE_NO_SOCKET, 4},
        {DS_CTR_ACTION_DROP, 10}}},
      {"non_darknet_never_sampled",
       {.rate = 1, .first = 8},
       {{miss, 5}},
       {{DS_CTR_ACTION_PASS, 5}}},
      {"truncated_darknet_frame_sampled",
       {.rate = 1},
       {{cut, 3}},
       {{DS_CTR_SAMPLE_BY_RATE, 3},
        {DS_CTR_SAMPLE_NO_SOCKET, 3},
        {DS_CTR_ACTION_DROP, 3}}},
  };
}

class XdpSamplePolicyTest
    : public ::testing::TestWithParam<std::tuple<PolicyCase, HashLayout>> {
 protected:
  void SetUp() override {
    DS_REQUIRE_PRIVILEGES();
    // One CPU for every run: 1-in-N and (with per-CPU hashes) first-K
    // count per CPU.
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(sched_getcpu(), &one);
    ASSERT_EQ(sched_setaffinity(0, sizeof(one), &one), 0);
  }
};

TEST_P(XdpSamplePolicyTest, PicksExactlyThePolicysPackets) {
  const auto& [c, layout] = GetParam();
  LoadedPlane& loaded = PlaneFor(c.config, layout);
  ASSERT_TRUE(loaded.plane->SetEpoch(0).ok());
  ASSERT_TRUE(loaded.Drain(0).ok());
  ASSERT_TRUE(loaded.plane->SetSamplePolicy(c.policy).ok());
  const uint32_t darknet_verdict =
      c.config == DarknetAction::kDrop ? XDP_DROP : XDP_PASS;
  for (const PolicyRun& run : c.runs) {
    absl::StatusOr<TestRunResult> result =
        loaded.plane->TestRun(run.frame.bytes, run.repeat);
    ASSERT_TRUE(result.ok()) << result.status();
    // No socket: never XDP_REDIRECT.
    EXPECT_TRUE(result->action == darknet_verdict ||
                result->action == XDP_PASS);
  }
  ASSERT_TRUE(loaded.plane->SetSamplePolicy({}).ok());
  absl::StatusOr<EpochCounts> counts = loaded.Drain(0);
  ASSERT_TRUE(counts.ok()) << counts.status();

  std::map<uint32_t, uint64_t> expected(c.counters.begin(), c.counters.end());
  for (uint32_t i :
       {DS_CTR_SAMPLE_BY_RATE, DS_CTR_SAMPLE_BY_FIRST,
        DS_CTR_SAMPLE_RATE_LIMITED, DS_CTR_SAMPLE_REDIRECTED,
        DS_CTR_SAMPLE_NO_SOCKET, DS_CTR_SAMPLE_QUEUE_OUT_OF_RANGE,
        DS_CTR_ACTION_PASS, DS_CTR_ACTION_DROP, DS_CTR_ACTION_REDIRECT}) {
    EXPECT_EQ(counts->counters[i], expected[i]) << kCounterNames[i];
  }
  // Sampled packets are counted like any other.
  uint64_t sent = 0;
  for (const PolicyRun& run : c.runs) sent += run.repeat;
  EXPECT_EQ(counts->counters[DS_CTR_PACKETS_SEEN], sent);
}

INSTANTIATE_TEST_SUITE_P(
    Policies, XdpSamplePolicyTest,
    ::testing::Combine(::testing::ValuesIn(PolicyCases()),
                       ::testing::Values(HashLayout::kShared,
                                         HashLayout::kPerCpu)),
    [](const ::testing::TestParamInfo<std::tuple<PolicyCase, HashLayout>>&
           info) {
      return std::get<0>(info.param).name +
             (std::get<1>(info.param) == HashLayout::kShared ? "_shared"
                                                             : "_percpu");
    });

TEST(XdpSamplePolicy, EntryFromPacketsPerSecond) {
  EXPECT_EQ(SamplePolicyEntry({.rate = 7, .first = 3}).token_ns, 0u);
  const ds_sample_policy limited = SamplePolicyEntry({.pps = 1000});
  EXPECT_EQ(limited.token_ns, 1'000'000u);
  EXPECT_EQ(limited.burst_ns, 1'000'000'000u);
  EXPECT_EQ(SamplePolicyEntry({.pps = 4'000'000'000ull}).token_ns, 1u);
}

}  // namespace
}  // namespace darkscope::testing
