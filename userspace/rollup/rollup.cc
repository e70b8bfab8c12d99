// Hourly and daily roll-ups of snapshot series.
#include "rollup/rollup.h"

#include <errno.h>
#include <sys/stat.h>

#include <cstdio>
#include <memory>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "io/durable_file.h"
#include "snapshot/snapshot.h"
#include "snapshot/snapshot_files.h"

namespace darkscope {
namespace {

constexpr const char kSnapshotsMerged[] = "rollup_snapshots";
constexpr const char kObservedSeconds[] = "rollup_observed_seconds";

absl::Time Floor(absl::Time t, absl::Duration step) {
  return absl::UnixEpoch() + absl::Floor(t - absl::UnixEpoch(), step);
}

absl::StatusOr<absl::Time> ModifiedAt(const std::string& path) {
  struct stat st = {};
  if (::stat(path.c_str(), &st) != 0) return ErrnoError(errno, "stat", path);
  return absl::TimeFromTimespec(st.st_mtim);
}

absl::Status MakeDirectory(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST)
    return ErrnoError(errno, "mkdir", path);
  return absl::OkStatus();
}

// Merges `sources` (files of one span) into the snapshot of [start, start +
// span). A file that does not read or decode is named in `skipped` and left
// out; nullopt when no file of the span could be read.
absl::StatusOr<std::optional<Snapshot>> Merge(
    const std::vector<std::string>& sources, absl::Time start,
    absl::Duration span, std::vector<std::string>& skipped) {
  Snapshot merged;
  merged.interval_start = start;
  merged.interval_seconds = static_cast<uint32_t>(absl::ToInt64Seconds(span));
  bool all_complete = true;
  uint64_t snapshots = 0, observed = 0;
  size_t read = 0;
  for (const std::string& path : sources) {
    absl::StatusOr<std::vector<uint8_t>> bytes = ReadWholeFile(path);
    absl::StatusOr<Snapshot> s =
        bytes.ok() ? DecodeSnapshot(*bytes) : bytes.status();
    if (!s.ok()) {
      skipped.push_back(absl::StrCat(path, ": ", s.status().message()));
      continue;
    }
    ++read;
    if (merged.sensor.empty())
      merged.sensor = s->sensor, merged.darknet = s->darknet;
    all_complete = all_complete && s->complete;
    // A roll-up of roll-ups carries the counts of what it merged.
    auto merged_before = s->agent_counters.find(kSnapshotsMerged);
    snapshots +=
        merged_before == s->agent_counters.end() ? 1 : merged_before->second;
    auto observed_before = s->agent_counters.find(kObservedSeconds);
    observed += observed_before == s->agent_counters.end()
                    ? s->interval_seconds
                    : observed_before->second;
    for (const auto& [name, value] : s->agent_counters) {
      // Health counters that are levels, not counts, keep their maximum.
      if (name == "writer_queue_depth" || name == "drain_microseconds") {
        merged.agent_counters[name] =
            std::max(merged.agent_counters[name], value);
      } else if (name != kSnapshotsMerged && name != kObservedSeconds) {
        merged.agent_counters[name] += value;
      }
    }
    AddCounts(s->counts, merged.counts);
    merged.flow_fingerprints = merged.flow_fingerprints && s->flow_fingerprints;
    // A day's ports hour by hour, from the hourly roll-ups it merges.
    if (span == absl::Hours(24) && s->interval_seconds <= 3600) {
      const auto hour =
          static_cast<uint8_t>((s->interval_start - start) / absl::Hours(1));
      for (const auto& [index, stats] : s->counts.ports) {
        merged.port_hours[{index, hour}] += stats.packets;
      }
    }
    for (const auto& [key, packets] : s->port_hours)
      merged.port_hours[key] += packets;
  }
  if (read == 0) return std::nullopt;
  merged.agent_counters[kSnapshotsMerged] = snapshots;
  merged.agent_counters[kObservedSeconds] = observed;
  merged.complete = all_complete && observed == merged.interval_seconds;
  return std::optional<Snapshot>(std::move(merged));
}

// One level of roll-up: the files of `from` grouped by `span` into `to_dir`.
absl::Status RollLevel(const std::map<absl::Time, std::string>& from,
                       absl::Duration span, absl::Time latest,
                       const RollupOptions& options, const std::string& to_dir,
                       int& written, int& up_to_date,
                       std::vector<std::string>& skipped) {
  if (from.empty()) return absl::OkStatus();
  DS_RETURN_IF_ERROR(MakeDirectory(to_dir));
  DS_ASSIGN_OR_RETURN(std::unique_ptr<UringFileWriter> files,
                      UringFileWriter::Create(to_dir));
  std::map<absl::Time, std::vector<std::string>> groups;
  for (const auto& [start, path] : from)
    groups[Floor(start, span)].push_back(path);
  int done = 0;
  for (const auto& [start, sources] : groups) {
    if (options.progress) {
      std::fprintf(stderr, "\rdarkscope rollup: %s %d/%zu", to_dir.c_str(),
                   ++done, groups.size());
    }
    const absl::Time end = start + span;
    if (end > latest && options.now < end + options.grace)
      continue;  // still filling
    const std::string name = SnapshotFileName(start);
    const std::string target = absl::StrCat(to_dir, "/", name);
    if (absl::StatusOr<absl::Time> made = ModifiedAt(target); made.ok()) {
      bool stale = false;
      for (const std::string& source : sources) {
        DS_ASSIGN_OR_RETURN(absl::Time changed, ModifiedAt(source));
        stale = stale || changed > *made;
      }
      if (!stale) {
        ++up_to_date;
        continue;
      }
    }
    DS_ASSIGN_OR_RETURN(std::optional<Snapshot> merged,
                        Merge(sources, start, span, skipped));
    if (!merged.has_value()) continue;  // nothing of the span could be read
    DS_RETURN_IF_ERROR(files->Write(name, EncodeSnapshot(*merged)));
    ++written;
  }
  if (options.progress) std::fprintf(stderr, "\n");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::map<absl::Time, std::string>> ListSeries(
    const std::string& dir) {
  std::map<absl::Time, std::string> series;
  struct stat st = {};
  if (::stat(dir.c_str(), &st) != 0 && errno == ENOENT) return series;
  DS_ASSIGN_OR_RETURN(std::vector<std::string> files, ListSnapshotFiles({dir}));
  for (const std::string& path : files) {
    const std::string name = path.substr(path.rfind('/') + 1);
    absl::Time start;
    std::string error;
    if (!absl::ParseTime("%E4Y%m%dT%H%M%SZ", name.substr(0, name.size() - 6),
                         absl::UTCTimeZone(), &start, &error)) {
      continue;  // not a name darkscope writes
    }
    series.emplace(start, path);
  }
  return series;
}

absl::StatusOr<RollupResult> RunRollup(const RollupOptions& options) {
  RollupResult result;
  for (const std::string& dir : options.dirs) {
    DS_ASSIGN_OR_RETURN(auto intervals, ListSeries(dir));
    if (intervals.empty()) continue;
    // The newest interval's start: every hour that ended by then is whole.
    const absl::Time latest = intervals.rbegin()->first;
    const std::string hourly_dir = absl::StrCat(dir, "/", kHourlyDir);
    DS_RETURN_IF_ERROR(RollLevel(intervals, absl::Hours(1), latest, options,
                                 hourly_dir, result.hourly_written,
                                 result.up_to_date, result.skipped));
    DS_ASSIGN_OR_RETURN(auto hours, ListSeries(hourly_dir));
    DS_RETURN_IF_ERROR(RollLevel(hours, absl::Hours(24), latest, options,
                                 absl::StrCat(dir, "/", kDailyDir),
                                 result.daily_written, result.up_to_date,
                                 result.skipped));
  }
  return result;
}

}  // namespace darkscope
