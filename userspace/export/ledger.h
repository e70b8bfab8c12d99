// ExportLedger: which snapshot files are in ClickHouse, durably, so that a
// re-run, a retry or a restart after SIGKILL exports every interval once.
//
// An append-only text file. Before a batch is first sent, its files are
// written as "B" lines (batch number, sensor, interval start, content hash,
// path) and synced; once every table of the batch is in the server, a
// "C <batch>" line is appended and synced. So the ledger is never ahead of
// the server: a file counts as exported only after its rows were
// acknowledged. A batch without its C line is pending: after a restart it
// is sent again, exactly as before (the same files in the same order),
// which the server deduplicates (export/exporter.h says how). "X" lines
// record corrupt files, reported once. A line cut short by a crash is
// ignored (and cut off when the ledger is reopened).
#ifndef DARKSCOPE_EXPORT_LEDGER_H_
#define DARKSCOPE_EXPORT_LEDGER_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/unique_fd.h"

namespace darkscope {

// One snapshot file, as the ledger knows it.
struct LedgerFile {
  std::string sensor;
  int64_t interval_start = 0;  // Unix seconds
  uint64_t content_hash = 0;   // ContentHash of the file's bytes
  std::string path;
};

struct PendingBatch {
  uint64_t id = 0;
  std::vector<LedgerFile> files;
};

// FNV-1a 64 of the bytes: stable across runs and builds.
uint64_t ContentHash(const std::vector<uint8_t>& bytes);

class ExportLedger {
 public:
  // Opens (creating) the ledger at `path`, locked against a second
  // exporter (flock).
  static absl::StatusOr<ExportLedger> Open(const std::string& path);

  // The content hash exported for (sensor, interval), if any.
  const uint64_t* Exported(const std::string& sensor,
                           int64_t interval_start) const;
  bool PathDone(const std::string& path) const {
    return paths_done_.count(path) > 0;
  }
  bool Corrupt(const std::string& path) const {
    return corrupt_.count(path) > 0;
  }
  // Batches begun and not committed, oldest first.
  std::vector<PendingBatch> Pending() const;

  // Records a batch about to be sent (durably); returns its number.
  absl::StatusOr<uint64_t> Begin(const std::vector<LedgerFile>& files);
  // Records that every table of batch `id` is in the server (durably).
  absl::Status Commit(uint64_t id);
  // Records a file that cannot be decoded.
  absl::Status MarkCorrupt(const std::string& path);
  // Marks a path done without a batch (its interval was already exported).
  void NotePathDone(const std::string& path) { paths_done_.insert(path); }

  int committed_files() const { return static_cast<int>(exported_.size()); }

 private:
  ExportLedger(std::string path, UniqueFd fd)
      : path_(std::move(path)), fd_(std::move(fd)) {}
  absl::Status Append(const std::string& lines);
  void Apply(const std::string& line);

  std::string path_;
  UniqueFd fd_;
  uint64_t next_batch_ = 1;
  std::map<uint64_t, std::vector<LedgerFile>> pending_;
  std::map<std::pair<std::string, int64_t>, uint64_t> exported_;
  std::set<std::string> paths_done_, corrupt_;
};

}  // namespace darkscope

#endif  // DARKSCOPE_EXPORT_LEDGER_H_
