// What the end-to-end tests of a live agent share: the demo traffic they
// send through the veth pair (with its ground truth), sent in the
// background while the test acts on the agent, the sum of a directory's
// snapshots, and the comparison of two sums, every counter and table.
#ifndef DARKSCOPE_TESTS_LIVE_RUN_H_
#define DARKSCOPE_TESTS_LIVE_RUN_H_

#include <stdlib.h>

#include <string>
#include <thread>
#include <vector>

#include "counts/counts.h"
#include "gen/generate.h"
#include "gtest/gtest.h"
#include "netns.h"
#include "snapshot/snapshot.h"
#include "snapshot/snapshot_files.h"

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
inline void ExpectSameCounts(const EpochCounts& sensor,
                             const EpochCounts& truth) {
  for (int i = 0; i < DS_CTR_COUNT; ++i) {
    EXPECT_EQ(sensor.counters[i], truth.counters[i]) << "counter " << i;
  }
  EXPECT_TRUE(sensor.ports == truth.ports);
  EXPECT_TRUE(sensor.src_ports == truth.src_ports);
  EXPECT_TRUE(sensor.sources == truth.sources);
  EXPECT_TRUE(sensor.destinations == truth.destinations);
  EXPECT_TRUE(sensor.flows == truth.flows);
}

// `darkscope run` on the sensor's end of `lab`: the darknet 198.18.0.0/15
// in 1 s intervals into `out_dir` as `sensor` (the agent's default name
// when empty), then `extra`, all under `ip netns exec`.
inline std::vector<std::string> SensorRunArgs(
    const VethLab& lab, const std::string& out_dir, const std::string& sensor,
    const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"ip",
                                   "netns",
                                   "exec",
                                   lab.sensor_ns(),
                                   DARKSCOPE_BINARY,
                                   "run",
                                   "--iface",
                                   VethLab::kSensorIface,
                                   "--prefix",
                                   "198.18.0.0/15",
                                   "--interval",
                                   "1s",
                                   "--out",
                                   out_dir};
  if (!sensor.empty()) {
    args.push_back("--sensor");
    args.push_back(sensor);
  }
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

// A new directory /tmp/darkscope-TAG-XXXXXX ("" if it cannot be made).
inline std::string MakeTempDir(const std::string& tag) {
  std::string dir = "/tmp/darkscope-" + tag + "-XXXXXX";
  return mkdtemp(dir.data()) != nullptr ? dir : "";
}

// The demo scenario at `rate` frames per second from the scanner's end of
// `lab`, on a thread, while the test goes on; Join() gives the status.
class BackgroundTraffic {
 public:
  BackgroundTraffic(const VethLab& lab, const std::string& truth_dir,
                    uint64_t rate)
      : gen_(DemoTraffic(truth_dir)) {
    gen_.rate = rate;
    thread_ = std::thread([this, &lab] {
      sent_ = lab.RunInScanner([this] { return RunGenerate(gen_); });
    });
  }
  ~BackgroundTraffic() {
    if (thread_.joinable()) thread_.join();
  }
  absl::Status Join() {
    if (thread_.joinable()) thread_.join();
    return sent_;
  }

 private:
  GenerateOptions gen_;
  absl::Status sent_ = absl::UnknownError("traffic not sent");
  std::thread thread_;
};

inline EpochCounts SumSnapshotDirectory(const std::string& dir) {
  EpochCounts total;
  absl::StatusOr<std::vector<std::string>> files = ListSnapshotFiles({dir});
  EXPECT_TRUE(files.ok()) << dir << ": " << files.status();
  if (!files.ok()) return total;
  for (const std::string& file : *files) {
    absl::StatusOr<std::vector<uint8_t>> bytes = ReadWholeFile(file);
    absl::StatusOr<Snapshot> snapshot =
        bytes.ok() ? DecodeSnapshot(*bytes)
                   : absl::StatusOr<Snapshot>(bytes.status());
    EXPECT_TRUE(snapshot.ok()) << file;
    if (snapshot.ok()) AddCounts(snapshot->counts, total);
  }
  return total;
}

// The sensor's snapshots in `out_dir`, summed, equal the demo scenario's
// ground truth in `truth_dir` (its 20,000 frames), every counter and table.
inline void ExpectSnapshotsMatchTruth(const std::string& out_dir,
                                      const std::string& truth_dir) {
  const EpochCounts sensor = SumSnapshotDirectory(out_dir),
                    truth = SumSnapshotDirectory(truth_dir);
  EXPECT_EQ(truth.counters[DS_CTR_PACKETS_SEEN], 20000u);
  ExpectSameCounts(sensor, truth);
}

}  // namespace darkscope::testing

#endif  // DARKSCOPE_TESTS_LIVE_RUN_H_
