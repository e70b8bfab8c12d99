// Loading a period of snapshots, through roll-ups where they cover it.
#include "report/period.h"

#include <cstdio>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "cat/cat.h"
#include "common/counter_names.h"
#include "common/port_index.h"
#include "common/status.h"
#include "rollup/rollup.h"
#include "snapshot/snapshot.h"

namespace darkscope {
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
absl::StatusOr<std::vector<PlannedFile>> PlanFiles(const std::string& dir, absl::Time from,
                                                   absl::Time to, bool use_daily) {
  DS_ASSIGN_OR_RETURN(auto intervals, ListSeries(dir));
  DS_ASSIGN_OR_RETURN(auto hourly, ListSeries(absl::StrCat(dir, "/", kHourlyDir)));
  std::map<absl::Time, std::string> daily;
  if (use_daily) {
    DS_ASSIGN_OR_RETURN(daily, ListSeries(absl::StrCat(dir, "/", kDailyDir)));
  }
  std::vector<PlannedFile> plan;
  absl::Time t = from;
  while (t < to) {
    const absl::Time day = Floor(t, absl::Hours(24)), hour = Floor(t, absl::Hours(1));
    if (auto d = daily.find(t); d != daily.end() && day == t && t + absl::Hours(24) <= to) {
      PlannedFile file{d->second, {}};
      for (auto h = hourly.lower_bound(t); h != hourly.end() && h->first < t + absl::Hours(24); ++h) {
        file.hours_of_day.push_back(h->second);
      }
      plan.push_back(std::move(file));
      t += absl::Hours(24);
      continue;
    }
    if (auto h = hourly.find(t); h != hourly.end() && hour == t && t + absl::Hours(1) <= to) {
      plan.push_back({h->second, {}});
      t += absl::Hours(1);
      continue;
    }
    const absl::Time next = std::min(to, hour + absl::Hours(1));
    for (auto i = intervals.lower_bound(t); i != intervals.end() && i->first < next; ++i) {
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

uint64_t AgentCounter(const Snapshot& s, const char* name, uint64_t otherwise) {
  auto it = s.agent_counters.find(name);
  return it == s.agent_counters.end() ? otherwise : it->second;
}

// Country codes as two bytes, "??" for unknown: a cheap key per row.
uint16_t CountryKey(const std::string& code) {
  return code.size() == 2 ? static_cast<uint16_t>(code[0] << 8 | code[1]) : ('?' << 8 | '?');
}
std::string CountryOfKey(uint16_t key) { return {static_cast<char>(key >> 8), static_cast<char>(key & 0xff)}; }

void AddHourOfDay(HourOfDay& utc, HourOfDay& local, absl::TimeZone zone, const std::string& name,
                  absl::Time hour, uint64_t packets) {
  utc[name][absl::ToCivilHour(hour, absl::UTCTimeZone()).hour()] += packets;
  local[name][absl::ToCivilHour(hour, zone).hour()] += packets;
}

// Adds one snapshot's series points (at `step`) and, when it covers at most
// an hour, its hour-of-day profiles.
void AddSeries(const Snapshot& s, OriginLookup& origins, absl::TimeZone zone, PeriodCounts& p) {
  const absl::Time at = Floor(s.interval_start, p.step);
  const bool hourly = s.interval_seconds <= 3600;
  const absl::Time hour = Floor(s.interval_start, absl::Hours(1));
  for (const auto& [index, stats] : s.counts.ports) {
    auto [slot, port] = SlotPortOfIndex(index);
    const std::string label = PortLabel(slot, port);
    p.ports[label][at] += stats.packets;
    if (hourly) AddHourOfDay(p.ports_utc, p.ports_local, zone, label, hour, stats.packets);
  }
  for (const auto& [index, stats] : s.counts.src_ports) {
    p.source_ports[PortLabel(static_cast<uint8_t>(index / 65536), index % 65536)][at] +=
        stats.packets;
  }
  absl::flat_hash_map<uint16_t, uint64_t> countries;
  for (const auto& [net, stats] : s.counts.sources) {
    countries[CountryKey(origins.Of(net).country)] += stats.packets;
  }
  for (const auto& [key, packets] : countries) {
    const std::string country = CountryOfKey(key);
    p.countries[country][at] += packets;
    if (hourly) AddHourOfDay(p.countries_utc, p.countries_local, zone, country, hour, packets);
  }
  // Pairs are summed by (country, port index) first: one label per pair,
  // not per flow.
  absl::flat_hash_map<uint64_t, uint64_t> pairs;
  for (const auto& [key, stats] : s.counts.flows) {
    const uint64_t pair = uint64_t{CountryKey(origins.Of(key.src).country)} << 32 |
                          ds_port_index(key.proto_slot, key.port);
    pairs[pair] += stats.packets;
  }
  std::map<std::string, uint64_t> labelled;
  for (const auto& [pair, packets] : pairs) {
    auto [slot, port] = SlotPortOfIndex(static_cast<uint32_t>(pair));
    labelled[absl::StrCat(CountryOfKey(static_cast<uint16_t>(pair >> 32)), " ",
                          PortLabel(slot, port))] += packets;
  }
  for (const auto& [label, packets] : labelled) p.country_ports[label][at] += packets;
}

}  // namespace

std::string PortLabel(uint8_t slot, uint16_t port) {
  if (slot == DS_SLOT_ICMP) return "ICMP";
  return absl::StrCat(port, "/",
                      absl::AsciiStrToUpper(kSlotNames[slot < DS_SLOT_COUNT ? slot : DS_SLOT_OTHER]));
}

absl::StatusOr<PeriodCounts> LoadPeriod(const std::vector<std::string>& dirs, absl::Time from,
                                        absl::Time to, OriginLookup& origins,
                                        absl::TimeZone local, bool progress,
                                        std::vector<std::string>& problems) {
  PeriodCounts period;
  period.from = from;
  period.to = to;
  const bool long_period = to - from > kDailySeriesAfter;
  period.step = long_period ? absl::Hours(24) : absl::Hours(1);
  std::vector<PlannedFile> plan;
  for (const std::string& dir : dirs) {
    DS_ASSIGN_OR_RETURN(std::vector<PlannedFile> files, PlanFiles(dir, from, to, long_period));
    for (PlannedFile& f : files) plan.push_back(std::move(f));
  }
  for (size_t i = 0; i < plan.size(); ++i) {
    if (progress && (i % 64 == 0 || i + 1 == plan.size())) {
      std::fprintf(stderr, "\rdarkscope report: %zu/%zu files", i + 1, plan.size());
    }
    absl::StatusOr<Snapshot> snapshot = ReadSnapshot(plan[i].path, kSnapshotAll);
    if (!snapshot.ok()) {
      problems.push_back(absl::StrCat(plan[i].path, ": ", snapshot.status().message()));
      continue;
    }
    ++period.files;
    period.snapshots += static_cast<int>(AgentCounter(*snapshot, "rollup_snapshots", 1));
    AddSeries(*snapshot, origins, local, period);
    if (snapshot->interval_seconds > 3600) {
      // A daily roll-up: the ports' profiles from its hours' port tables.
      period.country_profiles_partial = true;
      for (const std::string& path : plan[i].hours_of_day) {
        absl::StatusOr<Snapshot> hour = ReadSnapshot(path, kSnapshotPorts);
        if (!hour.ok()) {
          problems.push_back(absl::StrCat(path, ": ", hour.status().message()));
          continue;
        }
        for (const auto& [index, stats] : hour->counts.ports) {
          auto [slot, port] = SlotPortOfIndex(index);
          AddHourOfDay(period.ports_utc, period.ports_local, local, PortLabel(slot, port),
                       hour->interval_start, stats.packets);
        }
      }
    }
    AddCounts(snapshot->counts, period.by_sensor[snapshot->sensor]);
  }
  if (progress && !plan.empty()) std::fprintf(stderr, "\n");
  // Merged once per sensor rather than once per file.
  if (period.by_sensor.size() == 1) {
    period.all = period.by_sensor.begin()->second;
  } else {
    for (const auto& [sensor, counts] : period.by_sensor) AddCounts(counts, period.all);
  }
  return period;
}

absl::StatusOr<MonthlyUsage> LoadMonthlyUsage(const std::vector<std::string>& dirs,
                                              absl::Time from, absl::Time to,
                                              std::vector<std::string>& problems) {
  MonthlyUsage usage;
  for (const std::string& dir : dirs) {
    DS_ASSIGN_OR_RETURN(std::vector<PlannedFile> plan, PlanFiles(dir, from, to, /*use_daily=*/true));
    for (const PlannedFile& file : plan) {
      absl::StatusOr<Snapshot> s = ReadSnapshot(file.path, kSnapshotSummary);
      if (!s.ok()) {
        problems.push_back(absl::StrCat(file.path, ": ", s.status().message()));
        continue;
      }
      MonthUsage& month =
          usage[s->sensor][absl::FormatTime("%Y-%m", s->interval_start, absl::UTCTimeZone())];
      month.ipv4_packets += s->counts.counters[DS_CTR_IPV4];
      month.observed_seconds += AgentCounter(*s, "rollup_observed_seconds", s->interval_seconds);
      uint64_t addresses = 0;
      for (const Prefix& p : s->darknet) {
        if (p.family == DS_FAMILY_IPV4) addresses += uint64_t{1} << (32 - p.length);
      }
      month.ipv4_addresses = std::max(month.ipv4_addresses, addresses);
    }
  }
  return usage;
}

}  // namespace darkscope
