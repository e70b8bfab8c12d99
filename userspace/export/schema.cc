// The schema's tables and statements, and the check on first contact.
#include "export/schema.h"

#include <map>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/counter_names.h"
#include "common/status.h"

namespace darkscope {
namespace {

std::vector<ClickHouseColumn> Columns(
    std::initializer_list<std::pair<const char*, const char*>> list) {
  std::vector<ClickHouseColumn> columns;
  for (const auto& [name, type] : list) columns.push_back({name, type});
  return columns;
}

const char* const kPortValues[] = {"packets", "bytes",   "syn",
                                   "synack",  "rst",     "mirai",
                                   "zmap",    "masscan", "backscatter"};

// A base table: keyed by (sensor, interval_start, `rest`), by month.
ClickHouseTable Base(const char* name, std::vector<ClickHouseColumn> columns,
                     const char* rest) {
  ClickHouseTable t;
  t.name = name;
  t.columns = std::move(columns);
  t.order_by = absl::StrCat("(sensor, interval_start", rest, ")");
  t.partition_by = "toYYYYMM(interval_start)";
  t.engine = "ReplacingMergeTree";
  return t;
}

std::vector<ClickHouseTable> MakeBaseTables() {
  std::vector<ClickHouseTable> tables;
  ClickHouseTable ports = Base("ports",
                               Columns({{"sensor", "String"},
                                        {"interval_start", "DateTime"},
                                        {"slot", "UInt8"},
                                        {"port", "UInt16"}}),
                               ", slot, port");
  for (const char* v : kPortValues) ports.columns.push_back({v, "UInt64"});
  tables.push_back(ports);
  tables.push_back(Base("src_ports",
                        Columns({{"sensor", "String"},
                                 {"interval_start", "DateTime"},
                                 {"slot", "UInt8"},
                                 {"port", "UInt16"},
                                 {"packets", "UInt64"},
                                 {"bytes", "UInt64"}}),
                        ", slot, port"));
  tables.push_back(Base("sources",
                        Columns({{"sensor", "String"},
                                 {"interval_start", "DateTime"},
                                 {"family", "UInt8"},
                                 {"prefix", "UInt64"},
                                 {"packets", "UInt64"},
                                 {"bytes", "UInt64"},
                                 {"hosts", "Array(UInt64)"},
                                 {"port_sketch", "Array(UInt64)"},
                                 {"synack", "UInt64"},
                                 {"rst", "UInt64"}}),
                        ", family, prefix"));
  tables.push_back(Base("destinations",
                        Columns({{"sensor", "String"},
                                 {"interval_start", "DateTime"},
                                 {"family", "UInt8"},
                                 {"prefix", "UInt64"},
                                 {"packets", "UInt64"},
                                 {"bytes", "UInt64"},
                                 {"hosts", "Array(UInt64)"}}),
                        ", family, prefix"));
  tables.push_back(Base("flows",
                        Columns({{"sensor", "String"},
                                 {"interval_start", "DateTime"},
                                 {"family", "UInt8"},
                                 {"prefix", "UInt64"},
                                 {"slot", "UInt8"},
                                 {"port", "UInt16"},
                                 {"packets", "UInt64"},
                                 {"bytes", "UInt64"},
                                 {"mirai", "UInt64"},
                                 {"zmap", "UInt64"},
                                 {"masscan", "UInt64"}}),
                        ", family, prefix, slot, port"));
  ClickHouseTable snapshots =
      Base("snapshots",
           Columns({{"sensor", "String"},
                    {"interval_start", "DateTime"},
                    {"interval_seconds", "UInt32"},
                    {"complete", "UInt8"},
                    {"content_hash", "UInt64"},
                    {"ipv4_addresses", "UInt64"},
                    {"darknet", "Array(String)"},
                    {"agent_counter_names", "Array(String)"},
                    {"agent_counter_values", "Array(UInt64)"}}),
           "");
  for (const char* name : kCounterNames)
    snapshots.columns.push_back({name, "UInt64"});
  tables.push_back(snapshots);
  return tables;
}

// A roll-up of `source` by hour or day: (sensor, hour|day, keys...), then
// `rows` and the values, summed, then `block`, not summed (it tells two
// inserts of equal sums apart for the Replicated tables' deduplication).
ClickHouseTable Rollup(const std::string& source, const char* step_name,
                       int seconds, std::vector<ClickHouseColumn> keys,
                       std::vector<std::string> values) {
  ClickHouseTable t;
  t.name = absl::StrCat(source, "_",
                        step_name == std::string("hour") ? "hourly" : "daily");
  t.columns = {{"sensor", "String"}, {step_name, "DateTime"}};
  std::vector<std::string> key_names = {"sensor", step_name}, summed = {"rows"};
  for (const ClickHouseColumn& k : keys) {
    t.columns.push_back(k);
    key_names.push_back(k.name);
  }
  t.columns.push_back({"rows", "UInt64"});
  for (const std::string& v : values) {
    t.columns.push_back({v, "UInt64"});
    summed.push_back(v);
  }
  t.columns.push_back({"block", "UInt64"});
  t.order_by = absl::StrCat("(", absl::StrJoin(key_names, ", "), ")");
  t.partition_by = absl::StrCat("toYYYYMM(", step_name, ")");
  t.engine =
      absl::StrCat("SummingMergeTree((", absl::StrJoin(summed, ", "), "))");
  t.rollup_of = source;
  t.step_seconds = seconds;
  t.rollup_keys = std::move(keys);
  t.rollup_values = std::move(values);
  return t;
}

std::vector<ClickHouseTable> MakeRollupTables() {
  std::vector<ClickHouseTable> tables;
  const std::vector<std::string> port_values(std::begin(kPortValues),
                                             std::end(kPortValues));
  for (auto [step, seconds] :
       {std::pair{"hour", 3600}, std::pair{"day", 86400}}) {
    tables.push_back(Rollup("ports", step, seconds,
                            {{"slot", "UInt8"}, {"port", "UInt16"}},
                            port_values));
    tables.push_back(Rollup("src_ports", step, seconds,
                            {{"slot", "UInt8"}, {"port", "UInt16"}},
                            {"packets", "bytes"}));
    tables.push_back(Rollup("sources", step, seconds,
                            {{"family", "UInt8"}, {"prefix", "UInt64"}},
                            {"packets", "bytes", "synack", "rst"}));
  }
  // Flows by day only: a busy darknet's flows are mostly once a day per
  // (network, port), so an hour holds nearly as many rows as its
  // intervals (report_scale's /16: 2.33 million flows a day, 1.58 million
  // hourly roll-up rows, 0.98 million daily ones). Hours read the base table.
  tables.push_back(Rollup("flows", "day", 86400,
                          {{"family", "UInt8"},
                           {"prefix", "UInt64"},
                           {"slot", "UInt8"},
                           {"port", "UInt16"}},
                          {"packets", "bytes", "mirai", "zmap", "masscan"}));
  return tables;
}

std::string OnCluster(const SchemaTarget& target) {
  return target.cluster.empty() ? ""
                                : absl::StrCat(" ON CLUSTER ", target.cluster);
}

// `engine` is "Name" or "Name((columns))"; on a cluster the Replicated
// engine takes the ZooKeeper path and replica first.
std::string Engine(const SchemaTarget& target, const std::string& engine,
                   const std::string& table) {
  if (target.cluster.empty()) return engine;
  const size_t paren = engine.find('(');
  const std::string name = engine.substr(0, paren);
  const std::string args =
      paren == std::string::npos
          ? ""
          : absl::StrCat(", ",
                         engine.substr(paren + 1, engine.size() - paren - 2));
  return absl::StrCat("Replicated", name, "('/clickhouse/tables/{shard}/",
                      target.database, "/", table, "', '{replica}'", args, ")");
}

std::string CreateTable(const SchemaTarget& target, const ClickHouseTable& t) {
  std::vector<std::string> columns;
  for (const ClickHouseColumn& c : t.columns)
    columns.push_back(absl::StrCat(c.name, " ", c.type));
  return absl::StrCat(
      "CREATE TABLE IF NOT EXISTS ", target.StorageTable(t.name),
      OnCluster(target), " (", absl::StrJoin(columns, ", "),
      ") ENGINE = ", Engine(target, t.engine, t.name), " PARTITION BY ",
      t.partition_by, " ORDER BY ", t.order_by);
}

// `key`: the sharding key (a sensor's rows on one shard).
std::string CreateDistributed(const SchemaTarget& target,
                              const std::string& table,
                              const char* key = "cityHash64(sensor)") {
  return absl::StrCat("CREATE TABLE IF NOT EXISTS ", target.Table(table),
                      OnCluster(target), " AS ", target.StorageTable(table),
                      " ENGINE = Distributed(", target.cluster, ", ",
                      target.database, ", ", table, "_local, ", key, ")");
}

// The tables a schema of this version has, by name (storage and
// Distributed ones).
std::map<std::string, const ClickHouseTable*> ExpectedTables(
    const SchemaTarget& target) {
  std::map<std::string, const ClickHouseTable*> expected;
  for (const auto* list : {&BaseTables(), &RollupTables()}) {
    for (const ClickHouseTable& t : *list) {
      expected[target.StorageTable(t.name).substr(target.database.size() + 1)] =
          &t;
      expected[t.name] = &t;
    }
  }
  return expected;
}

absl::StatusOr<std::vector<std::vector<std::string>>> Rows(
    ClickHouseClient& client, const std::string& sql,
    const std::string& object) {
  DS_ASSIGN_OR_RETURN(std::string body,
                      client.Query(sql + " FORMAT TabSeparated", object));
  std::vector<std::vector<std::string>> rows;
  for (absl::string_view line : absl::StrSplit(body, '\n', absl::SkipEmpty())) {
    rows.push_back(absl::StrSplit(line, '\t'));
  }
  return rows;
}

}  // namespace

std::string SchemaTarget::Table(const std::string& table) const {
  return absl::StrCat(database, ".", table);
}
std::string SchemaTarget::StorageTable(const std::string& table) const {
  return absl::StrCat(database, ".", table, cluster.empty() ? "" : "_local");
}

const std::vector<ClickHouseTable>& BaseTables() {
  static const auto* tables =
      new std::vector<ClickHouseTable>(MakeBaseTables());
  return *tables;
}
const std::vector<ClickHouseTable>& RollupTables() {
  static const auto* tables =
      new std::vector<ClickHouseTable>(MakeRollupTables());
  return *tables;
}

std::string ColumnList(const ClickHouseTable& table) {
  std::vector<std::string> names;
  for (const ClickHouseColumn& c : table.columns) names.push_back(c.name);
  return absl::StrJoin(names, ", ");
}

std::vector<std::string> SchemaStatements(const SchemaTarget& target) {
  std::vector<std::string> statements = {absl::StrCat(
      "CREATE DATABASE IF NOT EXISTS ", target.database, OnCluster(target))};
  ClickHouseTable info;
  info.name = "schema_info";
  info.columns = {{"version", "UInt32"}, {"written", "DateTime"}};
  info.order_by = "version";
  info.partition_by = "tuple()";
  info.engine = "ReplacingMergeTree";
  for (const auto* list : {&BaseTables(), &RollupTables()}) {
    for (const ClickHouseTable& t : *list) {
      statements.push_back(CreateTable(target, t));
      if (!target.cluster.empty())
        statements.push_back(CreateDistributed(target, t.name));
    }
  }
  // Last: its row says the schema is whole.
  statements.push_back(CreateTable(target, info));
  if (!target.cluster.empty())
    statements.push_back(CreateDistributed(target, info.name, "version"));
  return statements;
}

absl::Status EnsureSchema(ClickHouseClient& client,
                          const SchemaTarget& target) {
  const std::string where =
      absl::StrCat("database ", target.database, " on ", client.url());
  DS_ASSIGN_OR_RETURN(
      auto tables,
      Rows(client,
           absl::StrCat("SELECT name FROM system.tables WHERE database = ",
                        SqlQuote(target.database)),
           absl::StrCat("schema check of ", target.database)));
  std::set<std::string> present;
  for (const auto& row : tables) present.insert(row[0]);
  const std::string info = target.Table("schema_info");
  if (present.count("schema_info")) {
    DS_ASSIGN_OR_RETURN(
        auto version,
        Rows(client, absl::StrCat("SELECT count(), max(version) FROM ", info),
             absl::StrCat("table ", info)));
    if (!version.empty() && version[0][0] != "0") {
      uint32_t v = 0;
      (void)absl::SimpleAtoi(version[0][1], &v);
      if (v != kClickHouseSchemaVersion) {
        return absl::FailedPreconditionError(absl::StrCat(
            where, " holds darkscope schema version ", v,
            "; this darkscope writes version ", kClickHouseSchemaVersion,
            ": export into another --database (a new one is created), "
            "or move the old data aside and drop the database "
            "(docs/clickhouse.md, Upgrades)"));
      }
    }
  } else {
    std::vector<std::string> foreign;
    const auto expected = ExpectedTables(target);
    for (const std::string& t : present) {
      if (!expected.count(t) && t != "schema_info_local") foreign.push_back(t);
    }
    if (!foreign.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          where, " holds tables that are not darkscope's (",
          absl::StrJoin(foreign, ", "), "): export into another --database"));
    }
  }
  // Created (or completed, after a crash midway) when anything is missing.
  bool complete = present.count("schema_info") > 0;
  for (const auto& [name, table] : ExpectedTables(target))
    complete = complete && present.count(name);
  if (!complete) {
    for (const std::string& statement : SchemaStatements(target)) {
      DS_RETURN_IF_ERROR(
          client.Query(statement, absl::StrCat("schema of ", target.database))
              .status());
    }
  }
  // The columns, as this version has them.
  DS_ASSIGN_OR_RETURN(
      auto columns,
      Rows(client,
           absl::StrCat("SELECT table, name, type FROM system.columns WHERE "
                        "database = ",
                        SqlQuote(target.database)),
           absl::StrCat("schema check of ", target.database)));
  std::map<std::string, std::vector<ClickHouseColumn>> found;
  for (const auto& row : columns) {
    if (row.size() == 3) found[row[0]].push_back({row[1], row[2]});
  }
  for (const auto& [name, table] : ExpectedTables(target)) {
    const std::vector<ClickHouseColumn>& have = found[name];
    bool same = have.size() == table->columns.size();
    for (size_t i = 0; same && i < have.size(); ++i) {
      same = have[i].name == table->columns[i].name &&
             have[i].type == table->columns[i].type;
    }
    if (!same) {
      return absl::FailedPreconditionError(absl::StrCat(
          "table ", target.database, ".", name, " on ", client.url(),
          " does not have the columns of darkscope schema version ",
          kClickHouseSchemaVersion,
          " (it was altered or made by another program): export into another "
          "--database"));
    }
  }
  if (!complete) {
    DS_RETURN_IF_ERROR(
        client
            .Query(absl::StrCat("INSERT INTO ", info, " VALUES (",
                                kClickHouseSchemaVersion, ", now())"),
                   absl::StrCat("table ", info),
                   {{"insert_distributed_sync", "1"}})
            .status());
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> RetentionStatements(
    ClickHouseClient& client, const SchemaTarget& target, uint32_t month) {
  DS_ASSIGN_OR_RETURN(
      auto months,
      Rows(client,
           absl::StrCat("SELECT DISTINCT toYYYYMM(interval_start) AS m FROM ",
                        target.Table("snapshots"), " WHERE m < ", month,
                        " ORDER BY m"),
           absl::StrCat("table ", target.Table("snapshots"))));
  std::vector<std::string> statements;
  for (const auto& row : months) {
    for (const auto* list : {&BaseTables(), &RollupTables()}) {
      for (const ClickHouseTable& t : *list) {
        statements.push_back(
            absl::StrCat("ALTER TABLE ", target.StorageTable(t.name),
                         OnCluster(target), " DROP PARTITION ", row[0]));
      }
    }
  }
  return statements;
}

}  // namespace darkscope
