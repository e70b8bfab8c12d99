// The export loop: scan, batch, insert table by table, commit.
#include "export/exporter.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "common/status.h"
#include "export/clickhouse_client.h"
#include "export/ledger.h"
#include "export/rollup.h"
#include "export/row_binary.h"
#include "snapshot/snapshot.h"
#include "snapshot/snapshot_files.h"

namespace darkscope {
namespace {

struct LoadedFile {
  LedgerFile meta;
  Snapshot snapshot;
};

using IntervalKey = std::pair<std::string, int64_t>;  // sensor, interval start

// Retries `step` with doubling backoff: `attempts` times, or for ever with
// --follow (until stop). A schema refusal is not retried.
absl::Status WithRetries(const ExportOptions& options, std::ostream& log,
                         const std::function<absl::Status()>& step) {
  absl::Duration backoff = options.backoff;
  for (int attempt = 1;; ++attempt) {
    absl::Status status = step();
    if (status.ok() || absl::IsFailedPrecondition(status) ||
        absl::IsInvalidArgument(status)) {
      return status;
    }
    if (!options.follow && attempt >= options.attempts) return status;
    if (options.follow && options.stop())
      return absl::CancelledError("export stopped");
    // One shot retries quietly (its last error is its one line); --follow
    // says what it waits for.
    if (options.follow) {
      log << "darkscope export: " << status.message() << " (retrying in "
          << absl::FormatDuration(backoff) << ")\n";
      log.flush();
    }
    absl::SleepFor(backoff);
    backoff = std::min(backoff * 2, options.max_backoff);
  }
}

// The intervals of `files` that `table` already holds.
absl::StatusOr<std::set<IntervalKey>> PresentIntervals(
    ClickHouseClient& client, const std::string& table,
    const std::vector<LoadedFile>& files) {
  std::vector<std::string> keys;
  for (const LoadedFile& f : files) {
    keys.push_back(absl::StrCat("(", SqlQuote(f.meta.sensor), ", toDateTime(",
                                f.meta.interval_start, "))"));
  }
  DS_ASSIGN_OR_RETURN(
      std::string body,
      client.Query(
          absl::StrCat("SELECT DISTINCT sensor, toUInt32(interval_start) FROM ",
                       table, " WHERE (sensor, interval_start) IN (",
                       absl::StrJoin(keys, ", "), ") FORMAT TabSeparated"),
          absl::StrCat("table ", table)));
  std::set<IntervalKey> present;
  for (const auto& row : ParseTabSeparated(body)) {
    if (row.size() == 2)
      present.insert({row[0], std::strtoll(row[1].c_str(), nullptr, 10)});
  }
  return present;
}

// Sends every table of `files`: the base tables but snapshots, then the
// roll-ups (export/rollup.h), then snapshots, whose rows say an interval
// is whole. Each base table gets what it lacks (when `skip_present`) or
// everything (a resent pending batch on a cluster). Each roll-up gets the
// batch's summed block, except on a single node when its base table
// already held some of the batch's intervals (a retry, or a re-run without
// the ledger): then the roll-up may hold them too, and it gets its
// catch-up statement, which adds exactly what it lacks. A roll-up only
// ever holds what its base table held before it, so a base table that
// held none of the batch's intervals means a roll-up without any of them.
absl::Status InsertBatch(ClickHouseClient& client, const ExportOptions& options,
                         const std::vector<LoadedFile>& files,
                         bool skip_present) {
  ClickHouseSettings settings = {{"max_insert_block_size", "1000000000"}};
  if (!options.target.cluster.empty())
    settings.emplace("insert_distributed_sync", std::string(1, '1'));
  std::vector<uint64_t> hashes;
  std::vector<const Snapshot*> snapshots;
  std::vector<IntervalKey> intervals;
  for (const LoadedFile& f : files) {
    hashes.push_back(f.meta.content_hash);
    snapshots.push_back(&f.snapshot);
    intervals.push_back({f.meta.sensor, f.meta.interval_start});
  }
  const uint64_t block = RollupBlockId(hashes);
  std::set<std::string> held_some;  // base tables that held intervals
  auto rollups = [&]() -> absl::Status {
    for (const ClickHouseTable& rollup : RollupTables()) {
      const std::string name = options.target.Table(rollup.name);
      if (held_some.count(rollup.rollup_of)) {
        DS_RETURN_IF_ERROR(
            client
                .Query(RollupCatchUpStatement(options.target, rollup, intervals,
                                              block),
                       absl::StrCat("table ", name), settings)
                .status());
        continue;
      }
      RowBinary rows;
      EncodeRollupRows(rollup, snapshots, block, rows);
      if (rows.rows() == 0) continue;
      DS_RETURN_IF_ERROR(client.InsertRowBinary(name, ColumnList(rollup),
                                                rows.bytes(), settings));
    }
    return absl::OkStatus();
  };
  for (const ClickHouseTable& table : BaseTables()) {
    if (table.name == "snapshots") DS_RETURN_IF_ERROR(rollups());
    const std::string name = options.target.Table(table.name);
    std::set<IntervalKey> present;
    if (skip_present) {
      DS_ASSIGN_OR_RETURN(present, PresentIntervals(client, name, files));
      if (!present.empty()) held_some.insert(table.name);
    }
    RowBinary rows;
    for (const LoadedFile& f : files) {
      if (!present.count({f.meta.sensor, f.meta.interval_start})) {
        EncodeTableRows(table.name, f.snapshot, f.meta.content_hash, rows);
      }
    }
    if (rows.rows() == 0) continue;
    DS_RETURN_IF_ERROR(client.InsertRowBinary(name, ColumnList(table),
                                              rows.bytes(), settings));
  }
  return absl::OkStatus();
}

struct Reader {
  ExportLedger& ledger;
  std::ostream& log;
  ExportResult& result;

  // Reads and decodes `path`; a corrupt file is reported once.
  std::optional<LoadedFile> Load(const std::string& path) {
    absl::StatusOr<std::vector<uint8_t>> bytes = ReadWholeFile(path);
    if (!bytes.ok()) {
      log << "darkscope export: " << bytes.status().message() << " (skipped)\n";
      return std::nullopt;
    }
    absl::StatusOr<Snapshot> snapshot = DecodeSnapshot(*bytes);
    if (!snapshot.ok()) {
      if (!ledger.Corrupt(path)) {
        log << "darkscope export: corrupt snapshot " << path << ": "
            << snapshot.status().message()
            << " (skipped, nothing of it sent)\n";
        ++result.files_corrupt;
        if (absl::Status s = ledger.MarkCorrupt(path); !s.ok())
          log << s.message() << "\n";
      }
      return std::nullopt;
    }
    LoadedFile file;
    file.meta = {snapshot->sensor,
                 absl::ToUnixSeconds(snapshot->interval_start),
                 ContentHash(*bytes), path};
    file.snapshot = std::move(*snapshot);
    return file;
  }
};

int64_t MonthOf(int64_t unix_seconds) {
  const absl::CivilSecond c = absl::ToCivilSecond(
      absl::FromUnixSeconds(unix_seconds), absl::UTCTimeZone());
  return c.year() * 100 + c.month();
}

}  // namespace

std::string DefaultLedgerPath(const std::string& url,
                              const std::string& database) {
  const char* state = std::getenv("DARKSCOPE_STATE_DIR");
  std::string host = url;
  if (size_t scheme = host.find("://"); scheme != std::string::npos)
    host = host.substr(scheme + 3);
  if (size_t at = host.rfind('@'); at != std::string::npos)
    host = host.substr(at + 1);
  host = absl::StrReplaceAll(host, {{"/", "_"}});
  return absl::StrCat(state != nullptr ? state : "/var/lib/darkscope",
                      "/export/", host, "-", database, ".ledger");
}

absl::StatusOr<ExportResult> RunExport(const ExportOptions& options,
                                       std::ostream& log) {
  if (options.dirs.empty())
    return absl::InvalidArgumentError("export: no --in directory given");
  if (options.url.empty())
    return absl::InvalidArgumentError("export: no --clickhouse URL given");
  DS_ASSIGN_OR_RETURN(ExportLedger ledger,
                      ExportLedger::Open(options.ledger_path));
  ClickHouseClient client(options.url, options.timeout);
  ExportResult result;
  DS_RETURN_IF_ERROR(WithRetries(
      options, log, [&] { return EnsureSchema(client, options.target); }));
  Reader reader{ledger, log, result};

  // Sends `files` as batch `id` and commits it.
  // Single node: each table is sent what it lacks. Cluster: a batch is
  // always sent whole, the same bytes on every attempt, so that a retry is
  // deduplicated block by block.
  const bool skip_present = options.target.cluster.empty();
  auto send = [&](uint64_t id, const std::vector<LoadedFile>& files) {
    DS_RETURN_IF_ERROR(WithRetries(options, log, [&] {
      return InsertBatch(client, options, files, skip_present);
    }));
    DS_RETURN_IF_ERROR(ledger.Commit(id));
    result.files_exported += static_cast<int>(files.size());
    ++result.batches;
    return absl::OkStatus();
  };

  // Batches begun by an earlier run and not committed: the same files
  // again, in the same order.
  for (const PendingBatch& batch : ledger.Pending()) {
    std::vector<LoadedFile> files;
    for (const LedgerFile& meta : batch.files) {
      std::optional<LoadedFile> file = reader.Load(meta.path);
      if (!file.has_value()) continue;
      if (file->meta.content_hash != meta.content_hash) {
        log << "darkscope export: " << meta.path
            << " changed since it was first sent; sending what it holds now\n";
      }
      files.push_back(std::move(*file));
    }
    log << "darkscope export: resending batch " << batch.id << " ("
        << files.size() << " files) left pending by an earlier run\n";
    DS_RETURN_IF_ERROR(send(batch.id, files));
  }

  for (;;) {
    DS_ASSIGN_OR_RETURN(std::vector<std::string> paths,
                        ListSnapshotFiles(options.dirs));
    std::vector<LoadedFile> batch;
    std::set<IntervalKey> in_batch;
    auto flush = [&]() -> absl::Status {
      // One shot, stopped (SIGTERM, SIGINT): no new batch; what was sent
      // is committed, the rest is for the next run.
      if (!options.follow && !batch.empty() && options.stop()) {
        return absl::AbortedError(
            absl::StrCat("stopped by a signal after ", result.batches,
                         " batches; the next run exports the rest"));
      }
      if (!skip_present && !batch.empty()) {
        // On a cluster, intervals the server has (exported through another
        // ledger) are left out before the batch is fixed in the ledger.
        std::set<IntervalKey> present;
        DS_RETURN_IF_ERROR(WithRetries(options, log, [&]() -> absl::Status {
          DS_ASSIGN_OR_RETURN(
              present, PresentIntervals(
                           client, options.target.Table("snapshots"), batch));
          return absl::OkStatus();
        }));
        std::erase_if(batch, [&](const LoadedFile& f) {
          if (!present.count({f.meta.sensor, f.meta.interval_start}))
            return false;
          ledger.NotePathDone(f.meta.path);
          ++result.files_already;
          return true;
        });
      }
      if (batch.empty()) return absl::OkStatus();
      std::vector<LedgerFile> metas;
      for (const LoadedFile& f : batch) metas.push_back(f.meta);
      DS_ASSIGN_OR_RETURN(uint64_t id, ledger.Begin(metas));
      DS_RETURN_IF_ERROR(send(id, batch));
      batch.clear();
      in_batch.clear();
      return absl::OkStatus();
    };
    for (const std::string& path : paths) {
      if (ledger.Corrupt(path)) continue;
      if (ledger.PathDone(path)) {
        if (!options.follow) ++result.files_already;
        continue;
      }
      std::optional<LoadedFile> file = reader.Load(path);
      if (!file.has_value()) continue;
      const IntervalKey key{file->meta.sensor, file->meta.interval_start};
      if (const uint64_t* hash = ledger.Exported(key.first, key.second);
          hash != nullptr || in_batch.count(key)) {
        if (hash != nullptr && *hash != file->meta.content_hash) {
          log << "darkscope export: " << path << ": sensor " << key.first
              << " interval "
              << absl::FormatTime(absl::RFC3339_sec,
                                  absl::FromUnixSeconds(key.second),
                                  absl::UTCTimeZone())
              << " was exported from a file with other content; skipped\n";
        }
        ledger.NotePathDone(path);
        ++result.files_already;
        continue;
      }
      if (!batch.empty() &&
          MonthOf(batch.back().meta.interval_start) != MonthOf(key.second)) {
        DS_RETURN_IF_ERROR(flush());
      }
      in_batch.insert(key);
      batch.push_back(std::move(*file));
      if (static_cast<int>(batch.size()) >= options.batch_files)
        DS_RETURN_IF_ERROR(flush());
    }
    DS_RETURN_IF_ERROR(flush());
    if (!options.follow || options.stop()) break;
    for (absl::Time until = absl::Now() + options.poll; absl::Now() < until;) {
      if (options.stop()) return result;
      absl::SleepFor(absl::Milliseconds(100));
    }
  }
  return result;
}

}  // namespace darkscope
