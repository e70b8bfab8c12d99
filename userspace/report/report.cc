// The report's analyses.
#include "report/report.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/port_index.h"
#include "common/prefix.h"
#include "common/status.h"
#include "enrich/known_networks.h"
#include "report/period.h"
#include "report/ranked_table.h"
#include "sketch/distinct_counts.h"

namespace darkscope {
namespace {

using nlohmann::json;

// RFC 3339 with the zone's offset at `t` ("Z" where it is UTC).
std::string Rfc3339(absl::Time t, absl::TimeZone zone) {
  if (zone.At(t).offset == 0)
    return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, zone);
  return absl::FormatTime("%Y-%m-%dT%H:%M:%S%Ez", t, zone);
}

// Packets per port label.
std::map<std::string, uint64_t> PortPackets(const EpochCounts& c) {
  std::map<std::string, uint64_t> packets;
  for (const auto& [index, stats] : c.ports) {
    auto [slot, port] = SlotPortOfIndex(index);
    packets[PortLabel(slot, port)] += stats.packets;
  }
  return packets;
}

std::map<std::string, uint64_t> CountryPackets(const EpochCounts& c,
                                               OriginLookup& origins) {
  std::map<std::string, uint64_t> packets;
  for (const auto& [net, stats] : c.sources) {
    const std::string& country = origins.Of(net).country;
    packets[country.empty() ? "??" : country] += stats.packets;
  }
  return packets;
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2]
                      : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

// Thresholds of a spike: robust z-score of an hour against the hourly
// counts of the trailing baseline (the previous period). The scale is the
// MAD's normal-consistent 1.4826 x MAD, never below the Poisson noise
// sqrt(median) (nor 1), so that a flat or empty baseline does not make
// every hour a spike.
constexpr double kSpikeMinZ = 8;
constexpr double kSpikeMinRatio = 4;  // and at least 4x the baseline median
constexpr const char* kSpikeMethod =
    "robust z = (packets in an hour - baseline median) / max(1.4826 MAD, "
    "sqrt(median), 1) over "
    "the hourly counts of the previous period (daily counts for periods over "
    "two weeks); a spike "
    "is z >= 8, >= 4x the median and >= 0.1 % of the period's packets in one "
    "hour (day)";

struct SpikeWindow {
  absl::Time from, to;            // the period
  absl::Time base_from, base_to;  // its baseline
  absl::Duration step;            // of the series
  uint64_t noise_floor;           // packets in one step
  absl::TimeZone zone;            // of the times written
};

// Entries of `kind` whose steps in the period stand far above their own
// baseline's.
void FindSpikes(const char* kind, const TimeSeries& now,
                const TimeSeries& before, const SpikeWindow& w, json& spikes) {
  for (const auto& [name, hours] : now) {
    std::vector<double> baseline;
    auto base_it = before.find(name);
    for (absl::Time h = w.base_from; h < w.base_to; h += w.step) {
      uint64_t x = 0;
      if (base_it != before.end()) {
        auto it = base_it->second.find(h);
        if (it != base_it->second.end()) x = it->second;
      }
      baseline.push_back(static_cast<double>(x));
    }
    const double median = Median(baseline);
    std::vector<double> deviations;
    for (double x : baseline) deviations.push_back(std::fabs(x - median));
    const double mad = Median(deviations);
    const double scale = std::max({1.4826 * mad, std::sqrt(median), 1.0});
    absl::Time peak_hour;
    uint64_t peak = 0;
    int hours_above = 0;
    for (const auto& [hour, packets] : hours) {
      if (hour < w.from || hour >= w.to) continue;
      const double z = (packets - median) / scale;
      if (z < kSpikeMinZ || packets < kSpikeMinRatio * median ||
          packets < w.noise_floor)
        continue;
      ++hours_above;
      if (packets > peak) peak = packets, peak_hour = hour;
    }
    if (hours_above == 0) continue;
    spikes.push_back(
        {{"kind", kind},
         {"name", name},
         {"peak", Rfc3339(peak_hour, w.zone)},
         {"peak_packets", peak},
         {"baseline_median", median},
         {"baseline_mad", mad},
         {"robust_z", std::round((peak - median) / scale * 10) / 10},
         {"hours_above", hours_above},
         {"new", median == 0 && mad == 0}});
  }
}

// A CSV field, quoted when it holds a comma or a quote (AS names do).
std::string CsvField(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char ch : text) {
    if (ch == '"') quoted += '"';
    quoted += ch;
  }
  return quoted + "\"";
}

}  // namespace

absl::StatusOr<absl::Time> ParseReportTime(absl::string_view text,
                                           absl::TimeZone zone) {
  absl::Time t;
  std::string error;
  if (absl::ParseTime(absl::RFC3339_full, text, &t, &error)) return t;
  // Without an offset: a civil time (or a date, its midnight) in `zone`.
  for (const char* format : {"%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M",
                             "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"}) {
    if (absl::ParseTime(format, text, zone, &t, &error)) return t;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("'", text,
                   "' is not a time: expected RFC 3339 (2026-11-23T00:00:00Z), "
                   "a date (2026-10-01) or a time without offset "
                   "(2026-10-01T09:00) in the report's zone"));
}

absl::StatusOr<json> BuildReport(const ReportOptions& options) {
  if (options.dirs.empty())
    return absl::InvalidArgumentError("no --in directory given");
  FilesPeriodSource files(options.dirs);
  return BuildReport(options, files);
}

absl::StatusOr<json> BuildReport(const ReportOptions& options,
                                 PeriodSource& source) {
  absl::Time from, to;
  std::string note;
  if (options.from && options.to) {
    from = *options.from, to = *options.to;
  } else {
    DS_ASSIGN_OR_RETURN(auto span, source.Span());
    from = options.from.value_or(span.first);
    to = options.to.value_or(span.second);
    note = !options.from && !options.to ? "the whole input"
           : !options.from              ? "from the input's first snapshot"
                           : "to the end of the input's last snapshot";
  }
  if (to <= from)
    return absl::InvalidArgumentError("--to must be after --from");
  std::unique_ptr<OriginLookup> origins = OriginLookup::Open(
      options.geo_dir.empty() ? kDefaultGeoDir : options.geo_dir);
  absl::TimeZone local;
  if (!absl::LoadTimeZone(options.local_time_zone, &local)) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown time zone '", options.local_time_zone, "'"));
  }
  if (std::find(std::begin(kReportLanguages), std::end(kReportLanguages),
                options.language) == std::end(kReportLanguages)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown report language '", options.language, "' (en or ja)"));
  }
  // Names: services and countries, each optional (a warning when absent).
  std::vector<std::string> name_warnings;
  absl::StatusOr<ServiceNames> services =
      ServiceNames::Load(options.services_file);
  if (!services.ok()) {
    name_warnings.push_back(absl::StrCat(services.status().message(),
                                         ": ports are shown without their "
                                         "service names"));
  }
  absl::StatusOr<CountryNames> country_names = CountryNames::Load(
      options.language, options.iso_codes_dir, options.locale_dir);
  if (!country_names.ok()) {
    name_warnings.push_back(
        absl::StrCat(country_names.status().message(),
                     ": countries are shown by code only (apt-get install "
                     "iso-codes)"));
  }
  // Known scanners: labels, and left out with --exclude-known.
  std::shared_ptr<const KnownNetworks> known;
  if (!options.known_scanners.empty()) {
    DS_ASSIGN_OR_RETURN(KnownNetworks loaded,
                        KnownNetworks::Load(options.known_scanners));
    known = std::make_shared<const KnownNetworks>(std::move(loaded));
  } else if (options.exclude_known) {
    return absl::InvalidArgumentError(
        "--exclude-known needs --known-scanners FILE");
  }
  // The entries named by --series; the loaders keep the ASes' series.
  std::vector<SeriesName> named;
  std::vector<std::pair<SeriesKind, uint64_t>> named_keys;
  for (const std::string& text : options.series) {
    DS_ASSIGN_OR_RETURN(SeriesName name, ParseSeriesName(text));
    named_keys.emplace_back(name.kind, name.key);
    named.push_back(std::move(name));
  }
  ReportFilter filter = options.filter;
  if (options.exclude_known) filter.exclude = known;
  for (const auto& [kind, key] : named_keys) {
    if (kind == kAsSeries)
      filter.series_asns.insert(static_cast<uint32_t>(key));
  }
  DS_RETURN_IF_ERROR(CheckFilter(filter));
  DS_RETURN_IF_ERROR(source.SetFilter(filter));
  const std::map<std::string, std::string> unavailable = filter.Unavailable();
  std::vector<std::string> problems;
  DS_ASSIGN_OR_RETURN(
      PeriodCounts now,
      source.Load(from, to, *origins, local, options.progress, problems));
  const absl::Time prev_to = options.previous_to.value_or(from);
  const absl::Time prev_from =
      options.previous_from.value_or(prev_to - (to - from));
  DS_ASSIGN_OR_RETURN(PeriodCounts before,
                      source.Load(prev_from, prev_to, *origins, local,
                                  options.progress, problems));
  const int top = options.top;
  // Series for what the report shows: the top entries, and every entry
  // that could hold a spike (>= 0.1 % of the period's packets in a step);
  // the period before gets the same entries as a baseline.
  const uint64_t spike_floor = now.all.counters[DS_CTR_DARKNET_PACKETS] / 1000;
  SelectSeries(now, spike_floor, top, nullptr, named_keys);
  SelectSeries(before, std::numeric_limits<uint64_t>::max(), 0, &now);
  // The period's steps (a daily step is a day in the zone, 23 or 25 hours
  // across a DST change), each clipped to [from, to), and how much of each
  // the sensors observed. A step no sensor observed at all is missing: null
  // in every series (nothing is known of it). A step some sensor observed
  // for less than its length is partial: its packets are what was seen, and
  // series.partial_steps lists it.
  struct Step {
    absl::Time at;
    absl::Duration length;
    uint64_t observed = 0, expected = 0;  // seconds, summed over sensors
    bool missing() const { return observed == 0; }
    bool partial() const { return observed > 0 && observed < expected; }
  };
  std::vector<Step> steps;
  for (absl::Time at = StepStart(now, from); at < to;) {
    const absl::Time next = now.step < absl::Hours(24)
                                ? at + now.step
                                : StepStart(now, at + absl::Hours(25));
    steps.push_back({at, std::min(next, to) - std::max(at, from)});
    at = next;
  }
  json coverage = json::array();
  for (const auto& [sensor, counts] : now.by_sensor) {
    const std::map<int64_t, uint64_t>& observed = now.coverage[sensor];
    json gaps = json::array();
    uint64_t total = 0;
    for (Step& step : steps) {
      auto it = observed.find(absl::ToUnixSeconds(step.at));
      const uint64_t expected = absl::ToInt64Seconds(step.length);
      const uint64_t seen =
          std::min(it == observed.end() ? 0 : it->second, expected);
      total += seen;
      step.observed += seen;
      step.expected += expected;
      if (seen >= expected) continue;
      const std::string kind = seen == 0 ? "missing" : "incomplete";
      const absl::Time start = std::max(step.at, from);
      if (!gaps.empty() && gaps.back()["kind"] == kind &&
          gaps.back()["to"] == Rfc3339(start, local)) {
        gaps.back()["to"] = Rfc3339(start + step.length, local);
        gaps.back()["observed_seconds"] =
            gaps.back()["observed_seconds"].get<uint64_t>() + seen;
        gaps.back()["expected_seconds"] =
            gaps.back()["expected_seconds"].get<uint64_t>() + expected;
        continue;
      }
      gaps.push_back({{"from", Rfc3339(start, local)},
                      {"to", Rfc3339(start + step.length, local)},
                      {"kind", kind},
                      {"observed_seconds", seen},
                      {"expected_seconds", expected}});
    }
    coverage.push_back({{"sensor", sensor},
                        {"observed_seconds", total},
                        {"period_seconds", absl::ToInt64Seconds(to - from)},
                        {"gaps", gaps}});
  }
  json partial_steps = json::array(), missing_steps = json::array();
  for (const Step& step : steps) {
    if (step.missing()) missing_steps.push_back(Rfc3339(step.at, local));
    if (step.partial()) partial_steps.push_back(Rfc3339(step.at, local));
  }
  json report;
  report["period"] = {{"from", Rfc3339(from, local)},
                      {"to", Rfc3339(to, local)},
                      {"time_zone", options.local_time_zone},
                      {"snapshots", now.snapshots},
                      {"files", now.files}};
  if (!note.empty()) report["period"]["note"] = note;
  report["previous_period"] = {{"from", Rfc3339(prev_from, local)},
                               {"to", Rfc3339(prev_to, local)},
                               {"snapshots", before.snapshots}};
  report["enrichment"] = origins->sources();
  report["warnings"] = origins->warnings();
  if (known != nullptr) {
    report["enrichment"].push_back(
        absl::StrCat("known scanners: ", options.known_scanners, " (",
                     known->size(), " networks)"));
    if (known->narrower_than_networks() > 0) {
      report["warnings"].push_back(absl::StrCat(
          options.known_scanners, ": ", known->narrower_than_networks(),
          " entries are narrower than a /24 (IPv6: /48); the data plane "
          "counts sources per /24 (/48), so their whole network is labelled"
          "."));
    }
  }
  json unavailable_json = json::object();
  for (const auto& [section, why] : unavailable)
    unavailable_json[section] = why;
  report["filter"] = {{"applied", filter.Describe()},
                      {"unavailable", unavailable_json}};
  const EpochCounts& c = now.all;
  if (filter.restricts_counts() && c.counters[DS_CTR_OVERFLOW_FLOWS] > 0 &&
      (filter.by_source() || !filter.ports.empty())) {
    report["warnings"].push_back(absl::StrCat(
        "the flows table overflowed (", c.counters[DS_CTR_OVERFLOW_FLOWS],
        " packets not in a flow): filtered ports and sources, read from the "
        "flows, miss those packets"));
  }
  const int old_flows = now.files_without_flow_fingerprints +
                        before.files_without_flow_fingerprints;
  if (filter.by_source() && old_flows > 0) {
    report["warnings"].push_back(absl::StrCat(
        old_flows,
        " files were written before the flows counted fingerprints: under "
        "this source filter their Mirai, ZMap and Masscan packets count as 0"));
  }
  // A total the filter cannot restrict is null, not the unfiltered count.
  auto total = [&](uint32_t counter, bool known_here) -> json {
    if (!known_here) return nullptr;
    return c.counters[counter];
  };
  const bool per_port_known =
      !filter.by_source() && filter.source_ports.empty();
  // Fingerprints are counted per port and per flow: known under source
  // filters too.
  const bool fingerprints_known = filter.source_ports.empty();
  report["totals"] = {
      {"packets", c.counters[DS_CTR_DARKNET_PACKETS]},
      {"bytes", c.counters[DS_CTR_DARKNET_BYTES]},
      {"sources", unavailable.count("top_countries") ? json(nullptr)
                                                     : json(c.sources.size())},
      {"mirai", total(DS_CTR_MIRAI, fingerprints_known)},
      {"zmap", total(DS_CTR_ZMAP, fingerprints_known)},
      {"masscan", total(DS_CTR_MASSCAN, fingerprints_known)},
      {"backscatter",
       total(DS_CTR_BACKSCATTER, per_port_known && filter.fingerprint == 0)},
      {"ipv4", total(DS_CTR_IPV4, filter.source_ports.empty())},
      {"ipv6", total(DS_CTR_IPV6, filter.source_ports.empty())}};

  // 1, 2: top ports and countries with their previous ranks; top ASes.
  const std::map<std::string, uint64_t> ports_now = PortPackets(c);
  const std::map<std::string, uint64_t> ports_before = PortPackets(before.all);
  report["top_ports"] = RankedTable(ports_now, ports_before, top, "port");
  const std::map<std::string, uint64_t> countries_now =
      CountryPackets(c, *origins);
  report["top_countries"] = RankedTable(
      countries_now, CountryPackets(before.all, *origins), top, "country");
  auto as_packets = [&](const EpochCounts& counts) {
    std::map<std::string, uint64_t> packets;
    for (const auto& [net, stats] : counts.sources) {
      const Origin& o = origins->Of(net);
      packets[o.asn ? absl::StrCat("AS", o.asn, " ", o.as_name) : "unknown"] +=
          stats.packets;
    }
    return packets;
  };
  report["top_ases"] =
      RankedTable(as_packets(c), as_packets(before.all), top, "as");
  // Source AS x destination port, from the flows (seed 004: 22/TCP from
  // domestic mobile carriers).
  std::map<std::string, std::pair<uint32_t, std::string>> as_port_parts;
  auto as_port_label = [&](uint64_t key) {
    const uint32_t asn = static_cast<uint32_t>(key >> 32);
    const SlotPort sp = SlotPortOfIndex(static_cast<uint32_t>(key));
    const std::string port = PortLabel(sp.slot, sp.port);
    std::string label = "unknown";
    if (asn) {
      label = absl::StrCat("AS", asn);
      // The AS's name from whichever period looked it up.
      for (const PeriodCounts* p : {&now, &before}) {
        auto name = p->as_names.find(asn);
        if (name == p->as_names.end() || name->second.empty()) continue;
        absl::StrAppend(&label, " ", name->second);
        break;
      }
    }
    absl::StrAppend(&label, " ", port);
    as_port_parts.try_emplace(label, asn, port);
    return label;
  };
  report["top_as_ports"] = TopRankedTable(now.as_ports, before.as_ports, top,
                                          "as_port", as_port_label);
  for (json& row : report["top_as_ports"]) {
    const auto& [asn, port] = as_port_parts[row["as_port"].get<std::string>()];
    row["asn"] = asn;
    row["port"] = port;
  }
  // The label of a source network in the known scanners' file, or null.
  auto known_label = [&](const ds_net_key& net) -> json {
    const std::string* name = known ? known->NameOf(net) : nullptr;
    return name ? json(*name) : json(nullptr);
  };
  // The top source networks, with their origin and known-scanner label.
  {
    std::vector<std::pair<uint64_t, ds_net_key>> by_packets;
    for (const auto& [net, stats] : c.sources)
      by_packets.emplace_back(stats.packets, net);
    const size_t n = std::min<size_t>(by_packets.size(), top);
    std::partial_sort(by_packets.begin(), by_packets.begin() + n,
                      by_packets.end(), [](const auto& x, const auto& y) {
                        return x.first != y.first ? x.first > y.first
                                                  : x.second < y.second;
                      });
    json rows = json::array();
    for (size_t i = 0; i < n; ++i) {
      const Origin& o = origins->Of(by_packets[i].second);
      rows.push_back({{"rank", i + 1},
                      {"network", NetKeyToString(by_packets[i].second)},
                      {"packets", by_packets[i].first},
                      {"country", o.country},
                      {"asn", o.asn},
                      {"as_name", o.as_name},
                      {"known", known_label(by_packets[i].second)}});
    }
    report["top_sources"] = rows;
  }
  // Packets of the known scanners, by name (left out with --exclude-known,
  // and then all zero).
  json known_rows = json::array();
  if (known != nullptr) {
    std::map<std::string, std::pair<uint64_t, uint64_t>> by_name;
    for (const auto& [net, stats] : c.sources) {
      if (const std::string* name = known->NameOf(net)) {
        by_name[*name].first += 1;
        by_name[*name].second += stats.packets;
      }
    }
    for (const auto& [name, figures] : by_name) {
      known_rows.push_back({{"name", name},
                            {"networks", figures.first},
                            {"packets", figures.second}});
    }
  }
  report["known_scanners"] = {{"excluded", options.exclude_known},
                              {"by_name", known_rows}};

  // 3: series of the top ports, countries and country x port pairs:
  // hourly (periods up to two weeks), daily, and hour-of-day profiles in
  // UTC and a local zone.
  const bool hourly_series = now.step == absl::Hours(1);
  auto series = [&](const TimeSeries& named, const HourOfDay* utc,
                    const HourOfDay* in_zone, const json& ranked,
                    const char* key) {
    json out = json::object();
    for (const auto& row : ranked) {
      const std::string name = row[key].get<std::string>();
      auto it = named.find(name);
      if (it == named.end()) continue;
      json hourly = json::array(), daily = json::object();
      for (const auto& [at, packets] : it->second) {
        if (hourly_series) hourly.push_back({Rfc3339(at, local), packets});
        const std::string day = absl::FormatTime("%Y-%m-%d", at, local);
        daily[day] = daily.value(day, uint64_t{0}) + packets;
      }
      // Every step of the period, null where no sensor observed it.
      json dense = json::array();
      for (const Step& step : steps) {
        auto at = it->second.find(step.at);
        dense.push_back({Rfc3339(step.at, local),
                         step.missing()
                             ? json(nullptr)
                             : json(at == it->second.end() ? 0 : at->second)});
      }
      json entry = {{"daily", daily}, {"steps", dense}};
      if (hourly_series) entry["hourly"] = hourly;
      if (utc != nullptr && utc->count(name)) {
        entry["hour_of_day_utc"] = utc->at(name);
        entry["hour_of_day_local"] = in_zone->at(name);
      }
      out[name] = entry;
    }
    return out;
  };
  // Pairs are many: TopRankedTable names only those the table can show.
  report["top_country_ports"] = TopRankedTable(
      now.keyed[kCountryPortSeries].totals,
      before.keyed[kCountryPortSeries].totals, top, "pair",
      [](uint64_t key) { return LabelOf(kCountryPortSeries, key); });
  report["coverage"] = coverage;
  report["series"] = {
      {"step", hourly_series ? "hour" : "day"},
      {"local_time_zone", options.local_time_zone},
      {"partial_steps", partial_steps},
      {"missing_steps", missing_steps},
      {"ports", series(now.ports, &now.ports_utc, &now.ports_local,
                       report["top_ports"], "port")},
      {"countries",
       series(now.countries, &now.countries_utc, &now.countries_local,
              report["top_countries"], "country")},
      {"country_ports", series(now.country_ports, nullptr, nullptr,
                               report["top_country_ports"], "pair")}};
  // The entries named by --series, by label, whatever their rank.
  json named_series = json::object();
  for (const SeriesName& name : named) {
    const TimeSeries* by_kind[kSeriesKinds] = {&now.ports, &now.source_ports,
                                               &now.countries,
                                               &now.country_ports, &now.ases};
    const HourOfDay* utc[kSeriesKinds] = {&now.ports_utc, nullptr,
                                          &now.countries_utc, nullptr, nullptr};
    const HourOfDay* in_zone[kSeriesKinds] = {
        &now.ports_local, nullptr, &now.countries_local, nullptr, nullptr};
    static constexpr const char* kKinds[kSeriesKinds] = {
        "port", "source_port", "country", "country_port", "as"};
    json row = json::array();
    row.push_back(json::object());
    row[0]["name"] = name.label;
    json entry = series(*by_kind[name.kind], utc[name.kind], in_zone[name.kind],
                        row, "name");
    json out = entry.contains(name.label) ? entry[name.label] : json::object();
    if (!entry.contains(name.label)) {
      // Never seen in the period: zeros, with nulls at the missing steps.
      json dense = json::array();
      for (const Step& step : steps) {
        dense.push_back({Rfc3339(step.at, local),
                         step.missing() ? json(nullptr) : json(0)});
      }
      out = {{"daily", json::object()}, {"steps", dense}};
      if (hourly_series) out["hourly"] = json::array();
    }
    out["kind"] = kKinds[name.kind];
    named_series[name.label] = out;
  }
  report["series"]["named"] = named_series;
  if (now.country_profiles_partial) {
    report["warnings"].push_back(
        "countries' hour-of-day profiles cover only the days read hour by "
        "hour: periods over "
        "two weeks read daily roll-ups");
  }

  // 4: fingerprint shares of the top ports.
  struct Fingerprints {
    uint64_t all = 0, mirai = 0, zmap = 0, masscan = 0;
  };
  std::map<std::string, Fingerprints> by_label;
  for (const auto& [index, stats] : c.ports) {
    auto [slot, port] = SlotPortOfIndex(index);
    Fingerprints& f = by_label[PortLabel(slot, port)];
    f.all += stats.packets, f.mirai += stats.mirai, f.zmap += stats.zmap,
        f.masscan += stats.masscan;
  }
  json shares = json::array();
  for (const auto& row : report["top_ports"]) {
    const Fingerprints f = by_label[row["port"].get<std::string>()];
    auto pct = [&](uint64_t n) { return f.all ? 100.0 * n / f.all : 0.0; };
    shares.push_back({{"port", row["port"]},
                      {"all", f.all},
                      {"mirai", f.mirai},
                      {"mirai_share", pct(f.mirai)},
                      {"zmap_share", pct(f.zmap)},
                      {"masscan_share", pct(f.masscan)}});
  }
  report["fingerprint_shares"] = shares;

  // 5: traffic by source port: reflection (53/udp, 123/udp, ...) and the
  // service ports of SYN-ACK/RST backscatter.
  auto by_source_port = [](const EpochCounts& counts) {
    std::map<std::string, uint64_t> packets;
    for (const auto& [index, stats] : counts.src_ports) {
      packets[PortLabel(static_cast<uint8_t>(index / 65536), index % 65536)] +=
          stats.packets;
    }
    return packets;
  };
  report["source_ports"] = RankedTable(
      by_source_port(c), by_source_port(before.all), top, "source_port");
  // The networks answering with SYN-ACK or RST are the victims of floods
  // that spoofed darknet addresses; their countries in a second table.
  auto victim_countries = [&](const EpochCounts& counts) {
    std::map<std::string, uint64_t> packets;
    for (const auto& [net, stats] : counts.sources) {
      if (stats.synack + stats.rst == 0) continue;
      const std::string& country = origins->Of(net).country;
      packets[country.empty() ? "??" : country] += stats.synack + stats.rst;
    }
    return packets;
  };
  std::vector<std::pair<uint64_t, ds_net_key>> victims;
  for (const auto& [net, stats] : c.sources) {
    if (stats.synack + stats.rst)
      victims.emplace_back(stats.synack + stats.rst, net);
  }
  std::sort(victims.begin(), victims.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  json victim_rows = json::array();
  for (size_t i = 0; i < victims.size() && static_cast<int>(i) < top; ++i) {
    const ds_source_stats& stats = c.sources.at(victims[i].second);
    const Origin& o = origins->Of(victims[i].second);
    victim_rows.push_back({{"rank", i + 1},
                           {"network", NetKeyToString(victims[i].second)},
                           {"packets", victims[i].first},
                           {"synack", stats.synack},
                           {"rst", stats.rst},
                           {"country", o.country},
                           {"asn", o.asn},
                           {"as_name", o.as_name},
                           {"known", known_label(victims[i].second)}});
  }
  report["backscatter_victims"] = {
      {"networks", victims.size()},
      {"top_networks", victim_rows},
      {"countries", RankedTable(victim_countries(c),
                                victim_countries(before.all), top, "country")}};

  // 6: ports first seen in the period, and ports that grew tenfold.
  json emerging = json::array();
  if (before.snapshots == 0) {
    report["warnings"].push_back(
        "no snapshots in the previous period: emerging ports need that "
        "baseline");
  }
  for (const auto& [port, packets] : Ranked(ports_now)) {
    if (before.snapshots == 0) break;
    auto it = ports_before.find(port);
    const uint64_t previous = it == ports_before.end() ? 0 : it->second;
    const bool first_seen = previous == 0;
    const double growth =
        previous ? static_cast<double>(packets) / previous : 0;
    // Noise floor: a port must carry 0.1 % of the period's packets.
    if (packets * 1000 < c.counters[DS_CTR_DARKNET_PACKETS]) continue;
    if (!first_seen && growth < 10) continue;
    emerging.push_back({{"port", port},
                        {"packets", packets},
                        {"previous_packets", previous},
                        {"first_seen", first_seen}});
    if (static_cast<int>(emerging.size()) >= top) break;
  }
  report["emerging_ports"] = emerging;
  // Hours far above their own baseline: ports, source ports, countries and
  // country x port pairs, strongest first.
  json spikes = json::array();
  if (before.snapshots > 0) {
    const SpikeWindow window{from,     to,          prev_from, prev_to,
                             now.step, spike_floor, local};
    FindSpikes("port", now.ports, before.ports, window, spikes);
    FindSpikes("source_port", now.source_ports, before.source_ports, window,
               spikes);
    FindSpikes("country", now.countries, before.countries, window, spikes);
    FindSpikes("country_port", now.country_ports, before.country_ports, window,
               spikes);
  }
  std::sort(spikes.begin(), spikes.end(), [](const json& a, const json& b) {
    return a["robust_z"].get<double>() > b["robust_z"].get<double>();
  });
  report["spikes"] = {{"method", kSpikeMethod}, {"entries", spikes}};

  // 7: wide-range scanners: sources touching many ports (sketch estimate,
  // about 14 % error, docs/maps.md).
  json wide = json::array();
  std::vector<std::pair<double, ds_net_key>> scanners;
  for (const auto& [net, stats] : c.sources) {
    const double ports = EstimateDistinctPorts(stats.port_sketch);
    if (ports >= options.wide_scanner_ports) scanners.emplace_back(ports, net);
  }
  std::sort(scanners.begin(), scanners.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t i = 0; i < scanners.size() && static_cast<int>(i) < top; ++i) {
    const Origin& o = origins->Of(scanners[i].second);
    wide.push_back({{"source", NetKeyToString(scanners[i].second)},
                    {"ports_estimate", std::llround(scanners[i].first)},
                    {"packets", c.sources.at(scanners[i].second).packets},
                    {"country", o.country},
                    {"asn", o.asn},
                    {"as_name", o.as_name},
                    {"known", known_label(scanners[i].second)}});
  }
  report["wide_scanners"] = wide;

  // 8: outages anywhere in the period: runs of at least kOutageMinSteps
  // consecutive steps (hours, or days for long periods; at least 1/16 of
  // the period) whose packets each fall under a tenth of the country's
  // median step over the period (a median: one noisy step does not make an
  // outage). Gaps in the sensors' coverage are not steps of a run: they
  // neither extend nor break it. A country needs a median of 20 packets a
  // step to be judged.
  json outages = json::array();
  const size_t min_run =
      std::max<size_t>(now.step < absl::Hours(24) ? 3 : 1, steps.size() / 16);
  for (const auto& [country, packets_at] : now.countries) {
    std::vector<double> observed;
    json curve = json::array();
    std::vector<std::pair<const Step*, uint64_t>> points;
    for (const Step& step : steps) {
      auto it = packets_at.find(step.at);
      const uint64_t packets = it == packets_at.end() ? 0 : it->second;
      curve.push_back({Rfc3339(step.at, local),
                       step.missing() ? json(nullptr) : json(packets)});
      // Partial steps hold fewer packets than the country sent: not a run.
      if (step.missing() || step.partial()) continue;
      observed.push_back(static_cast<double>(packets));
      points.emplace_back(&step, packets);
    }
    if (observed.size() < 4) continue;  // too short to tell from noise
    const double base = Median(observed);
    if (base < 20) continue;
    for (size_t i = 0; i < points.size();) {
      size_t end = i;
      while (end < points.size() && points[end].second < base / 10) ++end;
      if (end - i >= min_run) {
        std::vector<double> run;
        uint64_t packets = 0;
        for (size_t k = i; k < end; ++k) {
          run.push_back(static_cast<double>(points[k].second));
          packets += points[k].second;
        }
        const Step& last = *points[end - 1].first;
        outages.push_back({{"country", country},
                           {"from", Rfc3339(points[i].first->at, local)},
                           {"to", Rfc3339(last.at + last.length, local)},
                           {"steps", end - i},
                           {"packets", packets},
                           {"baseline_median", base},
                           {"recent_median", Median(run)},
                           {"series", curve}});
      }
      i = std::max(end, i + 1);
    }
  }
  report["outages"] = outages;

  // 9: several sensors: each one's top ports.
  json sensors = json::array();
  for (const auto& [sensor, counts] : now.by_sensor) {
    auto sensor_before = before.by_sensor.find(sensor);
    const json ports = RankedTable(PortPackets(counts),
                                   sensor_before == before.by_sensor.end()
                                       ? std::map<std::string, uint64_t>()
                                       : PortPackets(sensor_before->second),
                                   top, "port");
    sensors.push_back({{"sensor", sensor},
                       {"packets", counts.counters[DS_CTR_DARKNET_PACKETS]},
                       {"top_ports", ports}});
  }
  report["sensors"] = sensors;

  // Average packets per monitored IPv4 address per day, by sensor and
  // month, beside the same month a year before (TSUBAME's comparison); the
  // year before is read as whole UTC months, whatever days of them the
  // period has. IPv6 is averaged per monitored /48.
  auto month_start = [](absl::Time t, int years_back, int months_on) {
    const absl::CivilMonth m = absl::ToCivilMonth(t, absl::UTCTimeZone());
    return absl::FromCivil(
        absl::CivilMonth(m.year() - years_back, m.month() + months_on),
        absl::UTCTimeZone());
  };
  const MonthlyUsage& usage = now.monthly;
  DS_ASSIGN_OR_RETURN(
      MonthlyUsage usage_year_before,
      source.LoadMonthly(month_start(from, 1, 0),
                         month_start(to - absl::Seconds(1), 1, 1), problems));
  auto per_day = [](uint64_t packets, uint64_t space,
                    const MonthUsage& m) -> json {
    if (space == 0 || m.observed_seconds == 0) return nullptr;
    return static_cast<double>(packets) / space /
           (static_cast<double>(m.observed_seconds) / 86400);
  };
  auto change = [](const json& now_value, const json& then) -> json {
    if (!then.is_number() || !now_value.is_number() || then.get<double>() <= 0)
      return nullptr;
    return 100.0 * (now_value.get<double>() / then.get<double>() - 1);
  };
  json monthly = json::array();
  for (const auto& [sensor, months] : usage) {
    for (const auto& [month, m] : months) {
      json row = {
          {"sensor", sensor},
          {"month", month},
          {"ipv4_packets", m.ipv4_packets},
          {"days", std::round(m.observed_seconds / 864.0) / 100},
          {"addresses", m.ipv4_addresses},
          {"per_address_per_day", per_day(m.ipv4_packets, m.ipv4_addresses, m)},
          {"year_before", nullptr},
          {"year_over_year_change", nullptr},
          {"ipv6_packets", m.ipv6_packets},
          {"ipv6_slash48s", m.ipv6_slash48s},
          {"per_slash48_per_day", per_day(m.ipv6_packets, m.ipv6_slash48s, m)},
          {"year_before_per_slash48", nullptr}};
      const std::string last_year =
          absl::StrCat(std::stoi(month.substr(0, 4)) - 1, month.substr(4));
      auto sensor_before = usage_year_before.find(sensor);
      if (sensor_before != usage_year_before.end()) {
        auto before_month = sensor_before->second.find(last_year);
        if (before_month != sensor_before->second.end()) {
          const MonthUsage& then = before_month->second;
          row["year_before"] =
              per_day(then.ipv4_packets, then.ipv4_addresses, then);
          row["year_over_year_change"] =
              change(row["per_address_per_day"], row["year_before"]);
          row["year_before_per_slash48"] =
              per_day(then.ipv6_packets, then.ipv6_slash48s, then);
        }
      }
      monthly.push_back(row);
    }
  }
  report["monthly"] = monthly;

  // Names beside the codes: a port's service, a country's name.
  report["language"] = options.language;
  for (const std::string& w : name_warnings) report["warnings"].push_back(w);
  auto add_services = [&](json& rows, const char* key) {
    for (json& row : rows) {
      const std::string label = row[key].get<std::string>();
      const size_t slash = label.find('/');
      uint32_t port = 0;
      std::string service;
      if (services.ok() && slash != std::string::npos &&
          absl::SimpleAtoi(label.substr(0, slash), &port) && port <= 65535) {
        service = services->Of(static_cast<uint16_t>(port),
                               absl::AsciiStrToLower(label.substr(slash + 1)));
      }
      row["service"] = service;
    }
  };
  auto add_country_names = [&](json& rows, const char* key) {
    for (json& row : rows) {
      row["country_name"] = country_names.ok()
                                ? country_names->Of(row[key].get<std::string>())
                                : "";
    }
  };
  add_services(report["top_ports"], "port");
  add_services(report["fingerprint_shares"], "port");
  add_services(report["source_ports"], "source_port");
  for (json& sensor : report["sensors"])
    add_services(sensor["top_ports"], "port");
  for (const char* table : {"top_countries", "top_sources", "wide_scanners"})
    add_country_names(report[table], "country");
  add_country_names(report["backscatter_victims"]["countries"], "country");
  add_country_names(report["backscatter_victims"]["top_networks"], "country");
  add_country_names(report["outages"], "country");
  // Sections the filter cannot reach: empty (their tables were emptied
  // as the period loaded; named in filter.unavailable).
  for (const auto& [section, why] : unavailable) {
    if (!report.contains(section)) continue;
    if (section == "backscatter_victims") {
      report[section] = {{"networks", 0},
                         {"top_networks", json::array()},
                         {"countries", json::array()}};
    } else {
      report[section] = json::array();
    }
  }
  // Files that could not be read, from every load above.
  for (const std::string& p : problems) report["warnings"].push_back(p);
  return report;
}

void PrintReportCsv(const json& r, std::ostream& out) {
  out << "time,kind,key,packets,coverage\n";
  std::set<std::string> partial;
  if (r["series"].contains("partial_steps")) {
    for (const auto& t : r["series"]["partial_steps"])
      partial.insert(t.get<std::string>());
  }
  std::set<std::pair<std::string, std::string>> written;  // kind, key
  auto lines = [&](const std::string& kind, const std::string& key,
                   const json& entry) {
    if (!entry.contains("steps") || !written.insert({kind, key}).second) return;
    for (const auto& point : entry["steps"]) {
      const std::string time = point[0].get<std::string>();
      out << time << "," << CsvField(kind) << "," << CsvField(key) << ",";
      if (point[1].is_null()) {
        out << ",missing\n";
      } else {
        out << point[1].get<uint64_t>() << ","
            << (partial.count(time) ? "partial" : "full") << "\n";
      }
    }
  };
  for (auto [kind, field] :
       {std::pair{"port", "ports"}, std::pair{"country", "countries"},
        std::pair{"country_port", "country_ports"}}) {
    if (!r["series"].contains(field)) continue;
    for (const auto& [key, entry] : r["series"][field].items())
      lines(kind, key, entry);
  }
  if (r["series"].contains("named")) {
    for (const auto& [key, entry] : r["series"]["named"].items())
      lines(entry["kind"].get<std::string>(), key, entry);
  }
}

}  // namespace darkscope
