// How long a report over a quarter takes: a /16 darknet's 1-minute
// snapshots for --days days (90: 129,600 files) are synthesised, rolled up
// once with `darkscope rollup`'s code, and reported on. Side by side in one
// run: a day's report from the interval files and from the hourly
// roll-ups, and the whole period from the roll-ups (the interval files'
// quarter is the day's figure times the days, or measured with
// --raw-period). Prints a Markdown table for bench/RESULTS.md.
//
// The traffic: 200,000 source /24s with Zipf-like activity; each minute
// 800 of them send 1-60 packets to 1-4 (protocol, port) pairs, to the 256
// destination /24s of 198.18.0.0/16.
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/time/clock.h"
#include "common/prefix.h"
#include "common/reader_memory.h"
#include "median.h"
#include "report/report.h"
#include "rollup/rollup.h"
#include "snapshot/snapshot.h"

ABSL_FLAG(int, days, 90, "days of 1-minute snapshots");
ABSL_FLAG(std::string, dir, "",
          "where to write them (default: a new directory under /tmp, removed "
          "at exit)");
ABSL_FLAG(int, rounds, 3, "rounds of the day reports (medians)");
ABSL_FLAG(bool, raw_period, false,
          "also report the whole period from the interval files");

namespace darkscope {
namespace {

constexpr int kSources = 200000, kSourcesPerMinute = 800;
constexpr absl::Time kFirstDay =
    absl::FromUnixSeconds(1782864000);  // 2026-07-01T00:00:00Z

// One minute's counts, drawn from the population.
EpochCounts Minute(std::mt19937_64& rng) {
  EpochCounts c;
  // Zipf-like: source i is drawn with weight ~ 1/(i+1).
  std::uniform_real_distribution<double> unit(0, 1);
  const uint16_t popular_ports[] = {23,   2323, 445,  22,   80,    443,
                                    3389, 1433, 8080, 5555, 37215, 6379};
  uint64_t packets_total = 0;
  for (int s = 0; s < kSourcesPerMinute; ++s) {
    const uint32_t source =
        static_cast<uint32_t>(std::pow(kSources, unit(rng))) - 1;
    ds_net_key net = {DS_FAMILY_IPV4,
                      0,
                      {uint8_t(1 + source % 200), uint8_t(source >> 8),
                       uint8_t(source), 0, 0, 0}};
    const uint64_t packets = 1 + rng() % 60;
    ds_source_stats& src = c.sources[net];
    src.packets += packets;
    src.bytes += packets * 60;
    src.hosts[rng() % 4] |= uint64_t{1} << (rng() % 64);
    const int pairs = 1 + static_cast<int>(rng() % 4);
    for (int p = 0; p < pairs; ++p) {
      const bool wide = rng() % 8 == 0;
      const uint16_t port =
          wide ? static_cast<uint16_t>(rng())
               : popular_ports[rng() % std::size(popular_ports)];
      const uint8_t slot = rng() % 10 == 0 ? DS_SLOT_UDP : DS_SLOT_TCP;
      const uint64_t share = packets / pairs + (p == 0 ? packets % pairs : 0);
      if (share == 0) continue;
      ds_flow_key flow = {net, slot, 0, port};
      c.flows[flow].packets += share;
      c.flows[flow].bytes += share * 60;
      ds_port_stats& ps = c.ports[ds_port_index(slot, port)];
      ps.packets += share;
      ps.bytes += share * 60;
      ps.syn += slot == DS_SLOT_TCP ? share : 0;
      ps.mirai += port == 23 ? share : 0;
      src.port_sketch[rng() % 8] |= uint64_t{1} << (rng() % 64);
      c.src_ports[slot * 65536 + 1024 + rng() % 200].packets += share;
    }
    for (uint64_t i = 0; i < packets; ++i) {
      ds_dest_stats& dest = c.destinations[{
          DS_FAMILY_IPV4, 0, {198, 18, uint8_t(rng()), 0, 0, 0}}];
      dest.packets += 1;
      dest.bytes += 60;
      dest.hosts[rng() % 4] |= uint64_t{1} << (rng() % 64);
    }
    packets_total += packets;
  }
  c.counters[DS_CTR_PACKETS_SEEN] = c.counters[DS_CTR_DARKNET_PACKETS] =
      packets_total;
  c.counters[DS_CTR_IPV4] = packets_total;
  return c;
}

double Seconds(absl::Time since) {
  return absl::ToDoubleSeconds(absl::Now() - since);
}

double ReportSeconds(const std::string& dir, absl::Time from, absl::Time to) {
  ReportOptions options;
  options.dirs = {dir};
  options.from = from;
  options.to = to;
  const absl::Time began = absl::Now();
  absl::StatusOr<nlohmann::json> report = BuildReport(options);
  if (!report.ok()) {
    std::fprintf(stderr, "report_scale: %s\n",
                 std::string(report.status().message()).c_str());
    std::exit(2);
  }
  return Seconds(began);
}

int Run() {
  const int days = absl::GetFlag(FLAGS_days);
  std::string dir = absl::GetFlag(FLAGS_dir);
  const bool own_dir = dir.empty();
  if (own_dir) {
    char tmpl[] = "/tmp/report-scale-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) return 2;
    dir = tmpl;
  }
  const std::string raw = dir + "/raw", rolled = dir + "/rolled";
  std::filesystem::create_directories(raw);
  std::mt19937_64 rng(7);
  const Prefix darknet = *ParseDarknetPrefix("198.18.0.0/16");
  absl::Time began = absl::Now();
  uint64_t bytes = 0;
  const int minutes = days * 24 * 60;
  for (int m = 0; m < minutes; ++m) {
    Snapshot s;
    s.sensor = "bench-16";
    s.interval_start = kFirstDay + absl::Minutes(m);
    s.interval_seconds = 60;
    s.complete = true;
    s.darknet = {darknet};
    s.counts = Minute(rng);
    const std::vector<uint8_t> file = EncodeSnapshot(s);
    bytes += file.size();
    std::ofstream(raw + "/" + SnapshotFileName(s.interval_start),
                  std::ios::binary)
        .write(reinterpret_cast<const char*>(file.data()), file.size());
    if (m % 1440 == 0)
      std::fprintf(stderr, "\rreport_scale: day %d/%d", m / 1440 + 1, days);
  }
  std::fprintf(stderr, "\n");
  const double generate = Seconds(began);
  // The roll-ups beside a copy of the interval files (hard links).
  std::filesystem::copy(raw, rolled,
                        std::filesystem::copy_options::create_hard_links |
                            std::filesystem::copy_options::recursive);
  began = absl::Now();
  RollupOptions rollup;
  rollup.dirs = {rolled};
  rollup.progress = true;
  absl::StatusOr<RollupResult> rolled_up = RunRollup(rollup);
  if (!rolled_up.ok()) return 2;
  const double rollup_seconds = Seconds(began);

  // A day in the middle, from each, in alternating rounds.
  const absl::Time day = kFirstDay + absl::Hours(24 * (days / 2));
  std::vector<double> day_raw, day_rolled;
  for (int round = 0; round < absl::GetFlag(FLAGS_rounds); ++round) {
    day_raw.push_back(ReportSeconds(raw, day, day + absl::Hours(24)));
    day_rolled.push_back(ReportSeconds(rolled, day, day + absl::Hours(24)));
  }
  const absl::Time end = kFirstDay + absl::Hours(24 * days);
  const double period_rolled = ReportSeconds(rolled, kFirstDay, end);
  std::printf(
      "| what (%d days of 1-minute snapshots of a /16: %d files, %.1f GB) | "
      "seconds |\n",
      days, minutes, bytes / 1e9);
  std::printf("|---|---|\n");
  std::printf("| synthesise and write the interval files | %.0f |\n", generate);
  std::printf(
      "| `darkscope rollup`, once over everything (%d hourly, %d daily) | %.0f "
      "|\n",
      rolled_up->hourly_written, rolled_up->daily_written, rollup_seconds);
  std::printf(
      "| report of one day, from 1,440 interval files (median of %zu) | %.2f "
      "|\n",
      day_raw.size(), Median(day_raw));
  std::printf(
      "| report of one day, from 24 hourly roll-ups (median of %zu) | %.2f |\n",
      day_rolled.size(), Median(day_rolled));
  std::printf(
      "| report of the whole period from roll-ups (%d daily files, their "
      "`port_hours` tables) | %.2f |\n",
      days, period_rolled);
  if (absl::GetFlag(FLAGS_raw_period)) {
    std::printf(
        "| report of the whole period from the %d interval files | %.1f |\n",
        minutes, ReportSeconds(raw, kFirstDay, end));
  } else {
    std::printf(
        "| report of the whole period from the interval files (day x %d, "
        "estimated) | %.0f |\n",
        days, Median(day_raw) * days);
  }
  if (own_dir) std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace darkscope

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  darkscope::KeepFreedMemoryForReuse();  // as `darkscope report` and `rollup`
                                         // do
  return darkscope::Run();
}
