// ds_ports' one-line records (ds_port_counts) with their SYN-ACKs derived
// (ds_port_stats_of, abi.h): a TCP port's backscatter less its RSTs, none
// on other protocols, every other count as the kernel kept it.
#include <string>

#include "darkscope/abi.h"
#include "gtest/gtest.h"

namespace darkscope::testing {
namespace {

struct Case {
  std::string what;
  uint32_t slot;
  ds_port_counts counts;  // packets bytes syn rst mirai zmap masscan backsc.
  uint64_t synack;
};

TEST(PortStatsOf, SynAcksAreTcpBackscatterLessRsts) {
  const Case cases[] = {
      {"TCP: SYN-ACKs and RSTs", DS_SLOT_TCP, {10, 600, 5, 3, 1, 1, 1, 5}, 2},
      {"TCP: RSTs only", DS_SLOT_TCP, {3, 180, 0, 3, 0, 0, 0, 3}, 0},
      {"TCP: SYNs only", DS_SLOT_TCP, {4, 240, 4, 0, 4, 0, 0, 0}, 0},
      {"UDP: answers from port 53", DS_SLOT_UDP, {9, 900, 0, 0, 0, 0, 0, 4}, 0},
      {"ICMP errors", DS_SLOT_ICMP, {7, 700, 0, 0, 0, 0, 0, 7}, 0},
      {"ICMPv6 echo replies", DS_SLOT_ICMPV6, {1, 100, 0, 0, 0, 0, 0, 1}, 0},
      {"another protocol", DS_SLOT_OTHER, {5, 500, 0, 0, 0, 0, 0, 0}, 0},
  };
  for (const Case& c : cases) {
    const ds_port_stats s = ds_port_stats_of(c.slot, &c.counts);
    EXPECT_EQ(s.packets, c.counts.packets) << c.what;
    EXPECT_EQ(s.bytes, c.counts.bytes) << c.what;
    EXPECT_EQ(s.syn, c.counts.syn) << c.what;
    EXPECT_EQ(s.synack, c.synack) << c.what;
    EXPECT_EQ(s.rst, c.counts.rst) << c.what;
    EXPECT_EQ(s.mirai, c.counts.mirai) << c.what;
    EXPECT_EQ(s.zmap, c.counts.zmap) << c.what;
    EXPECT_EQ(s.masscan, c.counts.masscan) << c.what;
    EXPECT_EQ(s.backscatter, c.counts.backscatter) << c.what;
  }
}

}  // namespace
}  // namespace darkscope::testing
