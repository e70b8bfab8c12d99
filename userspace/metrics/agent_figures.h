// The agent's figures as the monitoring endpoints show them, and how they
// cross threads without slowing the drain.
//
// The drain thread keeps a DrainTally (totals since start, the drain-time
// histogram) and, after each interval, publishes an immutable DrainFigures
// (with the last interval's summary and top-N tables). The writer thread
// keeps a WriterTally and publishes WriterFigures after each write. Both go
// to a FigureBoard, whose mutex is held only to swap or copy a shared_ptr;
// HTTP handlers read the board and render from the copies. A handler never
// takes a lock that the drain holds for longer than a pointer swap.
#ifndef DARKSCOPE_METRICS_AGENT_FIGURES_H_
#define DARKSCOPE_METRICS_AGENT_FIGURES_H_

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "darkscope/abi.h"
#include "metrics/exposition.h"
#include "nlohmann/json.hpp"
#include "snapshot/snapshot.h"

namespace darkscope {

// The ports /metrics always counts (darkscope_watched_port_packets_total):
// a fixed set, so that their series never change, of the ports the
// seeds' reports rank first (telnet, ssh, web, SMB, RDP, Redis, ADB, SIP,
// DNS, NTP, SNMP, SSDP, memcached and their usual alternatives).
struct WatchedPort {
  uint8_t slot;  // DS_SLOT_TCP, DS_SLOT_UDP
  uint16_t port;
};
inline constexpr size_t kWatchedPortCount = 20;
extern const std::array<WatchedPort, kWatchedPortCount> kWatchedPorts;

// A last-interval top port is exposed only with at least this share of
// the interval's darknet packets, so that ports with a handful of packets
// never become series: at most 1 / kTopPortMinShare (and top_n) of them.
inline constexpr double kTopPortMinShare = 0.01;

// One entry of a top-N table of the last interval.
struct TopEntry {
  std::string proto;  // ports: tcp, udp, icmp, icmpv6, other; else empty
  uint32_t port = 0;  // ports: port, ICMP type or protocol number
  std::string net;    // sources, destinations: "198.18.5.0/24"
  uint64_t packets = 0;
  uint64_t bytes = 0;
};

// The last drained interval, reduced to what the endpoints show.
struct IntervalSummary {
  absl::Time start;
  uint32_t seconds = 0;
  bool complete = false;
  std::array<uint64_t, DS_CTR_COUNT> counters = {};
  std::map<std::string, uint64_t> agent_counters;
  size_t ports = 0, sources = 0, destinations = 0, flows = 0;  // table sizes
  std::vector<TopEntry> top_ports, top_sources, top_destinations;
};

// Whether the agent sees: its program still the one attached at the last
// interval's check (agent/liveness.h), and the NIC's own drop counters.
struct Liveness {
  bool attached = true;
  std::string mode;              // "native", "skb" while attached
  std::string problem;           // while not attached: what the check found
  uint64_t blind_intervals = 0;  // intervals since start found not attached
  uint64_t reattached = 0;       // times the agent attached it again
  std::map<std::string, uint64_t> nic_drops;  // "rx_dropped": since start
};

// Published by the drain thread after each interval.
struct DrainFigures {
  std::string sensor;
  absl::Time started;
  absl::Duration interval;
  uint64_t intervals = 0;       // drained since start
  uint64_t late_intervals = 0;  // flipped a whole interval late
  std::array<uint64_t, DS_CTR_COUNT> counters = {};  // since start
  std::array<uint64_t, DS_SLOT_COUNT> slot_packets = {}, slot_bytes = {};
  HistogramValue drain_seconds;
  absl::Duration last_drain_time;  // of the last interval
  // Packets to each of kWatchedPorts since start, in its order.
  std::array<uint64_t, kWatchedPortCount> watched_port_packets = {};
  // The AF_XDP sampler's figures from the snapshots' agent tables: the
  // per-interval ones summed since start, the writer's sample file figures
  // (already since start) as last recorded. Keyed by agent table name.
  std::map<std::string, uint64_t> sampler;
  uint64_t snapshots_dropped = 0;  // refused by the full writer queue
  uint64_t queue_depth = 0, queue_capacity = 0;
  uint64_t kernel_map_bytes = 0;  // kernel memory of the data plane's maps
  IntervalSummary last;
  Liveness liveness;
};

// Published by the writer thread after each write.
struct WriterFigures {
  uint64_t written = 0, write_errors = 0;  // write_errors: failed attempts
  bool disk_fault = false;  // the last attempt failed: the backlog is held
  uint64_t backlog = 0;     // files waiting after the last attempt
  uint64_t lost = 0;        // snapshots still failing at shutdown
  HistogramValue write_seconds;
  absl::Time last_written = absl::InfinitePast();  // when the last write ended
  absl::Time last_written_start = absl::InfinitePast();  // its interval
  uint64_t retention_deleted_files = 0, retention_deleted_bytes = 0;
  uint64_t retention_errors = 0;
};

class FigureBoard {
 public:
  struct View {
    std::shared_ptr<const DrainFigures> drain;    // null before the first
    std::shared_ptr<const WriterFigures> writer;  // null before the first
  };
  void Publish(std::shared_ptr<const DrainFigures> figures);
  void Publish(std::shared_ptr<const WriterFigures> figures);
  View Read() const;

 private:
  mutable absl::Mutex mutex_;
  View view_ ABSL_GUARDED_BY(mutex_);
};

// Kept by the drain thread.
class DrainTally {
 public:
  DrainTally(std::string sensor, absl::Time started, absl::Duration interval,
             size_t top_n, uint64_t queue_capacity);
  // The figures so far (before the first interval: start time, no counts).
  std::shared_ptr<const DrainFigures> Current() const;
  // The kernel memory of the data plane's maps, known once loaded.
  void SetKernelMapBytes(uint64_t bytes) { figures_.kernel_map_bytes = bytes; }
  // Adds one drained interval; returns the figures to publish.
  std::shared_ptr<const DrainFigures> Add(const Snapshot& snapshot,
                                          absl::Duration drain_time, bool late,
                                          uint64_t snapshots_dropped,
                                          uint64_t queue_depth,
                                          const Liveness& liveness = {});

 private:
  DrainFigures figures_;
  Histogram drain_seconds_;
  size_t top_n_;
};

// Kept by the writer thread.
class WriterTally {
 public:
  WriterTally();
  // `backlog`: files the writer holds after this attempt; `lost`: the
  // writer's count of snapshots lost so far.
  std::shared_ptr<const WriterFigures> Add(const Snapshot& snapshot,
                                           const absl::Status& status,
                                           absl::Duration write_time,
                                           absl::Time now, uint64_t backlog = 0,
                                           uint64_t lost = 0);
  // One attempt at a sample file: only the fault and the backlog change.
  std::shared_ptr<const WriterFigures> AddFileAttempt(
      const absl::Status& status, uint64_t backlog, uint64_t lost);
  // Files and bytes retention deleted, and whether it failed.
  std::shared_ptr<const WriterFigures> AddRetention(uint64_t files,
                                                    uint64_t bytes,
                                                    bool failed);

 private:
  WriterFigures figures_;
  Histogram write_seconds_;
};

// The interval summary of `snapshot` with `top_n` entries per table.
IntervalSummary SummarizeInterval(const Snapshot& snapshot, size_t top_n);

// The /metrics families of a view.
std::vector<MetricFamily> MetricFamilies(const FigureBoard::View& view,
                                         absl::string_view version);

// /v1/snapshot/latest: the last interval's summary and top-N tables; null
// before the first interval.
nlohmann::json LatestIntervalJson(const FigureBoard::View& view);

// /healthz: intervals are written on time when the last snapshot was
// written less than two intervals and a grace ago (or, before the first
// write, the agent started less than that ago), and the last write
// succeeded (else the output directory has a fault). Unhealthy ("blind")
// while the last check found the program not attached.
struct Health {
  bool ok = false;
  std::string text;  // one line
};
Health CheckHealth(const FigureBoard::View& view, absl::Time now);

}  // namespace darkscope

#endif  // DARKSCOPE_METRICS_AGENT_FIGURES_H_
