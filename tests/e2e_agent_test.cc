// End to end, as root, in network namespaces the test creates: the agent
// runs on one end of a veth pair with 1 s intervals, a known mix of frames
// is sent from the other end over several intervals, the agent is stopped
// with SIGTERM, and the snapshots must add up exactly to what was sent, in
// every table. What "exactly" means comes from the same frames run through
// an unattached copy of the program (BPF_PROG_TEST_RUN); the data plane's
// own correctness is the fixtures' business, this test is about the agent
// losing or doubling nothing across interval boundaries.
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "agent_process.h"
#include "common/prefix.h"
#include "common/status.h"
#include "drain/epoch_tables.h"
#include "gen/generate.h"
#include "gtest/gtest.h"
#include "live_run.h"
#include "loader/data_plane.h"
#include "netns.h"
#include "packet/packet_builder.h"
#include "privileged.h"
#include "snapshot/snapshot.h"
#include "snapshot/snapshot_files.h"

namespace darkscope::testing {
namespace {

constexpr const char* kPrefixV4 = "198.18.0.0/15";
constexpr const char* kPrefixV6 = "2001:db8:d::/48";

// The mix: scans with each fingerprint, backscatter, reflection, ICMP,
// IPv6, VLAN, malformed and non-darknet frames, from several sources.
std::vector<FrameToSend> Mix() {
  std::vector<FrameToSend> mix;
  const uint32_t dark = 0xc6120509;  // 198.18.5.9
  auto add = [&](Frame frame, int copies) {
    mix.push_back({frame.bytes, copies});
  };
  add(PacketBuilder()
          .Ipv4("185.220.101.7", "198.18.5.9")
          .Tcp(40000, 23, kSyn, dark)
          .Build(),
      300);
  add(PacketBuilder()
          .Ipv4("185.220.101.8", "198.19.1.1")
          .Tcp(40001, 2323, kSyn, 0xc6130101)
          .Build(),
      120);
  add(PacketBuilder()
          .Ipv4("45.95.147.10", "198.18.7.7")
          .Ipv4Id(54321)
          .Tcp(33000, 443, kSyn)
          .Build(),
      150);
  add(PacketBuilder()
          .Ipv4("45.95.147.11", "198.18.5.9")
          .Ipv4Id(static_cast<uint16_t>((dark ^ 3389 ^ 0x5a5a1234) & 0xffff))
          .Tcp(61000, 3389, kSyn, 0x5a5a1234)
          .Build(),
      90);
  add(PacketBuilder()
          .Ipv4("162.159.200.1", "198.18.9.9")
          .Udp(123, 44123)
          .Payload(468)
          .Build(),
      60);
  add(PacketBuilder()
          .Ipv4("8.8.8.8", "198.18.9.10")
          .Udp(53, 44124)
          .Payload(80)
          .Build(),
      60);
  add(PacketBuilder()
          .Ipv4("93.184.216.34", "198.18.3.3")
          .Tcp(443, 51000, kSyn | kAck)
          .Build(),
      90);
  add(PacketBuilder()
          .Ipv4("93.184.216.35", "198.18.3.4")
          .Tcp(80, 51001, kRst)
          .Build(),
      30);
  add(PacketBuilder()
          .Ipv4("203.0.113.9", "198.18.4.4")
          .Icmp(3, 1)
          .Payload(28)
          .Build(),
      30);
  add(PacketBuilder().Ipv4("100.64.1.1", "198.18.4.5").Icmp(8).Build(), 30);
  add(PacketBuilder()
          .Ipv6("2a01:4f8:c0c:1::7", "2001:db8:d::9")
          .Tcp(40000, 22, kSyn)
          .Build(),
      60);
  add(PacketBuilder()
          .Ipv4("185.220.101.9", "198.18.5.10")
          .Vlan(0x8100, 10)
          .Tcp(40002, 23, kSyn)
          .Build(),
      30);
  add(PacketBuilder()
          .Ipv4("185.220.101.10", "198.18.5.11")
          .Ipv4Fragment(100, false)
          .Protocol(6, 40)
          .Build(),
      30);
  add(CutConsistent(PacketBuilder()
                        .Ipv4("185.220.101.11", "198.18.5.12")
                        .Tcp(1, 23, kSyn)
                        .Build(),
                    14 + 20 + 10),
      30);
  add(PacketBuilder()
          .Ipv4("185.220.101.12", "192.0.2.1")
          .Tcp(40000, 22, kSyn)
          .Build(),
      60);
  add(PacketBuilder()
          .Ipv4("185.220.101.13", "203.0.113.5")
          .Udp(40000, 53)
          .Build(),
      30);
  add(PacketBuilder().EtherType(0x0806).Build(), 30);
  return mix;
}

// What the mix counts, from an unattached copy of the program.
absl::StatusOr<EpochCounts> Reference(const std::vector<FrameToSend>& mix) {
  DataPlaneOptions options;
  options.prefixes = {*ParseDarknetPrefix(kPrefixV4),
                      *ParseDarknetPrefix(kPrefixV6)};
  DS_ASSIGN_OR_RETURN(std::unique_ptr<DataPlane> plane,
                      DataPlane::Load(options));
  for (const FrameToSend& frame : mix) {
    DS_RETURN_IF_ERROR(plane->TestRun(frame.bytes, frame.copies).status());
  }
  EpochRotation rotation(plane->outer_map_fds());
  DS_ASSIGN_OR_RETURN(DetachedEpoch detached, rotation.SwapOut(0));
  return ReadEpochTables(detached);
}

// Sum of a numeric column over CSV rows from `darkscope cat` where the
// `match` columns have the given values.
uint64_t SumCsv(const std::string& csv, const std::string& column,
                const std::map<std::string, std::string>& match) {
  uint64_t sum = 0;
  std::vector<std::string> header;
  for (absl::string_view line : absl::StrSplit(csv, '\n', absl::SkipEmpty())) {
    std::vector<std::string> fields = absl::StrSplit(line, ',');
    if (fields[0] == "table") {
      header = fields;
      continue;
    }
    std::map<std::string, std::string> row;
    for (size_t i = 0; i < header.size() && i < fields.size(); ++i)
      row[header[i]] = fields[i];
    bool matches = true;
    for (const auto& [k, v] : match) matches &= row[k] == v;
    uint64_t value = 0;
    if (matches && absl::SimpleAtoi(row[column], &value)) sum += value;
  }
  return sum;
}

TEST(AgentEndToEnd, EveryPacketLandsInExactlyOneSnapshot) {
  DS_REQUIRE_PRIVILEGES();
  VethLab lab("e2e");
  ASSERT_TRUE(lab.Create().ok());
  char dir_template[] = "/tmp/darkscope-e2e-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::string out_dir = dir_template;

  AgentProcess agent;
  ASSERT_TRUE(
      agent.Start(SensorRunArgs(lab, out_dir, "e2e", {"--prefix", kPrefixV6}))
          .ok());
  absl::Status attached = agent.WaitAttached(absl::Seconds(20));
  ASSERT_TRUE(attached.ok()) << attached;

  const std::vector<FrameToSend> mix = Mix();
  // 30 rounds 120 ms apart: about 3.6 s, crossing 3 or 4 boundaries.
  absl::Status sent =
      lab.Send(mix, 30, absl::Milliseconds(120), absl::Seconds(30));
  ASSERT_TRUE(sent.ok()) << sent;
  absl::SleepFor(absl::Milliseconds(300));  // let the last frames arrive
  EXPECT_EQ(agent.Stop(), 0);

  absl::StatusOr<std::vector<std::string>> files = ListSnapshotFiles({out_dir});
  ASSERT_TRUE(files.ok()) << files.status();
  ASSERT_GE(files->size(), 4u) << "traffic should span several intervals";
  EpochCounts total;
  int with_traffic = 0;
  for (size_t i = 0; i < files->size(); ++i) {
    absl::StatusOr<std::vector<uint8_t>> bytes = ReadWholeFile((*files)[i]);
    ASSERT_TRUE(bytes.ok());
    absl::StatusOr<Snapshot> snapshot = DecodeSnapshot(*bytes);
    ASSERT_TRUE(snapshot.ok()) << (*files)[i] << ": " << snapshot.status();
    EXPECT_EQ(snapshot->interval_seconds, 1u);
    EXPECT_EQ(snapshot->sensor, "e2e");
    const bool edge = i == 0 || i + 1 == files->size();
    EXPECT_EQ(snapshot->complete, !edge) << (*files)[i];
    if (snapshot->counts.counters[DS_CTR_PACKETS_SEEN] > 0) ++with_traffic;
    AddCounts(snapshot->counts, total);
  }
  EXPECT_GE(with_traffic, 3) << "traffic should cross interval boundaries";

  absl::StatusOr<EpochCounts> expected = Reference(mix);
  ASSERT_TRUE(expected.ok()) << expected.status();
  for (int i = 0; i < DS_CTR_COUNT; ++i) {
    EXPECT_EQ(total.counters[i], expected->counters[i]) << "counter " << i;
  }
  EXPECT_TRUE(total.ports == expected->ports);
  EXPECT_TRUE(total.src_ports == expected->src_ports);
  EXPECT_TRUE(total.sources == expected->sources);
  EXPECT_TRUE(total.destinations == expected->destinations);
  EXPECT_TRUE(total.flows == expected->flows);
  // And in plain numbers, what the mix planted.
  EXPECT_EQ(total.counters[DS_CTR_MIRAI], 420u);
  EXPECT_EQ(total.counters[DS_CTR_ZMAP], 150u);
  EXPECT_EQ(total.counters[DS_CTR_MASSCAN], 90u);
  EXPECT_EQ(total.counters[DS_CTR_NON_DARKNET], 90u);
  EXPECT_EQ(total.ports.at(ds_port_index(DS_SLOT_TCP, 23)).packets, 330u);

  // The contract scripts use: darkscope cat.
  const std::string binary = DARKSCOPE_BINARY;
  std::string ports =
      Capture(binary + " cat --format csv --table ports " + out_dir);
  EXPECT_EQ(SumCsv(ports, "packets", {{"proto", "tcp"}, {"port", "23"}}), 330u);
  EXPECT_EQ(SumCsv(ports, "mirai", {}), 420u);
  std::string summary =
      Capture(binary + " cat --format csv --table summary " + out_dir);
  EXPECT_EQ(SumCsv(summary, "packets", {}),
            expected->counters[DS_CTR_DARKNET_PACKETS]);
  std::string sources =
      Capture(binary + " cat --format csv --table sources " + out_dir);
  EXPECT_EQ(SumCsv(sources, "packets", {{"src_net", "185.220.101.0/24"}}),
            300u + 120 + 30 + 30 + 30);
  RunCommand("rm -rf " + out_dir);
}

// The demo scenario sent live through the veth pair: the sensor's
// snapshots, summed, equal the generator's ground truth summed, in every
// counter and table (intervals differ: the truth's follow scenario time,
// the sensor's the wall clock).
TEST(AgentEndToEnd, LiveScenarioMatchesGroundTruth) {
  DS_REQUIRE_PRIVILEGES();
  VethLab lab("live");
  ASSERT_TRUE(lab.Create().ok());
  char dir_template[] = "/tmp/darkscope-live-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::string base = dir_template;
  const std::string out_dir = base + "/sensor", truth_dir = base + "/truth";
  ASSERT_EQ(RunCommand("mkdir -p " + out_dir + " " + truth_dir), 0);

  AgentProcess agent;
  ASSERT_TRUE(agent.Start(SensorRunArgs(lab, out_dir, "live", {})).ok());
  absl::Status attached = agent.WaitAttached(absl::Seconds(20));
  ASSERT_TRUE(attached.ok()) << attached;

  const GenerateOptions gen = DemoTraffic(truth_dir);
  absl::Status sent = lab.RunInScanner([&] { return RunGenerate(gen); });
  ASSERT_TRUE(sent.ok()) << sent;
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(agent.Stop(), 0);

  ExpectSnapshotsMatchTruth(out_dir, truth_dir);
  RunCommand("rm -rf " + base);
}

}  // namespace
}  // namespace darkscope::testing
