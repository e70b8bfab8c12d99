// `darkscope export`: snapshot files into ClickHouse, every interval once.
//
// Files are read in batches (several files per INSERT, one INSERT per
// table, all of a batch's intervals in one month, so in one partition).
// How an interval is neither lost nor doubled:
//  - the ledger (export/ledger.h) records a batch before it is sent and
//    commits it after every table acknowledged it; it is never ahead of
//    the server;
//  - single node: each INSERT is one block (max_insert_block_size above the
//    batch's rows) into one partition, so one part, which the server
//    commits whole or not at all. Before each table's INSERT the server is
//    asked which of the batch's intervals that table already holds, and
//    only the others are sent: a retry after a lost answer, a server
//    killed mid-insert or an exporter killed mid-batch sends each table
//    what it lacks;
//  - cluster: Replicated tables deduplicate a block identical to one they
//    hold (ZooKeeper keeps the last blocks' hashes), so a pending batch is
//    resent byte for byte (the ledger keeps its files and their order)
//    through the Distributed tables, synchronously
//    (insert_distributed_sync=1). New batches skip intervals the server
//    already has, as on a single node;
//  - the roll-ups are inserted by the export too, each table on its own,
//    after the base tables and before snapshots (export/rollup.h says how
//    each is exactly-once).
// A corrupt file is reported by name and never sent; a server that does
// not answer, refuses or fails is retried with backoff (a few times in one
// shot, for ever with --follow); a schema of another version stops the
// export.
#ifndef DARKSCOPE_EXPORT_EXPORTER_H_
#define DARKSCOPE_EXPORT_EXPORTER_H_

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "export/schema.h"

namespace darkscope {

struct ExportOptions {
  std::string url;                // http://host:port
  std::vector<std::string> dirs;  // sensors' snapshot directories
  SchemaTarget target;
  std::string ledger_path;
  bool follow = false;                     // keep exporting new files
  absl::Duration poll = absl::Seconds(2);  // --follow: between scans
  int batch_files = 16;                    // files per INSERT
  int attempts = 4;  // one shot: tries per request before failing
  absl::Duration backoff = absl::Milliseconds(250),
                 max_backoff = absl::Seconds(8);
  absl::Duration timeout = absl::Seconds(60);  // per request
  // --follow: asked between steps; true ends the export.
  std::function<bool()> stop = [] { return false; };
};

struct ExportResult {
  int files_exported = 0;  // this run
  int files_already = 0;   // in the ledger or the server before
  int files_corrupt = 0;   // reported and skipped
  int batches = 0;
};

absl::StatusOr<ExportResult> RunExport(const ExportOptions& options,
                                       std::ostream& log);

// Default ledger path for a target:
// /var/lib/darkscope/export/<host:port>-<database>.ledger (DARKSCOPE_STATE_DIR
// replaces /var/lib/darkscope).
std::string DefaultLedgerPath(const std::string& url,
                              const std::string& database);

}  // namespace darkscope

#endif  // DARKSCOPE_EXPORT_EXPORTER_H_
