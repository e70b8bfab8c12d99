// Snapshot: the counts of one interval, and its file format (documented in
// docs/snapshot-format.md).
//
// A file is a fixed header, a zstd-compressed body of self-describing
// tables, and a trailer with a CRC-32 of everything before it. Decode()
// checks every length against the bytes present and names the offset of
// the first thing that does not hold, so a corrupt or truncated file is an
// error, never a crash.
#ifndef DARKSCOPE_SNAPSHOT_SNAPSHOT_H_
#define DARKSCOPE_SNAPSHOT_SNAPSHOT_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "common/prefix.h"
#include "counts/counts.h"

namespace darkscope {

// Format versions this build writes and reads.
inline constexpr uint32_t kSnapshotFormatVersion = 1;
inline constexpr uint32_t kOldestReadableSnapshotVersion = 1;

// The decoder's bounds (docs/snapshot-format.md, Limits). Each declared
// size is checked against the bytes that can hold it and against these
// before anything is allocated:
// - the raw body: 2 GiB (an interval's full maps encode to about 85 MB; a
//   daily roll-up of 10 million source networks to about 1.4 GB), and at
//   most what zstd can expand the compressed body to;
// - tables per file and columns per table (a file of this version has 9
//   tables, the widest 17 columns);
// - the sensor name, the one string a user chooses (--sensor).
inline constexpr uint64_t kMaxSnapshotBodySize = uint64_t{2} << 30;
inline constexpr uint64_t kMaxSnapshotTables = 256;
inline constexpr uint64_t kMaxSnapshotColumns = 1024;
inline constexpr size_t kMaxSensorNameBytes = 255;

struct Snapshot {
  std::string sensor;
  absl::Time interval_start;  // UTC, a multiple of interval_seconds
  uint32_t interval_seconds = 0;
  // False for the first interval after start and the last before stop,
  // which the agent did not see whole.
  bool complete = false;
  EpochCounts counts;
  // The agent's own health (snapshots dropped, write errors, drain time),
  // by name; printed in the summary beside the data plane's counters.
  std::map<std::string, uint64_t> agent_counters;
  // The darknet the sensor watched: reports divide by its size (packets
  // per monitored address). Empty in files written before the table.
  std::vector<Prefix> darknet;
  // Daily roll-ups only: packets by (port index, hour after interval_start),
  // so that hour-of-day profiles of long periods need not read the day's
  // hourly files. Written as the table port_hours when not empty.
  absl::btree_map<std::pair<uint32_t, uint8_t>, uint64_t> port_hours;
  // Whether the flows carry their fingerprint counts (mirai, zmap,
  // masscan): false for a file written before those columns (they read as
  // 0) and for a roll-up that merged one. Known when the flows were decoded.
  bool flow_fingerprints = true;

  friend bool operator==(const Snapshot&, const Snapshot&) = default;
};

// The file's bytes.
std::vector<uint8_t> EncodeSnapshot(const Snapshot& snapshot);

// Parts of a snapshot a reader may ask for; the others are checked (the
// checksum covers the whole file) but not decoded.
enum SnapshotPart : uint32_t {
  kSnapshotSummary = 1,   // counters, agent health, darknet prefixes
  kSnapshotPorts = 2,     // ports, source ports
  kSnapshotNetworks = 4,  // sources, destinations
  kSnapshotFlows = 8,
  kSnapshotAll = 15,
};

// Parses a file's bytes; the error names what is wrong and at which offset.
absl::StatusOr<Snapshot> DecodeSnapshot(absl::Span<const uint8_t> bytes,
                                        uint32_t parts = kSnapshotAll);

// The same, but the flows table is handed to `each_flow` row by row, in
// key order, rather than kept in counts.flows: for readers that only
// stream through it (a daily roll-up has a million rows).
using FlowVisitor =
    absl::FunctionRef<void(const ds_flow_key&, const ds_flow_stats&)>;
absl::StatusOr<Snapshot> DecodeSnapshot(absl::Span<const uint8_t> bytes,
                                        uint32_t parts, FlowVisitor each_flow);

// "20261123T100000Z.dsnap": the file name of the interval starting at
// `start`, which sorts in time order.
std::string SnapshotFileName(absl::Time start);

}  // namespace darkscope

#endif  // DARKSCOPE_SNAPSHOT_SNAPSHOT_H_
