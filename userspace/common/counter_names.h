// The names of the data plane's counters (enum ds_counter), as snapshots,
// `darkscope cat` and monitoring scripts spell them. Stable: scripts rely
// on them.
#ifndef DARKSCOPE_COMMON_COUNTER_NAMES_H_
#define DARKSCOPE_COMMON_COUNTER_NAMES_H_

#include <array>

#include "darkscope/abi.h"

namespace darkscope {

inline constexpr std::array<const char*, DS_CTR_COUNT> kCounterNames = {
    "packets_seen",          "bytes_seen",
    "non_ip",                "non_darknet",
    "darknet_packets",       "darknet_bytes",
    "ipv4",                  "ipv6",
    "vlan_tagged",           "tcp_syn",
    "tcp_synack",            "tcp_rst",
    "tcp_other",             "udp",
    "icmp_echo",             "icmp_error",
    "icmp_other",            "other_proto",
    "fragment",              "mirai",
    "zmap",                  "masscan",
    "backscatter",           "malformed_eth",
    "malformed_vlan",        "vlan_too_deep",
    "malformed_ipv4",        "malformed_ipv6",
    "malformed_ipv6_ext",    "ipv6_ext_limit",
    "malformed_tcp",         "malformed_udp",
    "malformed_icmp",        "malformed_icmpv6",
    "overflow_sources",      "overflow_destinations",
    "overflow_flows",        "epoch_map_missing",
    "action_pass",           "action_drop",
    "sample_by_rate",        "sample_by_first",
    "sample_rate_limited",   "sample_redirected",
    "sample_no_socket",      "sample_queue_out_of_range",
    "action_redirect",
};
static_assert(DS_CTR_MALFORMED_ETH == 23 && DS_CTR_ACTION_DROP == 39 &&
                  DS_CTR_ACTION_REDIRECT == 46,
              "counter names follow enum ds_counter: update both together");

// Protocol slot names (DS_SLOT_*).
inline constexpr std::array<const char*, DS_SLOT_COUNT> kSlotNames = {
    "tcp", "udp", "icmp", "icmpv6", "other"};

}  // namespace darkscope

#endif  // DARKSCOPE_COMMON_COUNTER_NAMES_H_
