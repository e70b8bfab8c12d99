// The offline subcommands' bodies (cli/command_bodies.h): cat, gen, report
// and rollup read their flags into the libraries' option structs and run
// them. None of them touches the kernel side.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "cat/cat.h"
#include "cli/command_bodies.h"
#include "common/directories.h"
#include "common/reader_memory.h"
#include "export/clickhouse_period.h"
#include "export/exporter.h"
#include "gen/generate.h"
#include "report/html.h"
#include "report/report.h"
#include "rollup/rollup.h"

namespace darkscope::cli {
namespace {

int CatMain(const ParsedFlags& flags) {
  CatOptions options;
  options.format =
      flags.String("format") == "csv" ? CatFormat::kCsv : CatFormat::kJsonLines;
  options.table = flags.String("table");
  if (absl::Status s = flags.CheckAllRead(); !s.ok())
    return Fail("cat", s.message(), kExitFailure);
  if (!options.table.empty()) {
    bool known = false;
    for (const char* t : kCatTables) known |= options.table == t;
    if (!known) {
      return Fail("cat",
                  absl::StrCat("bad value '", options.table,
                               "' for --table: expected one of ",
                               absl::StrJoin(kCatTables, ", ")),
                  kExitUsage);
    }
  }
  if (flags.operands().empty())
    return Fail("cat", "no snapshot file or directory given", kExitUsage);
  absl::StatusOr<std::vector<std::string>> files =
      ListSnapshotFiles(flags.operands());
  if (!files.ok()) return Fail("cat", files.status().message(), kExitFailure);
  return CatSnapshots(*files, options, std::cout, std::cerr) == 0
             ? 0
             : kExitFailure;
}

int GenMain(const ParsedFlags& flags) {
  GenerateOptions options;
  options.scenario = flags.String("scenario");
  if (flags.Uint64("packets") > 0) options.packets = flags.Uint64("packets");
  if (flags.Uint64("seed") > 0) options.seed = flags.Uint64("seed");
  options.pcap = flags.String("pcap");
  options.truth_dir = flags.String("truth");
  options.send_interface = flags.String("send");
  options.rate = flags.Uint64("rate");
  options.max_time = flags.Duration("max-time");
  if (absl::Status s = flags.CheckAllRead(); !s.ok())
    return Fail("gen", s.message(), kExitFailure);
  if (options.pcap.empty() && options.truth_dir.empty() &&
      options.send_interface.empty()) {
    return Fail("gen", "nothing to do: give --pcap, --truth or --send",
                kExitUsage);
  }
  if (absl::Status s = RunGenerate(options); !s.ok()) {
    return Fail("gen", s.message(), kExitFailure);
  }
  return 0;
}

// "FROM..TO" of --previous.
absl::Status ParsePrevious(const std::string& text, absl::TimeZone zone,
                           ReportOptions& options) {
  const std::vector<std::string> ends = absl::StrSplit(text, "..");
  absl::StatusOr<absl::Time> from, to;
  if (ends.size() == 2) {
    from = ParseReportTime(ends[0], zone);
    to = ParseReportTime(ends[1], zone);
  }
  if (ends.size() != 2 || !from.ok() || !to.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad value '", text,
                     "' for --previous: expected auto or FROM..TO in RFC 3339 "
                     "(or dates in --time-zone)"));
  }
  options.previous_from = *from;
  options.previous_to = *to;
  return absl::OkStatus();
}

// --from or --to, in the report's zone when it has no offset.
absl::Status ParseEnd(const ParsedFlags& flags, const char* name,
                      absl::TimeZone zone, std::optional<absl::Time>& end) {
  const std::string text = flags.String(name);
  if (text.empty()) return absl::OkStatus();
  absl::StatusOr<absl::Time> t = ParseReportTime(text, zone);
  if (!t.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad value for --", name, ": ", t.status().message()));
  }
  end = *t;
  return absl::OkStatus();
}

int ReportMain(const ParsedFlags& flags) {
  KeepFreedMemoryForReuse();
  ReportOptions options;
  options.dirs = flags.List("in");
  const std::string clickhouse = flags.String("clickhouse");
  SchemaTarget target;
  target.database = flags.String("database");
  target.cluster = flags.String("cluster");
  const std::vector<std::string> sensors = flags.List("sensor");
  options.local_time_zone = flags.String("time-zone");
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(options.local_time_zone, &zone)) {
    return Fail("report",
                absl::StrCat("bad value '", options.local_time_zone,
                             "' for --time-zone: not a known time zone"),
                kExitUsage);
  }
  for (auto [name, end] :
       {std::pair{"from", &options.from}, std::pair{"to", &options.to}}) {
    if (absl::Status s = ParseEnd(flags, name, zone, *end); !s.ok()) {
      return Fail("report", s.message(), kExitUsage);
    }
  }
  if (const std::string previous = flags.String("previous");
      previous != "auto") {
    if (absl::Status s = ParsePrevious(previous, zone, options); !s.ok()) {
      return Fail("report", s.message(), kExitUsage);
    }
  }
  options.top = flags.Int("top");
  for (const std::string& list : flags.List("series")) {
    for (absl::string_view name :
         absl::StrSplit(list, ',', absl::SkipEmpty())) {
      if (absl::StatusOr<SeriesName> parsed =
              ParseSeriesName(std::string(name));
          !parsed.ok()) {
        return Fail(
            "report",
            absl::StrCat("bad value for --series: ", parsed.status().message()),
            kExitUsage);
      }
      options.series.emplace_back(name);
    }
  }
  for (const char* flag : {"country", "asn", "port", "source-port"}) {
    for (const std::string& list : flags.List(flag)) {
      if (absl::Status s = AddFilterValues(flag, list, options.filter);
          !s.ok()) {
        return Fail("report", s.message(), kExitUsage);
      }
    }
  }
  options.filter.sensors.insert(sensors.begin(), sensors.end());
  options.filter.fingerprint = FingerprintCounter(flags.String("fingerprint"));
  if (const std::string family = flags.String("family"); family != "all")
    options.filter.family = family == "ipv4" ? DS_FAMILY_IPV4 : DS_FAMILY_IPV6;
  options.known_scanners = flags.String("known-scanners");
  options.exclude_known = flags.Bool("exclude-known");
  if (options.exclude_known && options.known_scanners.empty()) {
    return Fail("report", "--exclude-known needs --known-scanners FILE",
                kExitUsage);
  }
  if (absl::Status s = CheckFilter(options.filter); !s.ok()) {
    return Fail("report", s.message(), kExitUsage);
  }
  options.language = flags.String("lang");
  options.geo_dir = flags.String("geo-dir");
  const std::string format = flags.String("format");
  const std::string out_path = flags.String("out");
  options.progress = isatty(STDERR_FILENO);
  if (absl::Status s = flags.CheckAllRead(); !s.ok()) {
    return Fail("report", s.message(), kExitFailure);
  }
  if (options.dirs.empty() && clickhouse.empty()) {
    return Fail("report", "at least one --in is required (or --clickhouse URL)",
                kExitUsage);
  }
  if (!options.dirs.empty() && !clickhouse.empty()) {
    return Fail("report",
                "give --in DIR (snapshot files) or --clickhouse URL, not both",
                kExitUsage);
  }
  if (options.from && options.to && *options.to <= *options.from) {
    return Fail("report", "--to must be after --from", kExitUsage);
  }
  if (options.top < 1)
    return Fail("report", "--top must be at least 1", kExitUsage);
  absl::StatusOr<nlohmann::json> report;
  if (clickhouse.empty()) {
    report = BuildReport(options);
  } else {
    ClickHousePeriodSource source(clickhouse, target, sensors);
    if (absl::Status s = source.Check(); !s.ok()) {
      return Fail("report", s.message(), kExitFailure);
    }
    report = BuildReport(options, source);
    if (report.ok()) {
      (*report)["period"]["source"] = {{"clickhouse", clickhouse},
                                       {"database", target.database},
                                       {"sensors", sensors}};
    }
  }
  if (!report.ok())
    return Fail("report", report.status().message(), kExitFailure);
  std::ofstream file;
  if (!out_path.empty()) {
    file.open(out_path);
    if (!file)
      return Fail("report", absl::StrCat("cannot write '", out_path, "'"),
                  kExitFailure);
  }
  std::ostream& out = out_path.empty() ? std::cout : file;
  if (format == "json") {
    out << report->dump(2) << "\n";
  } else if (format == "html") {
    out << RenderReportHtml(*report);
  } else if (format == "csv") {
    PrintReportCsv(*report, out);
  } else {
    PrintReportText(*report, out);
  }
  out.flush();
  if (!out) {
    return Fail("report",
                absl::StrCat("write ", out_path.empty() ? "stdout" : out_path,
                             " failed"),
                kExitFailure);
  }
  return 0;
}

int RollupMain(const ParsedFlags& flags) {
  KeepFreedMemoryForReuse();
  RollupOptions options;
  options.dirs = flags.List("in");
  options.progress = isatty(STDERR_FILENO);
  if (absl::Status s = flags.CheckAllRead(); !s.ok()) {
    return Fail("rollup", s.message(), kExitFailure);
  }
  absl::StatusOr<RollupResult> result = RunRollup(options);
  if (!result.ok())
    return Fail("rollup", result.status().message(), kExitFailure);
  for (const std::string& skipped : result->skipped) {
    std::fprintf(stderr, "darkscope rollup: skipped %s\n", skipped.c_str());
  }
  std::printf(
      "darkscope rollup: %d hourly and %d daily roll-ups written, %d up to "
      "date\n",
      result->hourly_written, result->daily_written, result->up_to_date);
  return 0;
}

std::atomic<bool> export_stop{false};

int ExportMain(const ParsedFlags& flags) {
  ExportOptions options;
  options.url = flags.String("clickhouse");
  options.dirs = flags.List("in");
  options.target.database = flags.String("database");
  options.target.cluster = flags.String("cluster");
  options.follow = flags.Bool("follow");
  options.ledger_path = flags.String("ledger");
  options.batch_files = flags.Int("batch-files");
  options.poll = flags.Duration("poll");
  if (absl::Status s = flags.CheckAllRead(); !s.ok()) {
    return Fail("export", s.message(), kExitFailure);
  }
  if (options.batch_files < 1)
    return Fail("export", "--batch-files must be at least 1", kExitUsage);
  if (options.ledger_path.empty()) {
    options.ledger_path =
        DefaultLedgerPath(options.url, options.target.database);
    const std::string parent =
        std::filesystem::path(options.ledger_path).parent_path();
    if (absl::Status s = MakeDirectories(parent); !s.ok()) {
      return Fail("export", s.message(), kExitFailure);
    }
  }
  struct sigaction stop = {};
  stop.sa_handler = [](int) { export_stop = true; };
  sigaction(SIGTERM, &stop, nullptr);
  sigaction(SIGINT, &stop, nullptr);
  options.stop = [] { return export_stop.load(); };
  absl::StatusOr<ExportResult> result = RunExport(options, std::cerr);
  if (!result.ok()) {
    if (absl::IsCancelled(result.status())) return 0;
    return Fail("export", result.status().message(), kExitFailure);
  }
  std::fprintf(stderr,
               "darkscope export: %d files exported in %d batches, %d already "
               "there, %d corrupt "
               "(skipped)\n",
               result->files_exported, result->batches, result->files_already,
               result->files_corrupt);
  return result->files_corrupt > 0 ? kExitFailure : 0;
}

constexpr CommandBody kBodies[] = {
    {"cat", CatMain},       {"gen", GenMain},       {"report", ReportMain},
    {"rollup", RollupMain}, {"export", ExportMain},
};

}  // namespace

absl::Span<const CommandBody> OfflineCommandBodies() { return kBodies; }

}  // namespace darkscope::cli
