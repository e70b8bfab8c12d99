// A report period from ClickHouse's aggregates.
#include "export/clickhouse_period.h"

#include <algorithm>
#include <charconv>
#include <functional>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "common/counter_names.h"
#include "common/port_index.h"
#include "common/status.h"
#include "export/row_binary.h"

namespace darkscope {
namespace {

using Row = TabSeparatedRows::Row;

// A field's unsigned number (0 if it holds none).
uint64_t Number(absl::string_view s) {
  uint64_t n = 0;
  std::from_chars(s.data(), s.data() + s.size(), n);
  return n;
}

// "[1,2,3]" into `words` (as many as it has room for).
template <size_t N>
void Words(absl::string_view text, __u64 (&words)[N]) {
  size_t i = 0;
  for (absl::string_view w :
       absl::StrSplit(absl::StripPrefix(absl::StripSuffix(text, "]"), "["), ',',
                      absl::SkipEmpty())) {
    if (i < N) words[i++] = Number(w);
  }
}

// A sensor's counts, by the name a row's field gives.
EpochCounts& SensorCounts(PeriodCounts& p, absl::string_view sensor) {
  return p.by_sensor[std::string(sensor)];
}

// The hour a row's first column names (Unix seconds, a multiple of 3600).
absl::Time Hour(absl::string_view s) {
  return absl::FromUnixSeconds(static_cast<int64_t>(Number(s)));
}

// Origins of networks, looked up once each: their country keys, and their
// ASes' numbers and names.
class Countries {
 public:
  struct Keys {
    uint16_t country;
    uint32_t asn;
  };
  explicit Countries(OriginLookup& origins) : origins_(origins) {}
  const Keys& KeysOf(uint8_t family, uint64_t prefix) {
    auto [it, inserted] = keys_.try_emplace(std::pair{family, prefix}, Keys{});
    if (inserted) {
      const Origin& o = origins_.Of(NetOfPrefixNumber(family, prefix));
      it->second = {CountryKey(o.country), o.asn};
      if (o.asn) as_names_.try_emplace(o.asn, o.as_name);
    }
    return it->second;
  }
  uint16_t Of(uint8_t family, uint64_t prefix) {
    return KeysOf(family, prefix).country;
  }
  const std::string& AsName(uint32_t asn) const {
    static const std::string* const kNone = new std::string;
    auto it = as_names_.find(asn);
    return it == as_names_.end() ? *kNone : it->second;
  }

 private:
  OriginLookup& origins_;
  absl::flat_hash_map<std::pair<uint8_t, uint64_t>, Keys> keys_;
  absl::flat_hash_map<uint32_t, std::string> as_names_;
};

// The ports table's values, in ds_port_stats's order.
constexpr const char* kPortValueColumns[] = {
    "packets", "bytes", "syn",     "synack",     "rst",
    "mirai",   "zmap",  "masscan", "backscatter"};

constexpr const char* kFoldedPort = "if(slot = 2, 0, port) AS folded_port";

// Snapshot counts a row stands for (roll-ups say theirs), and the seconds
// it observed, as report/period.cc reads them from a file.
std::string AgentCounterOr(const char* name, const char* otherwise) {
  return absl::StrCat("if(has(agent_counter_names, '", name,
                      "'), agent_counter_values[indexOf(agent_counter_names, '",
                      name, "')], ", otherwise, ")");
}

constexpr const char* kMonth =
    "toYYYYMM(toDateTime(toUInt32(interval_start), 'UTC')) AS month";

// The ports table's column of a fingerprint's packets.
const char* FingerprintColumn(uint32_t fingerprint) {
  return fingerprint == DS_CTR_MIRAI  ? "mirai"
         : fingerprint == DS_CTR_ZMAP ? "zmap"
                                      : "masscan";
}

// Each hour of the period with its series step and its hours of day (UTC
// and local), as AddHourPoint places it: queries join it to sum hours by
// step and by hour of day on the server.
ClickHouseExternalTable PeriodHours(const PeriodCounts& p,
                                    absl::TimeZone local) {
  ClickHouseExternalTable hours{
      "period_hours",
      "hour UInt32, step UInt32, hour_utc UInt8, hour_local UInt8", ""};
  for (absl::Time t = absl::UnixEpoch() +
                      absl::Floor(p.from - absl::UnixEpoch(), absl::Hours(1));
       t < p.to; t += absl::Hours(1)) {
    absl::StrAppend(&hours.rows, absl::ToUnixSeconds(t), "\t",
                    absl::ToUnixSeconds(StepStart(p, t)), "\t",
                    absl::ToCivilHour(t, absl::UTCTimeZone()).hour(), "\t",
                    absl::ToCivilHour(t, local).hour(), "\n");
  }
  return hours;
}

// The source networks of the period, attributed client side (the
// enrichment data is the report's), sent for the server to group flows
// and sources by country or AS: family, prefix, country key, ASN, and
// `known` (1; 0 on a network the table lacks, after a LEFT JOIN).
constexpr const char* kOrigins = "origins";
constexpr const char* kOriginsStructure =
    "family UInt8, prefix UInt64, country UInt16, asn UInt32, known UInt8";

// `rows` (a subquery with family and prefix) with their origins: the
// columns `keep`, then `known`, `country`, `asn`, and `net_family`,
// `net_prefix`: the network where the origins table lacks it (known = 0:
// attributed client side), else 0.
std::string Attributed(const std::string& rows, const std::string& keep) {
  return absl::StrCat("(SELECT ", keep,
                      ", known, country, asn, if(known, 0, family) AS "
                      "net_family, if(known, 0, prefix) AS net_prefix FROM ",
                      rows, " ANY LEFT JOIN origins USING (family, prefix))");
}
// The attributed columns a query groups by, and the key they give.
constexpr const char* kCountryColumns =
    "known, country, net_family, net_prefix";
constexpr const char* kAsColumns = "known, asn, net_family, net_prefix";
uint64_t CountryAt(const Row& row, size_t i, Countries& countries) {
  return Number(row[i]) ? Number(row[i + 1])
                        : countries.Of(static_cast<uint8_t>(Number(row[i + 2])),
                                       Number(row[i + 3]));
}
// The AS of kAsColumns at row[i..i+3].
uint32_t AsnAt(const Row& row, size_t i, Countries& countries) {
  return Number(row[i]) ? static_cast<uint32_t>(Number(row[i + 1]))
                        : countries
                              .KeysOf(static_cast<uint8_t>(Number(row[i + 2])),
                                      Number(row[i + 3]))
                              .asn;
}

// " AND (slot, folded port) IN ((0, 23), ...)": rows of the (slot, port)
// pairs, ICMP types as one; empty for none (no restriction).
std::string SlotPortCondition(
    const std::vector<std::pair<uint32_t, uint32_t>>& pairs) {
  if (pairs.empty()) return "";
  std::vector<std::string> tuples;
  for (const auto& [slot, port] : pairs)
    tuples.push_back(absl::StrCat("(", slot, ", ", port, ")"));
  return absl::StrCat(" AND (slot, if(slot = 2, 0, port)) IN (",
                      absl::StrJoin(tuples, ", "), ")");
}

absl::Time FloorTo(absl::Time t, absl::Duration d) {
  return absl::UnixEpoch() + absl::Floor(t - absl::UnixEpoch(), d);
}
absl::Time CeilTo(absl::Time t, absl::Duration d) {
  const absl::Time floor = FloorTo(t, d);
  return floor == t ? t : floor + d;
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

absl::Status ClickHousePeriodSource::SetFilter(const ReportFilter& filter) {
  filter_ = filter;
  return absl::OkStatus();
}

std::string ClickHousePeriodSource::SensorCondition() const {
  std::string condition;
  // The sensors this source was made for, and those of the filter.
  for (const std::vector<std::string>& sensors :
       {sensors_, std::vector<std::string>(filter_.sensors.begin(),
                                           filter_.sensors.end())}) {
    if (sensors.empty()) continue;
    std::vector<std::string> quoted;
    for (const std::string& s : sensors) quoted.push_back(SqlQuote(s));
    absl::StrAppend(&condition, " AND sensor IN (", absl::StrJoin(quoted, ", "),
                    ")");
  }
  return condition;
}

std::string ClickHousePeriodSource::Expand(const std::string& sql,
                                           const std::string& table,
                                           absl::Time from,
                                           absl::Time to) const {
  const std::string where =
      absl::StrCat("interval_start >= toDateTime(", absl::ToUnixSeconds(from),
                   ") AND interval_start < toDateTime(",
                   absl::ToUnixSeconds(to), ")", SensorCondition());
  return absl::StrReplaceAll(sql, {{"{table}", target_.Table(table)},
                                   {"{sources}", target_.Table("sources")},
                                   {"{flows}", target_.Table("flows")},
                                   {"{where}", where}});
}

absl::StatusOr<TabSeparatedRows> ClickHousePeriodSource::Rows(
    const std::string& sql, const std::string& table, absl::Time from,
    absl::Time to, const Restriction& r,
    const std::vector<ClickHouseExternalTable>& also) {
  return Query(Expand(sql, table, from, to), table, r, also);
}

absl::StatusOr<TabSeparatedRows> ClickHousePeriodSource::Query(
    const std::string& sql, const std::string& table, const Restriction& r,
    const std::vector<ClickHouseExternalTable>& also) {
  // Only the tables this query reads go with it.
  std::vector<ClickHouseExternalTable> tables;
  for (const auto* list : {&r.tables, &also}) {
    for (const ClickHouseExternalTable& t : *list) {
      if (absl::StrContains(sql, t.name)) tables.push_back(t);
    }
  }
  DS_ASSIGN_OR_RETURN(
      std::string body,
      client_.Query(sql + " FORMAT TabSeparated",
                    absl::StrCat("table ", target_.Table(table)), {}, tables));
  return TabSeparatedRows(std::move(body));
}

std::string ClickHousePeriodSource::Tiered(const std::string& table,
                                           const std::string& columns,
                                           const std::string& condition,
                                           absl::Time from, absl::Time to,
                                           Grain coarsest) const {
  struct Span {
    absl::Time from, to;
    Grain grain;
  };
  // Hours from the base table where the schema rolls `table` up by day
  // only.
  const auto rolled = [&](const char* suffix) {
    const std::string name = table + suffix;
    return std::any_of(
        RollupTables().begin(), RollupTables().end(),
        [&](const ClickHouseTable& t) { return t.name == name; });
  };
  const Grain hours = rolled("_hourly") ? Grain::kHour : Grain::kInterval;
  std::vector<Span> spans;
  const absl::Time first_hour = CeilTo(from, absl::Hours(1)),
                   last_hour = FloorTo(to, absl::Hours(1));
  if (coarsest == Grain::kInterval || first_hour >= last_hour) {
    spans.push_back({from, to, Grain::kInterval});
  } else {
    spans.push_back({from, first_hour, Grain::kInterval});
    const absl::Time first_day = CeilTo(first_hour, absl::Hours(24)),
                     last_day = FloorTo(last_hour, absl::Hours(24));
    if (coarsest == Grain::kDay && first_day < last_day && rolled("_daily")) {
      spans.push_back({first_hour, first_day, hours});
      spans.push_back({first_day, last_day, Grain::kDay});
      spans.push_back({last_day, last_hour, hours});
    } else {
      spans.push_back({first_hour, last_hour, hours});
    }
    spans.push_back({last_hour, to, Grain::kInterval});
  }
  std::vector<std::string> selects;
  for (const Span& span : spans) {
    if (span.from >= span.to && spans.size() > 1) continue;
    const char* time = span.grain == Grain::kDay    ? "day"
                       : span.grain == Grain::kHour ? "hour"
                                                    : "interval_start";
    const std::string name =
        absl::StrCat(table, span.grain == Grain::kDay    ? "_daily"
                            : span.grain == Grain::kHour ? "_hourly"
                                                         : "");
    const std::string hour =
        span.grain == Grain::kInterval
            ? "toUInt32(intDiv(toUInt32(interval_start), 3600) * 3600)"
            : absl::StrCat("toUInt32(", time, ")");
    selects.push_back(absl::StrCat(
        "SELECT ", hour, " AS hour, ", columns, " FROM ", target_.Table(name),
        " WHERE ", time, " >= toDateTime(", absl::ToUnixSeconds(span.from),
        ") AND ", time, " < toDateTime(", absl::ToUnixSeconds(span.to), ")",
        SensorCondition(), condition));
  }
  return absl::StrCat("(", absl::StrJoin(selects, " UNION ALL "), ")");
}

absl::StatusOr<ClickHousePeriodSource::Restriction>
ClickHousePeriodSource::Restrict(absl::Time from, absl::Time to,
                                 OriginLookup& origins) {
  const ReportFilter& f = filter_;
  Restriction r;
  std::vector<std::pair<uint32_t, uint32_t>> ports, source_ports;
  for (uint32_t index : f.ports) {
    const SlotPort sp = SlotPortOfIndex(index);
    ports.emplace_back(sp.slot, sp.port);
  }
  for (uint32_t key : f.source_ports)
    source_ports.emplace_back(key / 65536, key % 65536);
  r.ports = SlotPortCondition(ports);
  r.source_ports = SlotPortCondition(source_ports);
  if (f.family != 0) r.sources = absl::StrCat(" AND family = ", f.family);
  if (f.countries.empty() && f.asns.empty() && f.exclude == nullptr) return r;
  // Countries, ASes and known networks: each network the period holds
  // (in sources or in flows) decided here, as the files' loader does.
  FilterPass pass(f, origins);
  absl::flat_hash_set<std::pair<uint64_t, uint64_t>> seen;
  std::string kept, dropped;
  size_t kept_count = 0, dropped_count = 0;
  for (const char* table : {"sources", "flows"}) {
    // From the roll-ups for whole hours and days.
    const std::string rows =
        Tiered(table, "family, prefix", r.sources, from, to, Grain::kDay);
    DS_ASSIGN_OR_RETURN(auto networks,
                        Query(absl::StrCat("SELECT family, prefix FROM ", rows,
                                           " GROUP BY family, prefix"),
                              table, r));
    for (const auto& row : networks) {
      const uint64_t family = Number(row[0]), prefix = Number(row[1]);
      if (!seen.insert({family, prefix}).second) continue;
      const bool keep = pass.KeepsSource(
          NetOfPrefixNumber(static_cast<uint8_t>(family), prefix));
      absl::StrAppend(keep ? &kept : &dropped, family, "\t", prefix, "\n");
      ++(keep ? kept_count : dropped_count);
    }
  }
  // The fewer of the two goes to the server.
  constexpr const char* kStructure = "family UInt8, prefix UInt64";
  if (dropped_count == 0) return r;
  if (kept_count == 0) {
    r.sources += " AND 0";
  } else if (kept_count <= dropped_count) {
    r.sources += " AND (family, prefix) IN kept_sources";
    r.tables.push_back({"kept_sources", kStructure, std::move(kept)});
  } else {
    r.sources += " AND (family, prefix) NOT IN dropped_sources";
    r.tables.push_back({"dropped_sources", kStructure, std::move(dropped)});
  }
  return r;
}

absl::StatusOr<PeriodCounts> ClickHousePeriodSource::Load(
    absl::Time from, absl::Time to, OriginLookup& origins, absl::TimeZone local,
    bool, std::vector<std::string>&) {
  origins_ = &origins;
  const ReportFilter& f = filter_;
  DS_ASSIGN_OR_RETURN(const Restriction r, Restrict(from, to, origins));
  // Which tables a filtered period keeps, and from where (as
  // FilterPass::Apply restricts each snapshot): source ports only with
  // their own filter; no sources under a fingerprint; ports from the flows
  // (with their fingerprints) under source filters; under port filters only
  // the networks with flows to the ports in a snapshot, with those flows'
  // packets.
  const bool restricted = f.restricts_counts();
  const bool read_ports = f.source_ports.empty();
  const bool read_src_ports = !restricted || !f.source_ports.empty();
  const bool read_sources = f.source_ports.empty() && f.fingerprint == 0;
  const bool ports_from_flows = read_ports && f.by_source();
  const bool sources_by_flows = read_sources && !f.ports.empty();
  PeriodCounts p;
  p.from = from;
  p.to = to;
  p.step = to - from > kDailySeriesAfter ? absl::Hours(24) : absl::Hours(1);
  p.zone = local;
  Countries countries(origins);
  const ClickHouseExternalTable hours = PeriodHours(p, local);
  // Sums over the period read the daily roll-ups for whole UTC days;
  // series at a daily step too where the zone's days are UTC days;
  // hourly steps and hour-of-day profiles the hourly ones.
  const Grain step_grain =
      p.step >= absl::Hours(24) && DaysAreUtcDays(local, from, to)
          ? Grain::kDay
          : Grain::kHour;
  ClickHouseExternalTable network_origins{kOrigins, kOriginsStructure, ""};

  // Adds the series of `kind` from `rows(coarsest grain)`, a subquery of
  // `hour`, the columns `keys` and `v` (packets), summed on the server by
  // hour (hourly steps), or by step and by hour of day (each row joined to
  // its hour's step and hours of day, then grouped: no group per hour),
  // each entry keyed by key_of(row, index of its first key column).
  // `having`: on each group's sum `n`.
  using KeyOf = std::function<uint64_t(const Row&, size_t)>;
  auto add_series = [&](SeriesKind kind, const std::string& table,
                        const std::function<std::string(Grain)>& rows,
                        const std::string& keys, const KeyOf& key_of,
                        const std::string& having = "") -> absl::Status {
    const size_t key_count = std::count(keys.begin(), keys.end(), ',') + 1;
    const std::vector<ClickHouseExternalTable> also = {hours, network_origins};
    if (p.step < absl::Hours(24)) {
      DS_ASSIGN_OR_RETURN(
          auto points,
          Query(absl::StrCat("SELECT hour, ", keys, ", sum(v) AS n FROM ",
                             rows(Grain::kHour), " GROUP BY hour, ", keys,
                             having),
                table, r, also));
      for (const auto& row : points) {
        AddHourPoint(p, kind, key_of(row, 1), Hour(row[0]),
                     Number(row[1 + key_count]), local);
      }
      return absl::OkStatus();
    }
    DS_ASSIGN_OR_RETURN(
        auto steps,
        Query(absl::StrCat("SELECT step, ", keys, ", sum(v) AS n FROM ",
                           rows(step_grain),
                           " ANY INNER JOIN period_hours USING hour GROUP BY "
                           "step, ",
                           keys, having),
              table, r, also));
    for (const auto& row : steps) {
      p.keyed[kind].Add(key_of(row, 1), static_cast<int64_t>(Number(row[0])),
                        Number(row[1 + key_count]));
    }
    if (kind != kPortSeries && kind != kCountrySeries) return absl::OkStatus();
    DS_ASSIGN_OR_RETURN(
        auto hours_of_day,
        Query(absl::StrCat("SELECT hour_utc, hour_local, ", keys,
                           ", sum(v) AS n FROM ", rows(Grain::kHour),
                           " ANY INNER JOIN period_hours USING hour GROUP BY "
                           "hour_utc, hour_local, ",
                           keys, having),
              table, r, also));
    for (const auto& row : hours_of_day) {
      AddHourOfDay(p, kind, key_of(row, 2), static_cast<int>(Number(row[0])),
                   static_cast<int>(Number(row[1])),
                   Number(row[2 + key_count]));
    }
    return absl::OkStatus();
  };
  const KeyOf port_key = [](const Row& row, size_t i) {
    return uint64_t{ds_port_index(Number(row[i]), Number(row[i + 1]))};
  };
  const KeyOf country_key = [&](const Row& row, size_t i) {
    return CountryAt(row, i, countries);
  };

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
           "snapshots", from, to, r));
  for (const auto& row : snapshots) {
    EpochCounts& c = SensorCounts(p, row[0]);
    p.files += static_cast<int>(Number(row[1]));
    p.snapshots += static_cast<int>(Number(row[2]));
    for (size_t i = 0; i < c.counters.size(); ++i)
      c.counters[i] = Number(row[3 + i]);
  }
  DS_ASSIGN_OR_RETURN(p.monthly, Monthly(from, to, r));
  // Coverage: the seconds each sensor's rows observed, per interval.
  DS_ASSIGN_OR_RETURN(
      auto observed,
      Rows(absl::StrCat(
               "SELECT sensor, toUInt32(interval_start), sum(",
               AgentCounterOr("rollup_observed_seconds", "interval_seconds"),
               ") FROM {table} WHERE {where} GROUP BY sensor, "
               "interval_start"),
           "snapshots", from, to, r));
  for (const auto& row : observed) {
    AddCoverage(p, std::string(row[0]), absl::FromUnixSeconds(Number(row[1])),
                Number(row[2]));
  }

  // Source networks: sums with host sets and port sketches merged by OR
  // (not in the roll-ups: from the base table). Under a port filter, a
  // network's rows of the snapshots where it sent flows to the ports, with
  // those flows' packets and bytes (no SYN-ACK or RST: not per port).
  std::string source_rows = absl::StrCat("{table} WHERE {where}", r.sources);
  std::string packets = "packets", bytes = "bytes", synack = "sum(synack)",
              rst = "sum(rst)";
  if (sources_by_flows) {
    source_rows = absl::StrCat(
        "(SELECT sensor, interval_start, family, prefix, hosts, port_sketch "
        "FROM {sources} WHERE {where}",
        r.sources,
        ") ANY INNER JOIN (SELECT sensor, interval_start, family, prefix, "
        "sum(packets) AS flow_packets, sum(bytes) AS flow_bytes FROM "
        "{flows} WHERE {where}",
        r.ports, r.sources,
        " GROUP BY sensor, interval_start, family, prefix) USING (sensor, "
        "interval_start, family, prefix)");
    packets = "flow_packets", bytes = "flow_bytes", synack = rst = "0";
  }
  if (read_sources) {
    DS_ASSIGN_OR_RETURN(
        auto sources,
        Rows(absl::StrCat("SELECT sensor, family, prefix, sum(", packets,
                          "), sum(", bytes,
                          "), groupBitOrForEach(hosts), "
                          "groupBitOrForEach(port_sketch), ",
                          synack, ", ", rst, " FROM ", source_rows,
                          " GROUP BY sensor, family, prefix"),
             "sources", from, to, r));
    absl::flat_hash_set<std::pair<uint8_t, uint64_t>> attributed;
    for (const auto& row : sources) {
      const auto family = static_cast<uint8_t>(Number(row[1]));
      const uint64_t prefix = Number(row[2]);
      ds_source_stats& s =
          SensorCounts(p, row[0]).sources[NetOfPrefixNumber(family, prefix)];
      s.packets = Number(row[3]);
      s.bytes = Number(row[4]);
      Words(row[5], s.hosts);
      Words(row[6], s.port_sketch);
      s.synack = Number(row[7]);
      s.rst = Number(row[8]);
      // The network's origin, for the server to group by.
      if (attributed.insert({family, prefix}).second) {
        const Countries::Keys& keys = countries.KeysOf(family, prefix);
        absl::StrAppend(&network_origins.rows, family, "\t", prefix, "\t",
                        keys.country, "\t", keys.asn, "\t1\n");
      }
    }
  }

  // Ports: per sensor, and the series (ICMP types folded). Under a
  // fingerprint only its packets, on the ports that have some.
  if (read_ports) {
    const std::string fingerprint =
        f.fingerprint != 0 ? FingerprintColumn(f.fingerprint) : "";
    const std::string table = ports_from_flows ? "flows" : "ports";
    const std::string condition =
        ports_from_flows ? r.ports + r.sources : r.ports;
    std::vector<std::string> columns(std::begin(kPortValueColumns),
                                     std::end(kPortValueColumns));
    std::string having;
    if (!fingerprint.empty()) {
      columns = {fingerprint};
      having = " HAVING n > 0";
    } else if (ports_from_flows) {
      columns = {"packets", "bytes", "mirai", "zmap", "masscan"};
    }
    std::vector<std::string> values;
    for (const std::string& c : columns)
      values.push_back(absl::StrCat("sum(", c, ")"));
    if (!fingerprint.empty()) values[0] += " AS n";
    DS_ASSIGN_OR_RETURN(
        auto ports,
        Query(absl::StrCat("SELECT sensor, slot, port, ",
                           absl::StrJoin(values, ", "), " FROM ",
                           Tiered(table,
                                  absl::StrCat("sensor, slot, port, ",
                                               absl::StrJoin(columns, ", ")),
                                  condition, from, to, Grain::kDay),
                           " GROUP BY sensor, slot, port", having),
              table, r));
    for (const auto& row : ports) {
      ds_port_stats& s =
          SensorCounts(p, row[0])
              .ports[ds_port_index(Number(row[1]), Number(row[2]))];
      if (!fingerprint.empty()) {
        s = FingerprintPortStats(f.fingerprint, Number(row[3]));
      } else if (ports_from_flows) {
        s.packets = Number(row[3]);
        s.bytes = Number(row[4]);
        s.mirai = Number(row[5]);
        s.zmap = Number(row[6]);
        s.masscan = Number(row[7]);
      } else {
        s = {Number(row[3]), Number(row[4]),  Number(row[5]),
             Number(row[6]), Number(row[7]),  Number(row[8]),
             Number(row[9]), Number(row[10]), Number(row[11])};
      }
    }
    const std::string value = fingerprint.empty() ? "packets" : fingerprint;
    DS_RETURN_IF_ERROR(add_series(
        kPortSeries, table,
        [&](Grain grain) {
          return Tiered(
              table, absl::StrCat("slot, ", kFoldedPort, ", ", value, " AS v"),
              condition, from, to, grain);
        },
        "slot, folded_port", port_key, fingerprint.empty() ? "" : having));
  }

  // Source ports.
  if (read_src_ports) {
    DS_ASSIGN_OR_RETURN(
        auto src_ports,
        Query(absl::StrCat(
                  "SELECT sensor, slot, port, sum(packets), "
                  "sum(bytes) FROM ",
                  Tiered("src_ports", "sensor, slot, port, packets, bytes",
                         r.source_ports, from, to, Grain::kDay),
                  " GROUP BY sensor, slot, port"),
              "src_ports", r));
    for (const auto& row : src_ports) {
      SensorCounts(p, row[0])
          .src_ports[Number(row[1]) * 65536 + Number(row[2])] = {
          Number(row[3]), Number(row[4])};
    }
    DS_RETURN_IF_ERROR(add_series(
        kSourcePortSeries, "src_ports",
        [&](Grain grain) {
          return Tiered("src_ports", "slot, port, packets AS v", r.source_ports,
                        from, to, grain);
        },
        "slot, port",
        [](const Row& row, size_t i) {
          return uint64_t{SourcePortKey(Number(row[i]), Number(row[i + 1]))};
        }));
  }

  // Source networks by country, and by AS for the ASes asked for: their
  // hourly packets grouped by origin on the server (a port filter's from
  // the base tables' join).
  const auto attributed_sources = [&](Grain grain) {
    const std::string rows =
        sources_by_flows
            ? Expand(absl::StrCat("(SELECT toUInt32(intDiv(toUInt32("
                                  "interval_start), 3600) * 3600) AS "
                                  "hour, family, prefix, ",
                                  packets, " AS v FROM ", source_rows, ")"),
                     "sources", from, to)
            : Tiered("sources", "family, prefix, packets AS v", r.sources, from,
                     to, grain);
    return Attributed(rows, "hour, v");
  };
  if (read_sources) {
    DS_RETURN_IF_ERROR(add_series(kCountrySeries, "sources", attributed_sources,
                                  kCountryColumns, country_key));
  }
  if (read_sources && !filter_.series_asns.empty()) {
    // Networks the origins table lacks (known = 0) come back one each and
    // are attributed here; the others by AS, only the ASes asked for.
    const std::string asked = absl::StrJoin(filter_.series_asns, ", ");
    DS_RETURN_IF_ERROR(add_series(
        kAsSeries, "sources",
        [&](Grain grain) {
          return absl::StrCat("(SELECT * FROM ", attributed_sources(grain),
                              " WHERE known = 0 OR asn IN (", asked, "))");
        },
        kAsColumns,
        [&](const Row& row, size_t i) {
          return uint64_t{AsnAt(row, i, countries)};
        }));
  }

  // Destination networks: not per source or port.
  if (!restricted) {
    DS_ASSIGN_OR_RETURN(
        auto destinations,
        Rows("SELECT sensor, family, prefix, sum(packets), sum(bytes), "
             "groupBitOrForEach(hosts) FROM {table} WHERE {where} "
             "GROUP BY sensor, family, prefix",
             "destinations", from, to, r));
    for (const auto& row : destinations) {
      ds_dest_stats& d = SensorCounts(p, row[0]).destinations[NetOfPrefixNumber(
          static_cast<uint8_t>(Number(row[1])), Number(row[2]))];
      d.packets = Number(row[3]);
      d.bytes = Number(row[4]);
      Words(row[5], d.hosts);
    }
  }

  // Flows, grouped by source AS and by country on the server: AS x port
  // totals, and country x port series.
  const std::string flows_kept = r.ports + r.sources;
  const std::string flow_columns =
      absl::StrCat("family, prefix, slot, ", kFoldedPort, ", packets AS v");
  DS_ASSIGN_OR_RETURN(
      auto flow_ports,
      Query(absl::StrCat("SELECT ", kAsColumns,
                         ", slot, folded_port, sum(v) FROM ",
                         Attributed(Tiered("flows", flow_columns, flows_kept,
                                           from, to, Grain::kDay),
                                    "slot, folded_port, v"),
                         " GROUP BY ", kAsColumns, ", slot, folded_port"),
            "flows", r, {network_origins}));
  for (const auto& row : flow_ports) {
    const uint32_t asn = AsnAt(row, 0, countries);
    if (asn) p.as_names.try_emplace(asn, countries.AsName(asn));
    p.as_ports[uint64_t{asn} << 32 |
               ds_port_index(Number(row[4]), Number(row[5]))] += Number(row[6]);
  }
  DS_RETURN_IF_ERROR(add_series(
      kCountryPortSeries, "flows",
      [&](Grain grain) {
        return Attributed(
            Tiered("flows", flow_columns, flows_kept, from, to, grain),
            "hour, slot, folded_port, v");
      },
      absl::StrCat(kCountryColumns, ", slot, folded_port"),
      [&](const Row& row, size_t i) {
        return CountryAt(row, i, countries) << 32 |
               ds_port_index(Number(row[i + 4]), Number(row[i + 5]));
      }));

  // The counters of what the filter kept; under port filters the IPv4 and
  // IPv6 totals are the kept flows'.
  if (restricted) {
    std::map<std::string, std::array<uint64_t, 2>> flow_families;
    if (sources_by_flows) {
      DS_ASSIGN_OR_RETURN(
          auto families,
          Rows(absl::StrCat("SELECT sensor, family = ", DS_FAMILY_IPV6,
                            ", sum(packets) FROM {table} WHERE {where}",
                            flows_kept, " GROUP BY sensor, family"),
               "flows", from, to, r));
      for (const auto& row : families)
        flow_families[std::string(row[0])][Number(row[1]) ? 1 : 0] +=
            Number(row[2]);
    }
    for (auto& [sensor, c] : p.by_sensor) {
      const std::array<uint64_t, 2>& family = flow_families[sensor];
      RestrictCounters(f, family[0], family[1], c);
    }
  }
  SumSensors(p);
  return p;
}

absl::StatusOr<MonthlyUsage> ClickHousePeriodSource::LoadMonthly(
    absl::Time from, absl::Time to, std::vector<std::string>&) {
  // As the files' loader: the last period's origins, or none.
  std::unique_ptr<OriginLookup> no_origins;
  OriginLookup* origins = origins_;
  if (origins == nullptr) {
    no_origins = OriginLookup::Open("");
    origins = no_origins.get();
  }
  DS_ASSIGN_OR_RETURN(const Restriction r, Restrict(from, to, *origins));
  return Monthly(from, to, r);
}

absl::StatusOr<MonthlyUsage> ClickHousePeriodSource::Monthly(
    absl::Time from, absl::Time to, const Restriction& r) {
  DS_ASSIGN_OR_RETURN(
      auto rows,
      Rows(absl::StrCat(
               "SELECT sensor, ", kMonth, ", sum(ipv4), sum(",
               AgentCounterOr("rollup_observed_seconds", "interval_seconds"),
               "), max(ipv4_addresses), sum(ipv6), "
               "arrayStringConcat(groupUniqArrayArray(darknet), ' ') FROM "
               "{table} WHERE {where} GROUP BY sensor, month"),
           "snapshots", from, to, r));
  MonthlyUsage usage;
  auto month_of = [&](absl::string_view sensor,
                      absl::string_view month) -> MonthUsage& {
    const uint64_t m = Number(month);
    return usage[std::string(sensor)]
                [absl::StrFormat("%04d-%02d", m / 100, m % 100)];
  };
  for (const auto& row : rows) {
    MonthUsage& m = month_of(row[0], row[1]);
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
  const ReportFilter& f = filter_;
  if (!f.restricts_counts()) return usage;
  // The IPv4 and IPv6 packets the filter keeps (RestrictCounters): none
  // under a source port filter; a fingerprint's (IPv4: the kept flows'
  // under source filters); the kept flows' under port filters; else the
  // kept sources'.
  for (auto& [sensor, months] : usage) {
    for (auto& [month, m] : months) m.ipv4_packets = m.ipv6_packets = 0;
  }
  if (!f.source_ports.empty()) return usage;
  std::string sql;
  if (f.fingerprint != 0) {
    sql = absl::StrCat(
        "SELECT sensor, ", kMonth, ", sum(", FingerprintColumn(f.fingerprint),
        "), 0 FROM {table} WHERE {where}", r.ports,
        f.by_source() ? r.sources : "", " GROUP BY sensor, month");
  } else {
    sql = absl::StrCat(
        "SELECT sensor, ", kMonth, ", sumIf(packets, family = ", DS_FAMILY_IPV4,
        "), sumIf(packets, family = ", DS_FAMILY_IPV6,
        ") FROM {table} WHERE {where}", f.ports.empty() ? "" : r.ports,
        r.sources, " GROUP BY sensor, month");
  }
  const char* table = f.fingerprint != 0 ? (f.by_source() ? "flows" : "ports")
                      : f.ports.empty()  ? "sources"
                                         : "flows";
  DS_ASSIGN_OR_RETURN(auto kept, Rows(sql, table, from, to, r));
  for (const auto& row : kept) {
    MonthUsage& m = month_of(row[0], row[1]);
    m.ipv4_packets = Number(row[2]);
    m.ipv6_packets = Number(row[3]);
  }
  return usage;
}

}  // namespace darkscope
