// The cut record: which epoch the agent cut last, for which interval, so
// that an agent killed between a cut and the fsync of its snapshot loses
// nothing. The cut epoch's counts stay in the kernel (IntervalCutter holds
// them) until the snapshot is durable; the record is written durably before
// each flip. An agent adopting the program reads it: if the epoch the
// program is not counting into is the one recorded and the interval's
// snapshot is not in the output directory, that epoch is the interval the
// earlier agent cut and never wrote, and it is written first; if the
// snapshot is there, the epoch was written and is only emptied.
//
// The file is `.cut-state` in the output directory (hidden: no reader lists
// it), a few `key value` lines.
#ifndef DARKSCOPE_AGENT_CUT_STATE_H_
#define DARKSCOPE_AGENT_CUT_STATE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace darkscope {

inline constexpr char kCutStateName[] = ".cut-state";

struct CutState {
  uint32_t epoch = 0;          // the epoch cut (the program counted into it)
  absl::Time interval_start;   // the interval its counts are
  uint32_t interval_seconds = 0;
  bool complete = false;       // the snapshot's complete flag
};

// Writes `state` durably (temporary, fdatasync, rename, directory fsync).
absl::Status WriteCutState(const std::string& out_dir, const CutState& state);
// Removes the record (after a write failed: no record is safer than a stale
// one, which could name an epoch that now holds other counts).
void RemoveCutState(const std::string& out_dir);
// The record, or nullopt when there is none; an error for a file that is
// not a record.
absl::StatusOr<std::optional<CutState>> ReadCutState(
    const std::string& out_dir);

}  // namespace darkscope

#endif  // DARKSCOPE_AGENT_CUT_STATE_H_
