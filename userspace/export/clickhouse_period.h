// The report's periods read from ClickHouse: the model of report/period.h
// (per-sensor sums, hourly series, hour-of-day profiles, monthly usage)
// filled from GROUP BY queries, so that `darkscope report --clickhouse`
// runs the same analyses as a report from the files and says the same.
// Each sum reads the coarsest table that holds it exactly: the daily
// roll-ups for whole UTC days, the hourly ones for the other whole hours
// and hour-of-day profiles, the base tables for the minutes at either end
// and for what only they hold (host sets, port sketches, flows, a port
// filter's per-interval join). Sources are attributed to countries and
// ASes here, client side, with the same enrichment data as a report from
// files, and sent back as an external table so that the server sums the
// series by country and the flows by AS.
//
// Filters (report/filter.h) give the report of the files under the same
// filter: ports, source ports, fingerprints and IPv4/IPv6 are conditions
// in the queries; countries, ASes and known networks are decided per
// source network client side (FilterPass::KeepsSource) over the networks
// the period holds, and the kept ones (or the left-out ones, whichever are
// fewer) are sent with each query as an external table.
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

  absl::Status SetFilter(const ReportFilter& filter) override;

  // Checks the database holds this version's schema (without creating it).
  absl::Status Check();

 private:
  // What the filter keeps of one period, as SQL conditions (each empty or
  // " AND ...") and the tables they read.
  struct Restriction {
    std::string ports;         // on (slot, port): destination ports
    std::string sources;       // on (family, prefix): source networks
    std::string source_ports;  // on (slot, port) of src_ports
    std::vector<ClickHouseExternalTable> tables;
  };
  absl::StatusOr<Restriction> Restrict(absl::Time from, absl::Time to,
                                       OriginLookup& origins);
  absl::StatusOr<MonthlyUsage> Monthly(absl::Time from, absl::Time to,
                                       const Restriction& r);

  // Runs `sql` (rows of [from, to), and of the sensors asked for, where
  // "{where}" stands; "{table}" is `table`, "{sources}" and "{flows}" those
  // tables) with the restriction's tables it reads and `also`, and returns
  // its rows.
  absl::StatusOr<TabSeparatedRows> Rows(
      const std::string& sql, const std::string& table, absl::Time from,
      absl::Time to, const Restriction& r,
      const std::vector<ClickHouseExternalTable>& also = {});
  // `sql` with {where}, {table}, {sources} and {flows} as Rows replaces
  // them.
  std::string Expand(const std::string& sql, const std::string& table,
                     absl::Time from, absl::Time to) const;
  // Runs the whole query `sql` (about `table`, for errors) likewise.
  absl::StatusOr<TabSeparatedRows> Query(
      const std::string& sql, const std::string& table, const Restriction& r,
      const std::vector<ClickHouseExternalTable>& also = {});

  // The coarsest rows a query may read (export/schema.h's roll-ups hold
  // UTC hours and days of ports, src_ports and sources, and UTC days of
  // flows).
  enum class Grain { kInterval, kHour, kDay };
  // The rows of `table` in [from, to) of the sensors asked for, read from
  // its daily roll-up for whole UTC days (up to `coarsest`), its hourly one
  // for the other whole hours (where the schema has one) and the base
  // table for the rest: a UNION
  // ALL subquery of `columns` (names the tables share) under `condition`
  // (" AND ..."), each row with its hour (or day) as `hour` (UInt32,
  // Unix seconds) first.
  std::string Tiered(const std::string& table, const std::string& columns,
                     const std::string& condition, absl::Time from,
                     absl::Time to, Grain coarsest) const;
  // " AND sensor IN (...)" for the sensors asked for, or "".
  std::string SensorCondition() const;

  ClickHouseClient client_;
  SchemaTarget target_;
  std::vector<std::string> sensors_;
  ReportFilter filter_;
  OriginLookup* origins_ = nullptr;  // the last Load's
};

}  // namespace darkscope

#endif  // DARKSCOPE_EXPORT_CLICKHOUSE_PERIOD_H_
