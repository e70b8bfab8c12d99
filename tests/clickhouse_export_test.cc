// The export into one ClickHouse server (started by the test on
// 127.0.0.1): snapshots of three sensors exported twice hold every row
// once; the report read from ClickHouse is the report read from the files
// (the same JSON, but for where it came from), for all sensors or some,
// with the previous period, and under every report filter; the roll-ups hold
// exactly their base tables, also when two intervals of one hour have the same
// counts and when the exporter or the server is SIGKILLed mid-batch; a schema
// of another version, a database of other tables, a corrupt file and an
// unreachable server are refused or reported by name.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "clickhouse_rollups.h"
#include "clickhouse_server.h"
#include "export/clickhouse_period.h"
#include "export/exporter.h"
#include "export/ledger.h"
#include "gtest/gtest.h"
#include "report/filter.h"
#include "report/report.h"
#include "rfc3339.h"
#include "sensor_snapshots.h"

namespace darkscope::testing {
namespace {

namespace fs = std::filesystem;

class ClickHouseExportTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (MissingClickHouse() != nullptr) return;
    char dir[] = "/tmp/darkscope-export-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    root_ = dir;
    auto server = ClickHouseServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = server->release();
    uint64_t seed = 11;
    for (const char* sensor : {"tokyo", "osaka", "paris"}) {
      auto files = GenerateSensor(root_, sensor, seed++, 15000);
      ASSERT_TRUE(files.ok()) << files.status();
      const std::string dir = absl::StrCat(root_, "/", sensor);
      fs::create_directories(dir);
      for (const SensorFile& f : *files) Publish(dir, f);
      AddTableSums(*files, expected_);
      dirs_.push_back(dir);
    }
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
    if (!root_.empty()) fs::remove_all(root_);
  }
  void SetUp() override { DS_REQUIRE_CLICKHOUSE(); }

  // `darkscope export`'s flags into `database` over every sensor's files,
  // `batch_files` per insert.
  static std::vector<std::string> ExporterArgs(const std::string& database,
                                               const char* batch_files) {
    std::vector<std::string> args = {
        "--clickhouse",  server_->url(),
        "--database",    database,
        "--ledger",      absl::StrCat(root_, "/", database, ".ledger"),
        "--batch-files", batch_files};
    for (const std::string& dir : dirs_) {
      args.push_back("--in");
      args.push_back(dir);
    }
    return args;
  }

  // What an exporter wrote to its log file.
  static std::string ReadLog(const std::string& path) {
    std::ifstream in(path);
    return std::string((std::istreambuf_iterator<char>(in)),
                       std::istreambuf_iterator<char>());
  }

  // Every roll-up of `database` holds what its base table holds, key by key.
  static void ExpectRollupsMatchBase(const std::string& database) {
    absl::StatusOr<std::vector<std::string>> rollups =
        RollupDifferences(server_->url(), database);
    ASSERT_TRUE(rollups.ok()) << database << ": " << rollups.status();
    EXPECT_TRUE(rollups->empty())
        << database << ": " << absl::StrJoin(*rollups, "\n");
  }

  static ExportOptions Options(const std::string& database) {
    ExportOptions options;
    options.url = server_->url();
    options.dirs = dirs_;
    options.target.database = database;
    options.ledger_path = absl::StrCat(root_, "/", database, ".ledger");
    options.backoff = absl::Milliseconds(50);
    return options;
  }

  static std::string root_;
  static std::vector<std::string> dirs_;
  static ClickHouseServer* server_;
  static TableSums expected_;
};
std::string ClickHouseExportTest::root_;
std::vector<std::string> ClickHouseExportTest::dirs_;
ClickHouseServer* ClickHouseExportTest::server_ = nullptr;
TableSums ClickHouseExportTest::expected_;

TEST_F(ClickHouseExportTest, ExportTwiceHoldsEveryRowOnceAndReportsAsTheFiles) {
  ExportOptions options = Options("twice");
  std::ostringstream log;
  // A first run, a re-run with the same ledger, and one with a new ledger
  // (the server's own check keeps it from sending again).
  struct Run {
    const char* name;
    bool new_ledger;
    int exported, already;
  } runs[] = {{"first", false, 432, 0},
              {"again", false, 0, 432},
              {"lost ledger", true, 432, 0}};
  for (const Run& run : runs) {
    if (run.new_ledger) options.ledger_path += ".new";
    absl::StatusOr<ExportResult> result = RunExport(options, log);
    ASSERT_TRUE(result.ok())
        << run.name << ": " << result.status() << log.str();
    EXPECT_EQ(result->files_exported, run.exported) << run.name;
    EXPECT_EQ(result->files_already, run.already) << run.name;
    absl::StatusOr<TableSums> held = ServerTableSums(server_->url(), "twice");
    ASSERT_TRUE(held.ok()) << held.status();
    EXPECT_TRUE(*held == expected_) << run.name << ": " << held->size()
                                    << " sums, expected " << expected_.size();
  }
  // Every roll-up holds what its base table holds, key by key.
  ExpectRollupsMatchBase("twice");

  // The report of the second half of the day (the first half is its
  // previous period), from files and from ClickHouse.
  struct Case {
    const char* name;
    std::vector<std::string> sensors;  // empty: all
    const char* from;
    const char* to;
    const char* time_zone;
    bool has_previous = false;  // the period before holds snapshots
  } cases[] = {
      {"every sensor, half a day",
       {},
       "2026-11-23T12:00:00Z",
       "2026-11-24T00:00:00Z",
       "UTC",
       true},
      {"two sensors, six hours",
       {"paris", "tokyo"},
       "2026-11-23T06:00:00Z",
       "2026-11-23T12:00:00Z",
       "UTC",
       true},
      // Starting and ending inside hours: the hourly roll-ups for whole
      // hours, the base tables for the minutes at either end.
      {"every sensor, 03:10 to 21:45 by Tokyo hours",
       {},
       "2026-11-23T03:10:00Z",
       "2026-11-23T21:45:00Z",
       "Asia/Tokyo"},
      // Daily steps on UTC days: whole days from the daily roll-ups (the
      // first), the day's hours and minutes from the hourly ones and the
      // base tables (the second).
      {"every sensor, fifteen UTC days from 13:30",
       {},
       "2026-11-09T13:30:00Z",
       "2026-11-24T00:00:00Z",
       "UTC"},
      {"one sensor, fifteen UTC days to 17:40",
       {"osaka"},
       "2026-11-08T02:25:00Z",
       "2026-11-23T17:40:00Z",
       "UTC"},
      // Daily steps (over two weeks), days in the zone: the day's data
      // spans two of New York's days.
      {"every sensor, fifteen days by New York days",
       {},
       "2026-11-10T05:00:00Z",
       "2026-11-25T05:00:00Z",
       "America/New_York"},
  };
  for (const Case& c : cases) {
    ReportOptions report;
    report.from = At(c.from);
    report.to = At(c.to);
    report.local_time_zone = c.time_zone;
    for (const std::string& dir : dirs_) {
      if (c.sensors.empty() || std::count(c.sensors.begin(), c.sensors.end(),
                                          fs::path(dir).filename().string())) {
        report.dirs.push_back(dir);
      }
    }
    absl::StatusOr<nlohmann::json> from_files = BuildReport(report);
    ASSERT_TRUE(from_files.ok()) << from_files.status();
    SchemaTarget target;
    target.database = "twice";
    ClickHousePeriodSource source(server_->url(), target, c.sensors);
    ASSERT_TRUE(source.Check().ok()) << source.Check();
    absl::StatusOr<nlohmann::json> from_clickhouse =
        BuildReport(report, source);
    ASSERT_TRUE(from_clickhouse.ok()) << from_clickhouse.status();
    EXPECT_GT((*from_files)["totals"]["packets"].get<uint64_t>(), 0u) << c.name;
    if (c.has_previous) {
      EXPECT_GT((*from_files)["previous_period"]["snapshots"].get<int>(), 0)
          << c.name;
    }
    EXPECT_EQ((*from_files)["sensors"].size(),
              c.sensors.empty() ? 3u : c.sensors.size());
    EXPECT_EQ(*from_files, *from_clickhouse)
        << c.name << "\nfiles:\n"
        << from_files->dump().substr(0, 3000) << "\nclickhouse:\n"
        << from_clickhouse->dump().substr(0, 3000);
  }
}

// Every report filter gives, from ClickHouse, the report of the files under
// the same filter: each case keeps some of the period's packets and drops
// some (the equality is not that of two empty reports), and the sections a
// filter cannot reach are marked alike. Over half a day by hours, and over
// fifteen days by New York's days (daily steps, days not UTC days).
TEST_F(ClickHouseExportTest, EveryFilterReportsAsTheFiles) {
  ExportOptions options = Options("filtered");
  std::ostringstream log;
  ASSERT_TRUE(RunExport(options, log).ok()) << log.str();
  ReportOptions base;
  base.from = At("2026-11-23T12:00:00Z");
  base.to = At("2026-11-24T00:00:00Z");
  base.dirs = dirs_;
  absl::StatusOr<nlohmann::json> all = BuildReport(base);
  ASSERT_TRUE(all.ok()) << all.status();
  if ((*all)["enrichment"].empty())
    GTEST_SKIP() << "enrichment data not installed (deploy/setup.sh)";
  // An AS of the data, and two networks of it for the known scanners.
  uint32_t asn = 0;
  for (const auto& row : (*all)["top_as_ports"]) {
    if (row["asn"].get<uint32_t>() != 0) {
      asn = row["asn"].get<uint32_t>();
      break;
    }
  }
  ASSERT_NE(asn, 0u) << "no AS in the data";
  ASSERT_GE((*all)["top_sources"].size(), 2u);
  const std::string known = absl::StrCat(root_, "/known.txt");
  std::ofstream(known) << (*all)["top_sources"][0]["network"].get<std::string>()
                       << " Top Scanner\n"
                       << (*all)["top_sources"][1]["network"].get<std::string>()
                       << " Second Scanner\n";

  struct Case {
    const char* name;
    std::map<std::string, std::string> values;  // AddFilterValues' flags
    std::string fingerprint;
    int family = 0;
    bool exclude_known = false;
    std::set<std::string> sensors;
  } cases[] = {
      {"country", {{"country", "BR,CN"}}, "", 0, false, {}},
      {"unknown or japan", {{"country", "??,JP"}}, "", 0, false, {}},
      {"asn", {{"asn", absl::StrCat("AS", asn)}}, "", 0, false, {}},
      {"port", {{"port", "23/tcp,icmp"}}, "", 0, false, {}},
      {"source port", {{"source-port", "123/udp,53/udp"}}, "", 0, false, {}},
      {"fingerprint mirai", {}, "mirai", 0, false, {}},
      // Fingerprints under source filters: from the flows' counts.
      {"fingerprint mirai from two countries",
       {{"country", "BR,CN"}},
       "mirai",
       0,
       false,
       {}},
      {"fingerprint mirai from a country on a port",
       {{"country", "BR"}, {"port", "23/tcp,2323/tcp"}},
       "mirai",
       0,
       false,
       {}},
      {"fingerprint mirai without the known scanners",
       {},
       "mirai",
       0,
       true,
       {}},
      {"fingerprint zmap from IPv4", {}, "zmap", DS_FAMILY_IPV4, false, {}},
      {"fingerprint zmap on a port",
       {{"port", "443/tcp"}},
       "zmap",
       0,
       false,
       {}},
      {"family ipv6", {}, "", DS_FAMILY_IPV6, false, {}},
      {"family ipv4 and a port",
       {{"port", "22/tcp"}},
       "",
       DS_FAMILY_IPV4,
       false,
       {}},
      {"exclude known", {}, "", 0, true, {}},
      {"country and port",
       {{"country", "BR"}, {"port", "23/tcp"}},
       "",
       0,
       false,
       {}},
      {"sensor and country", {{"country", "CN"}}, "", 0, false, {"osaka"}},
  };
  struct Period {
    const char* from;
    const char* to;
    const char* time_zone;
  } periods[] = {
      {"2026-11-23T12:00:00Z", "2026-11-24T00:00:00Z", "UTC"},
      {"2026-11-10T05:00:00Z", "2026-11-25T05:00:00Z", "America/New_York"},
      // Daily, hourly and base tables in one period (daily steps).
      {"2026-11-08T02:25:00Z", "2026-11-23T17:40:00Z", "UTC"},
  };
  SchemaTarget target;
  target.database = "filtered";
  for (const Period& period : periods) {
    ReportOptions unfiltered = base;
    unfiltered.from = At(period.from);
    unfiltered.to = At(period.to);
    unfiltered.local_time_zone = period.time_zone;
    unfiltered.series = {absl::StrCat("asn:", asn)};
    absl::StatusOr<nlohmann::json> everything = BuildReport(unfiltered);
    ASSERT_TRUE(everything.ok()) << everything.status();
    const uint64_t all_packets =
        (*everything)["totals"]["packets"].get<uint64_t>();
    // The AS's named series has its packets (compared under every filter).
    uint64_t as_packets = 0;
    for (const auto& step :
         (*everything)["series"]["named"][absl::StrCat("AS", asn)]["steps"]) {
      if (!step[1].is_null()) as_packets += step[1].get<uint64_t>();
    }
    EXPECT_GT(as_packets, 0u) << period.from;
    for (const Case& c : cases) {
      ReportOptions report = unfiltered;
      for (const auto& [flag, list] : c.values)
        ASSERT_TRUE(AddFilterValues(flag, list, report.filter).ok()) << c.name;
      report.filter.fingerprint = FingerprintCounter(c.fingerprint);
      report.filter.family = c.family;
      report.filter.sensors = c.sensors;
      if (c.exclude_known) {
        report.known_scanners = known;
        report.exclude_known = true;
      }
      const std::string name =
          absl::StrCat(c.name, " from ", period.from, " in ", period.time_zone);
      absl::StatusOr<nlohmann::json> from_files = BuildReport(report);
      ASSERT_TRUE(from_files.ok()) << name << ": " << from_files.status();
      ClickHousePeriodSource source(server_->url(), target, {});
      absl::StatusOr<nlohmann::json> from_clickhouse =
          BuildReport(report, source);
      ASSERT_TRUE(from_clickhouse.ok())
          << name << ": " << from_clickhouse.status();
      const uint64_t packets =
          (*from_files)["totals"]["packets"].get<uint64_t>();
      EXPECT_GT(packets, 0u) << name << ": keeps nothing";
      EXPECT_LT(packets, all_packets) << name << ": drops nothing";
      EXPECT_FALSE((*from_files)["filter"]["applied"].empty()) << name;
      EXPECT_EQ(*from_files, *from_clickhouse)
          << name << "\n"
          << nlohmann::json::diff(*from_files, *from_clickhouse)
                 .dump()
                 .substr(0, 3000);
    }
  }
}

TEST_F(ClickHouseExportTest,
       RefusesAnotherSchemaVersionAndForeignTablesSayingWhatToDo) {
  struct Case {
    const char* database;
    std::vector<std::string> setup;
    std::string says;
  } cases[] = {
      // Version 1 filled the roll-ups by materialized views.
      {"older",
       {"CREATE DATABASE older",
        "CREATE TABLE older.schema_info (version UInt32, written DateTime) "
        "ENGINE = "
        "ReplacingMergeTree PARTITION BY tuple() ORDER BY version",
        "INSERT INTO older.schema_info VALUES (1, now())"},
       absl::StrCat("holds darkscope schema version 1; this darkscope writes "
                    "version ",
                    kClickHouseSchemaVersion,
                    ": export into another --database")},
      // Version 2's flows had no fingerprint columns.
      {"version2",
       {"CREATE DATABASE version2",
        "CREATE TABLE version2.schema_info (version UInt32, written DateTime) "
        "ENGINE = "
        "ReplacingMergeTree PARTITION BY tuple() ORDER BY version",
        "INSERT INTO version2.schema_info VALUES (2, now())",
        "CREATE TABLE version2.flows (sensor String, interval_start DateTime, "
        "family UInt8, prefix UInt64, slot UInt8, port UInt16, packets "
        "UInt64, bytes UInt64) ENGINE = ReplacingMergeTree PARTITION BY "
        "toYYYYMM(interval_start) ORDER BY (sensor, interval_start, family, "
        "prefix, slot, port)"},
       absl::StrCat("holds darkscope schema version 2; this darkscope writes "
                    "version ",
                    kClickHouseSchemaVersion,
                    ": export into another --database")},
      {"foreign",
       {"CREATE DATABASE foreign",
        "CREATE TABLE foreign.hits (x UInt8) ENGINE = Memory"},
       "holds tables that are not darkscope's (hits): export into another "
       "--database"},
  };
  for (const Case& c : cases) {
    for (const std::string& sql : c.setup)
      ASSERT_TRUE(server_->Query(sql).ok()) << sql;
    std::ostringstream log;
    absl::StatusOr<ExportResult> result = RunExport(Options(c.database), log);
    ASSERT_FALSE(result.ok()) << c.database;
    EXPECT_TRUE(absl::IsFailedPrecondition(result.status())) << result.status();
    EXPECT_NE(result.status().message().find(c.says), std::string::npos)
        << result.status();
    EXPECT_NE(result.status().message().find(server_->url()),
              std::string::npos);
    absl::StatusOr<std::string> tables = server_->Query(
        absl::StrCat("SELECT count() FROM system.tables WHERE database = '",
                     c.database, "'"));
    ASSERT_TRUE(tables.ok());
    size_t created = 0;
    for (const std::string& sql : c.setup)
      created += absl::StartsWith(sql, "CREATE TABLE");
    EXPECT_EQ(*tables, absl::StrCat(created, "\n"))
        << "nothing created in " << c.database;
  }
}

TEST_F(ClickHouseExportTest, CorruptFileIsReportedByNameAndNothingOfItSent) {
  const std::string dir = absl::StrCat(root_, "/corrupt");
  fs::create_directories(dir);
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dirs_[0]))
    names.push_back(entry.path());
  std::sort(names.begin(), names.end());
  for (int i = 0; i < 3; ++i) fs::copy(names[i], dir);
  const std::string bad =
      absl::StrCat(dir, "/", fs::path(names[1]).filename().string());
  {
    std::fstream f(bad, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(bad) / 2));
    f.put('\x5a');
  }
  ExportOptions options = Options("corrupt");
  options.dirs = {dir};
  std::ostringstream log;
  absl::StatusOr<ExportResult> result = RunExport(options, log);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->files_corrupt, 1);
  EXPECT_EQ(result->files_exported, 2);
  EXPECT_NE(log.str().find(absl::StrCat("corrupt snapshot ", bad, ": ")),
            std::string::npos)
      << log.str();
  absl::StatusOr<std::string> intervals = server_->Query(
      "SELECT count(), uniqExact(interval_start) FROM corrupt.ports");
  absl::StatusOr<std::string> snapshots =
      server_->Query("SELECT count() FROM corrupt.snapshots");
  ASSERT_TRUE(snapshots.ok() && intervals.ok());
  EXPECT_EQ(*snapshots, "2\n");
  EXPECT_EQ(ParseTabSeparated(*intervals)[0][1], "2");
}

TEST_F(ClickHouseExportTest, UnreachableServerIsOneLineNamingTheUrl) {
  ExportOptions options = Options("unreachable");
  options.url = absl::StrCat("http://127.0.0.1:", FreePort());
  options.attempts = 2;
  std::ostringstream log;
  absl::StatusOr<ExportResult> result = RunExport(options, log);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find(options.url), std::string::npos)
      << result.status();
  EXPECT_NE(result.status().message().find("schema check of unreachable"),
            std::string::npos)
      << result.status();
  // The binary: one line, exit status 1.
  const std::string command = absl::StrCat(
      DARKSCOPE_BINARY, " export --clickhouse ", options.url, " --in ",
      dirs_[0], " --ledger ", root_, "/unreachable.ledger 2>&1");
  FILE* p = popen(command.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string output;
  char buffer[4096];
  while (size_t n = fread(buffer, 1, sizeof buffer, p))
    output.append(buffer, n);
  const int status = pclose(p);
  EXPECT_EQ(WEXITSTATUS(status), 1) << output;
  EXPECT_EQ(std::count(output.begin(), output.end(), '\n'), 1) << output;
  EXPECT_NE(
      output.find(absl::StrCat("darkscope export: ClickHouse ", options.url)),
      std::string::npos)
      << output;
}

// Two intervals of one hour with the same counts, each its own batch: the
// two roll-up inserts are equal sum for sum, and both are in the hour.
TEST_F(ClickHouseExportTest, TwoIntervalsWithTheSameCountsAreBothRolledUp) {
  auto files = GenerateSensor(root_, "twin", 31, 3000);
  ASSERT_TRUE(files.ok()) << files.status();
  const std::vector<SensorFile> twins = TwinFiles((*files)[0]);
  ASSERT_EQ(absl::ToUnixSeconds(twins[0].snapshot.interval_start) % 3600, 0);
  const std::string dir = absl::StrCat(root_, "/twin");
  fs::create_directories(dir);
  for (const SensorFile& f : twins) Publish(dir, f);
  TableSums expected;
  AddTableSums(twins, expected);
  ExportOptions options = Options("twins");
  options.dirs = {dir};
  options.batch_files = 1;
  std::ostringstream log;
  absl::StatusOr<ExportResult> result = RunExport(options, log);
  ASSERT_TRUE(result.ok()) << result.status() << log.str();
  EXPECT_EQ(result->batches, 2);
  absl::StatusOr<TableSums> held = ServerTableSums(server_->url(), "twins");
  ASSERT_TRUE(held.ok()) << held.status();
  EXPECT_TRUE(*held == expected);
  ExpectRollupsMatchBase("twins");
  absl::StatusOr<std::string> hour =
      server_->Query("SELECT sum(rows), sum(packets) FROM twins.ports_hourly");
  ASSERT_TRUE(hour.ok()) << hour.status();
  uint64_t packets = 0;
  for (const auto& [key, p] : twins[0].snapshot.counts.ports)
    packets += p.packets;
  EXPECT_EQ(*hour, absl::StrCat(2 * twins[0].snapshot.counts.ports.size(), "\t",
                                2 * packets, "\n"));
}

// A roll-up short of its base table (here two of them emptied by hand, as
// a crash between a base table's part and the roll-up's once left them)
// is caught up by a later export that finds the intervals in the base
// tables: a re-run without the ledger.
TEST_F(ClickHouseExportTest, RerunCatchesUpRollupsShortOfTheirBaseTables) {
  ExportOptions options = Options("catchup");
  options.dirs = {dirs_[0]};
  std::ostringstream log;
  ASSERT_TRUE(RunExport(options, log).ok()) << log.str();
  for (const char* sql :
       {"ALTER TABLE catchup.ports_daily DROP PARTITION 202611",
        "ALTER TABLE catchup.sources_hourly DROP PARTITION "
        "202611"}) {
    ASSERT_TRUE(server_->Query(sql).ok()) << sql;
  }
  absl::StatusOr<std::vector<std::string>> short_rollups =
      RollupDifferences(server_->url(), "catchup");
  ASSERT_TRUE(short_rollups.ok()) << short_rollups.status();
  EXPECT_EQ(short_rollups->size(), 2u);
  options.ledger_path += ".new";
  absl::StatusOr<ExportResult> again = RunExport(options, log);
  ASSERT_TRUE(again.ok()) << again.status() << log.str();
  EXPECT_EQ(again->files_exported, 144);  // nothing of them was missing
  ExpectRollupsMatchBase("catchup");
}

// `darkscope export` SIGKILLed mid-batch at several points, and the server
// SIGKILLed mid-export and restarted, then run to the end: every base
// table and every roll-up holds each interval once.
TEST_F(ClickHouseExportTest, KillsMidBatchLeaveEveryTableAndRollupExact) {
  const std::string log = absl::StrCat(root_, "/killed.log");
  const std::vector<std::string> args = ExporterArgs("killed", "4");
  struct Strike {
    const char* what;
    int after_ms;
    bool server;
  } strikes[] = {
      {"exporter", 400, false}, {"exporter", 250, false},
      {"server", 600, true},    {"exporter", 700, false},
      {"exporter", 150, false}, {"exporter", 1000, false},
  };
  ExporterProcess exporter;
  int finished_early = 0;
  for (const Strike& strike : strikes) {
    exporter.Start(DARKSCOPE_BINARY, args, log);
    absl::SleepFor(absl::Milliseconds(strike.after_ms));
    if (strike.server) {
      server_->Kill();
      exporter.Wait();  // gives up after its retries
      ASSERT_TRUE(server_->Restart().ok());
    } else if (!WIFSIGNALED(exporter.Kill(SIGKILL))) {
      ++finished_early;  // it had exited already
    }
  }
  exporter.Start(DARKSCOPE_BINARY, args, log);
  const int status = exporter.Wait();
  const std::string said = ReadLog(log);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << said;
  EXPECT_LT(finished_early, 3) << "the kills came after the export; " << said;
  EXPECT_NE(said.find("left pending by an earlier run"), std::string::npos)
      << "no kill came mid-batch: " << said;
  absl::StatusOr<TableSums> held = ServerTableSums(server_->url(), "killed");
  ASSERT_TRUE(held.ok()) << held.status();
  EXPECT_TRUE(*held == expected_)
      << held->size() << " sums, expected " << expected_.size();
  ExpectRollupsMatchBase("killed");
}

// A one-shot export stopped by SIGTERM ends at the next batch, exit status
// 1 and one line saying so; the next run exports the rest, each row once.
TEST_F(ClickHouseExportTest, OneShotStopsAtABatchOnSigtermAndTheNextRunEndsIt) {
  const std::string log = absl::StrCat(root_, "/stopped.log");
  const std::vector<std::string> args = ExporterArgs("stopped", "1");
  ExporterProcess exporter;
  exporter.Start(DARKSCOPE_BINARY, args, log);
  absl::SleepFor(absl::Milliseconds(1500));
  const absl::Time sent = absl::Now();
  const int status = exporter.Kill(SIGTERM);
  EXPECT_LT(absl::Now() - sent, absl::Seconds(10));
  const std::string said = ReadLog(log);
  ASSERT_TRUE(WIFEXITED(status)) << said;
  EXPECT_EQ(WEXITSTATUS(status), 1) << said;
  EXPECT_NE(said.find("stopped by a signal after "), std::string::npos) << said;
  exporter.Start(DARKSCOPE_BINARY, args, log);
  const int again = exporter.Wait();
  ASSERT_TRUE(WIFEXITED(again) && WEXITSTATUS(again) == 0);
  absl::StatusOr<TableSums> held = ServerTableSums(server_->url(), "stopped");
  ASSERT_TRUE(held.ok()) << held.status();
  EXPECT_TRUE(*held == expected_);
  ExpectRollupsMatchBase("stopped");
}

}  // namespace
}  // namespace darkscope::testing
