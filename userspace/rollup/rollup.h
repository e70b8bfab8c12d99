// Roll-ups: hourly and daily snapshots merged from a sensor's interval
// snapshots, so that reports over months read hundreds of files instead of
// a hundred thousand. They are ordinary snapshot files (same format, an
// interval of 3600 or 86400 s) in `hourly/` and `daily/` under the
// sensor's directory, with two extra agent counters: `rollup_snapshots`
// (files merged) and `rollup_observed_seconds` (the time they cover).
#ifndef DARKSCOPE_ROLLUP_ROLLUP_H_
#define DARKSCOPE_ROLLUP_ROLLUP_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace darkscope {

inline constexpr const char kHourlyDir[] = "hourly";
inline constexpr const char kDailyDir[] = "daily";

// The snapshot files of one directory by interval start (from their
// names). A missing directory is an empty series.
absl::StatusOr<std::map<absl::Time, std::string>> ListSeries(
    const std::string& dir);

struct RollupOptions {
  std::vector<std::string> dirs;  // sensors' snapshot directories
  // An hour (day) is rolled up once a snapshot exists at or after its end,
  // or once `now` is `grace` past its end (the agent stopped).
  absl::Time now = absl::Now();
  absl::Duration grace = absl::Minutes(10);
  bool progress = false;  // a progress line on stderr
};

struct RollupResult {
  int hourly_written = 0, daily_written = 0;
  int up_to_date = 0;  // roll-ups newer than every file they merge
  // Files that could not be read or decoded ("PATH: why"): each is left
  // out of its roll-up (which is then marked incomplete) and the rest go on.
  std::vector<std::string> skipped;
};

// Writes the missing or stale hourly and daily roll-ups. Idempotent: run it
// from cron, after a backfill, or before a long report.
absl::StatusOr<RollupResult> RunRollup(const RollupOptions& options);

}  // namespace darkscope

#endif  // DARKSCOPE_ROLLUP_ROLLUP_H_
