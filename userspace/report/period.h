// A period of snapshots, loaded for a report: the counts of every sensor
// summed over [from, to), and hourly series of what the analyses chart.
// Sources are attributed to countries and ASes here, once per network.
#ifndef DARKSCOPE_REPORT_PERIOD_H_
#define DARKSCOPE_REPORT_PERIOD_H_

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

struct PeriodCounts {
  absl::Time from, to;
  int snapshots = 0;
  std::map<std::string, EpochCounts> by_sensor;  // sensor name -> sums
  EpochCounts all;                               // every sensor
  // Hourly series (hour start -> packets).
  std::map<std::string, std::map<absl::Time, uint64_t>> port_hours;
  std::map<std::string, std::map<absl::Time, uint64_t>> country_hours;
  // "CC PORT/PROTO" (from the flows table) -> hour -> packets.
  std::map<std::string, std::map<absl::Time, uint64_t>> country_port_hours;
  // Source port ("123/UDP") -> hour -> packets: reflection and backscatter.
  std::map<std::string, std::map<absl::Time, uint64_t>> source_port_hours;
};

// Loads the snapshots of `dirs` whose interval starts in [from, to).
// Unreadable files are skipped and listed in `problems`.
absl::StatusOr<PeriodCounts> LoadPeriod(const std::vector<std::string>& dirs, absl::Time from,
                                        absl::Time to, OriginLookup& origins,
                                        std::vector<std::string>& problems);

}  // namespace darkscope

#endif  // DARKSCOPE_REPORT_PERIOD_H_
