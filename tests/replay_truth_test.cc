// A generated capture replayed through the data plane must match the
// generator's ground truth exactly: the same intervals, each with every
// counter and every table entry equal. And a capture that is not Ethernet,
// or not a capture at all, is refused with a message naming the file.
// Frames larger than a page count at their whole length.
#include <stdlib.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "capture/pcap_file.h"
#include "common/status.h"
#include "gen/generate.h"
#include "gtest/gtest.h"
#include "packet/packet_builder.h"
#include "privileged.h"
#include "replay/replay.h"
#include "snapshot/snapshot.h"
#include "snapshot/snapshot_files.h"

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
      if (it != got.counts.ports.end())
        emerging_first_half += it->second.packets;
    }
  }
  // What the scenario planted is there: most traffic is darknet traffic, a
  // third of it Mirai-type, and 5000/tcp is silent in the first half.
  EXPECT_GT(darknet, 35000u);
  EXPECT_GT(mirai, 10000u);
  EXPECT_EQ(emerging_first_half, 0u);
}

// --out is created with its parents, as mkdir -p; when it cannot be, the
// error names it.
TEST_F(ReplayTruthTest, CreatesItsOutputDirectory) {
  DS_REQUIRE_PRIVILEGES();
  GenerateOptions gen;
  gen.scenario = "demo";
  gen.packets = 2000;
  gen.pcap = base_ + "/demo.pcap";
  ASSERT_TRUE(RunGenerate(gen).ok());
  struct Case {
    std::string out_dir;
    std::string error;  // empty: replays
  };
  const std::vector<Case> cases = {
      {base_ + "/not/yet/there", ""},
      {base_, ""},  // exists already
      {"/proc/darkscope-replay-test/out",
       "create directory /proc/darkscope-replay-test/out"},
      {gen.pcap + "/out", "create directory " + gen.pcap + "/out"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.out_dir);
    ReplayOptions replay;
    replay.data_plane.prefixes = {*ParseDarknetPrefix("198.18.0.0/15")};
    replay.interval = absl::Seconds(2);
    replay.out_dir = c.out_dir;
    replay.files = {gen.pcap};
    const absl::Status status = RunReplay(replay);
    if (!c.error.empty()) {
      EXPECT_TRUE(absl::StrContains(status.message(), c.error)) << status;
      continue;
    }
    ASSERT_TRUE(status.ok()) << status;
    absl::StatusOr<std::vector<Snapshot>> sensor = ReadAll(c.out_dir);
    ASSERT_TRUE(sensor.ok()) << sensor.status();
    EXPECT_FALSE(sensor->empty());
  }
}

// A flood of random sources and ports, far more than the keyed tables
// hold: the totals (summary counters, ports, source ports, destinations)
// still equal the ground truth, every source and flow the tables kept is
// exact, and what did not fit is counted as overflow, packet for packet.
TEST_F(ReplayTruthTest, FloodLargerThanTheTablesKeepsTotalsAndCountsOverflow) {
  DS_REQUIRE_PRIVILEGES();
  const std::string scenario = base_ + "/flood.scenario";
  FILE* f = std::fopen(scenario.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs(
      "name flood\n"
      "duration 2m\n"
      "interval 60s\n"
      "packets 30000\n"
      "seed 11\n"
      "darknet 198.18.0.0/15\n"
      "darknet 2001:db8:d::/48\n"
      "population syn share=90 kind=syn ports=1-65535 "
      "sources=CN:25,US:25,BR:25,RU:25 "
      "hosts=20000 networks=20000\n"
      "population udp share=8 kind=udp-probe ports=1-65535 sources=JP:50,DE:50 "
      "hosts=2000\n"
      "population v6 share=2 kind=syn family=6 ports=1-65535 sources=DE:100 "
      "hosts=500 "
      "networks=500\n",
      f);
  std::fclose(f);
  GenerateOptions gen;
  gen.scenario = scenario;
  gen.pcap = base_ + "/flood.pcap";
  gen.truth_dir = MakeDir(base_, "truth");
  absl::Status generated = RunGenerate(gen);
  ASSERT_TRUE(generated.ok()) << generated;

  ReplayOptions replay;
  replay.data_plane.prefixes = {*ParseDarknetPrefix("198.18.0.0/15"),
                                *ParseDarknetPrefix("2001:db8:d::/48")};
  replay.data_plane.max_sources = 1024;
  replay.data_plane.max_flows = 2048;
  replay.interval = absl::Seconds(60);
  replay.out_dir = MakeDir(base_, "replay");
  replay.files = {gen.pcap};
  absl::Status replayed = RunReplay(replay);
  ASSERT_TRUE(replayed.ok()) << replayed;

  absl::StatusOr<std::vector<Snapshot>> truth = ReadAll(gen.truth_dir);
  absl::StatusOr<std::vector<Snapshot>> sensor = ReadAll(replay.out_dir);
  ASSERT_TRUE(truth.ok() && sensor.ok());
  ASSERT_EQ(truth->size(), 2u);
  ASSERT_EQ(sensor->size(), truth->size());
  for (size_t i = 0; i < truth->size(); ++i) {
    const EpochCounts& want = (*truth)[i].counts;
    const EpochCounts& got = (*sensor)[i].counts;
    SCOPED_TRACE(absl::StrCat("interval ", i));
    ASSERT_GT(want.sources.size(), 5 * replay.data_plane.max_sources);
    ASSERT_GT(want.flows.size(), 5 * replay.data_plane.max_flows);
    for (int c = 0; c < DS_CTR_COUNT; ++c) {
      if (c == DS_CTR_OVERFLOW_SOURCES || c == DS_CTR_OVERFLOW_FLOWS) continue;
      EXPECT_EQ(got.counters[c], want.counters[c]) << "counter " << c;
    }
    EXPECT_TRUE(got.ports == want.ports);
    EXPECT_TRUE(got.src_ports == want.src_ports);
    EXPECT_TRUE(got.destinations == want.destinations);
    // The keyed tables are full, and hold only exact entries.
    EXPECT_EQ(got.sources.size(), replay.data_plane.max_sources);
    EXPECT_EQ(got.flows.size(), replay.data_plane.max_flows);
    uint64_t source_packets = 0, flow_packets = 0, port_packets = 0;
    for (const auto& [key, value] : got.sources) {
      auto it = want.sources.find(key);
      ASSERT_NE(it, want.sources.end());
      EXPECT_EQ(std::memcmp(&value, &it->second, sizeof(value)), 0);
      source_packets += value.packets;
    }
    for (const auto& [key, value] : got.flows) {
      auto it = want.flows.find(key);
      ASSERT_NE(it, want.flows.end());
      EXPECT_EQ(value.packets, it->second.packets);
      EXPECT_EQ(value.bytes, it->second.bytes);
      flow_packets += value.packets;
    }
    for (const auto& [index, value] : want.ports) port_packets += value.packets;
    // Every darknet packet is in a source entry or in the overflow; every
    // packet with a transport header (those the ports table counts) in a
    // flow entry or in the overflow.
    EXPECT_EQ(source_packets + got.counters[DS_CTR_OVERFLOW_SOURCES],
              want.counters[DS_CTR_DARKNET_PACKETS]);
    EXPECT_EQ(flow_packets + got.counters[DS_CTR_OVERFLOW_FLOWS], port_packets);
    EXPECT_EQ(want.counters[DS_CTR_OVERFLOW_SOURCES], 0u);
  }
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

// Frames larger than a page (GRO/TSO captures, jumbo frames) are run as
// multi-buffer frames and counted as the data they are, at their whole
// length: not malformed, not cut to the 3,520 bytes of a single-buffer
// test run.
struct LargeFrame {
  const char* what;
  bool ipv6;
  size_t bytes;  // the whole Ethernet frame
};

TEST_F(ReplayTruthTest, LargeFramesCountAtTheirWholeLength) {
  DS_REQUIRE_PRIVILEGES();
  const std::vector<LargeFrame> frames = {
      {"IPv4, 1,500 bytes", false, 1500},
      {"IPv4, 3,600 bytes", false, 3600},
      {"IPv4, 9,000 bytes (jumbo)", false, 9000},
      {"IPv4, 65,000 bytes (GRO)", false, 65000},
      {"IPv6, 9,000 bytes (jumbo)", true, 9000},
      {"IPv6, 65,000 bytes (GRO)", true, 65000},
  };
  int index = 0;
  for (const LargeFrame& large : frames) {
    SCOPED_TRACE(large.what);
    const std::string name = "large" + std::to_string(index++);
    PacketBuilder builder;
    const size_t headers = 14 + (large.ipv6 ? 40 : 20) + 8;
    if (large.ipv6) {
      builder.Ipv6("2001:db8:ffff::1", "2001:db8::7");
    } else {
      builder.Ipv4("192.0.2.1", "198.18.1.7");
    }
    const Frame frame =
        builder.Udp(40000, 53).Payload(large.bytes - headers).Build();
    ASSERT_EQ(frame.bytes.size(), large.bytes);
    const std::string pcap = base_ + "/" + name + ".pcap";
    {
      absl::StatusOr<std::unique_ptr<PcapWriter>> writer =
          PcapWriter::Create(pcap);
      ASSERT_TRUE(writer.ok());
      (*writer)->Write(absl::FromUnixSeconds(1'800'000'000), frame.bytes);
    }
    ReplayOptions replay;
    replay.data_plane.prefixes = {*ParseDarknetPrefix("198.18.0.0/15"),
                                  *ParseDarknetPrefix("2001:db8::/32")};
    replay.interval = absl::Seconds(60);
    replay.out_dir = MakeDir(base_, name);
    replay.files = {pcap};
    ASSERT_TRUE(RunReplay(replay).ok());
    absl::StatusOr<std::vector<Snapshot>> sensor = ReadAll(replay.out_dir);
    ASSERT_TRUE(sensor.ok());
    ASSERT_EQ(sensor->size(), 1u);
    const Snapshot& snapshot = sensor->front();
    const std::array<uint64_t, DS_CTR_COUNT>& c = snapshot.counts.counters;
    EXPECT_EQ(c[DS_CTR_PACKETS_SEEN], 1u);
    EXPECT_EQ(c[DS_CTR_BYTES_SEEN], large.bytes);
    EXPECT_EQ(c[DS_CTR_DARKNET_PACKETS], 1u);
    EXPECT_EQ(c[DS_CTR_DARKNET_BYTES], large.bytes);
    EXPECT_EQ(c[DS_CTR_UDP], 1u);
    EXPECT_EQ(c[DS_CTR_MALFORMED_IPV4] + c[DS_CTR_MALFORMED_IPV6] +
                  c[DS_CTR_MALFORMED_UDP],
              0u);
    EXPECT_EQ(snapshot.agent_counters.at("replay_frames_refused"), 0u);
    ASSERT_EQ(snapshot.counts.flows.size(), 1u);
    EXPECT_EQ(snapshot.counts.flows.begin()->second.bytes, large.bytes);
  }
}

}  // namespace
}  // namespace darkscope::testing
