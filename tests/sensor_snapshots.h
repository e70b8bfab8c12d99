// Snapshot files of several sensors for the export's tests, written
// without privileges: the telescope scenario's ground truth (a day of
// 10-minute intervals) generated once per sensor with a seed of its own,
// renamed to the sensor, and what each file holds per table (rows and
// packets), which ClickHouse must hold after an export.
#ifndef DARKSCOPE_TESTS_SENSOR_SNAPSHOTS_H_
#define DARKSCOPE_TESTS_SENSOR_SNAPSHOTS_H_

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "export/clickhouse_client.h"
#include "gen/generate.h"
#include "snapshot/snapshot.h"
#include "snapshot/snapshot_files.h"

namespace darkscope::testing {

struct SensorFile {
  std::string name;  // file name
  std::vector<uint8_t> bytes;
  Snapshot snapshot;
};

// (table, sensor, interval start) -> {rows, packets}.
using TableSums = std::map<std::tuple<std::string, std::string, int64_t>,
                           std::pair<uint64_t, uint64_t>>;

// The files of sensor `name`: the telescope day with `seed`.
inline absl::StatusOr<std::vector<SensorFile>> GenerateSensor(
    const std::string& scratch, const std::string& name, uint64_t seed,
    uint64_t packets) {
  const std::string dir = absl::StrCat(scratch, "/gen-", name);
  std::filesystem::create_directories(dir);
  GenerateOptions gen;
  gen.scenario = "telescope";
  gen.packets = packets;
  gen.seed = seed;
  gen.truth_dir = dir;
  if (absl::Status s = RunGenerate(gen); !s.ok()) return s;
  absl::StatusOr<std::vector<std::string>> paths = ListSnapshotFiles({dir});
  if (!paths.ok()) return paths.status();
  std::vector<SensorFile> files;
  for (const std::string& path : *paths) {
    absl::StatusOr<std::vector<uint8_t>> bytes = ReadWholeFile(path);
    if (!bytes.ok()) return bytes.status();
    absl::StatusOr<Snapshot> s = DecodeSnapshot(*bytes);
    if (!s.ok()) return s.status();
    s->sensor = name;
    SensorFile file{std::filesystem::path(path).filename(), EncodeSnapshot(*s),
                    *s};
    files.push_back(std::move(file));
  }
  std::filesystem::remove_all(dir);
  return files;
}

// Writes `file` into `dir` the way the agent does: a temporary name, then
// a rename (ListSnapshotFiles never sees a half-written file).
inline void Publish(const std::string& dir, const SensorFile& file) {
  const std::string tmp = absl::StrCat(dir, "/.", file.name, ".tmp");
  std::ofstream out(tmp, std::ios::binary);
  out.write(reinterpret_cast<const char*>(file.bytes.data()),
            file.bytes.size());
  out.close();
  std::rename(tmp.c_str(), absl::StrCat(dir, "/", file.name).c_str());
}

// What every base table must hold for `files`.
inline void AddTableSums(const std::vector<SensorFile>& files,
                         TableSums& sums) {
  for (const SensorFile& f : files) {
    const Snapshot& s = f.snapshot;
    const int64_t at = absl::ToUnixSeconds(s.interval_start);
    auto add = [&](const char* table, uint64_t packets) {
      auto& sum = sums[{table, s.sensor, at}];
      ++sum.first;
      sum.second += packets;
    };
    for (const auto& [k, v] : s.counts.ports) add("ports", v.packets);
    for (const auto& [k, v] : s.counts.src_ports) add("src_ports", v.packets);
    for (const auto& [k, v] : s.counts.sources) add("sources", v.packets);
    for (const auto& [k, v] : s.counts.destinations)
      add("destinations", v.packets);
    for (const auto& [k, v] : s.counts.flows) add("flows", v.packets);
    add("snapshots", s.counts.counters[DS_CTR_DARKNET_PACKETS]);
  }
}

// What the base tables of `database` hold, by the same measure.
inline absl::StatusOr<TableSums> ServerTableSums(const std::string& url,
                                                 const std::string& database) {
  ClickHouseClient client(url);
  TableSums sums;
  for (const char* table : {"ports", "src_ports", "sources", "destinations",
                            "flows", "snapshots"}) {
    const char* packets =
        std::string(table) == "snapshots" ? "darknet_packets" : "packets";
    absl::StatusOr<std::string> body = client.Query(
        absl::StrCat("SELECT sensor, toUInt32(interval_start), count(), sum(",
                     packets, ") FROM ", database, ".", table,
                     " GROUP BY sensor, interval_start FORMAT TabSeparated"),
        table);
    if (!body.ok()) return body.status();
    for (const auto& row : ParseTabSeparated(*body)) {
      sums[{table, row[0], std::stoll(row[1])}] = {std::stoull(row[2]),
                                                   std::stoull(row[3])};
    }
  }
  return sums;
}

}  // namespace darkscope::testing

#endif  // DARKSCOPE_TESTS_SENSOR_SNAPSHOTS_H_
