// A report period from ClickHouse's aggregates.
#include "export/clickhouse_period.h"

#include <cstdlib>

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

constexpr const char* kMonth =
    "toYYYYMM(toDateTime(toUInt32(interval_start), 'UTC')) AS month";

// The ports table's column of a fingerprint's packets.
const char* FingerprintColumn(uint32_t fingerprint) {
  return fingerprint == DS_CTR_MIRAI  ? "mirai"
         : fingerprint == DS_CTR_ZMAP ? "zmap"
                                      : "masscan";
}

// Each hour of the period with its series step and its hours of day (UTC
// and local), as AddHourPoint places it: the queries that group by
// network join it to sum by step and by hour of day on the server.
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

// The rows of `select` (an hour column and `columns`) joined with their
// hours' steps and hours of day.
std::string ByHour(const std::string& select) {
  return absl::StrCat(
      "(SELECT toUInt32(intDiv(toUInt32(interval_start), 3600) "
      "* 3600) AS hour, ",
      select, ") ANY INNER JOIN period_hours USING hour");
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

absl::StatusOr<std::vector<std::vector<std::string>>>
ClickHousePeriodSource::Rows(const std::string& sql, const std::string& table,
                             absl::Time from, absl::Time to,
                             const Restriction& r,
                             const ClickHouseExternalTable* also) {
  std::string where = absl::StrCat(
      "interval_start >= toDateTime(", absl::ToUnixSeconds(from),
      ") AND interval_start < toDateTime(", absl::ToUnixSeconds(to), ")");
  // The sensors this source was made for, and those of the filter.
  for (const std::vector<std::string>& sensors :
       {sensors_, std::vector<std::string>(filter_.sensors.begin(),
                                           filter_.sensors.end())}) {
    if (sensors.empty()) continue;
    std::vector<std::string> quoted;
    for (const std::string& s : sensors) quoted.push_back(SqlQuote(s));
    absl::StrAppend(&where, " AND sensor IN (", absl::StrJoin(quoted, ", "),
                    ")");
  }
  const std::string query =
      absl::StrReplaceAll(sql, {{"{table}", target_.Table(table)},
                                {"{sources}", target_.Table("sources")},
                                {"{flows}", target_.Table("flows")},
                                {"{where}", where}});
  // Only the tables this query reads go with it.
  std::vector<ClickHouseExternalTable> tables;
  for (const ClickHouseExternalTable& t : r.tables) {
    if (absl::StrContains(query, t.name)) tables.push_back(t);
  }
  if (also != nullptr) tables.push_back(*also);
  DS_ASSIGN_OR_RETURN(
      std::string body,
      client_.Query(query + " FORMAT TabSeparated",
                    absl::StrCat("table ", target_.Table(table)), {}, tables));
  return ParseTabSeparated(body);
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
    DS_ASSIGN_OR_RETURN(
        auto networks,
        Rows(absl::StrCat("SELECT family, prefix FROM {table} WHERE {where}",
                          r.sources, " GROUP BY family, prefix"),
             table, from, to, r));
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
    EpochCounts& c = p.by_sensor[row[0]];
    p.files += static_cast<int>(Number(row[1]));
    p.snapshots += static_cast<int>(Number(row[2]));
    for (size_t i = 0; i < c.counters.size(); ++i)
      c.counters[i] = Number(row[3 + i]);
  }
  DS_ASSIGN_OR_RETURN(p.monthly, Monthly(from, to, r));
  // Coverage: the seconds each sensor's rows observed, per hour.
  DS_ASSIGN_OR_RETURN(
      auto observed,
      Rows(absl::StrCat(
               "SELECT sensor, toUInt32(interval_start), sum(",
               AgentCounterOr("rollup_observed_seconds", "interval_seconds"),
               ") FROM {table} WHERE {where} GROUP BY sensor, "
               "interval_start"),
           "snapshots", from, to, r));
  for (const auto& row : observed) {
    AddCoverage(p, row[0], absl::FromUnixSeconds(Number(row[1])),
                Number(row[2]));
  }

  // Ports: per sensor, and the hourly series (ICMP types folded). Under a
  // fingerprint only its packets, on the ports that have some.
  if (read_ports) {
    const std::string fingerprint =
        f.fingerprint != 0 ? FingerprintColumn(f.fingerprint) : "";
    const std::string table = ports_from_flows ? "flows" : "ports";
    const std::string condition =
        ports_from_flows ? r.ports + r.sources : r.ports;
    std::string values =
        "sum(packets), sum(bytes), sum(syn), sum(synack), sum(rst), "
        "sum(mirai), sum(zmap), sum(masscan), sum(backscatter)";
    std::string packets = "sum(packets)", having;
    if (!fingerprint.empty()) {
      values = packets = absl::StrCat("sum(", fingerprint, ") AS n");
      having = " HAVING n > 0";
    } else if (ports_from_flows) {
      values = "sum(packets), sum(bytes), sum(mirai), sum(zmap), sum(masscan)";
    }
    DS_ASSIGN_OR_RETURN(
        auto ports, Rows(absl::StrCat("SELECT sensor, slot, port, ", values,
                                      " FROM {table} WHERE {where}", condition,
                                      " GROUP BY sensor, slot, port", having),
                         table, from, to, r));
    for (const auto& row : ports) {
      ds_port_stats& s =
          p.by_sensor[row[0]]
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
    DS_ASSIGN_OR_RETURN(
        auto port_hours,
        Rows(absl::StrCat("SELECT ", kHour, ", slot, ", kFoldedPort, ", ",
                          packets, " FROM {table} WHERE {where}", condition,
                          " GROUP BY hour, slot, folded_port", having),
             table, from, to, r));
    for (const auto& row : port_hours) {
      AddHourPoint(p, kPortSeries,
                   ds_port_index(Number(row[1]), Number(row[2])), Hour(row[0]),
                   Number(row[3]), local);
    }
  }

  // Source ports.
  if (read_src_ports) {
    DS_ASSIGN_OR_RETURN(
        auto src_ports,
        Rows(absl::StrCat("SELECT sensor, slot, port, sum(packets), "
                          "sum(bytes) FROM {table} WHERE {where}",
                          r.source_ports, " GROUP BY sensor, slot, port"),
             "src_ports", from, to, r));
    for (const auto& row : src_ports) {
      p.by_sensor[row[0]].src_ports[Number(row[1]) * 65536 + Number(row[2])] = {
          Number(row[3]), Number(row[4])};
    }
    DS_ASSIGN_OR_RETURN(
        auto src_port_hours,
        Rows(absl::StrCat("SELECT ", kHour,
                          ", slot, port, sum(packets) FROM {table} WHERE "
                          "{where}",
                          r.source_ports, " GROUP BY hour, slot, port"),
             "src_ports", from, to, r));
    for (const auto& row : src_port_hours) {
      AddHourPoint(p, kSourcePortSeries,
                   SourcePortKey(Number(row[1]), Number(row[2])), Hour(row[0]),
                   Number(row[3]), local);
    }
  }

  // Source networks: sums with host sets and port sketches merged by OR,
  // and hourly packets by country. Under a port filter, a network's rows
  // of the snapshots where it sent flows to the ports, with those flows'
  // packets and bytes (no SYN-ACK or RST: not per port).
  if (read_sources) {
    std::string from_rows = absl::StrCat("{table} WHERE {where}", r.sources);
    std::string packets = "packets", bytes = "bytes", synack = "sum(synack)",
                rst = "sum(rst)";
    if (sources_by_flows) {
      from_rows = absl::StrCat(
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
    DS_ASSIGN_OR_RETURN(
        auto sources, Rows(absl::StrCat("SELECT sensor, family, prefix, sum(",
                                        packets, "), sum(", bytes,
                                        "), groupBitOrForEach(hosts), "
                                        "groupBitOrForEach(port_sketch), ",
                                        synack, ", ", rst, " FROM ", from_rows,
                                        " GROUP BY sensor, family, prefix"),
                           "sources", from, to, r));
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
    // By step, and for the profiles by hours of day: with a daily step a
    // network's rows are its days' and its hours of day (24, 48 across a
    // change of offset), not its hours'. An hourly step is its hour.
    const bool hourly = p.step == absl::Hours(1);
    const std::string joined = ByHour(
        absl::StrCat("family, prefix, ", packets, " AS n FROM ", from_rows));
    DS_ASSIGN_OR_RETURN(
        auto source_steps,
        Rows(absl::StrCat("SELECT step, family, prefix, sum(n) FROM ", joined,
                          " GROUP BY step, family, prefix"),
             "sources", from, to, r, &hours));
    std::map<std::pair<int64_t, uint16_t>, uint64_t> by_country;
    for (const auto& row : source_steps) {
      by_country[{static_cast<int64_t>(Number(row[0])),
                  countries.Of(static_cast<uint8_t>(Number(row[1])),
                               Number(row[2]))}] += Number(row[3]);
    }
    for (const auto& [key, packets] : by_country) {
      if (hourly) {
        AddHourPoint(p, kCountrySeries, key.second,
                     absl::FromUnixSeconds(key.first), packets, local);
      } else {
        p.keyed[kCountrySeries].Add(key.second, key.first, packets);
      }
    }
    if (!hourly) {
      DS_ASSIGN_OR_RETURN(
          auto source_hours_of_day,
          Rows(absl::StrCat("SELECT hour_utc, hour_local, family, prefix, "
                            "sum(n) FROM ",
                            joined,
                            " GROUP BY hour_utc, hour_local, family, prefix"),
               "sources", from, to, r, &hours));
      for (const auto& row : source_hours_of_day) {
        KeyedSeries::Profile& profile =
            p.keyed[kCountrySeries].profiles[countries.Of(
                static_cast<uint8_t>(Number(row[2])), Number(row[3]))];
        profile.utc[Number(row[0]) % 24] += Number(row[4]);
        profile.local[Number(row[1]) % 24] += Number(row[4]);
      }
    }
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
      ds_dest_stats& d = p.by_sensor[row[0]].destinations[NetOfPrefixNumber(
          static_cast<uint8_t>(Number(row[1])), Number(row[2]))];
      d.packets = Number(row[3]);
      d.bytes = Number(row[4]);
      Words(row[5], d.hosts);
    }
  }

  // Flows: source AS x port totals.
  const std::string flows_kept = r.ports + r.sources;
  DS_ASSIGN_OR_RETURN(
      auto flow_ports,
      Rows(absl::StrCat("SELECT family, prefix, slot, ", kFoldedPort,
                        ", sum(packets) FROM {table} WHERE {where}", flows_kept,
                        " GROUP BY family, prefix, slot, folded_port"),
           "flows", from, to, r));
  for (const auto& row : flow_ports) {
    const Origin& o = origins.Of(NetOfPrefixNumber(
        static_cast<uint8_t>(Number(row[0])), Number(row[1])));
    if (o.asn) p.as_names.try_emplace(o.asn, o.as_name);
    p.as_ports[uint64_t{o.asn} << 32 |
               ds_port_index(Number(row[2]), Number(row[3]))] += Number(row[4]);
  }

  // Flows, as country x port series, by step.
  DS_ASSIGN_OR_RETURN(
      auto flow_steps,
      Rows(absl::StrCat(
               "SELECT step, family, prefix, slot, folded_port, sum(packets) "
               "FROM ",
               ByHour(absl::StrCat("family, prefix, slot, ", kFoldedPort,
                                   ", packets FROM {table} WHERE {where}",
                                   flows_kept)),
               " GROUP BY step, family, prefix, slot, folded_port"),
           "flows", from, to, r, &hours));
  std::map<std::pair<int64_t, uint64_t>, uint64_t> pairs;
  for (const auto& row : flow_steps) {
    const uint64_t country =
        countries.Of(static_cast<uint8_t>(Number(row[1])), Number(row[2]));
    pairs[{static_cast<int64_t>(Number(row[0])),
           country << 32 | ds_port_index(Number(row[3]), Number(row[4]))}] +=
        Number(row[5]);
  }
  for (const auto& [key, packets] : pairs)
    p.keyed[kCountryPortSeries].Add(key.second, key.first, packets);

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
        flow_families[row[0]][Number(row[1]) ? 1 : 0] += Number(row[2]);
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
  auto month_of = [&](const std::string& sensor,
                      const std::string& month) -> MonthUsage& {
    const uint64_t m = Number(month);
    return usage[sensor][absl::StrFormat("%04d-%02d", m / 100, m % 100)];
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
