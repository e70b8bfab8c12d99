// A report period from ClickHouse's aggregates.
#include "export/clickhouse_period.h"

#include <cstdlib>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/counter_names.h"
#include "common/status.h"
#include "export/row_binary.h"

namespace darkscope {
namespace {

uint64_t Number(const std::string& s) {
  return std::strtoull(s.c_str(), nullptr, 10);
}

// "[1,2,3]" into `words` (as many as it has room for).
template <size_t N>
void Words(const std::string& text, __u64 (&words)[N]) {
  size_t i = 0;
  for (absl::string_view w :
       absl::StrSplit(absl::StripPrefix(absl::StripSuffix(text, "]"), "["), ',',
                      absl::SkipEmpty())) {
    if (i < N) words[i++] = std::strtoull(std::string(w).c_str(), nullptr, 10);
  }
}

// The hour a row's first column names (Unix seconds, a multiple of 3600).
absl::Time Hour(const std::string& s) {
  return absl::FromUnixSeconds(static_cast<int64_t>(Number(s)));
}

// Country keys of networks, looked up once each.
class Countries {
 public:
  explicit Countries(OriginLookup& origins) : origins_(origins) {}
  uint16_t Of(uint8_t family, uint64_t prefix) {
    auto [it, inserted] = keys_.try_emplace(std::pair{family, prefix}, 0);
    if (inserted)
      it->second =
          CountryKey(origins_.Of(NetOfPrefixNumber(family, prefix)).country);
    return it->second;
  }

 private:
  OriginLookup& origins_;
  absl::flat_hash_map<std::pair<uint8_t, uint64_t>, uint16_t> keys_;
};

constexpr const char* kHour =
    "intDiv(toUInt32(interval_start), 3600) * 3600 AS hour";
constexpr const char* kFoldedPort = "if(slot = 2, 0, port) AS folded_port";

// Snapshot counts a row stands for (roll-ups say theirs), and the seconds
// it observed, as report/period.cc reads them from a file.
std::string AgentCounterOr(const char* name, const char* otherwise) {
  return absl::StrCat("if(has(agent_counter_names, '", name,
                      "'), agent_counter_values[indexOf(agent_counter_names, '",
                      name, "')], ", otherwise, ")");
}

}  // namespace

ClickHousePeriodSource::ClickHousePeriodSource(std::string url,
                                               SchemaTarget target,
                                               std::vector<std::string> sensors)
    : client_(std::move(url), absl::Minutes(10)),
      target_(std::move(target)),
      sensors_(std::move(sensors)) {}

absl::Status ClickHousePeriodSource::Check() {
  const std::string info = target_.Table("schema_info");
  absl::StatusOr<std::string> version =
      client_.Query(absl::StrCat("SELECT max(version) FROM ", info),
                    absl::StrCat("table ", info));
  if (!version.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        version.status().message(), ": no darkscope schema in database ",
        target_.database, " (export into it first, or give --database)"));
  }
  const uint64_t v = Number(*version);
  if (v != kClickHouseSchemaVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "database ", target_.database, " on ", client_.url(),
        " holds darkscope schema version ", v,
        "; this darkscope reads version ", kClickHouseSchemaVersion,
        ": report with the darkscope that exported it, or export again into a "
        "new --database"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::vector<std::string>>>
ClickHousePeriodSource::Rows(const std::string& sql, const std::string& table,
                             absl::Time from, absl::Time to) {
  std::string where = absl::StrCat(
      "interval_start >= toDateTime(", absl::ToUnixSeconds(from),
      ") AND interval_start < toDateTime(", absl::ToUnixSeconds(to), ")");
  if (!sensors_.empty()) {
    std::vector<std::string> quoted;
    for (const std::string& s : sensors_) quoted.push_back(SqlQuote(s));
    absl::StrAppend(&where, " AND sensor IN (", absl::StrJoin(quoted, ", "),
                    ")");
  }
  std::string query = sql;
  query.replace(query.find("{table}"), 7, target_.Table(table));
  query.replace(query.find("{where}"), 7, where);
  DS_ASSIGN_OR_RETURN(
      std::string body,
      client_.Query(query + " FORMAT TabSeparated",
                    absl::StrCat("table ", target_.Table(table))));
  return ParseTabSeparated(body);
}

absl::StatusOr<PeriodCounts> ClickHousePeriodSource::Load(
    absl::Time from, absl::Time to, OriginLookup& origins, absl::TimeZone local,
    bool, std::vector<std::string>&) {
  PeriodCounts p;
  p.from = from;
  p.to = to;
  p.step = to - from > kDailySeriesAfter ? absl::Hours(24) : absl::Hours(1);
  p.zone = local;
  Countries countries(origins);

  // Per sensor: intervals and the data plane's counters.
  std::vector<std::string> sums;
  for (const char* name : kCounterNames)
    sums.push_back(absl::StrCat("sum(", name, ")"));
  DS_ASSIGN_OR_RETURN(
      auto snapshots,
      Rows(absl::StrCat("SELECT sensor, count(), sum(",
                        AgentCounterOr("rollup_snapshots", "1"), "), ",
                        absl::StrJoin(sums, ", "),
                        " FROM {table} WHERE {where} GROUP BY sensor"),
           "snapshots", from, to));
  for (const auto& row : snapshots) {
    EpochCounts& c = p.by_sensor[row[0]];
    p.files += static_cast<int>(Number(row[1]));
    p.snapshots += static_cast<int>(Number(row[2]));
    for (size_t i = 0; i < c.counters.size(); ++i)
      c.counters[i] = Number(row[3 + i]);
  }
  std::vector<std::string> unused;
  DS_ASSIGN_OR_RETURN(p.monthly, LoadMonthly(from, to, unused));
  // Coverage: the seconds each sensor's rows observed, per hour.
  DS_ASSIGN_OR_RETURN(
      auto observed,
      Rows(absl::StrCat(
               "SELECT sensor, toUInt32(interval_start), sum(",
               AgentCounterOr("rollup_observed_seconds", "interval_seconds"),
               ") FROM {table} WHERE {where} GROUP BY sensor, "
               "interval_start"),
           "snapshots", from, to));
  for (const auto& row : observed) {
    AddCoverage(p, row[0], absl::FromUnixSeconds(Number(row[1])),
                Number(row[2]));
  }

  // Ports: per sensor, and the hourly series (ICMP types folded).
  DS_ASSIGN_OR_RETURN(auto ports,
                      Rows("SELECT sensor, slot, port, sum(packets), "
                           "sum(bytes), sum(syn), sum(synack), sum(rst), "
                           "sum(mirai), sum(zmap), sum(masscan), "
                           "sum(backscatter) FROM {table} WHERE {where} "
                           "GROUP BY sensor, slot, port",
                           "ports", from, to));
  for (const auto& row : ports) {
    ds_port_stats& s =
        p.by_sensor[row[0]]
            .ports[ds_port_index(Number(row[1]), Number(row[2]))];
    s = {Number(row[3]), Number(row[4]),  Number(row[5]),
         Number(row[6]), Number(row[7]),  Number(row[8]),
         Number(row[9]), Number(row[10]), Number(row[11])};
  }
  DS_ASSIGN_OR_RETURN(
      auto port_hours,
      Rows(absl::StrCat("SELECT ", kHour, ", slot, ", kFoldedPort,
                        ", sum(packets) FROM {table} WHERE {where} "
                        "GROUP BY hour, slot, folded_port"),
           "ports", from, to));
  for (const auto& row : port_hours) {
    AddHourPoint(p, kPortSeries, ds_port_index(Number(row[1]), Number(row[2])),
                 Hour(row[0]), Number(row[3]), local);
  }

  // Source ports.
  DS_ASSIGN_OR_RETURN(
      auto src_ports,
      Rows("SELECT sensor, slot, port, sum(packets), sum(bytes) FROM {table} "
           "WHERE {where} GROUP BY sensor, slot, port",
           "src_ports", from, to));
  for (const auto& row : src_ports) {
    p.by_sensor[row[0]].src_ports[Number(row[1]) * 65536 + Number(row[2])] = {
        Number(row[3]), Number(row[4])};
  }
  DS_ASSIGN_OR_RETURN(
      auto src_port_hours,
      Rows(absl::StrCat("SELECT ", kHour,
                        ", slot, port, sum(packets) FROM "
                        "{table} WHERE {where} GROUP BY hour, slot, port"),
           "src_ports", from, to));
  for (const auto& row : src_port_hours) {
    AddHourPoint(p, kSourcePortSeries,
                 SourcePortKey(Number(row[1]), Number(row[2])), Hour(row[0]),
                 Number(row[3]), local);
  }

  // Source networks: sums with host sets and port sketches merged by OR,
  // and hourly packets by country.
  DS_ASSIGN_OR_RETURN(auto sources,
                      Rows("SELECT sensor, family, prefix, sum(packets), "
                           "sum(bytes), groupBitOrForEach(hosts), "
                           "groupBitOrForEach(port_sketch), sum(synack), "
                           "sum(rst) FROM {table} WHERE {where} "
                           "GROUP BY sensor, family, prefix",
                           "sources", from, to));
  for (const auto& row : sources) {
    ds_source_stats& s = p.by_sensor[row[0]].sources[NetOfPrefixNumber(
        static_cast<uint8_t>(Number(row[1])), Number(row[2]))];
    s.packets = Number(row[3]);
    s.bytes = Number(row[4]);
    Words(row[5], s.hosts);
    Words(row[6], s.port_sketch);
    s.synack = Number(row[7]);
    s.rst = Number(row[8]);
  }
  DS_ASSIGN_OR_RETURN(
      auto source_hours,
      Rows(absl::StrCat("SELECT ", kHour,
                        ", family, prefix, sum(packets) FROM "
                        "{table} WHERE {where} GROUP BY hour, family, prefix"),
           "sources", from, to));
  std::map<std::pair<int64_t, uint16_t>, uint64_t> by_country;
  for (const auto& row : source_hours) {
    by_country[{static_cast<int64_t>(Number(row[0])),
                countries.Of(static_cast<uint8_t>(Number(row[1])),
                             Number(row[2]))}] += Number(row[3]);
  }
  for (const auto& [key, packets] : by_country) {
    AddHourPoint(p, kCountrySeries, key.second,
                 absl::FromUnixSeconds(key.first), packets, local);
  }

  DS_ASSIGN_OR_RETURN(
      auto destinations,
      Rows("SELECT sensor, family, prefix, sum(packets), sum(bytes), "
           "groupBitOrForEach(hosts) FROM {table} WHERE {where} "
           "GROUP BY sensor, family, prefix",
           "destinations", from, to));
  for (const auto& row : destinations) {
    ds_dest_stats& d = p.by_sensor[row[0]].destinations[NetOfPrefixNumber(
        static_cast<uint8_t>(Number(row[1])), Number(row[2]))];
    d.packets = Number(row[3]);
    d.bytes = Number(row[4]);
    Words(row[5], d.hosts);
  }

  // Flows: source AS x port totals.
  DS_ASSIGN_OR_RETURN(
      auto flow_ports,
      Rows(absl::StrCat("SELECT family, prefix, slot, ", kFoldedPort,
                        ", sum(packets) FROM {table} WHERE {where} "
                        "GROUP BY family, prefix, slot, folded_port"),
           "flows", from, to));
  for (const auto& row : flow_ports) {
    const Origin& o = origins.Of(NetOfPrefixNumber(
        static_cast<uint8_t>(Number(row[0])), Number(row[1])));
    if (o.asn) p.as_names.try_emplace(o.asn, o.as_name);
    p.as_ports[uint64_t{o.asn} << 32 |
               ds_port_index(Number(row[2]), Number(row[3]))] += Number(row[4]);
  }

  // Flows, as hourly country x port series.
  DS_ASSIGN_OR_RETURN(
      auto flow_hours,
      Rows(absl::StrCat("SELECT ", kHour, ", family, prefix, slot, ",
                        kFoldedPort,
                        ", sum(packets) FROM {table} WHERE {where} "
                        "GROUP BY hour, family, prefix, slot, folded_port"),
           "flows", from, to));
  std::map<std::pair<int64_t, uint64_t>, uint64_t> pairs;
  for (const auto& row : flow_hours) {
    const uint64_t country =
        countries.Of(static_cast<uint8_t>(Number(row[1])), Number(row[2]));
    pairs[{static_cast<int64_t>(Number(row[0])),
           country << 32 | ds_port_index(Number(row[3]), Number(row[4]))}] +=
        Number(row[5]);
  }
  for (const auto& [key, packets] : pairs) {
    AddHourPoint(p, kCountryPortSeries, key.second,
                 absl::FromUnixSeconds(key.first), packets, local);
  }
  SumSensors(p);
  return p;
}

absl::StatusOr<MonthlyUsage> ClickHousePeriodSource::LoadMonthly(
    absl::Time from, absl::Time to, std::vector<std::string>&) {
  DS_ASSIGN_OR_RETURN(
      auto rows,
      Rows(absl::StrCat(
               "SELECT sensor, toYYYYMM(toDateTime(toUInt32(interval_start), "
               "'UTC')) AS "
               "month, sum(ipv4), sum(",
               AgentCounterOr("rollup_observed_seconds", "interval_seconds"),
               "), max(ipv4_addresses), sum(ipv6), "
               "arrayStringConcat(groupUniqArrayArray(darknet), ' ') FROM "
               "{table} WHERE {where} GROUP BY sensor, month"),
           "snapshots", from, to));
  MonthlyUsage usage;
  for (const auto& row : rows) {
    const uint64_t month = Number(row[1]);
    MonthUsage& m =
        usage[row[0]][absl::StrFormat("%04d-%02d", month / 100, month % 100)];
    m.ipv4_packets = Number(row[2]);
    m.observed_seconds = Number(row[3]);
    m.ipv4_addresses = Number(row[4]);
    m.ipv6_packets = Number(row[5]);
    // The /48s of the prefixes the month's snapshots list (as a file
    // reader takes the largest count of one file, and a sensor's prefixes
    // do not change within a month).
    std::vector<Prefix> prefixes;
    for (absl::string_view cidr :
         absl::StrSplit(row[6], ' ', absl::SkipEmpty())) {
      if (absl::StatusOr<Prefix> prefix = ParseDarknetPrefix(cidr); prefix.ok())
        prefixes.push_back(*prefix);
    }
    m.ipv6_slash48s = Ipv6Slash48Count(prefixes);
  }
  return usage;
}

}  // namespace darkscope
