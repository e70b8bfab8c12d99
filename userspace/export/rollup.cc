// Roll-up rows summed from a batch's snapshots, and the single node's
// catch-up statement (export/rollup.h).
#include "export/rollup.h"

#include <algorithm>
#include <array>
#include <set>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "common/port_index.h"
#include "export/clickhouse_client.h"

namespace darkscope {
namespace {

// The most keys a roll-up has (flows: family, prefix, slot, port); a
// roll-up of fewer leaves the others 0. And the most values (the ports'
// nine), after `rows`.
constexpr size_t kMaxRollupKeys = 4, kMaxRollupValues = 9;
// (sensor, step start, keys): the sensor as its number among the batch's
// sensors, in the order they come.
using RollupKey =
    std::tuple<uint32_t, int64_t, std::array<uint64_t, kMaxRollupKeys>>;
// Each key's rows, then its values, in the order the keys first came: the
// batch's files in order, each file's tables in key order. A retried batch
// sends the same bytes (a Replicated table drops a block it already
// holds), and the rows are written as they lie, without a sort.
struct RollupSums {
  absl::flat_hash_map<RollupKey, uint32_t> index;
  std::vector<std::pair<RollupKey, std::array<uint64_t, 1 + kMaxRollupValues>>>
      rows;
};

template <size_t N>
void Add(RollupSums& sums, const RollupKey& key, const uint64_t (&values)[N]) {
  static_assert(N <= kMaxRollupValues, "a roll-up's values overflow its row");
  auto [it, inserted] =
      sums.index.try_emplace(key, static_cast<uint32_t>(sums.rows.size()));
  if (inserted) sums.rows.push_back({key, {}});
  auto& sum = sums.rows[it->second].second;
  ++sum[0];
  size_t i = 1;
  for (uint64_t v : values) sum[i++] += v;
}

// The base table's rows of `s`, keyed for `rollup` (values in the order of
// rollup_values, which MakeRollupTables in schema.cc gives).
void SumSnapshot(const ClickHouseTable& rollup, const Snapshot& s,
                 uint32_t sensor, RollupSums& sums) {
  const int64_t at = absl::ToUnixSeconds(s.interval_start);
  const int64_t step = at / rollup.step_seconds * rollup.step_seconds;
  if (rollup.rollup_of == "ports") {
    for (const auto& [index, p] : s.counts.ports) {
      const SlotPort sp = SlotPortOfIndex(index);
      Add(sums, {sensor, step, {sp.slot, sp.port}},
          {p.packets, p.bytes, p.syn, p.synack, p.rst, p.mirai, p.zmap,
           p.masscan, p.backscatter});
    }
  } else if (rollup.rollup_of == "src_ports") {
    for (const auto& [index, t] : s.counts.src_ports) {
      Add(sums, {sensor, step, {index / 65536, index % 65536}},
          {t.packets, t.bytes});
    }
  } else if (rollup.rollup_of == "sources") {
    for (const auto& [net, v] : s.counts.sources) {
      Add(sums, {sensor, step, {net.family, PrefixNumber(net)}},
          {v.packets, v.bytes, v.synack, v.rst});
    }
  } else if (rollup.rollup_of == "flows") {
    for (const auto& [key, f] : s.counts.flows) {
      Add(sums,
          {sensor,
           step,
           {key.src.family, PrefixNumber(key.src), key.proto_slot, key.port}},
          {f.packets, f.bytes, f.mirai, f.zmap, f.masscan});
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
  std::vector<absl::string_view> sensors;
  RollupSums sums;
  for (const Snapshot* s : snapshots) {
    auto number =
        std::find(sensors.begin(), sensors.end(), s->sensor) - sensors.begin();
    if (number == static_cast<ptrdiff_t>(sensors.size()))
      sensors.push_back(s->sensor);
    SumSnapshot(rollup, *s, static_cast<uint32_t>(number), sums);
  }
  const size_t values = 1 + rollup.rollup_values.size();
  for (const auto& [key, sum] : sums.rows) {
    rows.String(sensors[std::get<0>(key)]);
    rows.DateTime(std::get<1>(key));
    for (size_t i = 0; i < rollup.rollup_keys.size(); ++i)
      Key(rollup.rollup_keys[i], std::get<2>(key)[i], rows);
    for (size_t i = 0; i < values; ++i) rows.UInt64(sum[i]);
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
