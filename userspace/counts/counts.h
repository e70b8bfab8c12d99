// The counts model: what one interval (or any sum of intervals) counted,
// as every room above the kernel sees it. The drain fills it from the
// kernel's maps, the snapshot format stores it, and the offline rooms
// (cat, report, rollup, export) read and merge it. Depends only on the ABI
// header and abseil, so the offline side builds without libbpf.
#ifndef DARKSCOPE_COUNTS_COUNTS_H_
#define DARKSCOPE_COUNTS_COUNTS_H_

#include <array>
#include <cstdint>

#include "absl/container/btree_map.h"
#include "common/abi_compare.h"
#include "darkscope/abi.h"

namespace darkscope {

// The counts of one epoch, summed over CPUs. Array tables hold their
// nonzero entries, hash tables every entry.
struct EpochCounts {
  std::array<uint64_t, DS_CTR_COUNT> counters = {};
  absl::btree_map<uint32_t, ds_port_stats> ports;   // by ds_port_index()
  absl::btree_map<uint32_t, ds_traffic> src_ports;  // slot * 65536 + port
  absl::btree_map<ds_net_key, ds_source_stats> sources;
  absl::btree_map<ds_net_key, ds_dest_stats> destinations;
  absl::btree_map<ds_flow_key, ds_flow_stats> flows;

  friend bool operator==(const EpochCounts&, const EpochCounts&) = default;
};

// Adds `from` into `into`: counts add up, host sets and port sketches merge
// by OR (so distinct counts of the merge are those of the union).
void AddCounts(const EpochCounts& from, EpochCounts& into);

}  // namespace darkscope

#endif  // DARKSCOPE_COUNTS_COUNTS_H_
