// A generated capture replayed through the data plane must match the
// generator's ground truth exactly: the same intervals, each with every
// counter and every table entry equal. And a capture that is not Ethernet,
// or not a capture at all, is refused with a message naming the file.
#include <stdlib.h>
#include <sys/stat.h>

#include <cstdio>
#include <string>

#include "absl/strings/match.h"
#include "snapshot/snapshot_files.h"
#include "common/status.h"
#include "gen/generate.h"
#include "gtest/gtest.h"
#include "privileged.h"
#include "replay/replay.h"
#include "snapshot/snapshot.h"

namespace darkscope::testing {
namespace {

std::string MakeDir(const std::string& base, const std::string& name) {
  std::string dir = base + "/" + name;
  EXPECT_EQ(::mkdir(dir.c_str(), 0755), 0);
  return dir;
}

class ReplayTruthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/darkscope-replay-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    base_ = dir;
  }
  void TearDown() override { std::system(("rm -rf " + base_).c_str()); }
  std::string base_;
};

absl::StatusOr<std::vector<Snapshot>> ReadAll(const std::string& dir) {
  DS_ASSIGN_OR_RETURN(std::vector<std::string> files, ListSnapshotFiles({dir}));
  std::vector<Snapshot> snapshots;
  for (const std::string& file : files) {
    DS_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, ReadWholeFile(file));
    DS_ASSIGN_OR_RETURN(Snapshot snapshot, DecodeSnapshot(bytes));
    snapshots.push_back(std::move(snapshot));
  }
  return snapshots;
}

// The demo scenario, also sent live in e2e_agent_test: replayed, every
// 2-second interval matches.
TEST_F(ReplayTruthTest, DemoScenarioMatchesGroundTruthInEveryInterval) {
  DS_REQUIRE_PRIVILEGES();
  GenerateOptions gen;
  gen.scenario = "demo";
  gen.pcap = base_ + "/demo.pcap";
  gen.truth_dir = MakeDir(base_, "truth");
  ASSERT_TRUE(RunGenerate(gen).ok());
  ReplayOptions replay;
  replay.data_plane.prefixes = {*ParseDarknetPrefix("198.18.0.0/15")};
  replay.interval = absl::Seconds(2);
  replay.out_dir = MakeDir(base_, "replay");
  replay.files = {gen.pcap};
  ASSERT_TRUE(RunReplay(replay).ok());
  absl::StatusOr<std::vector<Snapshot>> truth = ReadAll(gen.truth_dir);
  absl::StatusOr<std::vector<Snapshot>> sensor = ReadAll(replay.out_dir);
  ASSERT_TRUE(truth.ok() && sensor.ok());
  ASSERT_EQ(truth->size(), 5u);
  ASSERT_EQ(sensor->size(), truth->size());
  for (size_t i = 0; i < truth->size(); ++i) {
    EXPECT_EQ((*sensor)[i].interval_start, (*truth)[i].interval_start);
    EXPECT_TRUE((*sensor)[i].counts == (*truth)[i].counts) << "interval " << i;
  }
}

TEST_F(ReplayTruthTest, TelescopeScenarioMatchesGroundTruthInEveryInterval) {
  DS_REQUIRE_PRIVILEGES();
  GenerateOptions gen;
  gen.scenario = "telescope";
  gen.packets = 40000;
  gen.pcap = base_ + "/telescope.pcap";
  gen.truth_dir = MakeDir(base_, "truth");
  ASSERT_TRUE(RunGenerate(gen).ok());

  ReplayOptions replay;
  replay.data_plane.prefixes = {*ParseDarknetPrefix("198.18.0.0/15"),
                                *ParseDarknetPrefix("2001:db8:d::/48")};
  replay.interval = absl::Minutes(10);
  replay.out_dir = MakeDir(base_, "replay");
  replay.files = {gen.pcap};
  absl::Status replayed = RunReplay(replay);
  ASSERT_TRUE(replayed.ok()) << replayed;

  absl::StatusOr<std::vector<Snapshot>> truth = ReadAll(gen.truth_dir);
  absl::StatusOr<std::vector<Snapshot>> sensor = ReadAll(replay.out_dir);
  ASSERT_TRUE(truth.ok() && sensor.ok());
  ASSERT_EQ(truth->size(), 144u) << "a day of 10-minute intervals";
  ASSERT_EQ(sensor->size(), truth->size());
  uint64_t darknet = 0, mirai = 0, emerging_first_half = 0;
  for (size_t i = 0; i < truth->size(); ++i) {
    const Snapshot& want = (*truth)[i];
    const Snapshot& got = (*sensor)[i];
    EXPECT_EQ(got.interval_start, want.interval_start);
    EXPECT_EQ(got.complete, want.complete);
    EXPECT_TRUE(got.counts == want.counts)
        << "interval " << SnapshotFileName(want.interval_start) << " differs";
    darknet += got.counts.counters[DS_CTR_DARKNET_PACKETS];
    mirai += got.counts.counters[DS_CTR_MIRAI];
    if (i < truth->size() / 2) {
      auto it = got.counts.ports.find(ds_port_index(DS_SLOT_TCP, 5000));
      if (it != got.counts.ports.end()) emerging_first_half += it->second.packets;
    }
  }
  // What the scenario planted is there: most traffic is darknet traffic, a
  // third of it Mirai-type, and 5000/tcp is silent in the first half.
  EXPECT_GT(darknet, 35000u);
  EXPECT_GT(mirai, 10000u);
  EXPECT_EQ(emerging_first_half, 0u);
}

TEST_F(ReplayTruthTest, RefusesWhatIsNotAnEthernetCapture) {
  DS_REQUIRE_PRIVILEGES();
  const std::string bogus = base_ + "/not-a-capture.pcap";
  FILE* f = std::fopen(bogus.c_str(), "w");
  std::fputs("this is not a capture file\n", f);
  std::fclose(f);
  ReplayOptions replay;
  replay.data_plane.prefixes = {*ParseDarknetPrefix("198.18.0.0/15")};
  replay.out_dir = MakeDir(base_, "out");
  replay.files = {bogus};
  absl::Status status = RunReplay(replay);
  EXPECT_FALSE(status.ok());
  EXPECT_TRUE(absl::StrContains(status.message(), bogus)) << status;

  // A Linux cooked capture (link type 113) is a capture, but not Ethernet.
  const std::string cooked = base_ + "/cooked.pcap";
  f = std::fopen(cooked.c_str(), "wb");
  const uint32_t header[] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 113};
  std::fwrite(header, sizeof(header), 1, f);
  std::fclose(f);
  replay.files = {cooked};
  status = RunReplay(replay);
  EXPECT_FALSE(status.ok());
  EXPECT_TRUE(absl::StrContains(status.message(), "not Ethernet")) << status;
}

}  // namespace
}  // namespace darkscope::testing
