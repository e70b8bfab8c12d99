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
#include "enrich/names.h"
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
  // The report's time zone: its times (RFC 3339 with this zone's offset),
  // its days (daily series and buckets) and the second hour-of-day profile
  // (besides UTC). UTC unless asked.
  std::string local_time_zone = "UTC";
  bool progress = false;  // a progress line on stderr while loading
  // Entries whose series the report carries whatever their rank
  // (ParseSeriesName: "port:23/tcp", "country:JP", "pair:JP:23/tcp").
  std::vector<std::string> series;
  // What every section is restricted to (filter.h); its `exclude` is set
  // from `known_scanners` when `exclude_known`.
  ReportFilter filter;
  // A file of "CIDR NAME" lines (enrich/known_networks.h): sources in them
  // are labelled with the name, and left out with `exclude_known`.
  std::string known_scanners;
  bool exclude_known = false;
  // The language of names and headings: "en" or "ja" (country names from
  // iso-codes' catalogue for it); where the names come from.
  std::string language = "en";
  std::string services_file = kServicesFile;
  std::string iso_codes_dir = kIsoCodesDir;
  std::string locale_dir = kLocaleDir;
};

// The languages of --lang.
inline constexpr const char* kReportLanguages[] = {"en", "ja"};

// A --from/--to/--previous end: RFC 3339, or a date or a time without an
// offset in `zone` (2026-10-01 is that day's midnight there).
absl::StatusOr<absl::Time> ParseReportTime(absl::string_view text,
                                           absl::TimeZone zone);

// The analyses as one JSON document (stable keys, for scripts), from the
// snapshot files of options.dirs.
absl::StatusOr<nlohmann::json> BuildReport(const ReportOptions& options);
// The same from another source (options.dirs unused).
absl::StatusOr<nlohmann::json> BuildReport(const ReportOptions& options,
                                           PeriodSource& source);

// The report's series as CSV: one line `time,kind,key,packets,coverage`
// per step of each series (kind port, source_port, country or
// country_port); coverage is full, partial (some sensor observed less than
// the step: the packets are what was seen) or missing (no sensor observed
// it: packets empty).
void PrintReportCsv(const nlohmann::json& report, std::ostream& out);

// The same for a terminal.
void PrintReportText(const nlohmann::json& report, std::ostream& out);

}  // namespace darkscope

#endif  // DARKSCOPE_REPORT_REPORT_H_
