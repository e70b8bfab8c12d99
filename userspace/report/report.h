// `darkscope report`: the seeds' analyses over a period of snapshots, for
// one sensor or several, as text for a terminal or JSON for scripts. This
// first part computes the top ports and countries with their previous
// ranks, hourly and daily series per port, country and country x port with
// hour-of-day profiles (UTC and a local zone), the top ASes, the
// Mirai/ZMap/Masscan shares per port, traffic by source port (reflection and
// backscatter), ports first seen or surging against the previous period,
// wide-range scanners and country outages.
#ifndef DARKSCOPE_REPORT_REPORT_H_
#define DARKSCOPE_REPORT_REPORT_H_

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "report/period.h"

namespace darkscope {

struct ReportOptions {
  std::vector<std::string> dirs;  // one per sensor
  // The period; either end unset: that end of the input (InputSpan), and
  // the report's period says so ("note").
  std::optional<absl::Time> from, to;
  // The previous period; by default the same length just before.
  std::optional<absl::Time> previous_from, previous_to;
  int top = 10;
  std::string geo_dir;
  // Sources touching at least this many distinct ports are wide scanners.
  int wide_scanner_ports = 100;
  // The second time zone of the hour-of-day profiles (besides UTC).
  std::string local_time_zone = "Asia/Tokyo";
  bool progress = false;  // a progress line on stderr while loading
};

// The analyses as one JSON document (stable keys, for scripts), from the
// snapshot files of options.dirs.
absl::StatusOr<nlohmann::json> BuildReport(const ReportOptions& options);
// The same from another source (options.dirs unused).
absl::StatusOr<nlohmann::json> BuildReport(const ReportOptions& options,
                                           PeriodSource& source);

// The same for a terminal.
void PrintReportText(const nlohmann::json& report, std::ostream& out);

}  // namespace darkscope

#endif  // DARKSCOPE_REPORT_REPORT_H_
