// End to end, as root, in network namespaces the test creates: the agent
// runs with 1 s intervals and its HTTP endpoints on the sensor namespace's
// loopback, while threads (moved into that namespace) poll /metrics,
// /v1/snapshot/latest and /healthz as fast as they can during a live run
// of the demo scenario. Polling must cost the drain nothing: the snapshots
// still add up exactly to the generator's ground truth, and /metrics, once
// the traffic has been drained, shows the same totals and passes promtool.
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agent_process.h"
#include "counts/counts.h"
#include "gen/generate.h"
#include "gtest/gtest.h"
#include "http_get.h"
#include "live_run.h"
#include "netns.h"
#include "privileged.h"
#include "snapshot/snapshot.h"
#include "snapshot/snapshot_files.h"

namespace darkscope::testing {
namespace {

constexpr int kPort = 19464;

// Fetches `path` from the agent's port inside `ns`.
absl::StatusOr<HttpReply> GetIn(const std::string& ns,
                                const std::string& path) {
  return HttpGetInNetns(ns, kPort, path);
}

TEST(MetricsEndToEnd, HardPollingLosesNothing) {
  DS_REQUIRE_PRIVILEGES();
  VethLab lab("metrics");
  ASSERT_TRUE(lab.Create().ok());
  char dir_template[] = "/tmp/darkscope-metrics-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::string base = dir_template;
  const std::string out_dir = base + "/sensor", truth_dir = base + "/truth";
  ASSERT_EQ(RunCommand("mkdir -p " + out_dir + " " + truth_dir), 0);
  ASSERT_EQ(
      RunCommand("ip netns exec " + lab.sensor_ns() + " ip link set lo up"), 0);

  AgentProcess agent;
  ASSERT_TRUE(
      agent
          .Start(SensorRunArgs(lab, out_dir, "polled",
                               {"--http", absl::StrCat("127.0.0.1:", kPort)}))
          .ok());
  absl::Status serving = agent.WaitFor("serving /metrics", absl::Seconds(20));
  ASSERT_TRUE(serving.ok()) << serving;

  // Pollers: as fast as they can until told to stop (bounded in time too).
  std::atomic<bool> stop{false};
  std::atomic<int> scrapes{0}, failures{0}, healthy{0};
  std::vector<std::thread> pollers;
  const char* const paths[] = {"/metrics", "/v1/snapshot/latest", "/healthz"};
  for (int i = 0; i < 3; ++i) {
    pollers.emplace_back([&, path = std::string(paths[i])] {
      if (!EnterNetns(lab.sensor_ns())) {
        ++failures;
        return;
      }
      const absl::Time limit = absl::Now() + absl::Seconds(60);
      while (!stop && absl::Now() < limit) {
        absl::StatusOr<HttpReply> reply = HttpGet(kPort, path);
        if (!reply.ok() || (reply->status != 200 && reply->status != 404)) {
          ++failures;
        } else {
          ++scrapes;
          if (path == "/healthz" && reply->status == 200) ++healthy;
        }
      }
    });
  }

  const GenerateOptions gen = DemoTraffic(truth_dir);
  absl::Status sent = lab.RunInScanner([&] { return RunGenerate(gen); });
  // Two more boundaries: every packet sent is drained and on the board.
  absl::SleepFor(absl::Milliseconds(2500));
  stop = true;
  for (std::thread& t : pollers) t.join();
  ASSERT_TRUE(sent.ok()) << sent;

  absl::StatusOr<HttpReply> metrics = GetIn(lab.sensor_ns(), "/metrics");
  absl::StatusOr<HttpReply> latest =
      GetIn(lab.sensor_ns(), "/v1/snapshot/latest");
  absl::StatusOr<HttpReply> health = GetIn(lab.sensor_ns(), "/healthz");
  EXPECT_EQ(agent.Stop(), 0);
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  ASSERT_TRUE(latest.ok()) << latest.status();
  ASSERT_TRUE(health.ok()) << health.status();

  std::printf("%d scrapes during the run, %d failed\n", scrapes.load(),
              failures.load());
  EXPECT_EQ(failures, 0);
  EXPECT_GT(scrapes, 100) << "the pollers should have polled hard";
  EXPECT_GT(healthy, 0);
  EXPECT_EQ(health->status, 200) << health->body;
  EXPECT_EQ(latest->status, 200);
  EXPECT_TRUE(absl::StrContains(latest->body, "\"sensor\":\"polled\""))
      << latest->body;

  // Nothing lost: snapshots equal the truth in every counter and table.
  const EpochCounts sensor = SumSnapshotDirectory(out_dir),
                    truth = SumSnapshotDirectory(truth_dir);
  EXPECT_EQ(truth.counters[DS_CTR_PACKETS_SEEN], 20000u);
  ExpectSameCounts(sensor, truth);

  // /metrics after the traffic was drained shows the same totals.
  const std::string& text = metrics->body;
  // The frames' outcomes add up to every frame seen.
  uint64_t frames = 0;
  for (const char* outcome : {"darknet", "non_darknet", "non_ip", "unparsed"})
    frames += MetricSample(
        text,
        absl::StrCat("darkscope_frames_total{outcome=\"", outcome, "\"}"));
  EXPECT_EQ(frames, truth.counters[DS_CTR_PACKETS_SEEN]);
  EXPECT_EQ(MetricSample(text, "darkscope_frames_total{outcome=\"darknet\"}"),
            truth.counters[DS_CTR_DARKNET_PACKETS]);
  EXPECT_EQ(MetricSample(text, "darkscope_darknet_bytes_total"),
            truth.counters[DS_CTR_DARKNET_BYTES]);
  // A watched port counts what the truth sent it; top ports carry no rank.
  const auto telnet = truth.ports.find(ds_port_index(DS_SLOT_TCP, 23));
  EXPECT_EQ(MetricSample(text,
                         "darkscope_watched_port_packets_total{proto=\"tcp\","
                         "port=\"23\"}"),
            telnet == truth.ports.end() ? 0 : telnet->second.packets);
  EXPECT_FALSE(absl::StrContains(text, "rank=")) << text;
  EXPECT_EQ(MetricSample(text, "darkscope_packets_total{class=\"tcp_syn\"}"),
            truth.counters[DS_CTR_TCP_SYN]);
  EXPECT_EQ(
      MetricSample(
          text, "darkscope_fingerprint_packets_total{fingerprint=\"mirai\"}"),
      truth.counters[DS_CTR_MIRAI]);
  EXPECT_EQ(MetricSample(text, "darkscope_snapshots_dropped_total"), 0u);
  EXPECT_EQ(MetricSample(text, "darkscope_snapshot_write_errors_total"), 0u);
  EXPECT_GE(MetricSample(text, "darkscope_snapshots_written_total"), 3u);
  // The kernel memory of the maps: at least the per-CPU ports arrays of
  // both epochs (131,840 x 72 bytes per CPU each).
  EXPECT_GT(MetricSample(text, "darkscope_kernel_map_bytes"), 2u * 131840 * 72);

  const std::string metrics_file = base + "/metrics.txt";
  std::ofstream(metrics_file) << text;
  EXPECT_EQ(RunCommand("promtool check metrics < " + metrics_file), 0) << text;
  RunCommand("rm -rf " + base);
}

}  // namespace
}  // namespace darkscope::testing
