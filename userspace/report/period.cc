// Loading a period of snapshots, through roll-ups where they cover it.
#include "report/period.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/counter_names.h"
#include "common/port_index.h"
#include "common/status.h"
#include "report/ranked_table.h"
#include "rollup/rollup.h"
#include "snapshot/snapshot.h"
#include "snapshot/snapshot_files.h"

namespace darkscope {

// Country codes as two bytes, "??" for unknown: a cheap key per row.
uint16_t CountryKey(const std::string& code) {
  return code.size() == 2 ? static_cast<uint16_t>(code[0] << 8 | code[1])
                          : ('?' << 8 | '?');
}

// A port index with every ICMP type folded into one entry, as PortLabel
// names them.
uint32_t FoldedPortIndex(uint32_t index) {
  const SlotPort sp = SlotPortOfIndex(index);
  return sp.slot == DS_SLOT_ICMP ? ds_port_index(DS_SLOT_ICMP, 0) : index;
}

uint32_t SourcePortKey(uint32_t slot, uint32_t port) {
  return slot == DS_SLOT_ICMP ? slot * 65536 : slot * 65536 + port;
}

namespace {

absl::Time Floor(absl::Time t, absl::Duration step) {
  return absl::UnixEpoch() + absl::Floor(t - absl::UnixEpoch(), step);
}

// A file to read for a period, and the hourly roll-ups of its day when it
// is a daily one (for the ports' hour-of-day profiles).
struct PlannedFile {
  std::string path;
  std::vector<std::string> hours_of_day;
};

// The coarsest files that tile [from, to) in one sensor directory: daily
// roll-ups for whole days (when `use_daily`), hourly ones for whole hours,
// interval snapshots for the rest.
absl::StatusOr<std::vector<PlannedFile>> PlanFiles(const std::string& dir,
                                                   absl::Time from,
                                                   absl::Time to,
                                                   bool use_daily) {
  DS_ASSIGN_OR_RETURN(auto intervals, ListSeries(dir));
  DS_ASSIGN_OR_RETURN(auto hourly,
                      ListSeries(absl::StrCat(dir, "/", kHourlyDir)));
  std::map<absl::Time, std::string> daily;
  if (use_daily) {
    DS_ASSIGN_OR_RETURN(daily, ListSeries(absl::StrCat(dir, "/", kDailyDir)));
  }
  std::vector<PlannedFile> plan;
  absl::Time t = from;
  while (t < to) {
    const absl::Time day = Floor(t, absl::Hours(24)),
                     hour = Floor(t, absl::Hours(1));
    if (auto d = daily.find(t);
        d != daily.end() && day == t && t + absl::Hours(24) <= to) {
      PlannedFile file{d->second, {}};
      for (auto h = hourly.lower_bound(t);
           h != hourly.end() && h->first < t + absl::Hours(24); ++h) {
        file.hours_of_day.push_back(h->second);
      }
      plan.push_back(std::move(file));
      t += absl::Hours(24);
      continue;
    }
    if (auto h = hourly.find(t);
        h != hourly.end() && hour == t && t + absl::Hours(1) <= to) {
      plan.push_back({h->second, {}});
      t += absl::Hours(1);
      continue;
    }
    const absl::Time next = std::min(to, hour + absl::Hours(1));
    for (auto i = intervals.lower_bound(t);
         i != intervals.end() && i->first < next; ++i) {
      plan.push_back({i->second, {}});
    }
    t = next;
  }
  return plan;
}

absl::StatusOr<Snapshot> ReadSnapshot(const std::string& path, uint32_t parts) {
  DS_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, ReadWholeFile(path));
  return DecodeSnapshot(bytes, parts);
}
absl::StatusOr<Snapshot> ReadSnapshot(const std::string& path, uint32_t parts,
                                      FlowVisitor each_flow) {
  DS_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, ReadWholeFile(path));
  return DecodeSnapshot(bytes, parts, each_flow);
}

uint64_t AgentCounter(const Snapshot& s, const char* name, uint64_t otherwise) {
  auto it = s.agent_counters.find(name);
  return it == s.agent_counters.end() ? otherwise : it->second;
}

void AddMonthUsage(const Snapshot& s, MonthlyUsage& usage) {
  MonthUsage& month = usage[s.sensor][absl::FormatTime(
      "%Y-%m", s.interval_start, absl::UTCTimeZone())];
  month.ipv4_packets += s.counts.counters[DS_CTR_IPV4];
  month.ipv6_packets += s.counts.counters[DS_CTR_IPV6];
  month.observed_seconds +=
      AgentCounter(s, "rollup_observed_seconds", s.interval_seconds);
  // Each address once, whatever the file lists.
  month.ipv4_addresses =
      std::max(month.ipv4_addresses, Ipv4AddressCount(s.darknet));
  month.ipv6_slash48s =
      std::max(month.ipv6_slash48s, Ipv6Slash48Count(s.darknet));
}

std::string CountryOfKey(uint64_t key) {
  return {static_cast<char>((key >> 8) & 0xff), static_cast<char>(key & 0xff)};
}

// The hour of day of `hour` in UTC and in `zone`.
struct HourOfDayIndex {
  int utc, local;
};
HourOfDayIndex HoursOf(absl::Time hour, absl::TimeZone zone) {
  return {absl::ToCivilHour(hour, absl::UTCTimeZone()).hour(),
          absl::ToCivilHour(hour, zone).hour()};
}

void AddProfile(KeyedSeries& series, uint64_t key, HourOfDayIndex h,
                uint64_t packets) {
  KeyedSeries::Profile& profile = series.profiles[key];
  profile.utc[h.utc] += packets;
  profile.local[h.local] += packets;
}

// The country keys and ASes of source networks, for one loader: a compact
// flat map in front of the origin lookup (a million flows a day ask it).
class CountryKeys {
 public:
  struct Keys {
    uint16_t country;
    uint32_t asn;
  };
  CountryKeys(OriginLookup& origins, PeriodCounts& names)
      : origins_(origins), names_(names) {}
  const Keys& KeysOf(const ds_net_key& net) {
    auto [it, inserted] = keys_.try_emplace(net, Keys{0, 0});
    if (inserted) {
      const Origin& o = origins_.Of(net);
      it->second = {CountryKey(o.country), o.asn};
      if (o.asn) names_.as_names.try_emplace(o.asn, o.as_name);
    }
    return it->second;
  }
  uint16_t Of(const ds_net_key& net) { return KeysOf(net).country; }

 private:
  OriginLookup& origins_;
  PeriodCounts& names_;  // where the ASes' names go
  absl::flat_hash_map<ds_net_key, Keys> keys_;
};

// Adds one snapshot's series points (at `step`) and, when it covers at most
// an hour, its hour-of-day profiles.
// `pairs`: the flows' packets by country key << 32 | folded port index.
// `series_asns`: the ASes whose series to keep.
void AddSeries(const Snapshot& s,
               const absl::flat_hash_map<uint64_t, uint64_t>& pairs,
               CountryKeys& country_keys, const std::set<uint32_t>& series_asns,
               absl::TimeZone zone, PeriodCounts& p) {
  const int64_t at = absl::ToUnixSeconds(StepStart(p, s.interval_start));
  const bool hourly = s.interval_seconds <= 3600;
  const HourOfDayIndex h =
      HoursOf(Floor(s.interval_start, absl::Hours(1)), zone);
  KeyedSeries& ports = p.keyed[kPortSeries];
  ports.NewBatch(s.counts.ports.size());
  for (const auto& [index, stats] : s.counts.ports) {
    const uint32_t key = FoldedPortIndex(index);
    ports.Add(key, at, stats.packets);
    if (hourly) AddProfile(ports, key, h, stats.packets);
  }
  p.keyed[kSourcePortSeries].NewBatch(s.counts.src_ports.size());
  for (const auto& [index, stats] : s.counts.src_ports) {
    p.keyed[kSourcePortSeries].Add(SourcePortKey(index / 65536, index % 65536),
                                   at, stats.packets);
  }
  absl::flat_hash_map<uint16_t, uint64_t> countries;
  absl::flat_hash_map<uint32_t, uint64_t> ases;
  for (const auto& [net, stats] : s.counts.sources) {
    const CountryKeys::Keys& keys = country_keys.KeysOf(net);
    countries[keys.country] += stats.packets;
    if (!series_asns.empty() && series_asns.count(keys.asn))
      ases[keys.asn] += stats.packets;
  }
  if (!ases.empty()) p.keyed[kAsSeries].NewBatch(ases.size());
  for (const auto& [asn, packets] : ases)
    p.keyed[kAsSeries].Add(asn, at, packets);
  KeyedSeries& by_country = p.keyed[kCountrySeries];
  by_country.NewBatch(countries.size());
  for (const auto& [key, packets] : countries) {
    by_country.Add(key, at, packets);
    if (hourly) AddProfile(by_country, key, h, packets);
  }
  p.keyed[kCountryPortSeries].NewBatch(pairs.size());
  for (const auto& [pair, packets] : pairs)
    p.keyed[kCountryPortSeries].Add(pair, at, packets);
}

// The keys of `series` worth naming: totals reaching `min_total`, the
// `top` largest (ties included).
absl::flat_hash_set<uint64_t> KeysWorthNaming(const KeyedSeries& series,
                                              uint64_t min_total, int top) {
  const uint64_t cut =
      top > 0 ? std::min(min_total, TopCut(series.totals, top)) : min_total;
  absl::flat_hash_set<uint64_t> keys;
  for (const auto& [key, total] : series.totals) {
    if (total >= cut) keys.insert(key);
  }
  return keys;
}

}  // namespace

absl::Time StepStart(const PeriodCounts& period, absl::Time t) {
  if (period.step < absl::Hours(24)) return Floor(t, period.step);
  return absl::FromCivil(absl::ToCivilDay(t, period.zone), period.zone);
}

bool DaysAreUtcDays(absl::TimeZone zone, absl::Time from, absl::Time to) {
  if (zone.At(from).offset != 0) return false;
  absl::TimeZone::CivilTransition next;
  const absl::Time after = from;
  return !zone.NextTransition(after, &next) ||
         absl::FromCivil(next.from, zone) >= to;
}

std::string PortLabel(uint8_t slot, uint16_t port) {
  if (slot == DS_SLOT_ICMP) return "ICMP";
  return absl::StrCat(
      port, "/",
      absl::AsciiStrToUpper(
          kSlotNames[slot < DS_SLOT_COUNT ? slot : DS_SLOT_OTHER]));
}

void SelectSeries(PeriodCounts& period, uint64_t min_total, int top,
                  const PeriodCounts* also,
                  const std::vector<std::pair<SeriesKind, uint64_t>>& asked) {
  TimeSeries* named[kSeriesKinds] = {&period.ports, &period.source_ports,
                                     &period.countries, &period.country_ports,
                                     &period.ases};
  HourOfDay* utc[kSeriesKinds] = {&period.ports_utc, nullptr,
                                  &period.countries_utc, nullptr, nullptr};
  HourOfDay* in_zone[kSeriesKinds] = {
      &period.ports_local, nullptr, &period.countries_local, nullptr, nullptr};
  for (int kind = 0; kind < kSeriesKinds; ++kind) {
    const KeyedSeries& series = period.keyed[kind];
    absl::flat_hash_set<uint64_t>& keys = period.selected[kind];
    // Every country; ASes only when asked; the rest by rank and size.
    keys = kind == kCountrySeries ? KeysWorthNaming(series, 0, 0)
           : kind == kAsSeries    ? absl::flat_hash_set<uint64_t>()
                                  : KeysWorthNaming(series, min_total, top);
    if (also != nullptr)
      keys.insert(also->selected[kind].begin(), also->selected[kind].end());
    for (const auto& [asked_kind, key] : asked) {
      if (asked_kind == kind) keys.insert(key);
    }
    absl::flat_hash_map<uint64_t, std::string> labels;
    for (uint64_t key : keys) {
      const std::string label = LabelOf(static_cast<SeriesKind>(kind), key);
      labels[key] = label;
      if (utc[kind] == nullptr) continue;
      if (auto profile = series.profiles.find(key);
          profile != series.profiles.end()) {
        (*utc[kind])[label] = profile->second.utc;
        (*in_zone[kind])[label] = profile->second.local;
      }
    }
    for (const std::vector<KeyedSeries::Point>& batch : series.batches) {
      for (const KeyedSeries::Point& point : batch) {
        auto label = labels.find(point.key);
        if (label == labels.end()) continue;
        (*named[kind])[label->second][absl::FromUnixSeconds(point.step)] +=
            point.packets;
      }
    }
  }
}

namespace {

// "23/tcp", "icmp", "47/other" -> the folded port index, or -1.
int64_t ParsePortName(absl::string_view text) {
  const std::string lower = absl::AsciiStrToLower(text);
  if (lower == "icmp") return ds_port_index(DS_SLOT_ICMP, 0);
  const size_t slash = lower.find('/');
  uint32_t port = 0;
  if (slash == std::string::npos ||
      !absl::SimpleAtoi(lower.substr(0, slash), &port) || port > 65535)
    return -1;
  for (uint8_t slot = 0; slot < DS_SLOT_COUNT; ++slot) {
    if (lower.substr(slash + 1) == kSlotNames[slot]) {
      return FoldedPortIndex(ds_port_index(slot, static_cast<uint16_t>(port)));
    }
  }
  return -1;
}

}  // namespace

absl::StatusOr<SeriesName> ParseSeriesName(const std::string& text) {
  const std::vector<std::string> parts = absl::StrSplit(text, ':');
  auto bad = [&](const char* why) {
    return absl::InvalidArgumentError(
        absl::StrCat("series '", text, "': ", why,
                     " (expected port:23/tcp, source_port:123/udp, country:JP, "
                     "pair:JP:23/tcp or asn:64500)"));
  };
  auto country = [](const std::string& code) {
    return code.size() == 2 && absl::ascii_isalpha(code[0]) &&
           absl::ascii_isalpha(code[1]);
  };
  SeriesName name;
  if (parts.size() == 2 && parts[0] == "port") {
    const int64_t index = ParsePortName(parts[1]);
    if (index < 0) return bad("not a port");
    name = {kPortSeries, static_cast<uint64_t>(index), ""};
  } else if (parts.size() == 2 && parts[0] == "source_port") {
    const int64_t index = ParsePortName(parts[1]);
    if (index < 0) return bad("not a port");
    const SlotPort sp = SlotPortOfIndex(static_cast<uint32_t>(index));
    name = {kSourcePortSeries, SourcePortKey(sp.slot, sp.port), ""};
  } else if (parts.size() == 2 && parts[0] == "country") {
    if (!country(parts[1])) return bad("not a two-letter country code");
    name = {kCountrySeries, CountryKey(absl::AsciiStrToUpper(parts[1])), ""};
  } else if (parts.size() == 3 && parts[0] == "pair") {
    const int64_t index = ParsePortName(parts[2]);
    if (!country(parts[1])) return bad("not a two-letter country code");
    if (index < 0) return bad("not a port");
    name = {kCountryPortSeries,
            uint64_t{CountryKey(absl::AsciiStrToUpper(parts[1]))} << 32 |
                static_cast<uint64_t>(index),
            ""};
  } else if (parts.size() == 2 && parts[0] == "asn") {
    uint32_t asn = 0;
    absl::string_view digits = parts[1];
    if (!absl::ConsumePrefix(&digits, "AS")) absl::ConsumePrefix(&digits, "as");
    if (!absl::SimpleAtoi(digits, &asn) || asn == 0)
      return bad("not an AS number");
    name = {kAsSeries, asn, ""};
  } else {
    return bad("unknown kind");
  }
  name.label = LabelOf(name.kind, name.key);
  return name;
}

std::string LabelOf(SeriesKind kind, uint64_t key) {
  switch (kind) {
    case kPortSeries: {
      const SlotPort sp = SlotPortOfIndex(static_cast<uint32_t>(key));
      return PortLabel(sp.slot, sp.port);
    }
    case kSourcePortSeries:
      return PortLabel(static_cast<uint8_t>(key / 65536), key % 65536);
    case kCountrySeries:
      return CountryOfKey(key);
    case kAsSeries:
      return absl::StrCat("AS", key);
    default: {
      const SlotPort sp = SlotPortOfIndex(static_cast<uint32_t>(key));
      return absl::StrCat(CountryOfKey(key >> 32), " ",
                          PortLabel(sp.slot, sp.port));
    }
  }
}

namespace {

// Reads plan[begin, end) into `part` (its from/to/step already set), each
// snapshot restricted by `filter`.
void LoadFiles(const std::vector<PlannedFile>& plan, size_t begin, size_t end,
               OriginLookup& origins, absl::TimeZone local,
               const ReportFilter& filter, std::atomic<size_t>& files_done,
               PeriodCounts& part, std::vector<std::string>& problems) {
  CountryKeys country_keys(origins, part);
  FilterPass pass(filter, origins);
  for (size_t i = begin; i < end; ++i, ++files_done) {
    // Flows stream into country x port and AS x port pairs (summed per
    // file) as they decode.
    absl::flat_hash_map<uint64_t, uint64_t> pairs, as_pairs;
    bool have_source = false;
    ds_net_key source = {};
    uint64_t country = 0, asn = 0;
    auto each_flow = [&](const ds_flow_key& key, const ds_flow_stats& traffic) {
      if (!pass.Flow(key, traffic)) return;
      // Flows come sorted by source: one country lookup per source.
      if (!have_source || !(source == key.src)) {
        source = key.src;
        have_source = true;
        const CountryKeys::Keys& keys = country_keys.KeysOf(key.src);
        country = keys.country, asn = keys.asn;
      }
      const uint64_t port =
          FoldedPortIndex(ds_port_index(key.proto_slot, key.port));
      pairs[country << 32 | port] += traffic.packets;
      as_pairs[asn << 32 | port] += traffic.packets;
    };
    absl::StatusOr<Snapshot> snapshot = ReadSnapshot(
        plan[i].path, kSnapshotSummary | kSnapshotPorts | kSnapshotNetworks,
        each_flow);
    if (!snapshot.ok()) {
      problems.push_back(
          absl::StrCat(plan[i].path, ": ", snapshot.status().message()));
      continue;
    }
    if (!filter.sensors.empty() && !filter.sensors.count(snapshot->sensor)) {
      pass.Apply(snapshot->counts);  // forgets the flows
      continue;
    }
    pass.Apply(snapshot->counts);
    if (!snapshot->flow_fingerprints) ++part.files_without_flow_fingerprints;
    for (const auto& [key, packets] : as_pairs) part.as_ports[key] += packets;
    ++part.files;
    part.snapshots +=
        static_cast<int>(AgentCounter(*snapshot, "rollup_snapshots", 1));
    AddMonthUsage(*snapshot, part.monthly);
    AddCoverage(part, snapshot->sensor, snapshot->interval_start,
                AgentCounter(*snapshot, "rollup_observed_seconds",
                             snapshot->interval_seconds));
    AddSeries(*snapshot, pairs, country_keys, filter.series_asns, local, part);
    if (snapshot->interval_seconds > 3600) {
      // A daily roll-up: the ports' profiles from its port_hours table, or
      // (roll-ups written before it) from its hours' port tables.
      part.country_profiles_partial = true;
      HourOfDayIndex day_hours[24];
      for (int h = 0; h < 24; ++h) {
        day_hours[h] =
            HoursOf(snapshot->interval_start + absl::Hours(h), local);
      }
      for (const auto& [key, packets] : snapshot->port_hours) {
        if (key.second >= 24) continue;  // not an hour of a day
        AddProfile(part.keyed[kPortSeries], FoldedPortIndex(key.first),
                   day_hours[key.second], packets);
      }
      for (const std::string& path : plan[i].hours_of_day) {
        if (!snapshot->port_hours.empty()) break;
        absl::StatusOr<Snapshot> hour = ReadSnapshot(path, kSnapshotPorts);
        if (!hour.ok()) {
          problems.push_back(absl::StrCat(path, ": ", hour.status().message()));
          continue;
        }
        const HourOfDayIndex h = HoursOf(hour->interval_start, local);
        for (const auto& [index, stats] : hour->counts.ports) {
          AddProfile(part.keyed[kPortSeries], FoldedPortIndex(index), h,
                     stats.packets);
        }
      }
    }
    AddCounts(snapshot->counts, part.by_sensor[snapshot->sensor]);
  }
}

// Adds `part` (files after those of `into`) to `into`.
void MergePart(PeriodCounts&& part, PeriodCounts& into) {
  into.files += part.files;
  into.snapshots += part.snapshots;
  into.country_profiles_partial =
      into.country_profiles_partial || part.country_profiles_partial;
  into.files_without_flow_fingerprints += part.files_without_flow_fingerprints;
  for (const auto& [key, packets] : part.as_ports)
    into.as_ports[key] += packets;
  into.as_names.insert(part.as_names.begin(), part.as_names.end());
  for (auto& [sensor, counts] : part.by_sensor)
    AddCounts(counts, into.by_sensor[sensor]);
  for (int kind = 0; kind < kSeriesKinds; ++kind) {
    KeyedSeries& to = into.keyed[kind];
    const KeyedSeries& from = part.keyed[kind];
    for (auto& batch : part.keyed[kind].batches)
      to.batches.push_back(std::move(batch));
    for (const auto& [key, total] : from.totals) to.totals[key] += total;
    for (const auto& [key, profile] : part.keyed[kind].profiles) {
      KeyedSeries::Profile& merged = to.profiles[key];
      for (int h = 0; h < 24; ++h) {
        merged.utc[h] += profile.utc[h];
        merged.local[h] += profile.local[h];
      }
    }
  }
  for (const auto& [sensor, steps] : part.coverage) {
    for (const auto& [step, seconds] : steps)
      into.coverage[sensor][step] += seconds;
  }
  for (const auto& [sensor, months] : part.monthly) {
    for (const auto& [month, usage] : months) {
      MonthUsage& merged = into.monthly[sensor][month];
      merged.ipv4_packets += usage.ipv4_packets;
      merged.observed_seconds += usage.observed_seconds;
      merged.ipv4_addresses =
          std::max(merged.ipv4_addresses, usage.ipv4_addresses);
      merged.ipv6_packets += usage.ipv6_packets;
      merged.ipv6_slash48s =
          std::max(merged.ipv6_slash48s, usage.ipv6_slash48s);
    }
  }
}

}  // namespace

absl::StatusOr<PeriodCounts> LoadPeriod(const std::vector<std::string>& dirs,
                                        absl::Time from, absl::Time to,
                                        OriginLookup& origins,
                                        absl::TimeZone local, bool progress,
                                        std::vector<std::string>& problems,
                                        const ReportFilter& filter) {
  const bool long_period = to - from > kDailySeriesAfter;
  const absl::Duration step = long_period ? absl::Hours(24) : absl::Hours(1);
  // Daily roll-ups hold UTC days: in another zone the days are summed from
  // the hourly ones. A filter needs the hours too: a daily roll-up's
  // ports' hour-of-day table is not per source.
  const bool use_daily = long_period && DaysAreUtcDays(local, from, to) &&
                         !filter.restricts_counts();
  std::vector<PlannedFile> plan;
  for (const std::string& dir : dirs) {
    DS_ASSIGN_OR_RETURN(std::vector<PlannedFile> files,
                        PlanFiles(dir, from, to, use_daily));
    for (PlannedFile& f : files) plan.push_back(std::move(f));
  }
  // The files in consecutive shares, one per CPU (at most kMaxLoaders),
  // each loaded into a part of its own with its own origin cache, then
  // merged in order: the same sums as one pass.
  constexpr size_t kMaxLoaders = 8, kFilesPerLoader = 8;
  const size_t loaders =
      std::clamp<size_t>(std::min<size_t>(std::thread::hardware_concurrency(),
                                          plan.size() / kFilesPerLoader),
                         1, kMaxLoaders);
  std::vector<PeriodCounts> parts(loaders);
  std::vector<std::vector<std::string>> part_problems(loaders);
  std::vector<std::unique_ptr<OriginLookup>> part_origins(loaders);
  std::atomic<size_t> files_done{0};
  // An exception (bad_alloc) in a loader is carried to this thread and
  // rethrown after the join, to end at the command's boundary rather than
  // in std::terminate.
  std::vector<std::exception_ptr> thrown(loaders);
  std::vector<std::thread> threads;
  for (size_t p = 0; p < loaders; ++p) {
    parts[p].from = from, parts[p].to = to, parts[p].step = step;
    parts[p].zone = local;
    OriginLookup* lookup = &origins;
    if (p > 0) {
      part_origins[p] = origins.Clone();
      lookup = part_origins[p].get();
    }
    const size_t begin = plan.size() * p / loaders,
                 end = plan.size() * (p + 1) / loaders;
    threads.emplace_back([&, p, begin, end, lookup] {
      try {
        LoadFiles(plan, begin, end, *lookup, local, filter, files_done,
                  parts[p], part_problems[p]);
      } catch (...) {
        thrown[p] = std::current_exception();
        files_done += end - begin;  // the progress line ends
      }
    });
  }
  for (size_t done = 0; progress && done < plan.size();) {
    absl::SleepFor(absl::Milliseconds(200));
    done = files_done.load();
    std::fprintf(stderr, "\rdarkscope report: %zu/%zu files", done,
                 plan.size());
  }
  for (std::thread& t : threads) t.join();
  for (const std::exception_ptr& e : thrown) {
    if (e) std::rethrow_exception(e);
  }
  if (progress && !plan.empty()) std::fprintf(stderr, "\n");
  PeriodCounts period = std::move(parts[0]);
  for (size_t p = 0; p < loaders; ++p) {
    if (p > 0) MergePart(std::move(parts[p]), period);
    problems.insert(problems.end(), part_problems[p].begin(),
                    part_problems[p].end());
  }
  SumSensors(period);
  return period;
}

void AddCoverage(PeriodCounts& period, const std::string& sensor,
                 absl::Time start, uint64_t observed_seconds) {
  period.coverage[sensor][absl::ToUnixSeconds(StepStart(period, start))] +=
      observed_seconds;
}

void SumSensors(PeriodCounts& period) {
  // Merged once per sensor rather than once per file.
  if (period.by_sensor.size() == 1) {
    period.all = period.by_sensor.begin()->second;
  } else {
    for (const auto& [sensor, counts] : period.by_sensor)
      AddCounts(counts, period.all);
  }
}

void AddHourPoint(PeriodCounts& period, SeriesKind kind, uint64_t key,
                  absl::Time hour, uint64_t packets, absl::TimeZone local) {
  KeyedSeries& series = period.keyed[kind];
  series.Add(key, absl::ToUnixSeconds(StepStart(period, hour)), packets);
  if (kind == kPortSeries || kind == kCountrySeries) {
    AddProfile(series, key, HoursOf(hour, local), packets);
  }
}

void AddHourOfDay(PeriodCounts& period, SeriesKind kind, uint64_t key,
                  int utc_hour, int local_hour, uint64_t packets) {
  if (kind == kPortSeries || kind == kCountrySeries) {
    AddProfile(period.keyed[kind], key, {utc_hour % 24, local_hour % 24},
               packets);
  }
}

absl::StatusOr<std::pair<absl::Time, absl::Time>> InputSpan(
    const std::vector<std::string>& dirs) {
  std::optional<absl::Time> first, last;
  auto extend = [&](absl::Time start, absl::Time end) {
    if (!first || start < *first) first = start;
    if (!last || end > *last) last = end;
  };
  for (const std::string& dir : dirs) {
    DS_ASSIGN_OR_RETURN(auto intervals, ListSeries(dir));
    DS_ASSIGN_OR_RETURN(auto hourly,
                        ListSeries(absl::StrCat(dir, "/", kHourlyDir)));
    DS_ASSIGN_OR_RETURN(auto daily,
                        ListSeries(absl::StrCat(dir, "/", kDailyDir)));
    if (!hourly.empty())
      extend(hourly.begin()->first, hourly.rbegin()->first + absl::Hours(1));
    if (!daily.empty())
      extend(daily.begin()->first, daily.rbegin()->first + absl::Hours(24));
    if (intervals.empty()) continue;
    const auto& [latest, path] = *intervals.rbegin();
    absl::StatusOr<Snapshot> s = ReadSnapshot(path, kSnapshotSummary);
    if (!s.ok()) {
      return absl::Status(s.status().code(),
                          absl::StrCat(path, ": ", s.status().message()));
    }
    extend(intervals.begin()->first,
           latest + absl::Seconds(s->interval_seconds));
  }
  if (!first) {
    return absl::NotFoundError(absl::StrCat(
        "no snapshots in ", absl::StrJoin(dirs, ", "), " to report on"));
  }
  return std::make_pair(*first, *last);
}

absl::StatusOr<MonthlyUsage> LoadMonthlyUsage(
    const std::vector<std::string>& dirs, absl::Time from, absl::Time to,
    std::vector<std::string>& problems, const ReportFilter& filter,
    OriginLookup* origins) {
  // Without a filter the summaries suffice; with one, each file's tables
  // are restricted as a period's are.
  std::unique_ptr<OriginLookup> no_origins;
  if (origins == nullptr) {
    no_origins = OriginLookup::Open("");
    origins = no_origins.get();
  }
  FilterPass pass(filter, *origins);
  const bool restricted = filter.restricts_counts();
  MonthlyUsage usage;
  for (const std::string& dir : dirs) {
    DS_ASSIGN_OR_RETURN(std::vector<PlannedFile> plan,
                        PlanFiles(dir, from, to, /*use_daily=*/!restricted));
    for (const PlannedFile& file : plan) {
      absl::StatusOr<Snapshot> s =
          restricted
              ? ReadSnapshot(
                    file.path,
                    kSnapshotSummary | kSnapshotPorts | kSnapshotNetworks,
                    [&](const ds_flow_key& key, const ds_flow_stats& traffic) {
                      pass.Flow(key, traffic);
                    })
              : ReadSnapshot(file.path, kSnapshotSummary);
      if (!s.ok()) {
        problems.push_back(absl::StrCat(file.path, ": ", s.status().message()));
        continue;
      }
      pass.Apply(s->counts);
      if (!filter.sensors.empty() && !filter.sensors.count(s->sensor)) continue;
      AddMonthUsage(*s, usage);
    }
  }
  return usage;
}

uint64_t Ipv6Slash48Count(absl::Span<const Prefix> prefixes) {
  // Each /48 once: a prefix inside another listed one adds nothing.
  uint64_t count = 0;
  for (size_t i = 0; i < prefixes.size(); ++i) {
    const Prefix& p = prefixes[i];
    if (p.family != DS_FAMILY_IPV6) continue;
    bool inside = false;
    for (size_t j = 0; j < prefixes.size() && !inside; ++j) {
      inside = j != i && prefixes[j].family == DS_FAMILY_IPV6 &&
               PrefixContains(prefixes[j], p) && (!(prefixes[j] == p) || j < i);
    }
    if (inside) continue;
    const uint64_t n = p.length >= 48        ? 1
                       : 48 - p.length >= 63 ? uint64_t{1} << 63
                                             : uint64_t{1} << (48 - p.length);
    count = count > (uint64_t{1} << 63) - n ? uint64_t{1} << 63 : count + n;
  }
  return count;
}

}  // namespace darkscope
