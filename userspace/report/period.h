// A period of snapshots, loaded for a report: the counts of every sensor
// summed over [from, to), and the series of what the analyses chart.
// Sources are attributed to countries and ASes here, once per network.
//
// Each sensor directory is read through its roll-ups where they cover the
// period (rollup/rollup.h): daily files for whole days of long periods,
// hourly files for whole hours, interval files for the rest.
#ifndef DARKSCOPE_REPORT_PERIOD_H_
#define DARKSCOPE_REPORT_PERIOD_H_

#include <array>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "drain/epoch_tables.h"
#include "enrich/origin.h"

namespace darkscope {

// "23/TCP", "ICMP", "3/ICMPV6", "47/OTHER": how reports name a ports entry.
// ICMP types are one entry, "ICMP", as the seed reports count them.
std::string PortLabel(uint8_t slot, uint16_t port);

// Periods longer than this are charted by day and read from daily
// roll-ups; shorter ones by hour.
inline constexpr absl::Duration kDailySeriesAfter = absl::Hours(24 * 14);

using TimeSeries = std::map<std::string, std::map<absl::Time, uint64_t>>;
using HourOfDay = std::map<std::string, std::array<uint64_t, 24>>;

struct PeriodCounts {
  absl::Time from, to;
  absl::Duration step = absl::Hours(1);  // of the series below
  int snapshots = 0;                     // intervals covered (roll-ups count theirs)
  int files = 0;                         // files read
  std::map<std::string, EpochCounts> by_sensor;  // sensor name -> sums
  EpochCounts all;                               // every sensor
  // Series (step start -> packets) by port, source port ("123/UDP"),
  // country and "CC PORT/PROTO" (from the flows table).
  TimeSeries ports, source_ports, countries, country_ports;
  // Hour-of-day profiles in UTC and in the report's local zone. Countries
  // and pairs need hour-resolution data: on days read from daily roll-ups
  // only the ports' profiles are kept (from the hourly roll-ups' port
  // tables), and `country_profiles_partial` says so.
  HourOfDay ports_utc, ports_local, countries_utc, countries_local;
  bool country_profiles_partial = false;
};

// Loads the snapshots of `dirs` whose interval starts in [from, to).
// Unreadable files are skipped and listed in `problems`. With `progress`, a
// line on stderr counts the files read.
absl::StatusOr<PeriodCounts> LoadPeriod(const std::vector<std::string>& dirs, absl::Time from,
                                        absl::Time to, OriginLookup& origins,
                                        absl::TimeZone local, bool progress,
                                        std::vector<std::string>& problems);

// What a sensor saw in a calendar month (UTC): its IPv4 darknet packets,
// the time its snapshots cover, and the IPv4 addresses it monitors.
struct MonthUsage {
  uint64_t ipv4_packets = 0;
  uint64_t observed_seconds = 0;
  uint64_t ipv4_addresses = 0;
};
// sensor -> "2026-11" -> usage, from the snapshots' summaries only.
using MonthlyUsage = std::map<std::string, std::map<std::string, MonthUsage>>;

absl::StatusOr<MonthlyUsage> LoadMonthlyUsage(const std::vector<std::string>& dirs,
                                              absl::Time from, absl::Time to,
                                              std::vector<std::string>& problems);

}  // namespace darkscope

#endif  // DARKSCOPE_REPORT_PERIOD_H_
