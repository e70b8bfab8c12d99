// The offline subcommands' bodies (cli/command_bodies.h): cat, gen, report
// and rollup read their flags into the libraries' option structs and run
// them. None of them touches the kernel side.
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "cat/cat.h"
#include "cli/command_bodies.h"
#include "common/reader_memory.h"
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
absl::Status ParsePrevious(const std::string& text, ReportOptions& options) {
  const std::vector<std::string> ends = absl::StrSplit(text, "..");
  absl::Time from, to;
  std::string error;
  if (ends.size() != 2 ||
      !absl::ParseTime(absl::RFC3339_full, ends[0], &from, &error) ||
      !absl::ParseTime(absl::RFC3339_full, ends[1], &to, &error)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "bad value '", text,
        "' for --previous: expected auto or FROM..TO in RFC 3339"));
  }
  options.previous_from = from;
  options.previous_to = to;
  return absl::OkStatus();
}

int ReportMain(const ParsedFlags& flags) {
  KeepFreedMemoryForReuse();
  ReportOptions options;
  options.dirs = flags.List("in");
  options.from = flags.Time("from");
  options.to = flags.Time("to");
  if (const std::string previous = flags.String("previous");
      previous != "auto") {
    if (absl::Status s = ParsePrevious(previous, options); !s.ok()) {
      return Fail("report", s.message(), kExitUsage);
    }
  }
  options.top = flags.Int("top");
  options.geo_dir = flags.String("geo-dir");
  options.local_time_zone = flags.String("time-zone");
  const std::string format = flags.String("format");
  const std::string out_path = flags.String("out");
  options.progress = isatty(STDERR_FILENO);
  if (absl::Status s = flags.CheckAllRead(); !s.ok()) {
    return Fail("report", s.message(), kExitFailure);
  }
  if (options.from && options.to && *options.to <= *options.from) {
    return Fail("report", "--to must be after --from", kExitUsage);
  }
  if (options.top < 1)
    return Fail("report", "--top must be at least 1", kExitUsage);
  if (absl::TimeZone zone;
      !absl::LoadTimeZone(options.local_time_zone, &zone)) {
    return Fail("report",
                absl::StrCat("bad value '", options.local_time_zone,
                             "' for --time-zone: not a known time zone"),
                kExitUsage);
  }
  absl::StatusOr<nlohmann::json> report = BuildReport(options);
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
  std::printf(
      "darkscope rollup: %d hourly and %d daily roll-ups written, %d up to "
      "date\n",
      result->hourly_written, result->daily_written, result->up_to_date);
  return 0;
}

constexpr CommandBody kBodies[] = {
    {"cat", CatMain},
    {"gen", GenMain},
    {"report", ReportMain},
    {"rollup", RollupMain},
};

}  // namespace

absl::Span<const CommandBody> OfflineCommandBodies() { return kBodies; }

}  // namespace darkscope::cli
