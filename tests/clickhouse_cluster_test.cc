// The export into a cluster on loopback (2 shards of 2 replicas, one
// ZooKeeper): `darkscope export --follow` from three sensors' directories
// while files keep arriving, a ClickHouse server is SIGKILLed mid-export
// and restarted, and the exporter is SIGKILLed and restarted. Afterwards
// ClickHouse holds, per sensor, table and interval, exactly the rows and
// packets of the files: nothing lost, nothing twice, and every roll-up
// exactly its base table (a replica killed between two tables' parts once
// left the materialized views of schema version 1 short). Two intervals of
// one hour with the same counts, sent as two batches, are both in the
// hourly roll-up (equal blocks that the Replicated tables must not take
// for one retried). The report read through the Distributed tables is the
// report of the files, unfiltered and under filters (the source filter's
// external table goes with the query to every shard).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "absl/time/clock.h"
#include "clickhouse_rollups.h"
#include "clickhouse_server.h"
#include "export/clickhouse_period.h"
#include "gtest/gtest.h"
#include "report/filter.h"
#include "report/report.h"
#include "rfc3339.h"
#include "sensor_snapshots.h"

namespace darkscope::testing {
namespace {

namespace fs = std::filesystem;

std::string ReadTail(const std::string& path) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  return text.size() > 3000 ? text.substr(text.size() - 3000) : text;
}

uint64_t Count(ClickHouseServer& node, const std::string& sql) {
  absl::StatusOr<std::string> body = node.Query(sql);
  return body.ok() ? std::strtoull(body->c_str(), nullptr, 10) : 0;
}

TEST(ClickHouseClusterTest,
     FollowExportSurvivesServerAndExporterKillsExactlyOnce) {
  DS_REQUIRE_CLICKHOUSE();
  char scratch[] = "/tmp/darkscope-cluster-XXXXXX";
  ASSERT_NE(mkdtemp(scratch), nullptr);
  const std::string root = scratch;
  auto cluster = ClickHouseCluster::Start(2, 2);
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  ClickHouseServer& entry = (*cluster)->node(0);

  std::vector<std::vector<SensorFile>> sensors;
  std::vector<std::string> args = {
      "--clickhouse",  entry.url(),     "--cluster", ClickHouseCluster::kName,
      "--database",    "fleet",         "--follow",  "--poll",
      "200ms",         "--batch-files", "8",         "--ledger",
      root + "/ledger"};
  TableSums expected;
  uint64_t seed = 21;
  // Sensors on both shards (cityHash64(name) % 2: 1, 0, 0); eight hours
  // of each (48 files).
  for (const char* name : {"tokyo", "paris", "kyoto"}) {
    auto files = GenerateSensor(root, name, seed++, 6000);
    ASSERT_TRUE(files.ok()) << files.status();
    files->resize(48);
    AddTableSums(*files, expected);
    sensors.push_back(std::move(*files));
    fs::create_directories(root + "/" + name);
    args.push_back("--in");
    args.push_back(root + "/" + name);
  }
  const size_t per_sensor = sensors[0].size();
  const std::string log = root + "/export.log";
  ExporterProcess exporter;
  exporter.Start(DARKSCOPE_BINARY, args, log);

  // Files arrive in four rounds; each fault strikes while a round exports.
  struct Round {
    const char* fault;
    std::function<void()> strike;
  } rounds[] = {
      {"none", [] {}},
      {"the entry server SIGKILLed and restarted",
       [&] {
         entry.Kill();
         // A replica restarted before its ZooKeeper session (3 s)
         // expired finds itself "already active" and waits a minute.
         absl::SleepFor(absl::Seconds(4));
         ASSERT_TRUE(entry.Restart().ok());
       }},
      {"the exporter SIGKILLed and restarted",
       [&] {
         exporter.Kill(SIGKILL);
         exporter.Start(DARKSCOPE_BINARY, args, log);
       }},
      {"a replica of the second shard SIGKILLed and restarted",
       [&] {
         (*cluster)->node(2).Kill();
         // A replica restarted before its ZooKeeper session (3 s)
         // expired finds itself "already active" and waits a minute.
         absl::SleepFor(absl::Seconds(4));
         ASSERT_TRUE((*cluster)->node(2).Restart().ok());
       }},
  };
  const size_t per_round = (per_sensor + 3) / 4;
  for (size_t r = 0; r < 4; ++r) {
    for (const auto& files : sensors) {
      for (size_t i = r * per_round;
           i < std::min(per_sensor, (r + 1) * per_round); ++i) {
        Publish(root + "/" + files[i].snapshot.sensor, files[i]);
      }
    }
    absl::SleepFor(absl::Milliseconds(400));  // mid-export
    rounds[r].strike();
    const uint64_t want = 3 * std::min(per_sensor, (r + 1) * per_round);
    uint64_t have = 0;
    for (absl::Time limit = absl::Now() + absl::Seconds(90);
         absl::Now() < limit;) {
      have = Count(entry, "SELECT count() FROM fleet.snapshots");
      if (have >= want) break;
      absl::SleepFor(absl::Milliseconds(250));
    }
    ASSERT_GE(have, want) << "round " << r << " (" << rounds[r].fault
                          << "); the exporter said:\n"
                          << ReadTail(log);
  }
  // Every replica caught up, then the sums (read through the Distributed
  // tables, and each shard's replicas alike).
  absl::StatusOr<TableSums> held;
  for (absl::Time limit = absl::Now() + absl::Seconds(60);
       absl::Now() < limit;) {
    held = ServerTableSums(entry.url(), "fleet");
    if (held.ok() && *held == expected) break;
    absl::SleepFor(absl::Milliseconds(500));
  }
  EXPECT_EQ(exporter.Kill(SIGTERM), 0);
  ASSERT_TRUE(held.ok()) << held.status();
  EXPECT_EQ(held->size(), expected.size());
  int differ = 0;
  for (const auto& [key, sum] : expected) {
    auto it = held->find(key);
    if (it == held->end() || it->second != sum) {
      if (++differ <= 5) {
        ADD_FAILURE() << std::get<0>(key) << " " << std::get<1>(key) << " "
                      << std::get<2>(key) << ": files " << sum.first << " rows "
                      << sum.second << " packets, "
                      << "ClickHouse "
                      << (it == held->end()
                              ? "none"
                              : absl::StrCat(it->second.first, " rows ",
                                             it->second.second, " packets"));
      }
    }
  }
  EXPECT_EQ(differ, 0);
  // Each shard's two replicas hold the same rows; the roll-ups the same
  // packets as the base table.
  for (int shard = 0; shard < 2; ++shard) {
    uint64_t rows[2];
    for (int r = 0; r < 2; ++r) {
      ClickHouseServer& node = (*cluster)->node(shard * 2 + r);
      for (absl::Time limit = absl::Now() + absl::Seconds(90);
           absl::Now() < limit;) {
        rows[r] = Count(node, "SELECT count() FROM fleet.flows_local");
        if (r == 0 || rows[1] == rows[0]) break;
        absl::SleepFor(absl::Milliseconds(250));
      }
    }
    EXPECT_EQ(rows[0], rows[1]) << "shard " << shard + 1;
    EXPECT_GT(rows[0], 0u) << "shard " << shard + 1 << " holds a sensor";
  }
  // Every roll-up holds exactly what its base table holds, key by key.
  absl::StatusOr<std::vector<std::string>> rollups;
  for (absl::Time limit = absl::Now() + absl::Seconds(30);
       absl::Now() < limit;) {
    rollups = RollupDifferences(entry.url(), "fleet");
    if (rollups.ok() && rollups->empty()) break;
    absl::SleepFor(absl::Milliseconds(500));
  }
  ASSERT_TRUE(rollups.ok()) << rollups.status();
  EXPECT_TRUE(rollups->empty()) << absl::StrJoin(*rollups, "\n");

  // The twins: one batch each, one shot.
  auto first = GenerateSensor(root, "twin", 41, 3000);
  ASSERT_TRUE(first.ok()) << first.status();
  const std::vector<SensorFile> twins = TwinFiles((*first)[0]);
  fs::create_directories(root + "/twin");
  for (const SensorFile& f : twins) Publish(root + "/twin", f);
  ExporterProcess once;
  once.Start(DARKSCOPE_BINARY,
             {"--clickhouse", entry.url(), "--cluster",
              ClickHouseCluster::kName, "--database", "twins", "--batch-files",
              "1", "--ledger", root + "/twins.ledger", "--in", root + "/twin"},
             log);
  const int status = once.Wait();
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << ReadTail(log);
  TableSums twin_sums;
  AddTableSums(twins, twin_sums);
  absl::StatusOr<TableSums> twins_held = ServerTableSums(entry.url(), "twins");
  ASSERT_TRUE(twins_held.ok()) << twins_held.status();
  EXPECT_TRUE(*twins_held == twin_sums);
  absl::StatusOr<std::vector<std::string>> twin_rollups =
      RollupDifferences(entry.url(), "twins");
  ASSERT_TRUE(twin_rollups.ok()) << twin_rollups.status();
  EXPECT_TRUE(twin_rollups->empty()) << absl::StrJoin(*twin_rollups, "\n");

  // The report of hours 2 to 8 from the files and from the cluster.
  struct Case {
    const char* name;
    std::map<std::string, std::string> values;  // AddFilterValues' flags
    int family;
  } cases[] = {
      {"no filter", {}, 0},
      {"country", {{"country", "CN,BR"}}, 0},
      {"port", {{"port", "23/tcp"}}, 0},
      {"family ipv6", {}, DS_FAMILY_IPV6},
      {"country and port", {{"country", "BR"}, {"port", "23/tcp"}}, 0},
  };
  SchemaTarget target;
  target.database = "fleet";
  target.cluster = ClickHouseCluster::kName;
  for (const Case& c : cases) {
    ReportOptions report;
    report.from = At("2026-11-23T02:00:00Z");
    report.to = At("2026-11-23T08:00:00Z");
    for (const char* name : {"tokyo", "paris", "kyoto"})
      report.dirs.push_back(root + "/" + name);
    for (const auto& [flag, list] : c.values)
      ASSERT_TRUE(AddFilterValues(flag, list, report.filter).ok()) << c.name;
    report.filter.family = c.family;
    absl::StatusOr<nlohmann::json> from_files = BuildReport(report);
    ASSERT_TRUE(from_files.ok()) << c.name << ": " << from_files.status();
    if (report.filter.by_source() && (*from_files)["enrichment"].empty())
      continue;  // no origins: the country filters keep nothing
    ClickHousePeriodSource source(entry.url(), target, {});
    absl::StatusOr<nlohmann::json> from_cluster = BuildReport(report, source);
    ASSERT_TRUE(from_cluster.ok()) << c.name << ": " << from_cluster.status();
    EXPECT_GT((*from_files)["totals"]["packets"].get<uint64_t>(), 0u) << c.name;
    EXPECT_EQ(*from_files, *from_cluster)
        << c.name << "\n"
        << nlohmann::json::diff(*from_files, *from_cluster)
               .dump()
               .substr(0, 3000);
  }
  fs::remove_all(root);
}

}  // namespace
}  // namespace darkscope::testing
