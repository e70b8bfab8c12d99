// Roll-up rows summed from a batch's snapshots, and the single node's
// catch-up statement (export/rollup.h).
#include "export/rollup.h"

#include <map>
#include <set>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/port_index.h"
#include "export/clickhouse_client.h"

namespace darkscope {
namespace {

// (sensor, step start, first key, second key) -> rows, then the values.
using RollupKey = std::tuple<std::string, int64_t, uint64_t, uint64_t>;
using RollupSums = std::map<RollupKey, std::vector<uint64_t>>;

void Add(RollupSums& sums, const RollupKey& key,
         std::initializer_list<uint64_t> values) {
  std::vector<uint64_t>& sum = sums[key];
  if (sum.empty()) sum.assign(values.size() + 1, 0);
  ++sum[0];
  size_t i = 1;
  for (uint64_t v : values) sum[i++] += v;
}

// The base table's rows of `s`, keyed for `rollup` (values in the order of
// rollup_values, which MakeRollupTables in schema.cc gives).
void SumSnapshot(const ClickHouseTable& rollup, const Snapshot& s,
                 RollupSums& sums) {
  const int64_t at = absl::ToUnixSeconds(s.interval_start);
  const int64_t step = at / rollup.step_seconds * rollup.step_seconds;
  if (rollup.rollup_of == "ports") {
    for (const auto& [index, p] : s.counts.ports) {
      const SlotPort sp = SlotPortOfIndex(index);
      Add(sums, {s.sensor, step, sp.slot, sp.port},
          {p.packets, p.bytes, p.syn, p.synack, p.rst, p.mirai, p.zmap,
           p.masscan, p.backscatter});
    }
  } else if (rollup.rollup_of == "src_ports") {
    for (const auto& [index, t] : s.counts.src_ports) {
      Add(sums, {s.sensor, step, index / 65536, index % 65536},
          {t.packets, t.bytes});
    }
  } else if (rollup.rollup_of == "sources") {
    for (const auto& [net, v] : s.counts.sources) {
      Add(sums, {s.sensor, step, net.family, PrefixNumber(net)},
          {v.packets, v.bytes, v.synack, v.rst});
    }
  }
}

void Key(const ClickHouseColumn& column, uint64_t value, RowBinary& rows) {
  if (column.type == "UInt8") {
    rows.UInt8(static_cast<uint8_t>(value));
  } else if (column.type == "UInt16") {
    rows.UInt16(static_cast<uint16_t>(value));
  } else {
    rows.UInt64(value);
  }
}

std::string StepOf(const ClickHouseTable& rollup, const char* column) {
  return absl::StrCat("toDateTime(intDiv(toUInt32(", column, "), ",
                      rollup.step_seconds, ") * ", rollup.step_seconds, ")");
}

}  // namespace

uint64_t RollupBlockId(const std::vector<uint64_t>& content_hashes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (uint64_t c : content_hashes) {
    for (int i = 0; i < 8; ++i) {
      h ^= (c >> (8 * i)) & 0xff;
      h *= 0x100000001b3ull;
    }
  }
  return h;
}

void EncodeRollupRows(const ClickHouseTable& rollup,
                      const std::vector<const Snapshot*>& snapshots,
                      uint64_t block, RowBinary& rows) {
  RollupSums sums;
  for (const Snapshot* s : snapshots) SumSnapshot(rollup, *s, sums);
  for (const auto& [key, sum] : sums) {
    rows.String(std::get<0>(key));
    rows.DateTime(std::get<1>(key));
    Key(rollup.rollup_keys[0], std::get<2>(key), rows);
    Key(rollup.rollup_keys[1], std::get<3>(key), rows);
    for (uint64_t v : sum) rows.UInt64(v);
    rows.UInt64(block);
    rows.EndRow();
  }
}

std::string RollupCatchUpStatement(
    const SchemaTarget& target, const ClickHouseTable& rollup,
    const std::vector<std::pair<std::string, int64_t>>& intervals,
    uint64_t block) {
  const std::string& step = rollup.columns[1].name;  // hour | day
  std::set<std::pair<std::string, int64_t>> steps;
  for (const auto& [sensor, at] : intervals) {
    steps.insert({sensor, at / rollup.step_seconds * rollup.step_seconds});
  }
  std::vector<std::string> in_base, in_rollup;
  for (const auto& [sensor, start] : steps) {
    in_base.push_back(absl::StrCat("(sensor = ", SqlQuote(sensor),
                                   " AND interval_start >= toDateTime(", start,
                                   ") AND interval_start < toDateTime(",
                                   start + rollup.step_seconds, "))"));
    in_rollup.push_back(
        absl::StrCat("(", SqlQuote(sensor), ", toDateTime(", start, "))"));
  }
  std::vector<std::string> key = {"sensor", step}, columns = key, outer = key,
                           base_sums = {"count() AS rows"},
                           rollup_sums = {"sum(rows) AS r_rows"};
  for (const ClickHouseColumn& k : rollup.rollup_keys) {
    key.push_back(k.name);
    columns.push_back(k.name);
    outer.push_back(k.name);
  }
  columns.push_back("rows");
  outer.push_back("rows - r_rows");
  for (const std::string& v : rollup.rollup_values) {
    columns.push_back(v);
    outer.push_back(absl::StrCat(v, " - r_", v));
    base_sums.push_back(absl::StrCat("sum(", v, ") AS ", v));
    rollup_sums.push_back(absl::StrCat("sum(", v, ") AS r_", v));
  }
  columns.push_back("block");
  outer.push_back(absl::StrCat("toUInt64(", block, ")"));
  std::vector<std::string> base_select = {
      "sensor", absl::StrCat(StepOf(rollup, "interval_start"), " AS ", step)};
  for (const ClickHouseColumn& k : rollup.rollup_keys)
    base_select.push_back(k.name);
  const std::string group = absl::StrJoin(key, ", ");
  return absl::StrCat(
      "INSERT INTO ", target.Table(rollup.name), " (",
      absl::StrJoin(columns, ", "), ") SELECT ", absl::StrJoin(outer, ", "),
      " FROM (SELECT ", absl::StrJoin(base_select, ", "), ", ",
      absl::StrJoin(base_sums, ", "), " FROM ", target.Table(rollup.rollup_of),
      " WHERE ", absl::StrJoin(in_base, " OR "), " GROUP BY ", group,
      ") ANY LEFT JOIN (SELECT ", group, ", ", absl::StrJoin(rollup_sums, ", "),
      " FROM ", target.Table(rollup.name), " WHERE (sensor, ", step, ") IN (",
      absl::StrJoin(in_rollup, ", "), ") GROUP BY ", group, ") USING (", group,
      ") WHERE rows > r_rows");
}

}  // namespace darkscope
