// The ClickHouse schema darkscope exports into (docs/clickhouse.md), its
// version, and the check that runs on first contact: a database without
// darkscope's tables gets them; one with this version's tables is used; one
// with another version, other columns or tables that are not darkscope's
// is refused with what to do.
//
// One row per (sensor, interval, key) in six base tables that mirror a
// snapshot's tables (snapshots, ports, src_ports, sources, destinations,
// flows), partitioned by month; hourly and daily roll-ups of ports,
// src_ports and sources that the export inserts itself (export/rollup.h),
// each roll-up table on its own exactly once. Single node:
// ReplacingMergeTree base tables, SummingMergeTree roll-ups. With a cluster:
// the same engines Replicated (in <table>_local on every shard, ZooKeeper paths
// by the {shard} and {replica} macros) under Distributed tables sharded by
// cityHash64(sensor), so that a sensor's rows live on one shard.
#ifndef DARKSCOPE_EXPORT_SCHEMA_H_
#define DARKSCOPE_EXPORT_SCHEMA_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "export/clickhouse_client.h"

namespace darkscope {

// Bumped whenever a table, column, engine or key changes. 2: the roll-ups
// have `rows` and `block` and are inserted by the export (1 filled them by
// materialized views, which a deduplicated retry skipped). 3: flows have
// `mirai`, `zmap` and `masscan` (reports restricted to sources read them).
// 4: flows_hourly and flows_daily (long reports read the flows' AS and
// country totals from them, not from every interval's rows).
inline constexpr uint32_t kClickHouseSchemaVersion = 4;

struct ClickHouseColumn {
  std::string name, type;
};

struct ClickHouseTable {
  std::string name;
  std::vector<ClickHouseColumn> columns;
  std::string order_by;
  std::string partition_by;
  std::string engine;  // "ReplacingMergeTree", "SummingMergeTree"
  // A roll-up's base table ("" for a base table), its step in seconds
  // (3600, 86400), the key columns after (sensor, step) it keeps, and the
  // values it sums (after `rows`, the number of base rows in a row).
  std::string rollup_of;
  int step_seconds = 0;
  std::vector<ClickHouseColumn> rollup_keys;
  std::vector<std::string> rollup_values;
};

// Where the schema lives: a database, on one server or on a cluster.
struct SchemaTarget {
  std::string database = "darkscope";
  std::string cluster;  // empty: a single node

  // "db.t": the table inserts and queries name (the Distributed one on a
  // cluster).
  std::string Table(const std::string& table) const;
  // "db.t" or "db.t_local": where the rows are stored.
  std::string StorageTable(const std::string& table) const;
};

// The six base tables, in the order the export inserts them (snapshots
// last), and the roll-ups.
const std::vector<ClickHouseTable>& BaseTables();
const std::vector<ClickHouseTable>& RollupTables();
// "a, b, c": a table's columns as an insert lists them.
std::string ColumnList(const ClickHouseTable& table);

// Every statement that creates the schema, in order (idempotent).
std::vector<std::string> SchemaStatements(const SchemaTarget& target);

// Creates the schema or checks the one there (see the top of the file).
absl::Status EnsureSchema(ClickHouseClient& client, const SchemaTarget& target);

// Statements dropping every partition (month, YYYYMM) before `month` of
// every table: retention without TTL (18.16 has none).
absl::StatusOr<std::vector<std::string>> RetentionStatements(
    ClickHouseClient& client, const SchemaTarget& target, uint32_t month);

}  // namespace darkscope

#endif  // DARKSCOPE_EXPORT_SCHEMA_H_
