// The monitoring endpoints and retention of `darkscope run`.
#include "agent/monitoring.h"

#include <cstdio>

#include "absl/strings/str_cat.h"

namespace darkscope {

AgentMonitoring::AgentMonitoring(const MonitoringOptions& options,
                                 const std::string& sensor,
                                 const std::string& out_dir,
                                 absl::Duration interval, size_t queue_capacity)
    : options_(options),
      out_dir_(out_dir),
      drain_tally_(sensor, absl::Now(), interval, options.top_n,
                   queue_capacity) {
  drain_tally_.SetKernelMapBytes(options.kernel_map_bytes);
  board_.Publish(drain_tally_.Current());
}

absl::StatusOr<std::unique_ptr<AgentMonitoring>> AgentMonitoring::Start(
    const MonitoringOptions& options, const std::string& sensor,
    const std::string& out_dir, absl::Duration interval,
    size_t queue_capacity) {
  std::unique_ptr<AgentMonitoring> monitoring(
      new AgentMonitoring(options, sensor, out_dir, interval, queue_capacity));
  if (options.http_address.empty()) return monitoring;
  const FigureBoard* board = &monitoring->board_;
  std::map<std::string, HttpHandler> routes;
  routes["/metrics"] = [board] {
    absl::StatusOr<std::string> text =
        RenderExposition(MetricFamilies(board->Read(), DARKSCOPE_VERSION));
    if (!text.ok())
      return HttpResponse{500, "text/plain",
                          std::string(text.status().message())};
    return HttpResponse{200, kExpositionContentType, std::move(*text)};
  };
  routes["/v1/snapshot/latest"] = [board] {
    nlohmann::json latest = LatestIntervalJson(board->Read());
    if (latest.is_null()) {
      return HttpResponse{404, "application/json",
                          "{\"error\":\"no interval drained yet\"}\n"};
    }
    return HttpResponse{200, "application/json", latest.dump() + "\n"};
  };
  routes["/healthz"] = [board] {
    const Health health = CheckHealth(board->Read(), absl::Now());
    return HttpResponse{health.ok ? 200 : 503, "text/plain; charset=utf-8",
                        health.text + "\n"};
  };
  absl::StatusOr<std::unique_ptr<HttpServer>> server =
      HttpServer::Start(options.http_address, std::move(routes));
  if (!server.ok()) return server.status();
  monitoring->server_ = std::move(*server);
  return monitoring;
}

WriteObserver AgentMonitoring::write_observer() {
  return [this](const Snapshot* snapshot, const absl::Status& status,
                absl::Duration took, const SnapshotWriterStats& writer) {
    AfterWrite(snapshot, status, took, writer);
  };
}

void AgentMonitoring::AfterDrain(const Snapshot& snapshot,
                                 absl::Duration drain_time, bool late,
                                 const SnapshotWriterStats& writer,
                                 const Liveness& liveness) {
  board_.Publish(drain_tally_.Add(snapshot, drain_time, late, writer.dropped,
                                  writer.queue_depth, liveness));
}

void AgentMonitoring::AfterWrite(const Snapshot* snapshot,
                                 const absl::Status& status,
                                 absl::Duration write_time,
                                 const SnapshotWriterStats& writer) {
  if (snapshot == nullptr) {
    // A sample file: only the fault and the backlog follow it.
    board_.Publish(
        writer_tally_.AddFileAttempt(status, writer.queue_depth, writer.lost));
    return;
  }
  board_.Publish(writer_tally_.Add(*snapshot, status, write_time, absl::Now(),
                                   writer.queue_depth, writer.lost));
  if (!options_.retention.enabled()) return;
  absl::StatusOr<RetentionResult> removed =
      ApplyRetention(out_dir_, options_.retention, absl::Now());
  if (!removed.ok()) {
    std::fprintf(stderr, "darkscope: retention: %s\n",
                 std::string(removed.status().message()).c_str());
  }
  board_.Publish(writer_tally_.AddRetention(removed.ok() ? removed->files : 0,
                                            removed.ok() ? removed->bytes : 0,
                                            !removed.ok()));
}

}  // namespace darkscope
