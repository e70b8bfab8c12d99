// The drain's two steps for one epoch of counter tables:
//
//   SwapOutEpoch: put fresh, empty maps into the epoch's slot of every outer
//     map and hand back the maps taken out. Each outer-map update returns
//     only after every XDP program that was running has finished (the
//     kernel's maybe_wait_bpf_programs), so once the agent has pointed the
//     program at the other epoch, the maps taken out are quiescent.
//   ReadEpochTables: read those maps with batch lookups and sum the per-CPU
//     values into one EpochCounts (nonzero entries only).
//
// The agent flips, swaps out and reads at each interval boundary; the
// fixture tests swap out before and after a frame to see exactly what it
// counted.
#ifndef DARKSCOPE_DRAIN_EPOCH_TABLES_H_
#define DARKSCOPE_DRAIN_EPOCH_TABLES_H_

#include <array>
#include <cstdint>

#include "absl/container/btree_map.h"
#include "absl/status/statusor.h"
#include "common/abi_compare.h"
#include "common/unique_fd.h"
#include "darkscope/abi.h"
#include "loader/data_plane.h"

namespace darkscope {

// The inner maps of one epoch, taken out of their outer maps; indexed by
// EpochTable.
struct DetachedEpoch {
  std::array<UniqueFd, kEpochTableCount> maps;
};

// The counts of one epoch, summed over CPUs; tables hold nonzero entries.
struct EpochCounts {
  std::array<uint64_t, DS_CTR_COUNT> counters = {};
  absl::btree_map<uint32_t, ds_port_stats> ports;  // by ds_port_index()
  absl::btree_map<uint32_t, ds_traffic> src_ports;  // slot * 65536 + port
  absl::btree_map<ds_net_key, ds_source_stats> sources;
  absl::btree_map<ds_net_key, ds_dest_stats> destinations;
  absl::btree_map<ds_flow_key, ds_traffic> flows;

  friend bool operator==(const EpochCounts&, const EpochCounts&) = default;
};

absl::StatusOr<DetachedEpoch> SwapOutEpoch(const OuterMapFds& outer,
                                           uint32_t epoch);

absl::StatusOr<EpochCounts> ReadEpochTables(const DetachedEpoch& epoch);

}  // namespace darkscope

#endif  // DARKSCOPE_DRAIN_EPOCH_TABLES_H_
