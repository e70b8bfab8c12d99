// End to end, as root, in network namespaces the test creates: restarts
// without loss and pins of another layout.
//
// Restart: the agent runs with 1 s intervals and its pins in a bpffs the
// test mounts, or in /sys/fs/bpf, which under `ip netns exec` is a bpffs
// private to the agent that vanishes with it (the agent warns, and the next
// one adopts the program from the interface), or the pins are removed while
// no agent runs (an agent killed between attaching and pinning); the demo
// scenario is sent
// continuously; mid-interval the agent is SIGKILLed (or stopped with
// SIGTERM and --keep-attached); the program must keep counting; a second
// agent adopts it; the traffic ends; the second agent stops. The sum over
// every snapshot equals the generator's ground truth exactly, and nothing
// is left attached or pinned.
//
// Layout: pins of another layout version, or of the same layout with other
// settings, are refused with a message naming them and `darkscope detach`;
// detach and --replace-pinned clear them.
//
// One agent per interface: while an agent runs, a second `darkscope run`
// (plain, --replace-pinned, --keep-attached, or one whose start would fail)
// and `darkscope detach` are refused (exit 2, naming the interface) without
// touching its program or pins; the first agent's snapshots still sum to the
// ground truth exactly.
#include <bpf/bpf.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agent_process.h"
#include "counts/counts.h"
#include "gen/generate.h"
#include "gtest/gtest.h"
#include "live_run.h"
#include "loader/pins.h"
#include "netns.h"
#include "privileged.h"
#include "scoped_mount.h"
#include "snapshot/snapshot.h"
#include "snapshot/snapshot_files.h"

namespace darkscope::testing {
namespace {

// `darkscope run` on the sensor's end with 1 s intervals, pins in `bpffs`.
std::vector<std::string> RunArgs(const VethLab& lab, const std::string& bpffs,
                                 const std::string& out_dir,
                                 const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"--http=", "--bpffs", bpffs};
  args.insert(args.end(), extra.begin(), extra.end());
  return SensorRunArgs(lab, out_dir, "restart", args);
}

std::string Shell(const std::vector<std::string>& args) {
  std::string line;
  for (const std::string& a : args)
    absl::StrAppend(&line, line.empty() ? "" : " ", "'", a, "'");
  return line;
}

// The namespaces and veth pair, and a bpffs of the test's own for the pins.
void CreateLabWithBpffs(VethLab& lab, ScopedMount& bpffs) {
  ASSERT_TRUE(lab.Create().ok());
  ASSERT_TRUE(bpffs.Mount("bpffs", "bpf", "mode=0700").ok());
}

bool XdpAttached(const VethLab& lab) {
  return absl::StrContains(
      Capture(absl::StrCat("ip -n ", lab.sensor_ns(), " link show ",
                           VethLab::kSensorIface)),
      "prog/xdp");
}

// Sleeps until the wall clock is `fraction` of the way into a second.
void SleepUntilFraction(double fraction) {
  const absl::Duration into =
      absl::Now() - absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()));
  absl::Duration wait = absl::Seconds(fraction) - into;
  if (wait < absl::ZeroDuration()) wait += absl::Seconds(1);
  absl::SleepFor(wait);
}

// Where the agents' bpffs is.
enum class Bpffs {
  kPersistent,  // the test's own, mounted outside the agents: pins outlive them
  kPrivate,     // /sys/fs/bpf under `ip netns exec`: mounted by each agent in
                // its own mount namespace, gone (pins and all) when it exits
  kPinsLost,    // persistent, but the pins are removed while no agent runs
                // (as if the agent died between attaching and pinning)
};

struct RestartCase {
  const char* name;
  int signal;                           // how the first agent ends
  std::vector<std::string> first_args;  // the first agent's extra flags
  int expected_wait_status_exit;        // -1: killed by the signal
  Bpffs bpffs;
  // Killed between a cut and its snapshot's write (the agent pauses there,
  // DARKSCOPE_TEST_PAUSE_AFTER_CUT), instead of mid-interval.
  bool kill_after_cut = false;
};

void PrintTo(const RestartCase& c, std::ostream* os) { *os << c.name; }

class RestartTest : public ::testing::TestWithParam<RestartCase> {};

TEST_P(RestartTest, NothingLostNothingDoubled) {
  DS_REQUIRE_PRIVILEGES();
  const RestartCase& c = GetParam();
  VethLab lab(absl::StrCat("rs", c.signal, static_cast<int>(c.bpffs),
                           c.kill_after_cut ? "c" : ""));
  ScopedMount bpffs;
  ASSERT_NO_FATAL_FAILURE(CreateLabWithBpffs(lab, bpffs));
  const std::string base = MakeTempDir("restart");
  ASSERT_FALSE(base.empty());
  const std::string out_dir = base + "/sensor", truth_dir = base + "/truth";
  ASSERT_EQ(RunCommand("mkdir -p " + out_dir + " " + truth_dir), 0);

  const std::string agent_bpffs =
      c.bpffs == Bpffs::kPrivate ? "/sys/fs/bpf" : bpffs.path();
  AgentProcess first;
  if (c.kill_after_cut) setenv("DARKSCOPE_TEST_PAUSE_AFTER_CUT", "60", 1);
  ASSERT_TRUE(
      first.Start(RunArgs(lab, agent_bpffs, out_dir, c.first_args)).ok());
  unsetenv("DARKSCOPE_TEST_PAUSE_AFTER_CUT");
  absl::Status attached = first.WaitAttached(absl::Seconds(20));
  ASSERT_TRUE(attached.ok()) << attached;

  // 20,000 frames at 4,000/s: 5 s of traffic across the restart.
  BackgroundTraffic traffic(lab, truth_dir, 4000);

  if (c.kill_after_cut) {
    // The agent pauses at each cut but the first: this one holds a whole
    // interval of traffic.
    const absl::Status paused =
        first.WaitFor("paused after the cut", absl::Seconds(20));
    ASSERT_TRUE(paused.ok()) << paused << "\n" << first.output();
  } else {
    absl::SleepFor(absl::Milliseconds(1200));
    SleepUntilFraction(0.5);  // mid-interval
  }
  const int status = first.Signal(c.signal);
  if (c.expected_wait_status_exit < 0) {
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == c.signal) << status;
  } else {
    EXPECT_TRUE(WIFEXITED(status) &&
                WEXITSTATUS(status) == c.expected_wait_status_exit)
        << status;
  }
  EXPECT_TRUE(XdpAttached(lab)) << "the program must outlive its agent";
  if (c.bpffs == Bpffs::kPinsLost) {
    ASSERT_TRUE(
        RemovePins(PinDirectory(bpffs.path(), VethLab::kSensorIface)).ok());
  }
  absl::SleepFor(absl::Milliseconds(800));  // no agent across a boundary

  AgentProcess second;
  ASSERT_TRUE(second.Start(RunArgs(lab, agent_bpffs, out_dir, {})).ok());
  attached = second.WaitAttached(absl::Seconds(20));
  ASSERT_TRUE(attached.ok()) << attached << "\n" << second.output();
  EXPECT_TRUE(absl::StrContains(second.output(), "adopted")) << second.output();

  if (c.bpffs != Bpffs::kPersistent) {
    EXPECT_TRUE(absl::StrContains(second.output(), "found attached to"))
        << second.output();
  }
  if (c.kill_after_cut) {
    const absl::Status wrote =
        second.WaitFor("cut but was killed before writing", absl::Seconds(10));
    EXPECT_TRUE(wrote.ok()) << wrote << "\n" << second.output();
  }
  const absl::Status sent = traffic.Join();
  ASSERT_TRUE(sent.ok()) << sent;
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(second.Stop(), 0);

  ExpectSnapshotsMatchTruth(out_dir, truth_dir);

  // The adopted interval is marked: incomplete, adopted_pinned_program.
  int adopted = 0, recovered = 0;
  absl::StatusOr<std::vector<std::string>> files = ListSnapshotFiles({out_dir});
  ASSERT_TRUE(files.ok());
  for (const std::string& file : *files) {
    absl::StatusOr<std::vector<uint8_t>> bytes = ReadWholeFile(file);
    ASSERT_TRUE(bytes.ok());
    absl::StatusOr<Snapshot> snapshot = DecodeSnapshot(*bytes);
    ASSERT_TRUE(snapshot.ok()) << file;
    recovered += snapshot->agent_counters.count("recovered_after_kill");
    if (snapshot->agent_counters.count("adopted_pinned_program") > 0) {
      ++adopted;
      EXPECT_FALSE(snapshot->complete) << file;
    }
  }
  EXPECT_EQ(adopted, 1);
  // A kill mid-interval may land in that window too on a loaded machine
  // (the snapshot's write still in flight): then it is recovered as well.
  if (c.kill_after_cut) {
    EXPECT_EQ(recovered, 1)
        << "the interval cut before the kill, written by the second agent";
  } else {
    EXPECT_LE(recovered, 1);
  }
  EXPECT_FALSE(XdpAttached(lab)) << "a plain SIGTERM detaches";
  if (c.bpffs == Bpffs::kPrivate) {
    RunCommand("rm -rf " + base);
    return;  // the pins went with the agent's mount namespace
  }
  absl::StatusOr<std::vector<PinEntry>> pins =
      ListPins(PinDirectory(bpffs.path(), VethLab::kSensorIface));
  ASSERT_TRUE(pins.ok());
  EXPECT_TRUE(pins->empty()) << "and removes the pins";
  RunCommand("rm -rf " + base);
}

INSTANTIATE_TEST_SUITE_P(
    Restarts, RestartTest,
    ::testing::Values(
        RestartCase{"sigkill", SIGKILL, {}, -1, Bpffs::kPersistent},
        RestartCase{"sigterm_keep_attached",
                    SIGTERM,
                    {"--keep-attached"},
                    0,
                    Bpffs::kPersistent},
        RestartCase{"sigkill_private_bpffs", SIGKILL, {}, -1, Bpffs::kPrivate},
        RestartCase{"sigterm_keep_attached_private_bpffs",
                    SIGTERM,
                    {"--keep-attached"},
                    0,
                    Bpffs::kPrivate},
        RestartCase{"sigkill_pins_lost", SIGKILL, {}, -1, Bpffs::kPinsLost},
        RestartCase{"sigkill_between_cut_and_write",
                    SIGKILL,
                    {},
                    -1,
                    Bpffs::kPersistent,
                    /*kill_after_cut=*/true},
        RestartCase{"sigkill_between_cut_and_write_private_bpffs",
                    SIGKILL,
                    {},
                    -1,
                    Bpffs::kPrivate,
                    /*kill_after_cut=*/true}),
    [](const ::testing::TestParamInfo<RestartCase>& info) {
      return info.param.name;
    });

// Pins the program cannot adopt, and the ways out. Steps run in order on
// one interface and one bpffs.
struct PinStep {
  const char* what;
  std::function<void(const std::string& pin_dir)> before;  // may be null
  std::vector<std::string>
      command;        // after "darkscope", in the sensor's namespace
  bool long_running;  // a run that attaches: started, then stopped
  int exit_status;
  std::vector<std::string> says;  // in stdout + stderr
  bool pins_left;
};

// A map pinned as the ds_control of an older layout.
void PinForeignLayout(const std::string& pin_dir) {
  ASSERT_EQ(RunCommand("mkdir -p " + pin_dir), 0);
  const int fd =
      bpf_map_create(BPF_MAP_TYPE_ARRAY, "ds_control", 4, 8, 1, nullptr);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(bpf_obj_pin(fd, (pin_dir + "/ds_control_v0_00000000").c_str()), 0);
  close(fd);
}

// The pins gone, the program still attached.
void UnpinAll(const std::string& pin_dir) {
  ASSERT_TRUE(RemovePins(pin_dir).ok());
}

TEST(PinnedLayout, MismatchIsRefusedWithInstructionsAndCanBeCleared) {
  DS_REQUIRE_PRIVILEGES();
  VethLab lab("layout");
  ScopedMount bpffs;
  ASSERT_NO_FATAL_FAILURE(CreateLabWithBpffs(lab, bpffs));
  const std::string out_dir = MakeTempDir("layout");
  ASSERT_FALSE(out_dir.empty());
  const std::string pin_dir = PinDirectory(bpffs.path(), VethLab::kSensorIface);
  const std::string iface = VethLab::kSensorIface;
  const std::vector<std::string> run = {
      "run", "--iface", iface,   "--prefix", "198.18.0.0/15", "--interval",
      "1s",  "--out",   out_dir, "--http=",  "--bpffs",       bpffs.path()};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = run;
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };
  const std::vector<std::string> detach = {"detach", "--iface", iface,
                                           "--bpffs", bpffs.path()};

  const std::vector<PinStep> steps = {
      {"another layout is refused",
       PinForeignLayout,
       run,
       false,
       2,
       {"pinned layout version 0_00000000",
        absl::StrCat("differs from this build's ", LayoutVersion()),
        absl::StrCat("darkscope detach --iface ", iface), "--replace-pinned"},
       true},
      {"detach removes it",
       nullptr,
       detach,
       false,
       0,
       {"removed 1 pins", "and the directory"},
       false},
      {"detach with nothing pinned",
       nullptr,
       detach,
       false,
       0,
       {"nothing pinned"},
       false},
      {"--replace-pinned replaces it",
       PinForeignLayout,
       with({"--replace-pinned"}),
       true,
       0,
       {"--replace-pinned: no pinned program; removed 1 pins",
        "attached xdp_count_darknet to"},
       false},
      {"this layout, kept attached",
       nullptr,
       with({"--keep-attached"}),
       true,
       0,
       {"pinned xdp_count_darknet", "attached xdp_count_darknet to"},
       true},
      {"other settings are refused",
       nullptr,
       with({"--darknet-action", "pass"}),
       false,
       2,
       {"runs with other settings", "darknet action",
        absl::StrCat("darkscope detach --iface ", iface)},
       true},
      {"detach detaches the kept program",
       nullptr,
       detach,
       false,
       0,
       // 15 maps (kPlaneMapNames), the config and the program.
       {"detached xdp_count_darknet_v", "removed 17 pins", "and the directory"},
       false},
      // The interface as the source of truth: a program whose pins are gone.
      {"kept attached again",
       nullptr,
       with({"--keep-attached"}),
       true,
       0,
       {"pinned xdp_count_darknet", "attached xdp_count_darknet to"},
       true},
      {"unpinned, other settings are refused",
       UnpinAll,
       with({"--darknet-action", "pass"}),
       false,
       2,
       {"attached to dsveth0 in", "runs with other settings", "darknet action",
        absl::StrCat("darkscope detach --iface ", iface)},
       false},
      {"unpinned, --replace-pinned replaces it",
       nullptr,
       with(
           {"--darknet-action", "pass", "--replace-pinned", "--keep-attached"}),
       true,
       0,
       {"--replace-pinned: detached xdp_count_darknet (id",
        "pinned xdp_count_darknet"},
       true},
      {"unpinned, detach detaches it",
       UnpinAll,
       detach,
       false,
       0,
       {"detached xdp_count_darknet (id", "found on dsveth0", "not pinned"},
       false},
      {"detach with nothing pinned nor attached",
       nullptr,
       detach,
       false,
       0,
       {"nothing pinned", "no darkscope program attached"},
       false},
  };
  for (const PinStep& step : steps) {
    SCOPED_TRACE(step.what);
    if (step.before) step.before(pin_dir);
    std::vector<std::string> args = {"ip", "netns", "exec", lab.sensor_ns(),
                                     DARKSCOPE_BINARY};
    args.insert(args.end(), step.command.begin(), step.command.end());
    std::string said;
    int exit_status = -1;
    if (step.long_running) {
      AgentProcess agent;
      ASSERT_TRUE(agent.Start(args).ok());
      EXPECT_TRUE(agent.WaitAttached(absl::Seconds(20)).ok()) << agent.output();
      said = agent.output();
      exit_status = agent.Stop();
    } else {
      said = Capture(Shell(args) + " 2>&1; echo \"exit=$?\"");
      const size_t at = said.rfind("exit=");
      if (at != std::string::npos)
        exit_status = std::atoi(said.c_str() + at + 5);
    }
    EXPECT_EQ(exit_status, step.exit_status) << said;
    for (const std::string& text : step.says) {
      EXPECT_TRUE(absl::StrContains(said, text))
          << "'" << text << "' not in: " << said;
    }
    absl::StatusOr<std::vector<PinEntry>> pins = ListPins(pin_dir);
    ASSERT_TRUE(pins.ok());
    EXPECT_EQ(!pins->empty(), step.pins_left);
  }
  EXPECT_FALSE(XdpAttached(lab));
  EXPECT_FALSE(std::filesystem::exists(pin_dir))
      << "detach leaves nothing behind";
  RunCommand(std::string("rm -rf ") + out_dir);
}

// A command run against a live agent's interface, and what it must say.
struct IntruderCase {
  const char* what;
  std::vector<std::string>
      command;  // after "darkscope", in the sensor's namespace
  std::vector<std::string> says;  // in stdout + stderr
};

TEST(OneAgentPerInterface,
     SecondRunAndDetachAreRefusedAndTheFirstCountsExactly) {
  DS_REQUIRE_PRIVILEGES();
  VethLab lab("lock");
  ScopedMount bpffs;
  ASSERT_NO_FATAL_FAILURE(CreateLabWithBpffs(lab, bpffs));
  const std::string base = MakeTempDir("lock");
  ASSERT_FALSE(base.empty());
  const std::string out_dir = base + "/sensor", truth_dir = base + "/truth",
                    other_out = base + "/other";
  ASSERT_EQ(
      RunCommand("mkdir -p " + out_dir + " " + truth_dir + " " + other_out), 0);
  const std::string iface = VethLab::kSensorIface;
  const std::string in_use =
      absl::StrCat("interface ", iface, " is in use by another darkscope");

  AgentProcess first;
  ASSERT_TRUE(first.Start(RunArgs(lab, bpffs.path(), out_dir, {})).ok());
  absl::Status attached = first.WaitAttached(absl::Seconds(20));
  ASSERT_TRUE(attached.ok()) << attached;
  BackgroundTraffic traffic(lab, truth_dir, 4000);

  auto run = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {
        "run", "--iface", iface,     "--prefix", "198.18.0.0/15", "--interval",
        "1s",  "--out",   other_out, "--http=",  "--bpffs",       bpffs.path()};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };
  const std::vector<IntruderCase> cases = {
      {"a second run", run({}), {in_use}},
      {"a second run with --replace-pinned",
       run({"--replace-pinned"}),
       {in_use}},
      {"a second run with --keep-attached", run({"--keep-attached"}), {in_use}},
      {"a second run with other settings",
       run({"--darknet-action", "pass"}),
       {in_use}},
      {"detach",
       {"detach", "--iface", iface, "--bpffs", bpffs.path()},
       {in_use}},
  };
  for (const IntruderCase& c : cases) {
    SCOPED_TRACE(c.what);
    std::vector<std::string> args = {"ip", "netns", "exec", lab.sensor_ns(),
                                     DARKSCOPE_BINARY};
    args.insert(args.end(), c.command.begin(), c.command.end());
    const std::string said = Capture(Shell(args) + " 2>&1; echo \"exit=$?\"");
    EXPECT_TRUE(absl::StrContains(said, "exit=2")) << said;
    for (const std::string& text : c.says) {
      EXPECT_TRUE(absl::StrContains(said, text))
          << "'" << text << "' not in: " << said;
    }
    EXPECT_TRUE(XdpAttached(lab)) << "the first agent's program stays attached";
    absl::StatusOr<std::vector<PinEntry>> pins =
        ListPins(PinDirectory(bpffs.path(), iface));
    ASSERT_TRUE(pins.ok());
    EXPECT_FALSE(pins->empty()) << "and pinned";
  }

  const absl::Status sent = traffic.Join();
  ASSERT_TRUE(sent.ok()) << sent;
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(first.Stop(), 0) << first.output();
  ExpectSnapshotsMatchTruth(out_dir, truth_dir);
  absl::StatusOr<std::vector<std::string>> other =
      ListSnapshotFiles({other_out});
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(other->empty()) << "no refused run wrote anything";
  EXPECT_FALSE(XdpAttached(lab));
  RunCommand("rm -rf " + base);
}

}  // namespace
}  // namespace darkscope::testing
