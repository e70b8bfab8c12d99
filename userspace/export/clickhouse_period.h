// The report's periods read from ClickHouse: the model of report/period.h
// (per-sensor sums, hourly series, hour-of-day profiles, monthly usage)
// filled from GROUP BY queries over the exported base tables, so that
// `darkscope report --clickhouse` runs the same analyses as a report from
// the files and says the same. Sources are attributed to countries here,
// client side, with the same enrichment data as a report from files.
#ifndef DARKSCOPE_EXPORT_CLICKHOUSE_PERIOD_H_
#define DARKSCOPE_EXPORT_CLICKHOUSE_PERIOD_H_

#include <string>
#include <vector>

#include "export/clickhouse_client.h"
#include "export/schema.h"
#include "report/period.h"

namespace darkscope {

class ClickHousePeriodSource : public PeriodSource {
 public:
  // `sensors`: only these (empty: every sensor in the database).
  ClickHousePeriodSource(std::string url, SchemaTarget target,
                         std::vector<std::string> sensors);

  absl::StatusOr<PeriodCounts> Load(
      absl::Time from, absl::Time to, OriginLookup& origins,
      absl::TimeZone local, bool progress,
      std::vector<std::string>& problems) override;
  absl::StatusOr<MonthlyUsage> LoadMonthly(
      absl::Time from, absl::Time to,
      std::vector<std::string>& problems) override;

  // Checks the database holds this version's schema (without creating it).
  absl::Status Check();

 private:
  // Runs `sql` (rows of [from, to), and of the sensors asked for, where
  // "{where}" stands) and returns its rows.
  absl::StatusOr<std::vector<std::vector<std::string>>> Rows(
      const std::string& sql, const std::string& table, absl::Time from,
      absl::Time to);

  ClickHouseClient client_;
  SchemaTarget target_;
  std::vector<std::string> sensors_;
};

}  // namespace darkscope

#endif  // DARKSCOPE_EXPORT_CLICKHOUSE_PERIOD_H_
