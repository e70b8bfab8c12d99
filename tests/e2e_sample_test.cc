// The sample path end to end, as root, in network namespaces the test
// creates: the agent samples a veth end with four rx queues through
// AF_XDP (copy mode: veth has no zero-copy), a known mix is sent from the
// other end, and the pcapng files must open in tshark, hold exactly the
// frames the policy picks (byte for byte at 100 %), and agree with the
// counters in the snapshots. Which rx queue a frame lands on is veth's
// choice: the checks take the union of every queue's files.
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/types/span.h"
#include "agent_process.h"
#include "capture/pcap_file.h"
#include "counts/counts.h"
#include "gtest/gtest.h"
#include "live_run.h"
#include "netns.h"
#include "packet/packet_builder.h"
#include "privileged.h"
#include "sampler/pcapng.h"
#include "snapshot/snapshot.h"
#include "snapshot/snapshot_files.h"

namespace darkscope::testing {
namespace {

// Frame bytes -> copies. Keyed by std::string rather than a byte vector:
// GCC 12 at -O3 warns (stringop-overread) inside std::vector's ordering.
using Frames = std::map<std::string, uint64_t>;

std::string Key(absl::Span<const uint8_t> bytes) {
  return std::string(bytes.begin(), bytes.end());
}

struct Mix {
  std::vector<FrameToSend> frames;
  Frames darknet;  // what a 100 % sample holds
  uint64_t darknet_packets = 0;
};

// Darknet frames of many kinds and sizes (a truncated TCP header among
// them), and frames the program passes before sampling (non-darknet, ARP,
// a runt with a broken IPv4 header): those are never sampled.
Mix BuildMix() {
  Mix mix;
  auto add = [&](Frame frame, int copies, bool dark) {
    if (dark) {
      mix.darknet[Key(frame.bytes)] += copies;
      mix.darknet_packets += copies;
    }
    mix.frames.push_back({frame.bytes, copies});
  };
  for (int i = 0; i < 6; ++i) {
    add(PacketBuilder()
            .Ipv4(absl::StrCat("185.220.", 100 + i, ".7"), "198.18.5.9")
            .Tcp(40000 + i, 23, kSyn)
            .Payload(i * 97)
            .Build(),
        40, true);
  }
  add(PacketBuilder()
          .Ipv4("45.95.147.10", "198.18.7.7")
          .Ipv4Id(54321)
          .Tcp(33000, 443, kSyn)
          .Build(),
      50, true);
  add(PacketBuilder()
          .Ipv4("162.159.200.1", "198.18.9.9")
          .Udp(123, 44123)
          .Payload(468)
          .Build(),
      30, true);
  add(PacketBuilder()
          .Ipv4("93.184.216.34", "198.18.3.3")
          .Tcp(443, 51000, kSyn | kAck)
          .Build(),
      30, true);
  add(PacketBuilder()
          .Ipv4("203.0.113.9", "198.18.4.4")
          .Icmp(3, 1)
          .Payload(28)
          .Build(),
      20, true);
  add(PacketBuilder()
          .Ipv6("2a01:4f8:c0c:1::7", "2001:db8:d::9")
          .Tcp(40000, 22, kSyn)
          .Build(),
      30, true);
  add(PacketBuilder()
          .Ipv4("185.220.101.9", "198.18.5.10")
          .Vlan(0x8100, 10)
          .Tcp(40002, 23, kSyn)
          .Build(),
      20, true);
  add(PacketBuilder()
          .Ipv4("185.220.101.10", "198.18.5.11")
          .Ipv4Fragment(100, false)
          .Protocol(6, 40)
          .Build(),
      20, true);
  add(CutConsistent(PacketBuilder()
                        .Ipv4("185.220.101.11", "198.18.5.12")
                        .Tcp(1, 23, kSyn)
                        .Build(),
                    14 + 20 + 10),
      20, true);
  add(PacketBuilder()
          .Ipv4("100.64.1.1", "198.18.4.5")
          .Udp(5000, 1900)
          .Payload(1400)
          .Build(),
      20, true);
  add(PacketBuilder()
          .Ipv4("185.220.101.12", "192.0.2.1")
          .Tcp(40000, 22, kSyn)
          .Build(),
      30, false);
  add(PacketBuilder()
          .Ipv4("185.220.101.13", "203.0.113.5")
          .Udp(40000, 53)
          .Build(),
      20, false);
  add(PacketBuilder().EtherType(0x0806).Build(), 20, false);
  Frame runt = PacketBuilder()
                   .Ipv4("185.220.101.14", "198.18.5.13")
                   .Tcp(1, 23, kSyn)
                   .Build();
  runt.bytes.resize(14 + 8);  // a broken IPv4 header: passed, not sampled
  add(runt, 10, false);
  return mix;
}

enum class Check {
  kEveryDarknetFrame,  // 100 %: the files hold exactly the darknet frames
  kFirstPerSource,     // first K per source /24 per interval
  kByteCap,            // 100 % under a byte cap: the rest is counted
  kSomeQueues,         // 100 %, sockets on queues 1-3 only: frames that
                       // veth puts on queue 0 find no socket, are counted
                       // and dropped
};

struct SampleCase {
  std::string name;
  std::vector<std::string> flags;
  Check check;
  uint64_t first = 0;      // kFirstPerSource: K
  uint64_t max_bytes = 0;  // kByteCap: the cap
};

void PrintTo(const SampleCase& c, std::ostream* os) { *os << c.name; }

struct RunResult {
  EpochCounts counts;                     // summed over snapshots
  std::map<std::string, uint64_t> agent;  // agent counters, summed
  uint64_t first_k_expected = 0;          // sum of min(K, packets) per source
  Frames sampled;                         // every frame of every file
  uint64_t tshark_frames = 0;
  int tshark_failures = 0;
  std::map<std::string, uint64_t> block_bytes;  // interval -> EPB bytes
  std::string output;
};

class SampleEndToEnd : public ::testing::TestWithParam<SampleCase> {
 protected:
  void SetUp() override { DS_REQUIRE_PRIVILEGES(); }
};

TEST_P(SampleEndToEnd, FilesHoldWhatThePolicyPicksAndCountersAgree) {
  const SampleCase& c = GetParam();
  VethLab lab("smp");
  ASSERT_TRUE(lab.Create(/*queues=*/4).ok());
  char dir_template[] = "/tmp/darkscope-sample-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::string out_dir = dir_template;

  AgentProcess agent;
  std::vector<std::string> args =
      SensorRunArgs(lab, out_dir, "smp", {"--prefix", "2001:db8:d::/48"});
  args.insert(args.end(), c.flags.begin(), c.flags.end());
  ASSERT_TRUE(agent.Start(args).ok());
  absl::Status attached = agent.WaitAttached(absl::Seconds(20));
  ASSERT_TRUE(attached.ok()) << attached;
  // The queues asked for (all by default), in the mode veth allows.
  EXPECT_TRUE(absl::StrContains(
      agent.output(),
      absl::StrCat("rx queues ", c.check == Check::kSomeQueues ? "1-3" : "0-3",
                   " of dsveth0 in copy mode")))
      << agent.output();

  const Mix mix = BuildMix();
  // 10 rounds 150 ms apart: about 1.5 s, crossing interval boundaries.
  absl::Status sent =
      lab.Send(mix.frames, 10, absl::Milliseconds(150), absl::Seconds(30));
  ASSERT_TRUE(sent.ok()) << sent;
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(agent.Stop(), 0) << "the agent must survive every frame";

  RunResult r;
  absl::StatusOr<std::vector<std::string>> snapshots =
      ListSnapshotFiles({out_dir});
  ASSERT_TRUE(snapshots.ok()) << snapshots.status();
  for (const std::string& file : *snapshots) {
    absl::StatusOr<std::vector<uint8_t>> bytes = ReadWholeFile(file);
    ASSERT_TRUE(bytes.ok());
    absl::StatusOr<Snapshot> snapshot = DecodeSnapshot(*bytes);
    ASSERT_TRUE(snapshot.ok()) << file << ": " << snapshot.status();
    AddCounts(snapshot->counts, r.counts);
    for (const auto& [name, value] : snapshot->agent_counters) {
      if (absl::StartsWith(name, "sample_") && name != "sample_files_written") {
        r.agent[name] += value;
      }
    }
    for (const auto& [key, source] : snapshot->counts.sources) {
      r.first_k_expected += std::min<uint64_t>(c.first, source.packets);
    }
  }
  for (const auto& entry : std::filesystem::directory_iterator(out_dir)) {
    const std::string path = entry.path().string();
    if (!absl::EndsWith(path, ".pcapng")) continue;
    // tshark opens it and sees every frame.
    const std::string listed =
        Capture("tshark -r " + path +
                " -T fields -e frame.len 2>/dev/null; echo rc=$?");
    if (!absl::StrContains(listed, "rc=0")) ++r.tshark_failures;
    for (absl::string_view line :
         absl::StrSplit(listed, '\n', absl::SkipEmpty())) {
      uint64_t len = 0;
      if (absl::SimpleAtoi(line, &len)) ++r.tshark_frames;
    }
    absl::StatusOr<std::unique_ptr<PcapReader>> reader = PcapReader::Open(path);
    ASSERT_TRUE(reader.ok()) << reader.status();
    absl::Time time;
    absl::Span<const uint8_t> frame;
    for (;;) {
      absl::StatusOr<bool> more = (*reader)->Next(time, frame);
      ASSERT_TRUE(more.ok()) << more.status();
      if (!*more) break;
      ++r.sampled[Key(frame)];
      r.block_bytes[entry.path().filename().string().substr(0, 16)] +=
          PcapngBuffer::BlockSize(frame.size());
    }
    EXPECT_EQ((*reader)->truncated_frames(), 0u) << path;
  }

  const auto& ctr = r.counts.counters;
  uint64_t sampled_total = 0;
  for (const auto& [bytes, copies] : r.sampled) sampled_total += copies;
  EXPECT_EQ(ctr[DS_CTR_DARKNET_PACKETS], mix.darknet_packets);
  EXPECT_EQ(r.tshark_failures, 0);
  EXPECT_EQ(r.tshark_frames, sampled_total);
  EXPECT_EQ(r.agent["sample_frames_written"], sampled_total);
  // Every picked packet went to a socket or (no socket on its queue) kept
  // the darknet verdict, and none was lost on the way.
  EXPECT_EQ(ctr[DS_CTR_SAMPLE_RATE_LIMITED], 0u);
  if (c.check != Check::kSomeQueues) {
    EXPECT_EQ(ctr[DS_CTR_SAMPLE_NO_SOCKET], 0u);
  }
  EXPECT_EQ(ctr[DS_CTR_SAMPLE_QUEUE_OUT_OF_RANGE], 0u);
  EXPECT_EQ(ctr[DS_CTR_ACTION_REDIRECT], ctr[DS_CTR_SAMPLE_REDIRECTED]);
  EXPECT_EQ(ctr[DS_CTR_SAMPLE_REDIRECTED] + ctr[DS_CTR_SAMPLE_NO_SOCKET],
            ctr[DS_CTR_SAMPLE_BY_RATE] + ctr[DS_CTR_SAMPLE_BY_FIRST]);
  // Not sampled: dropped (the darknet verdict) or passed (not darknet).
  EXPECT_EQ(ctr[DS_CTR_ACTION_DROP],
            mix.darknet_packets - ctr[DS_CTR_SAMPLE_REDIRECTED]);
  EXPECT_EQ(r.agent["sample_rx_ring_full"], 0u);
  EXPECT_EQ(r.agent["sample_rx_dropped"], 0u);
  EXPECT_EQ(r.agent["sample_rx_invalid_descs"], 0u);
  EXPECT_EQ(r.agent["sample_bad_descs"], 0u);
  EXPECT_EQ(
      r.agent["sample_frames_written"] + r.agent["sample_frames_over_cap"],
      ctr[DS_CTR_SAMPLE_REDIRECTED]);
  EXPECT_EQ(ctr[DS_CTR_ACTION_REDIRECT] + ctr[DS_CTR_ACTION_DROP] +
                ctr[DS_CTR_ACTION_PASS],
            ctr[DS_CTR_PACKETS_SEEN]);
  // Whatever was written is a frame the scanner sent to the darknet.
  for (const auto& [bytes, copies] : r.sampled) {
    auto it = mix.darknet.find(bytes);
    ASSERT_NE(it, mix.darknet.end()) << "a sampled frame of " << bytes.size()
                                     << " bytes was never sent to the darknet";
    EXPECT_LE(copies, it->second);
  }

  switch (c.check) {
    case Check::kEveryDarknetFrame:
      EXPECT_EQ(ctr[DS_CTR_SAMPLE_BY_RATE], mix.darknet_packets);
      EXPECT_EQ(r.agent["sample_frames_over_cap"], 0u);
      EXPECT_TRUE(r.sampled == mix.darknet)
          << "files differ from the darknet frames sent";
      break;
    case Check::kFirstPerSource:
      EXPECT_EQ(ctr[DS_CTR_SAMPLE_BY_RATE], 0u);
      EXPECT_EQ(ctr[DS_CTR_SAMPLE_BY_FIRST], r.first_k_expected);
      EXPECT_GT(r.first_k_expected, 0u);
      EXPECT_EQ(r.agent["sample_frames_over_cap"], 0u);
      break;
    case Check::kSomeQueues:
      EXPECT_EQ(ctr[DS_CTR_SAMPLE_BY_RATE], mix.darknet_packets);
      EXPECT_EQ(r.agent["sample_frames_over_cap"], 0u);
      EXPECT_EQ(sampled_total, ctr[DS_CTR_SAMPLE_REDIRECTED]);
      break;
    case Check::kByteCap:
      EXPECT_EQ(ctr[DS_CTR_SAMPLE_BY_RATE], mix.darknet_packets);
      EXPECT_GT(r.agent["sample_frames_over_cap"], 0u);
      for (const auto& [interval, bytes] : r.block_bytes) {
        EXPECT_LE(bytes, c.max_bytes) << interval;
      }
      break;
  }
  RunCommand("rm -rf " + out_dir);
}

INSTANTIATE_TEST_SUITE_P(
    Policies, SampleEndToEnd,
    ::testing::Values(SampleCase{"every_darknet_frame",
                                 {"--sample-rate", "1", "--sample-pps", "0"},
                                 Check::kEveryDarknetFrame},
                      SampleCase{"first_3_per_source",
                                 {"--sample-first", "3", "--sample-pps", "0"},
                                 Check::kFirstPerSource,
                                 3},
                      SampleCase{"byte_cap",
                                 {"--sample-rate", "1", "--sample-pps", "0",
                                  "--sample-max-bytes", "3000", "--queues",
                                  "0-3", "--sample-batch", "16"},
                                 Check::kByteCap,
                                 0,
                                 3000},
                      SampleCase{"sockets_on_queues_1_to_3",
                                 {"--sample-rate", "1", "--sample-pps", "0",
                                  "--queues", "1-3"},
                                 Check::kSomeQueues}),
    [](const ::testing::TestParamInfo<SampleCase>& info) {
      return info.param.name;
    });

}  // namespace
}  // namespace darkscope::testing
