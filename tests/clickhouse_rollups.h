// The roll-up check of the export's tests: every roll-up table of a
// database holds, per (sensor, hour|day, key), exactly its base table's
// count() and sums, read through the tables the export writes (the
// Distributed ones on a cluster). What differs is listed, first few by
// key, so that a test failure says which table lost or doubled what. And
// "twins": two intervals of one hour with the same counts, whose roll-up
// rows are equal sum for sum.
#ifndef DARKSCOPE_TESTS_CLICKHOUSE_ROLLUPS_H_
#define DARKSCOPE_TESTS_CLICKHOUSE_ROLLUPS_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "export/clickhouse_client.h"
#include "export/schema.h"
#include "sensor_snapshots.h"

namespace darkscope::testing {

// One line per roll-up table that differs from its base table: the number
// of keys that differ and the first three ("key: base ..., roll-up ...").
// Empty when every roll-up is exact.
inline absl::StatusOr<std::vector<std::string>> RollupDifferences(
    const std::string& url, const std::string& database) {
  ClickHouseClient client(url, absl::Seconds(120));
  std::vector<std::string> differences;
  for (const ClickHouseTable& rollup : RollupTables()) {
    std::vector<std::string> keys = {"sensor"}, base = {"count()"},
                             summed = {"sum(rows)"};
    for (const ClickHouseColumn& k : rollup.rollup_keys) keys.push_back(k.name);
    for (const std::string& v : rollup.rollup_values) {
      base.push_back(absl::StrCat("sum(", v, ")"));
      summed.push_back(absl::StrCat("sum(", v, ")"));
    }
    const std::string group = absl::StrJoin(keys, ", ");
    const std::string base_sql = absl::StrCat(
        "SELECT ", group, ", intDiv(toUInt32(interval_start), ",
        rollup.step_seconds, ") * ", rollup.step_seconds, " AS step, ",
        absl::StrJoin(base, ", "), " FROM ", database, ".", rollup.rollup_of,
        " GROUP BY ", group, ", step FORMAT TabSeparated");
    const std::string rollup_sql = absl::StrCat(
        "SELECT ", group, ", toUInt32(", rollup.columns[1].name, ") AS step, ",
        absl::StrJoin(summed, ", "), " FROM ", database, ".", rollup.name,
        " GROUP BY ", group, ", step FORMAT TabSeparated");
    std::map<std::string, std::string> sides[2];
    int side = 0;
    for (const std::string& sql : {base_sql, rollup_sql}) {
      absl::StatusOr<std::string> body = client.Query(sql, rollup.name);
      if (!body.ok()) return body.status();
      for (const auto& row : ParseTabSeparated(*body)) {
        const size_t n = keys.size() + 1;  // the key and the step
        std::vector<std::string> key(row.begin(), row.begin() + n),
            values(row.begin() + n, row.end());
        sides[side][absl::StrJoin(key, " ")] = absl::StrJoin(values, " ");
      }
      ++side;
    }
    std::map<std::string, std::string> all = sides[0];
    all.insert(sides[1].begin(), sides[1].end());
    int differ = 0;
    std::vector<std::string> first;
    for (const auto& [key, unused] : all) {
      const auto b = sides[0].find(key), r = sides[1].find(key);
      const std::string bv = b == sides[0].end() ? "none" : b->second;
      const std::string rv = r == sides[1].end() ? "none" : r->second;
      if (bv == rv) continue;
      if (++differ <= 3)
        first.push_back(absl::StrCat(key, ": base ", bv, ", roll-up ", rv));
    }
    if (differ > 0) {
      differences.push_back(absl::StrCat(rollup.name, ": ", differ,
                                         " keys differ (",
                                         absl::StrJoin(first, "; "), ")"));
    }
  }
  return differences;
}

// `first` (an interval that starts an hour) and a copy of it one interval
// later, the same counts in the same hour: equal roll-up rows.
inline std::vector<SensorFile> TwinFiles(const SensorFile& first) {
  std::vector<SensorFile> twins = {first, first};
  Snapshot& s = twins[1].snapshot;
  s.interval_start += absl::Seconds(s.interval_seconds);
  twins[1].bytes = EncodeSnapshot(s);
  twins[1].name = SnapshotFileName(s.interval_start);
  return twins;
}

}  // namespace darkscope::testing

#endif  // DARKSCOPE_TESTS_CLICKHOUSE_ROLLUPS_H_
