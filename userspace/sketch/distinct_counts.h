// The distinct counts the data plane keeps as bit sets, read back:
//
// - hosts of an IPv4 network: one bit per host, so the count is exact;
// - hosts of an IPv6 network: 256 hash buckets, estimated by linear
//   counting (Whang et al., 1990);
// - destination ports touched by a source network: a PCSA sketch of 32
//   buckets of 16 bits (Flajolet and Martin, 1985), with linear counting
//   over buckets for small counts. The error measured in
//   tests/distinct_counts_test.cc and stated in docs/maps.md.
//
// The bit layout is the one include/darkscope/sketch.h writes.
#ifndef DARKSCOPE_SKETCH_DISTINCT_COUNTS_H_
#define DARKSCOPE_SKETCH_DISTINCT_COUNTS_H_

#include <cstdint>

#include "darkscope/abi.h"

namespace darkscope {

// Exact number of IPv4 hosts in a ds_source_stats/ds_dest_stats host set.
uint32_t CountIpv4Hosts(const __u64 (&hosts)[DS_HOST_BITMAP_WORDS]);

// Estimated number of IPv6 hosts behind a host set (saturates near 1,400).
double EstimateIpv6Hosts(const __u64 (&hosts)[DS_HOST_BITMAP_WORDS]);

// Estimated number of distinct TCP/UDP destination ports in a sketch.
double EstimateDistinctPorts(const __u64 (&sketch)[DS_PORT_SKETCH_WORDS]);

}  // namespace darkscope

#endif  // DARKSCOPE_SKETCH_DISTINCT_COUNTS_H_
