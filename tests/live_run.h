// What the end-to-end tests of a live agent share: the demo traffic they
// send through the veth pair (with its ground truth), the sum of a
// directory's snapshots, and the comparison of two sums, every counter and
// table.
#ifndef DARKSCOPE_TESTS_LIVE_RUN_H_
#define DARKSCOPE_TESTS_LIVE_RUN_H_

#include <string>
#include <vector>

#include "cat/cat.h"
#include "drain/epoch_tables.h"
#include "gen/generate.h"
#include "netns.h"
#include "gtest/gtest.h"
#include "snapshot/snapshot.h"

namespace darkscope::testing {

// The demo scenario, 20,000 frames at 8,000/s (2.5 s: crosses 1 s
// boundaries), from the scanner's end; its truth goes to `truth_dir`.
inline GenerateOptions DemoTraffic(const std::string& truth_dir) {
  GenerateOptions gen;
  gen.scenario = "demo";
  gen.packets = 20000;
  gen.rate = 8000;
  gen.max_time = absl::Seconds(30);
  gen.send_interface = VethLab::kScannerIface;
  gen.truth_dir = truth_dir;
  return gen;
}

// Every counter and every table of `sensor` equals `truth`'s.
inline void ExpectSameCounts(const EpochCounts& sensor, const EpochCounts& truth) {
  for (int i = 0; i < DS_CTR_COUNT; ++i) {
    EXPECT_EQ(sensor.counters[i], truth.counters[i]) << "counter " << i;
  }
  EXPECT_TRUE(sensor.ports == truth.ports);
  EXPECT_TRUE(sensor.src_ports == truth.src_ports);
  EXPECT_TRUE(sensor.sources == truth.sources);
  EXPECT_TRUE(sensor.destinations == truth.destinations);
  EXPECT_TRUE(sensor.flows == truth.flows);
}

inline EpochCounts SumSnapshotDirectory(const std::string& dir) {
  EpochCounts total;
  absl::StatusOr<std::vector<std::string>> files = ListSnapshotFiles({dir});
  EXPECT_TRUE(files.ok()) << dir << ": " << files.status();
  if (!files.ok()) return total;
  for (const std::string& file : *files) {
    absl::StatusOr<std::vector<uint8_t>> bytes = ReadWholeFile(file);
    absl::StatusOr<Snapshot> snapshot =
        bytes.ok() ? DecodeSnapshot(*bytes) : absl::StatusOr<Snapshot>(bytes.status());
    EXPECT_TRUE(snapshot.ok()) << file;
    if (snapshot.ok()) AddCounts(snapshot->counts, total);
  }
  return total;
}

}  // namespace darkscope::testing

#endif  // DARKSCOPE_TESTS_LIVE_RUN_H_
