// The agent's operations side, kept apart from the interval loop: the
// monitoring endpoints (/metrics, /v1/snapshot/latest, /healthz on
// civetweb's threads) and retention (on the writer thread).
//
// The drain thread calls AfterDrain() once per interval: it adds the
// interval to its tally and swaps the new figures onto the board. The
// writer thread calls the observer after each write: write tally,
// retention, swap. HTTP handlers only read the board, so a scrape can
// neither block nor slow the drain.
#ifndef DARKSCOPE_AGENT_MONITORING_H_
#define DARKSCOPE_AGENT_MONITORING_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "agent/retention.h"
#include "agent/snapshot_writer.h"
#include "http/http_server.h"
#include "metrics/agent_figures.h"

namespace darkscope {

struct MonitoringOptions {
  std::string http_address = "127.0.0.1:9464";  // empty: no HTTP server
  size_t top_n = 10;                            // entries of top-N tables
  RetentionPolicy retention;
  uint64_t kernel_map_bytes =
      0;  // the data plane's maps (DataPlane::KernelMemory)
};

class AgentMonitoring {
 public:
  // Starts the HTTP server (if an address is set); the error names the
  // address.
  static absl::StatusOr<std::unique_ptr<AgentMonitoring>> Start(
      const MonitoringOptions& options, const std::string& sensor,
      const std::string& out_dir, absl::Duration interval,
      size_t queue_capacity);

  // For SnapshotWriter; valid while this object lives.
  WriteObserver write_observer();
  // After each interval's drain, on the drain thread.
  void AfterDrain(const Snapshot& snapshot, absl::Duration drain_time,
                  bool late, const SnapshotWriterStats& writer,
                  const Liveness& liveness = {});
  // The port the HTTP server listens on, 0 without one.
  int http_port() const { return server_ ? server_->port() : 0; }

 private:
  AgentMonitoring(const MonitoringOptions& options, const std::string& sensor,
                  const std::string& out_dir, absl::Duration interval,
                  size_t queue_capacity);
  void AfterWrite(const Snapshot* snapshot, const absl::Status& status,
                  absl::Duration write_time, const SnapshotWriterStats& writer);

  const MonitoringOptions options_;
  const std::string out_dir_;
  FigureBoard board_;
  DrainTally drain_tally_;              // drain thread only
  WriterTally writer_tally_;            // writer thread only
  std::unique_ptr<HttpServer> server_;  // last: stopped first
};

}  // namespace darkscope

#endif  // DARKSCOPE_AGENT_MONITORING_H_
