// Roll-ups change how many files a report reads, never what it says: the
// report of a day (hourly roll-ups) and of a long period (daily roll-ups)
// equal the reports read from the interval snapshots. Roll-ups are written
// once, rewritten when a file they merge changes, and not written for an
// hour still filling. Per-address monthly averages come out exact from
// snapshots with known counts.
#include "rollup/rollup.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/prefix.h"
#include "gen/generate.h"
#include "gtest/gtest.h"
#include "report/report.h"
#include "rfc3339.h"
#include "snapshot/snapshot.h"
#include "snapshot/snapshot_files.h"

namespace darkscope::testing {
namespace {

namespace fs = std::filesystem;

class RollupTest : public ::testing::Test {
 protected:
  // The telescope day's ground truth twice: `raw_` is never rolled up.
  static void SetUpTestSuite() {
    char dir[] = "/tmp/darkscope-rollup-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    root_ = dir;
    rolled_ = root_ + "/rolled";
    raw_ = root_ + "/raw";
    fs::create_directory(rolled_);
    GenerateOptions gen;
    gen.scenario = "telescope";
    gen.packets = 30000;
    gen.truth_dir = rolled_;
    const absl::Status generated = RunGenerate(gen);
    ASSERT_TRUE(generated.ok()) << generated;
    fs::copy(rolled_, raw_);
    RollupOptions options;
    options.dirs = {rolled_};
    absl::StatusOr<RollupResult> result = RunRollup(options);
    ASSERT_TRUE(result.ok()) << result.status();
    first_ = *result;
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }

  static nlohmann::json Report(const std::string& dir, absl::Time from,
                               absl::Time to, const char* zone = "UTC") {
    ReportOptions options;
    options.local_time_zone = zone;
    options.dirs = {dir};
    options.from = from;
    options.to = to;
    absl::StatusOr<nlohmann::json> report = BuildReport(options);
    EXPECT_TRUE(report.ok()) << report.status();
    return report.ok() ? *report : nlohmann::json();
  }

  static std::string root_, rolled_, raw_;
  static RollupResult first_;
};
std::string RollupTest::root_, RollupTest::rolled_, RollupTest::raw_;
RollupResult RollupTest::first_;

TEST_F(RollupTest, WritesEachHourAndTheDayOnce) {
  EXPECT_EQ(first_.hourly_written, 24);
  EXPECT_EQ(first_.daily_written, 1);
  RollupOptions options;
  options.dirs = {rolled_};
  absl::StatusOr<RollupResult> again = RunRollup(options);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->hourly_written, 0);
  EXPECT_EQ(again->daily_written, 0);
  EXPECT_EQ(again->up_to_date, 25);
}

TEST_F(RollupTest, ReportsEqualTheIntervalSnapshotsReports) {
  struct Case {
    const char* name;
    const char* from;
    const char* to;
    int rolled_files;  // what the roll-ups save
    const char* zone = "UTC";
  };
  const Case cases[] = {
      {"a day from hourly roll-ups", "2026-11-23T00:00:00Z",
       "2026-11-24T00:00:00Z", 24},
      {"half a day, hours and intervals", "2026-11-23T09:30:00Z",
       "2026-11-23T21:00:00Z", 14},
      {"15 days from the daily roll-up", "2026-11-10T00:00:00Z",
       "2026-11-25T00:00:00Z", 1},
      // Tokyo's days are not UTC days: the hours are summed instead.
      {"15 days in Asia/Tokyo from the hourly roll-ups",
       "2026-11-10T00:00:00+09:00", "2026-11-25T00:00:00+09:00", 24,
       "Asia/Tokyo"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    nlohmann::json rolled = Report(rolled_, At(c.from), At(c.to), c.zone);
    nlohmann::json raw = Report(raw_, At(c.from), At(c.to), c.zone);
    EXPECT_EQ(rolled["period"]["files"], c.rolled_files);
    EXPECT_EQ(rolled["period"]["snapshots"], raw["period"]["snapshots"]);
    rolled["period"].erase("files");
    raw["period"].erase("files");
    // Daily roll-ups keep no hour of the day for countries (the report
    // warns); everything else is the same.
    if (c.rolled_files == 1) {
      for (auto& [name, s] : raw["series"]["countries"].items()) {
        s.erase("hour_of_day_utc");
        s.erase("hour_of_day_local");
      }
      ASSERT_FALSE(rolled["warnings"].empty());
      rolled["warnings"].erase(rolled["warnings"].begin());
    }
    for (const auto& [key, value] : raw.items()) {
      EXPECT_EQ(rolled[key], value) << key;
    }
  }
}

// The telescope day (2026-11-23 UTC) is 09:00 on the 23rd to 09:00 on the
// 24th in Tokyo: in a JST report by days, those two days are partly
// observed and keep their packets; the days without any snapshot are null.
TEST_F(RollupTest, PartlyObservedDaysKeepTheirPackets) {
  const nlohmann::json r =
      Report(rolled_, At("2026-11-10T00:00:00+09:00"),
             At("2026-11-25T00:00:00+09:00"), "Asia/Tokyo");
  ASSERT_EQ(r["series"]["step"], "day");
  EXPECT_EQ(r["series"]["partial_steps"],
            nlohmann::json::array(
                {"2026-11-23T00:00:00+09:00", "2026-11-24T00:00:00+09:00"}));
  EXPECT_EQ(r["series"]["missing_steps"].size(), 13u);
  ASSERT_FALSE(r["top_ports"].empty());
  const std::string port = r["top_ports"][0]["port"];
  const nlohmann::json& steps = r["series"]["ports"][port]["steps"];
  ASSERT_EQ(steps.size(), 15u);
  uint64_t total = 0;
  for (const auto& step : steps) {
    const std::string day = step[0];
    const bool observed = absl::StartsWith(day, "2026-11-23") ||
                          absl::StartsWith(day, "2026-11-24");
    EXPECT_EQ(step[1].is_null(), !observed) << day;
    if (observed) total += step[1].get<uint64_t>();
  }
  EXPECT_EQ(total, r["top_ports"][0]["packets"]);
}

TEST_F(RollupTest, ChangedIntervalFileRewritesItsHourAndDay) {
  const std::string dir = root_ + "/stale";
  // A copy that keeps modification times (std::filesystem's does not).
  ASSERT_EQ(std::system(("cp -a " + rolled_ + " " + dir).c_str()), 0);
  // An interval file written again after its roll-ups (a backfill).
  const std::string changed = dir + "/20261123T101000Z.dsnap";
  struct timeval later[2] = {{2000000000, 0}, {2000000000, 0}};
  ASSERT_EQ(utimes(changed.c_str(), later), 0);
  RollupOptions options;
  options.dirs = {dir};
  absl::StatusOr<RollupResult> result = RunRollup(options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->hourly_written, 1);
  EXPECT_EQ(result->daily_written, 1);
  EXPECT_EQ(result->up_to_date, 23);
}

// The flows' fingerprints add up in a roll-up; an hour that merged a file
// written before the flows carried them keeps them unknown (the columns
// left out), not zeros that would read as "no Mirai".
TEST_F(RollupTest, FlowFingerprintsAddUpOrStayUnknown) {
  const std::string dir = root_ + "/fingerprints";
  fs::create_directory(dir);
  std::map<std::string, uint64_t> mirai;  // interval files' flow Mirai, by hour
  for (const auto& entry : fs::directory_iterator(raw_)) {
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() != ".dsnap") continue;
    if (!absl::StartsWith(name, "20261123T10") &&
        !absl::StartsWith(name, "20261123T11"))
      continue;
    absl::StatusOr<std::vector<uint8_t>> bytes =
        ReadWholeFile(entry.path().string());
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    absl::StatusOr<Snapshot> s = DecodeSnapshot(*bytes);
    ASSERT_TRUE(s.ok()) << s.status();
    const std::string hour = name.substr(0, 11);
    for (const auto& [key, flow] : s->counts.flows) mirai[hour] += flow.mirai;
    // One file of 11:00 as written before the flows' fingerprint columns.
    if (name == "20261123T111000Z.dsnap") s->flow_fingerprints = false;
    const std::vector<uint8_t> out = EncodeSnapshot(*s);
    std::ofstream(dir + "/" + name, std::ios::binary)
        .write(reinterpret_cast<const char*>(out.data()), out.size());
  }
  ASSERT_GT(mirai["20261123T10"], 0u) << "the telescope day plants Mirai";
  RollupOptions options;
  options.dirs = {dir};
  absl::StatusOr<RollupResult> result = RunRollup(options);
  ASSERT_TRUE(result.ok()) << result.status();
  struct Case {
    const char* hour;
    bool fingerprints;
  } cases[] = {{"20261123T10", true}, {"20261123T11", false}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.hour);
    absl::StatusOr<std::vector<uint8_t>> bytes =
        ReadWholeFile(absl::StrCat(dir, "/hourly/", c.hour, "0000Z.dsnap"));
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    absl::StatusOr<Snapshot> hourly = DecodeSnapshot(*bytes);
    ASSERT_TRUE(hourly.ok()) << hourly.status();
    EXPECT_EQ(hourly->flow_fingerprints, c.fingerprints);
    uint64_t sum = 0;
    for (const auto& [key, flow] : hourly->counts.flows) sum += flow.mirai;
    EXPECT_EQ(sum, c.fingerprints ? mirai[c.hour] : 0u);
  }
}

TEST_F(RollupTest, HourStillFillingIsNotRolledUp) {
  const std::string dir = root_ + "/filling";
  fs::create_directory(dir);
  // Intervals up to 10:20; the agent is still writing at 10:35.
  for (const auto& entry : fs::directory_iterator(raw_)) {
    const std::string name = entry.path().filename();
    if (name <= "20261123T102000Z.dsnap")
      fs::copy(entry.path(), dir + "/" + name);
  }
  RollupOptions options;
  options.dirs = {dir};
  options.now = At("2026-11-23T10:35:00Z");
  absl::StatusOr<RollupResult> result = RunRollup(options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->hourly_written, 10);  // 00:00 .. 09:00
  EXPECT_EQ(result->daily_written, 0);
  // An hour later with no new interval: the agent stopped; roll up.
  options.now = At("2026-11-23T11:15:00Z");
  result = RunRollup(options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->hourly_written, 1);
}

// Snapshots of known counts: hourly intervals whose IPv4 packets are set
// so that the per-address daily averages are round numbers.
void WriteHours(const std::string& dir, const std::string& sensor,
                const std::vector<std::string>& prefixes, absl::Time first,
                int hours, uint64_t ipv4_per_hour) {
  fs::create_directories(dir);
  for (int h = 0; h < hours; ++h) {
    Snapshot s;
    s.sensor = sensor;
    s.interval_start = first + absl::Hours(h);
    s.interval_seconds = 3600;
    s.complete = true;
    for (const std::string& p : prefixes)
      s.darknet.push_back(*ParseDarknetPrefix(p));
    s.counts.counters[DS_CTR_IPV4] = ipv4_per_hour;
    s.counts.counters[DS_CTR_DARKNET_PACKETS] = ipv4_per_hour;
    const std::vector<uint8_t> bytes = EncodeSnapshot(s);
    std::ofstream(dir + "/" + SnapshotFileName(s.interval_start),
                  std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }
}

TEST_F(RollupTest, PacketsPerAddressPerDayByMonthAndYearBefore) {
  const std::string tokyo = root_ + "/tokyo", osaka = root_ + "/osaka";
  // tokyo, a /24: 2 days in Nov 2025 at 512 packets an hour (48 per
  // address per day), 1 day in Nov 2026 at 768 (72: +50 %).
  WriteHours(tokyo, "tokyo", {"198.18.7.0/24"}, At("2025-11-03T00:00:00Z"), 48,
             512);
  WriteHours(tokyo, "tokyo", {"198.18.7.0/24"}, At("2026-11-05T00:00:00Z"), 24,
             768);
  // osaka, a /23, only in 2026: 12 hours at 1024 packets (48 a day).
  WriteHours(osaka, "osaka", {"198.18.8.0/23"}, At("2026-11-06T00:00:00Z"), 12,
             1024);
  ReportOptions options;
  options.dirs = {tokyo, osaka};
  options.from = At("2026-11-01T00:00:00Z");
  options.to = At("2026-12-01T00:00:00Z");
  absl::StatusOr<nlohmann::json> report = BuildReport(options);
  ASSERT_TRUE(report.ok()) << report.status();
  const nlohmann::json& monthly = (*report)["monthly"];
  ASSERT_EQ(monthly.size(), 2u);
  struct Expected {
    const char* sensor;
    uint64_t addresses;
    double days, per_day;
    nlohmann::json year_before, change;
  };
  const Expected expected[] = {{"osaka", 512, 0.5, 48.0, nullptr, nullptr},
                               {"tokyo", 256, 1.0, 72.0, 48.0, 50.0}};
  for (size_t i = 0; i < std::size(expected); ++i) {
    SCOPED_TRACE(expected[i].sensor);
    EXPECT_EQ(monthly[i]["sensor"], expected[i].sensor);
    EXPECT_EQ(monthly[i]["month"], "2026-11");
    EXPECT_EQ(monthly[i]["addresses"], expected[i].addresses);
    EXPECT_DOUBLE_EQ(monthly[i]["days"].get<double>(), expected[i].days);
    EXPECT_DOUBLE_EQ(monthly[i]["per_address_per_day"].get<double>(),
                     expected[i].per_day);
    if (expected[i].year_before.is_null()) {
      EXPECT_TRUE(monthly[i]["year_before"].is_null());
    } else {
      EXPECT_DOUBLE_EQ(monthly[i]["year_before"].get<double>(), 48.0);
      EXPECT_NEAR(monthly[i]["year_over_year_change"].get<double>(), 50.0,
                  1e-9);
    }
  }
  // Two sensors, two columns of top ports.
  EXPECT_EQ((*report)["sensors"].size(), 2u);
}

// Snapshots list the darknet's prefixes as the agent was given them; an
// address inside two of them (a /15 given twice, /24s inside it, written
// before the agent refused overlaps) is monitored once and counted once.
TEST_F(RollupTest, MonitoredAddressesAreCountedOnce) {
  struct Case {
    const char* sensor;
    std::vector<std::string> prefixes;
    uint64_t addresses;
  };
  const Case cases[] = {
      {"once", {"198.18.0.0/15"}, 131072},
      {"twice", {"198.18.0.0/15", "198.18.0.0/15"}, 131072},
      {"inside", {"198.18.5.0/24", "198.18.0.0/15", "198.19.255.0/24"}, 131072},
      {"apart", {"198.18.0.0/24", "198.18.2.0/23", "2001:db8::/32"}, 768},
      {"nested",
       {"198.18.0.0/16", "198.18.0.0/17", "198.18.0.0/24", "198.19.0.0/16"},
       131072},
  };
  ReportOptions options;
  for (const Case& c : cases) {
    const std::string dir = root_ + "/" + c.sensor;
    WriteHours(dir, c.sensor, c.prefixes, At("2026-11-05T00:00:00Z"), 1, 1000);
    options.dirs.push_back(dir);
  }
  options.from = At("2026-11-01T00:00:00Z");
  options.to = At("2026-12-01T00:00:00Z");
  absl::StatusOr<nlohmann::json> report = BuildReport(options);
  ASSERT_TRUE(report.ok()) << report.status();
  std::map<std::string, uint64_t> addresses;
  for (const nlohmann::json& row : (*report)["monthly"]) {
    addresses[row["sensor"].get<std::string>()] =
        row["addresses"].get<uint64_t>();
  }
  for (const Case& c : cases)
    EXPECT_EQ(addresses[c.sensor], c.addresses) << c.sensor;
}

// Watches a FIFO for a reader that blocked on it: a reader waiting in
// open() lets a writer's non-blocking open succeed, which also releases it
// (it then reads an empty file). A reader that only fstats the FIFO holds
// it for microseconds, between polls 50 ms apart. Bounded: 600 polls.
class FifoWatch {
 public:
  explicit FifoWatch(std::string path) : path_(std::move(path)) {
    thread_ = std::thread([this] {
      for (int poll = 0; poll < 600 && !stop_; ++poll) {
        const int fd = ::open(path_.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd >= 0) {
          released_ = true;
          ::close(fd);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    });
  }
  // True when a reader had to be released.
  bool Stop() {
    stop_ = true;
    thread_.join();
    return released_;
  }

 private:
  std::string path_;
  std::atomic<bool> stop_ = false, released_ = false;
  std::thread thread_;
};

// A zero-length file, a corrupt one, a FIFO and a directory named like
// snapshots: report and rollup name each, skip it, and go on with the
// others; nobody opens the FIFO for reading (which would hang).
TEST_F(RollupTest, SkipsAndNamesFilesItCannotRead) {
  const std::string dir = root_ + "/bad";
  fs::create_directories(dir);
  auto write = [&](const Snapshot& s) {
    const std::vector<uint8_t> bytes = EncodeSnapshot(s);
    std::ofstream(dir + "/" + SnapshotFileName(s.interval_start),
                  std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  };
  Snapshot s;
  s.sensor = "bad";
  s.interval_seconds = 60;
  s.complete = true;
  s.counts.counters[DS_CTR_DARKNET_PACKETS] = 10;
  for (int minute : {0, 1, 2, 65}) {  // 11:05: the 10:00 hour is whole
    s.interval_start = At("2026-11-23T10:00:00Z") + absl::Minutes(minute);
    write(s);
  }
  const std::string zero = dir + "/20261123T100300Z.dsnap";
  const std::string corrupt = dir + "/20261123T100400Z.dsnap";
  const std::string fifo = dir + "/20261123T100500Z.dsnap";
  const std::string directory = dir + "/20261123T100600Z.dsnap";
  std::ofstream(zero).close();
  s.interval_start = At("2026-11-23T10:04:00Z");
  std::vector<uint8_t> bytes = EncodeSnapshot(s);
  bytes[bytes.size() / 2] ^= 0x40;
  std::ofstream(corrupt, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  ASSERT_EQ(::mkdir(directory.c_str(), 0700), 0);
  struct Bad {
    std::string path, why;
  };
  const Bad bad[] = {{zero, "header and trailer"},
                     {corrupt, "checksum"},
                     {fifo, "a FIFO, not a regular file"},
                     {directory, "a directory, not a regular file"}};

  FifoWatch watch(fifo);
  ReportOptions report_options;
  report_options.dirs = {dir};
  report_options.from = At("2026-11-23T10:00:00Z");
  report_options.to = At("2026-11-23T10:10:00Z");
  absl::StatusOr<nlohmann::json> report = BuildReport(report_options);
  RollupOptions options;
  options.dirs = {dir};
  options.now = At("2026-11-23T12:00:00Z");
  absl::StatusOr<RollupResult> result = RunRollup(options);
  EXPECT_FALSE(watch.Stop()) << "a reader blocked opening the FIFO";

  ASSERT_TRUE(report.ok()) << report.status();
  const std::string warnings = (*report)["warnings"].dump();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->hourly_written, 1);
  EXPECT_EQ(result->skipped.size(), std::size(bad));
  for (const Bad& b : bad) {
    SCOPED_TRACE(b.path);
    EXPECT_NE(warnings.find(b.path), std::string::npos) << warnings;
    bool named = false;
    for (const std::string& skipped : result->skipped) {
      named |= absl::StrContains(skipped, b.path) &&
               absl::StrContains(skipped, b.why);
    }
    EXPECT_TRUE(named) << "rollup skipped: "
                       << absl::StrJoin(result->skipped, "; ");
  }
  // The hour holds the three good files and says it is not whole.
  absl::StatusOr<std::vector<uint8_t>> hour =
      ReadWholeFile(dir + "/hourly/20261123T100000Z.dsnap");
  ASSERT_TRUE(hour.ok()) << hour.status();
  absl::StatusOr<Snapshot> merged = DecodeSnapshot(*hour);
  ASSERT_TRUE(merged.ok()) << merged.status();
  EXPECT_EQ(merged->counts.counters[DS_CTR_DARKNET_PACKETS], 30u);
  EXPECT_EQ(merged->agent_counters["rollup_snapshots"], 3u);
  EXPECT_FALSE(merged->complete);
}

}  // namespace
}  // namespace darkscope::testing
