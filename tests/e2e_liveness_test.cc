// End to end, as root, in network namespaces the test creates: the agent
// notices when its program stops counting. During a live run (1 s
// intervals, HTTP on the sensor namespace's loopback) the program is taken
// off the interface from outside (`ip link set dev IF xdp off`), or replaced
// by another program (xdp_drop.bpf.o through xdp-loader). Each time:
// /healthz turns 503 ("blind"), /metrics shows the program detached and the
// blind interval counted, the interval's snapshot is marked incomplete with
// xdp_program_detached = 1; a detached program is attached again by the
// agent (healthy again), a foreign one is never replaced until it is
// removed. The NIC's own drop counters are in every snapshot and in
// /metrics, and add up to what sysfs says.
//
// Live jumbo frames (9,000-byte MTU) count at their whole length.
//
// And what a running agent holds (/proc/PID/task/*/status): only the
// capabilities it needs, in the bounding set too, no_new_privs, seccomp.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "agent_process.h"
#include "gtest/gtest.h"
#include "http_get.h"
#include "live_run.h"
#include "netns.h"
#include "packet/packet_builder.h"
#include "privileged.h"
#include "snapshot/snapshot.h"
#include "snapshot/snapshot_files.h"

namespace darkscope::testing {
namespace {

constexpr int kPort = 19466;

// Polls /healthz inside `ns` until its status is `want` or `limit` passes;
// the last reply.
// Polls /healthz until it answers `want` with a body containing `says`.
// A program replaced from outside is first detached, then the other one
// attached: an agent checking in between is rightly blind with nothing
// attached, and says what replaced it only at its next check.
HttpReply WaitHealth(const std::string& ns, int want, absl::Duration limit,
                     absl::string_view says = "") {
  HttpReply last;
  const absl::Time deadline = absl::Now() + limit;
  while (absl::Now() < deadline) {
    absl::StatusOr<HttpReply> reply = HttpGetInNetns(ns, kPort, "/healthz");
    if (reply.ok()) {
      last = *reply;
      if (reply->status == want && absl::StrContains(reply->body, says)) break;
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  return last;
}

std::string Metrics(const std::string& ns) {
  absl::StatusOr<HttpReply> reply = HttpGetInNetns(ns, kPort, "/metrics");
  return reply.ok() ? reply->body : "";
}

// How the program is taken away, and whether the agent may put it back.
struct BlindCase {
  const char* name;
  std::string take_away;  // run in the sensor namespace; IF is the interface
  std::string give_back;  // run after the agent was seen blind; "" for none
  std::string healthz_says;
};

void PrintTo(const BlindCase& c, std::ostream* os) { *os << c.name; }

class BlindnessTest : public ::testing::TestWithParam<BlindCase> {};

std::string Substitute(std::string command) {
  for (size_t at; (at = command.find("IF")) != std::string::npos;) {
    command.replace(at, 2, VethLab::kSensorIface);
  }
  return command;
}

TEST_P(BlindnessTest, SeenCountedAndRecovered) {
  DS_REQUIRE_PRIVILEGES();
  const BlindCase& c = GetParam();
  VethLab lab(absl::StrCat("blind", c.give_back.empty() ? 0 : 1));
  ASSERT_TRUE(lab.Create().ok());
  const std::string out_dir = MakeTempDir("blind");
  ASSERT_FALSE(out_dir.empty());
  const std::string ns = lab.sensor_ns();
  ASSERT_EQ(RunCommand("ip netns exec " + ns + " ip link set lo up"), 0);
  auto nic_dropped = [&] {
    return std::atoll(
        Capture(absl::StrCat("ip netns exec ", ns, " cat /sys/class/net/",
                             VethLab::kSensorIface, "/statistics/rx_dropped"))
            .c_str());
  };
  const long long dropped_before = nic_dropped();

  AgentProcess agent;
  ASSERT_TRUE(
      agent
          .Start(SensorRunArgs(lab, out_dir, "blind",
                               {"--http", absl::StrCat("127.0.0.1:", kPort)}))
          .ok());
  ASSERT_TRUE(agent.WaitFor("serving /metrics", absl::Seconds(20)).ok())
      << agent.output();
  absl::SleepFor(absl::Milliseconds(2200));  // whole intervals, seen
  EXPECT_EQ(WaitHealth(ns, 200, absl::Seconds(5)).status, 200);
  EXPECT_EQ(MetricSample(Metrics(ns), "darkscope_blind_intervals_total"), 0u);

  ASSERT_EQ(RunCommand(absl::StrCat("ip netns exec ", ns, " ",
                                    Substitute(c.take_away))),
            0);
  const HttpReply blind = WaitHealth(ns, 503, absl::Seconds(5), c.healthz_says);
  EXPECT_EQ(blind.status, 503) << blind.body;
  EXPECT_TRUE(absl::StrContains(blind.body, "blind")) << blind.body;
  EXPECT_TRUE(absl::StrContains(blind.body, c.healthz_says)) << blind.body;
  const std::string metrics = Metrics(ns);
  EXPECT_EQ(MetricSample(metrics, "darkscope_xdp_program_attached"), 0u)
      << metrics;
  EXPECT_EQ(MetricSample(metrics, "darkscope_xdp_attach_mode{mode=\"native\"}"),
            0u)
      << metrics;
  EXPECT_GE(MetricSample(metrics, "darkscope_blind_intervals_total"), 1u);
  EXPECT_NE(
      MetricSample(metrics,
                   "darkscope_nic_rx_drops_total{statistic=\"rx_dropped\"}"),
      ~0ull);

  if (!c.give_back.empty()) {
    // A foreign program stays: the agent is still blind a while later.
    absl::SleepFor(absl::Milliseconds(2200));
    EXPECT_EQ(WaitHealth(ns, 503, absl::Seconds(1)).status, 503);
    EXPECT_EQ(MetricSample(Metrics(ns), "darkscope_xdp_reattached_total"), 0u);
    ASSERT_EQ(RunCommand(absl::StrCat("ip netns exec ", ns, " ",
                                      Substitute(c.give_back))),
              0);
  }
  const HttpReply recovered = WaitHealth(ns, 200, absl::Seconds(8));
  EXPECT_EQ(recovered.status, 200) << recovered.body;
  EXPECT_EQ(MetricSample(Metrics(ns), "darkscope_xdp_reattached_total"), 1u);
  EXPECT_EQ(MetricSample(Metrics(ns), "darkscope_xdp_program_attached"), 1u);
  EXPECT_EQ(
      MetricSample(Metrics(ns), "darkscope_xdp_attach_mode{mode=\"native\"}"),
      1u);
  EXPECT_EQ(agent.Stop(), 0) << agent.output();

  // Every blind interval is marked incomplete; the NIC's drops add up.
  absl::StatusOr<std::vector<std::string>> files = ListSnapshotFiles({out_dir});
  ASSERT_TRUE(files.ok());
  int blind_snapshots = 0;
  uint64_t nic_drops = 0;
  for (const std::string& file : *files) {
    absl::StatusOr<std::vector<uint8_t>> bytes = ReadWholeFile(file);
    ASSERT_TRUE(bytes.ok());
    absl::StatusOr<Snapshot> snapshot = DecodeSnapshot(*bytes);
    ASSERT_TRUE(snapshot.ok()) << file;
    ASSERT_EQ(snapshot->agent_counters.count("nic_rx_dropped"), 1u) << file;
    nic_drops += snapshot->agent_counters.at("nic_rx_dropped");
    if (snapshot->agent_counters.at("xdp_program_detached") == 1) {
      ++blind_snapshots;
      EXPECT_FALSE(snapshot->complete) << file;
    }
  }
  EXPECT_GE(blind_snapshots, 1);
  EXPECT_EQ(static_cast<long long>(nic_drops), nic_dropped() - dropped_before);
  RunCommand("rm -rf " + out_dir);
}

INSTANTIATE_TEST_SUITE_P(
    Blindness, BlindnessTest,
    ::testing::Values(
        BlindCase{"detached", "ip link set dev IF xdp off", "",
                  "detached from outside"},
        BlindCase{"replaced",
                  absl::StrCat(
                      "sh -c 'ip link set dev IF xdp off; xdp-loader load -m "
                      "native IF ",
                      XDP_DROP_OBJECT, "'"),
                  "ip link set dev IF xdp off", "xdp_drop_all"}),
    [](const ::testing::TestParamInfo<BlindCase>& info) {
      return info.param.name;
    });

// The value of `field` ("CapBnd") in a /proc status file; "" if absent.
std::string StatusField(const std::string& status, const std::string& field) {
  const size_t at = status.find("\n" + field + ":");
  if (at == std::string::npos) return "";
  const size_t begin = status.find_first_not_of(" \t", at + field.size() + 2);
  return status.substr(begin, status.find('\n', begin) - begin);
}

// What a running agent holds once started, in every thread: only CAP_BPF,
// CAP_NET_ADMIN and CAP_SYS_ADMIN, in the bounding set too, nothing
// ambient or inheritable, no_new_privs, a seccomp filter.
TEST(AgentPrivileges, EveryThreadHoldsOnlyWhatTheAgentNeeds) {
  DS_REQUIRE_PRIVILEGES();
  VethLab lab("privs");
  ASSERT_TRUE(lab.Create().ok());
  const std::string out_dir = MakeTempDir("privs");
  ASSERT_FALSE(out_dir.empty());
  ASSERT_EQ(
      RunCommand("ip netns exec " + lab.sensor_ns() + " ip link set lo up"), 0);
  AgentProcess agent;
  ASSERT_TRUE(agent
                  .Start(SensorRunArgs(lab, out_dir, "",
                                       {"--retain-age", "1h", "--http",
                                        absl::StrCat("127.0.0.1:", kPort)}))
                  .ok());
  ASSERT_TRUE(agent.WaitFor("serving /metrics", absl::Seconds(20)).ok())
      << agent.output();
  absl::SleepFor(absl::Milliseconds(1500));  // the writer's thread has written
  // CAP_NET_ADMIN (12), CAP_SYS_ADMIN (21), CAP_BPF (39).
  const std::string kept = "0000008000201000";
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"CapBnd", kept},
      {"CapEff", kept},
      {"CapPrm", kept},
      {"CapInh", "0000000000000000"},
      {"CapAmb", "0000000000000000"},
      {"NoNewPrivs", "1"},
      {"Seccomp", "2"},
      {"Uid", "0\t0\t0\t0"}};
  const std::string tasks =
      Capture(absl::StrCat("ls /proc/", agent.pid(), "/task"));
  int threads = 0;
  for (absl::string_view tid : absl::StrSplit(tasks, '\n', absl::SkipEmpty())) {
    ++threads;
    const std::string status = Capture(
        absl::StrCat("cat /proc/", agent.pid(), "/task/", tid, "/status"));
    for (const auto& [field, value] : expected) {
      EXPECT_EQ(StatusField(status, field), value)
          << "thread " << tid << " " << field;
    }
  }
  EXPECT_GE(threads, 3) << "drain, writer and HTTP threads";
  // And it still works under the filter: healthy, snapshots written.
  EXPECT_EQ(WaitHealth(lab.sensor_ns(), 200, absl::Seconds(5)).status, 200);
  EXPECT_EQ(agent.Stop(), 0) << agent.output();
  absl::StatusOr<std::vector<std::string>> files = ListSnapshotFiles({out_dir});
  ASSERT_TRUE(files.ok());
  EXPECT_GE(files->size(), 1u);
  RunCommand("rm -rf " + out_dir);
}

// Live jumbo frames: with a 9,000-byte MTU on both ends the program still
// attaches natively (veth takes a multi-buffer program at that MTU) and
// counts every frame at its whole length.
TEST(JumboFrames, CountedWholeOnALiveInterface) {
  DS_REQUIRE_PRIVILEGES();
  VethLab lab("jumbo");
  ASSERT_TRUE(lab.Create().ok());
  for (const auto& [ns, iface] :
       {std::pair{lab.sensor_ns(), VethLab::kSensorIface},
        std::pair{lab.scanner_ns(), VethLab::kScannerIface}}) {
    ASSERT_EQ(RunCommand(absl::StrCat("ip -n ", ns, " link set dev ", iface,
                                      " mtu 9000")),
              0);
  }
  const std::string out_dir = MakeTempDir("jumbo");
  ASSERT_FALSE(out_dir.empty());
  AgentProcess agent;
  ASSERT_TRUE(agent
                  .Start(SensorRunArgs(lab, out_dir, "",
                                       {"--http=", "--xdp-mode", "native"}))
                  .ok());
  ASSERT_TRUE(agent.WaitAttached(absl::Seconds(20)).ok()) << agent.output();
  std::vector<FrameToSend> frames;
  uint64_t bytes = 0;
  for (size_t size : {1500, 4000, 9000}) {
    const size_t payload = size - 14 - 20 - 8;
    frames.push_back({PacketBuilder()
                          .Ipv4("192.0.2.9", "198.18.2.9")
                          .Udp(5353, 53)
                          .Payload(payload)
                          .Build()
                          .bytes,
                      10});
    bytes += 10 * size;
  }
  const absl::Status sent =
      lab.Send(frames, 5, absl::Milliseconds(100), absl::Seconds(20));
  ASSERT_TRUE(sent.ok()) << sent;
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(agent.Stop(), 0) << agent.output();
  const EpochCounts total = SumSnapshotDirectory(out_dir);
  EXPECT_EQ(total.counters[DS_CTR_DARKNET_PACKETS], 30u);
  EXPECT_EQ(total.counters[DS_CTR_DARKNET_BYTES], bytes);
  EXPECT_EQ(total.counters[DS_CTR_MALFORMED_IPV4], 0u);
  RunCommand("rm -rf " + out_dir);
}

}  // namespace
}  // namespace darkscope::testing
