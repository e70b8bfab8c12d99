// End to end, as root, in network namespaces the test creates: the output
// directory fails under a running agent. It is a small tmpfs the test
// mounts; mid-run the test fills it (or remounts it read-only) while the
// demo scenario is sent, checks that /metrics and /healthz show the fault
// and a growing backlog, frees it again, and checks that the backlog is
// written. The sum over all snapshots equals the generator's ground truth
// exactly: nothing was lost while the disk refused writes.
#include <unistd.h>

#include <ostream>
#include <string>
#include <thread>
#include <vector>

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
#include "scoped_mount.h"

namespace darkscope::testing {
namespace {

constexpr int kPort = 19465;

struct DiskFault {
  const char* name;
  std::string cause;  // shell, %s: the directory
  std::string cure;
};

std::string Fill(const std::string& command, const std::string& dir) {
  std::string out = command;
  for (size_t at; (at = out.find("%s")) != std::string::npos;)
    out.replace(at, 2, dir);
  return out;
}

void PrintTo(const DiskFault& c, std::ostream* os) { *os << c.name; }

class DiskFaultTest : public ::testing::TestWithParam<DiskFault> {};

TEST_P(DiskFaultTest, BacklogIsKeptReportedAndWritten) {
  DS_REQUIRE_PRIVILEGES();
  const DiskFault& fault = GetParam();
  VethLab lab(std::string("disk") + fault.name[0]);
  ASSERT_TRUE(lab.Create().ok());
  ASSERT_EQ(
      RunCommand("ip netns exec " + lab.sensor_ns() + " ip link set lo up"), 0);
  ScopedMount out;
  ASSERT_TRUE(out.Mount("disk", "tmpfs", "size=4m,mode=0755").ok());
  const std::string truth_dir = MakeTempDir("disk-truth");
  ASSERT_FALSE(truth_dir.empty());

  AgentProcess agent;
  ASSERT_TRUE(
      agent
          .Start(SensorRunArgs(lab, out.path(), "disk",
                               {"--http", absl::StrCat("127.0.0.1:", kPort),
                                "--bpffs=", "--writer-backlog", "32"}))
          .ok());
  absl::Status attached = agent.WaitAttached(absl::Seconds(20));
  ASSERT_TRUE(attached.ok()) << attached;

  // 20,000 frames at 2,500/s: 8 s, with the fault in the middle.
  BackgroundTraffic traffic(lab, truth_dir, 2500);

  absl::SleepFor(absl::Milliseconds(1500));
  RunCommand(Fill(fault.cause, out.path()));
  absl::SleepFor(absl::Milliseconds(3200));
  absl::StatusOr<HttpReply> during =
      HttpGetInNetns(lab.sensor_ns(), kPort, "/metrics");
  absl::StatusOr<HttpReply> health =
      HttpGetInNetns(lab.sensor_ns(), kPort, "/healthz");
  ASSERT_TRUE(during.ok()) << during.status();
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(MetricSample(during->body, "darkscope_writer_disk_fault"), 1u)
      << during->body;
  EXPECT_GE(MetricSample(during->body, "darkscope_writer_backlog_files"), 2u);
  EXPECT_GE(MetricSample(during->body, "darkscope_snapshot_write_errors_total"),
            2u);
  EXPECT_EQ(health->status, 503) << health->body;

  // The cure; a retry within a second, then the backlog in order.
  for (int i = 0; i < 20 && RunCommand(Fill(fault.cure, out.path())) != 0;
       ++i) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  const absl::Status sent = traffic.Join();
  ASSERT_TRUE(sent.ok()) << sent;
  absl::SleepFor(absl::Milliseconds(2500));
  absl::StatusOr<HttpReply> after =
      HttpGetInNetns(lab.sensor_ns(), kPort, "/metrics");
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(MetricSample(after->body, "darkscope_writer_disk_fault"), 0u);
  EXPECT_EQ(MetricSample(after->body, "darkscope_writer_backlog_files"), 0u);
  EXPECT_EQ(MetricSample(after->body, "darkscope_snapshots_dropped_total"), 0u);
  EXPECT_EQ(agent.Stop(), 0);

  ExpectSnapshotsMatchTruth(out.path(), truth_dir);
  RunCommand("rm -rf " + truth_dir);
}

INSTANTIATE_TEST_SUITE_P(
    Faults, DiskFaultTest,
    ::testing::Values(
        // dd stops at ENOSPC (its failure is the point).
        DiskFault{"full", "dd if=/dev/zero of=%s/filler bs=64k 2>/dev/null",
                  "rm -f %s/filler"},
        DiskFault{"read_only", "mount -o remount,ro %s",
                  "mount -o remount,rw %s"}),
    [](const ::testing::TestParamInfo<DiskFault>& info) {
      return info.param.name;
    });

}  // namespace
}  // namespace darkscope::testing
