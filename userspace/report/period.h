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
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/node_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "common/prefix.h"
#include "counts/counts.h"
#include "enrich/origin.h"
#include "report/filter.h"

namespace darkscope {

// "23/TCP", "ICMP", "3/ICMPV6", "47/OTHER": how reports name a ports entry.
// ICMP types are one entry, "ICMP", as the seed reports count them.
std::string PortLabel(uint8_t slot, uint16_t port);

// Periods longer than this are charted by day and read from daily
// roll-ups; shorter ones by hour.
inline constexpr absl::Duration kDailySeriesAfter = absl::Hours(24 * 14);

using TimeSeries = std::map<std::string, std::map<absl::Time, uint64_t>>;
using HourOfDay = std::map<std::string, std::array<uint64_t, 24>>;

// What the series of one kind are kept as while a period loads: every
// entry, keyed by a number (a port index with ICMP types folded into one,
// a source-port index, a country key, or country key << 32 | port index),
// so that a quarter of files costs hash-map additions, not strings. Only
// the entries a report shows become TimeSeries (SelectSeries).
struct KeyedSeries {
  struct Point {
    uint64_t key;
    int64_t step;  // start, Unix seconds
    uint64_t packets;
  };
  // Hour-of-day profile (ports and countries only), UTC and local.
  struct Profile {
    std::array<uint64_t, 24> utc = {}, local = {};
  };
  // In the order added, one batch per file (batches are never copied as
  // they grow or merge).
  std::vector<std::vector<Point>> batches;
  absl::flat_hash_map<uint64_t, uint64_t>
      totals;  // key -> packets in the period
  // Node-based: a profile is 384 bytes, not moved when the map grows.
  absl::node_hash_map<uint64_t, Profile> profiles;

  // Starts a batch for the `expected` points of one file.
  void NewBatch(size_t expected) {
    batches.emplace_back();
    batches.back().reserve(expected);
  }
  void Add(uint64_t key, int64_t step, uint64_t packets) {
    if (batches.empty()) batches.emplace_back();
    batches.back().push_back({key, step, packets});
    totals[key] += packets;
  }
};

enum SeriesKind {
  kPortSeries,
  kSourcePortSeries,
  kCountrySeries,
  kCountryPortSeries,
  kAsSeries,  // only the ASes asked for (ReportFilter::series_asns)
  kSeriesKinds
};

// What a sensor saw in a calendar month (UTC): its IPv4 and IPv6 darknet
// packets, the time its snapshots cover, and the space it monitors: IPv4
// addresses, and IPv6 /48s (an IPv6 darknet's addresses are too many to
// average over: reports count its /48s, the networks the data plane keys
// IPv6 sources by).
struct MonthUsage {
  uint64_t ipv4_packets = 0;
  uint64_t observed_seconds = 0;
  uint64_t ipv4_addresses = 0;
  uint64_t ipv6_packets = 0;
  uint64_t ipv6_slash48s = 0;  // saturates at 2^63
};

// The /48s inside `prefixes` (IPv6 only; a prefix longer than /48 counts
// as one), each once.
uint64_t Ipv6Slash48Count(absl::Span<const Prefix> prefixes);
// sensor -> "2026-11" -> usage, from the snapshots' summaries only.
using MonthlyUsage = std::map<std::string, std::map<std::string, MonthUsage>>;

struct PeriodCounts {
  absl::Time from, to;
  absl::Duration step = absl::Hours(1);  // of the series below
  // The report's zone: a daily step starts at midnight there.
  absl::TimeZone zone = absl::UTCTimeZone();
  int snapshots = 0;  // intervals covered (roll-ups count theirs)
  int files = 0;      // files read
  // Sensor name -> sums. The flows table is not summed (the report reads
  // flows only as country x port series).
  std::map<std::string, EpochCounts> by_sensor;
  EpochCounts all;  // every sensor
  // Every entry's series, by kind; the selected ones as named series below.
  std::array<KeyedSeries, kSeriesKinds> keyed;
  std::array<absl::flat_hash_set<uint64_t>, kSeriesKinds> selected;
  // Series (step start -> packets) by port, source port ("123/UDP"),
  // country and "CC PORT/PROTO" (from the flows table): the entries
  // SelectSeries chose.
  TimeSeries ports, source_ports, countries, country_ports, ases;
  // Hour-of-day profiles in UTC and in the report's local zone. Countries
  // and pairs need hour-resolution data: on days read from daily roll-ups
  // only the ports' profiles are kept (from the hourly roll-ups' port
  // tables), and `country_profiles_partial` says so.
  HourOfDay ports_utc, ports_local, countries_utc, countries_local;
  bool country_profiles_partial = false;
  // Files whose flows predate their fingerprint counts (read as 0): under
  // a source filter their fingerprinted packets are missing.
  int files_without_flow_fingerprints = 0;
  // The period's monthly usage (what LoadMonthlyUsage would read).
  MonthlyUsage monthly;
  // Packets by source AS x destination port (asn << 32 | folded port
  // index), from the flows, and the ASes' names.
  absl::flat_hash_map<uint64_t, uint64_t> as_ports;
  absl::flat_hash_map<uint32_t, std::string> as_names;
  // Sensor -> step start (Unix seconds) -> seconds its snapshots observed
  // in that step (roll-ups: rollup_observed_seconds): a step observed for
  // less than its length is a gap in that sensor's coverage.
  std::map<std::string, std::map<int64_t, uint64_t>> coverage;
};

// The start of the series step holding `t`: the hour, or with a daily
// step the day in the period's zone.
absl::Time StepStart(const PeriodCounts& period, absl::Time t);

// Whether days in `zone` are UTC days over [from, to) (daily roll-ups,
// which hold UTC days, can then stand for the zone's days).
bool DaysAreUtcDays(absl::TimeZone zone, absl::Time from, absl::Time to);

// Names the entries of each kind worth a series: those whose packets over
// the period reach `min_total` (a spike needs that much in one step), the
// `top` largest (with ties), and the ones `also` selected (so that the
// period before has a baseline for every series of the period). Countries
// are all named (outages look at every one).
// `asked`: entries asked for by name (--series), named whatever their
// packets.
void SelectSeries(
    PeriodCounts& period, uint64_t min_total, int top,
    const PeriodCounts* also = nullptr,
    const std::vector<std::pair<SeriesKind, uint64_t>>& asked = {});

// An entry named on the command line: "port:23/tcp", "port:icmp",
// "source_port:123/udp", "country:JP", "pair:JP:23/tcp"; its kind, its
// key, and the label the report gives it ("23/TCP", "JP 23/TCP").
struct SeriesName {
  SeriesKind kind;
  uint64_t key;
  std::string label;
};
absl::StatusOr<SeriesName> ParseSeriesName(const std::string& text);

// The label of an entry of one kind: "23/TCP", "JP", "JP 23/TCP".
std::string LabelOf(SeriesKind kind, uint64_t key);

// Loads the snapshots of `dirs` whose interval starts in [from, to); the
// named series are empty until SelectSeries. Unreadable files are skipped
// and listed in `problems`. With `progress`, a
// line on stderr counts the files read. Each snapshot's counts are
// restricted by `filter` as they load (periods with a filter are read from
// hourly roll-ups, not daily ones: those sum the hours' flows away).
absl::StatusOr<PeriodCounts> LoadPeriod(const std::vector<std::string>& dirs,
                                        absl::Time from, absl::Time to,
                                        OriginLookup& origins,
                                        absl::TimeZone local, bool progress,
                                        std::vector<std::string>& problems,
                                        const ReportFilter& filter = {});

// What `dirs` hold, [first start, last end): from the earliest interval
// or roll-up to the end of the latest (an interval file's end from its
// header). NotFound naming the directories if none holds a snapshot.
absl::StatusOr<std::pair<absl::Time, absl::Time>> InputSpan(
    const std::vector<std::string>& dirs);

// `origins` is needed only when `filter` restricts the sources.
absl::StatusOr<MonthlyUsage> LoadMonthlyUsage(
    const std::vector<std::string>& dirs, absl::Time from, absl::Time to,
    std::vector<std::string>& problems, const ReportFilter& filter = {},
    OriginLookup* origins = nullptr);

// Where a report's periods come from: the snapshot directories (below), or
// ClickHouse (export/clickhouse_period.h), which fills the same model from
// SQL aggregates so that the analyses are the same code.
class PeriodSource {
 public:
  virtual ~PeriodSource() = default;
  // As LoadPeriod and LoadMonthlyUsage above.
  virtual absl::StatusOr<PeriodCounts> Load(
      absl::Time from, absl::Time to, OriginLookup& origins,
      absl::TimeZone local, bool progress,
      std::vector<std::string>& problems) = 0;
  virtual absl::StatusOr<MonthlyUsage> LoadMonthly(
      absl::Time from, absl::Time to, std::vector<std::string>& problems) = 0;
  // The span of everything the source holds, for a report without a
  // period; sources that cannot tell ask for --from and --to.
  virtual absl::StatusOr<std::pair<absl::Time, absl::Time>> Span() {
    return absl::InvalidArgumentError("this source needs --from and --to");
  }
  // Restricts what Load and LoadMonthly return, as the files' loader does
  // (FilesPeriodSource, ClickHousePeriodSource). A source that cannot
  // restrict its counts refuses every filter but sensors.
  virtual absl::Status SetFilter(const ReportFilter& filter) {
    if (!filter.restricts_counts()) return absl::OkStatus();
    return absl::UnimplementedError(
        "this report source takes no filters other than --sensor");
  }
};

class FilesPeriodSource : public PeriodSource {
 public:
  explicit FilesPeriodSource(std::vector<std::string> dirs)
      : dirs_(std::move(dirs)) {}
  absl::StatusOr<PeriodCounts> Load(
      absl::Time from, absl::Time to, OriginLookup& origins,
      absl::TimeZone local, bool progress,
      std::vector<std::string>& problems) override {
    origins_ = &origins;
    return LoadPeriod(dirs_, from, to, origins, local, progress, problems,
                      filter_);
  }
  absl::StatusOr<MonthlyUsage> LoadMonthly(
      absl::Time from, absl::Time to,
      std::vector<std::string>& problems) override {
    return LoadMonthlyUsage(dirs_, from, to, problems, filter_, origins_);
  }
  absl::StatusOr<std::pair<absl::Time, absl::Time>> Span() override {
    return InputSpan(dirs_);
  }
  absl::Status SetFilter(const ReportFilter& filter) override {
    filter_ = filter;
    return absl::OkStatus();
  }

 private:
  std::vector<std::string> dirs_;
  ReportFilter filter_;
  OriginLookup* origins_ = nullptr;  // the last Load's
};

// For sources that fill a period from aggregates rather than files.
// The series keys: a port index with ICMP types folded into one; a source
// port (slot * 65536 + port, ICMP folded); a country code's key.
uint32_t FoldedPortIndex(uint32_t index);
uint32_t SourcePortKey(uint32_t slot, uint32_t port);
uint16_t CountryKey(const std::string& code);
// Adds the packets of one hour (a multiple of an hour) to a series at the
// period's step, and to its hour-of-day profile where the kind keeps one
// (ports and countries), as a file of that hour adds them.
void AddHourPoint(PeriodCounts& period, SeriesKind kind, uint64_t key,
                  absl::Time hour, uint64_t packets, absl::TimeZone local);
// Adds packets of hours of day `utc_hour` (UTC) and `local_hour` (the
// report's zone) to an entry's hour-of-day profile (ports and countries),
// as AddHourPoint does for one hour: for sources that sum the period's
// hours by hour of day themselves.
void AddHourOfDay(PeriodCounts& period, SeriesKind kind, uint64_t key,
                  int utc_hour, int local_hour, uint64_t packets);
// Adds the seconds a snapshot of `sensor` starting at `start` observed.
void AddCoverage(PeriodCounts& period, const std::string& sensor,
                 absl::Time start, uint64_t observed_seconds);
// Sums every sensor's counts into `all`, once all are loaded.
void SumSensors(PeriodCounts& period);

}  // namespace darkscope

#endif  // DARKSCOPE_REPORT_PERIOD_H_
