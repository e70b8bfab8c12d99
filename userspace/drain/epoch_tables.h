// The drain's steps for one epoch of counter tables:
//
//   EpochRotation::SwapOut: put empty maps into the epoch's slot of every
//     outer map and hand back the maps taken out. Each outer-map update
//     returns only after every XDP program that was running has finished
//     (the kernel's maybe_wait_bpf_programs), so once the agent has pointed
//     the program at the other epoch, the maps taken out are quiescent.
//   ReadEpochTables: read those maps with batch lookups and sum the per-CPU
//     values into one EpochCounts.
//   EpochRotation::Recycle: make the maps empty again for the next swap.
//     Per-CPU arrays are kept and only the entries that were read are
//     cleared (creating a 131,840-entry per-CPU array costs the kernel
//     ~100 ms of per-CPU allocations); hash tables are emptied with a batch
//     delete when lightly used and replaced by new ones when well filled
//     (deleting a million keys costs more than a new table).
//
// The agent flips, swaps out, reads and recycles at each interval boundary;
// the fixture tests do the same around each frame to see exactly what it
// counted.
#ifndef DARKSCOPE_DRAIN_EPOCH_TABLES_H_
#define DARKSCOPE_DRAIN_EPOCH_TABLES_H_

#include <array>
#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"
#include "counts/counts.h"
#include "common/unique_fd.h"
#include "darkscope/abi.h"
#include "loader/data_plane.h"

namespace darkscope {

// The inner maps of one epoch, taken out of their outer maps; indexed by
// EpochTable.
struct DetachedEpoch {
  std::array<UniqueFd, kEpochTableCount> maps;
};

class EpochRotation {
 public:
  explicit EpochRotation(const OuterMapFds& outer) : outer_(outer) {}

  // Swaps empty maps (the recycled set, or new ones) into `epoch`'s slots
  // and returns the maps taken out.
  absl::StatusOr<DetachedEpoch> SwapOut(uint32_t epoch);

  // Empties `epoch`'s maps (clearing the array entries listed in `counts`,
  // what ReadEpochTables returned for it) and keeps them for the next
  // SwapOut.
  absl::Status Recycle(DetachedEpoch epoch, const EpochCounts& counts);

 private:
  OuterMapFds outer_;
  std::optional<DetachedEpoch> spare_;
};

absl::StatusOr<EpochCounts> ReadEpochTables(const DetachedEpoch& epoch);

// The drain at an interval boundary, as the agent and replay use it: point
// the program at the other epoch, swap the old epoch out (the kernel's wait
// makes it quiescent), read it and recycle its maps. Every packet the
// program counted since the previous Cut is in the counts returned.
class IntervalCutter {
 public:
  explicit IntervalCutter(DataPlane& plane)
      : plane_(plane), rotation_(plane.outer_map_fds()) {}

  // Points the program at epoch 0; call once before the first packet.
  absl::Status Start();
  // Instead of Start, for a program an earlier agent left counting (an
  // adopted DataPlane): keeps the epoch the program counts into and drains
  // the other one, which holds what the earlier agent flipped away from
  // but did not read if it died between the flip and the swap (else it is
  // empty). Returns those counts; the next Cut returns the rest.
  absl::StatusOr<EpochCounts> Adopt();
  absl::StatusOr<EpochCounts> Cut();

 private:
  // Swaps `epoch` out, reads and recycles it.
  absl::StatusOr<EpochCounts> Drain(uint32_t epoch);

  DataPlane& plane_;
  EpochRotation rotation_;
  uint32_t epoch_ = 0;
};

}  // namespace darkscope

#endif  // DARKSCOPE_DRAIN_EPOCH_TABLES_H_
