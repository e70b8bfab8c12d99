// The agent's figures: tallies, the board, and their rendering as
// Prometheus families, JSON and a health line.
#include "metrics/agent_figures.h"

#include <algorithm>
#include <functional>

#include "absl/strings/str_cat.h"
#include "common/counter_names.h"
#include "common/port_index.h"
#include "common/prefix.h"

namespace darkscope {
namespace {

// Upper bounds in seconds: a drain takes milliseconds on small tables and
// up to seconds on a full /8; a durable write is dominated by fdatasync.
const std::vector<double> kDurationBounds = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

// The data plane counters as /metrics groups them. Counters in no group
// (added later to enum ds_counter) still appear, in darkscope_events_total.
struct CounterGroup {
  const char* metric;
  const char* label;
  const char* help;
  std::vector<int> counters;
};
const std::vector<CounterGroup>& CounterGroups() {
  static const auto* groups = new std::vector<CounterGroup>{
      {"darkscope_packets_total",
       "class",
       "Darknet packets by class since the agent started.",
       {DS_CTR_TCP_SYN, DS_CTR_TCP_SYNACK, DS_CTR_TCP_RST, DS_CTR_TCP_OTHER,
        DS_CTR_UDP, DS_CTR_ICMP_ECHO, DS_CTR_ICMP_ERROR, DS_CTR_ICMP_OTHER,
        DS_CTR_OTHER_PROTO, DS_CTR_FRAGMENT}},
      {"darkscope_fingerprint_packets_total",
       "fingerprint",
       "Darknet packets by scanner fingerprint or backscatter since start.",
       {DS_CTR_MIRAI, DS_CTR_ZMAP, DS_CTR_MASSCAN, DS_CTR_BACKSCATTER}},
      {"darkscope_health_events_total",
       "counter",
       "Malformed or unparsable frames, table overflows and missing epoch maps "
       "since start: each should stay at zero or near it.",
       {DS_CTR_MALFORMED_ETH, DS_CTR_MALFORMED_VLAN, DS_CTR_VLAN_TOO_DEEP,
        DS_CTR_MALFORMED_IPV4, DS_CTR_MALFORMED_IPV6, DS_CTR_MALFORMED_IPV6_EXT,
        DS_CTR_IPV6_EXT_LIMIT, DS_CTR_MALFORMED_TCP, DS_CTR_MALFORMED_UDP,
        DS_CTR_MALFORMED_ICMP, DS_CTR_MALFORMED_ICMPV6, DS_CTR_OVERFLOW_SOURCES,
        DS_CTR_OVERFLOW_DESTINATIONS, DS_CTR_OVERFLOW_FLOWS,
        DS_CTR_EPOCH_MAP_MISSING}},
      {"darkscope_frames_total",
       "kind",
       "Frames the XDP program ran on since start, by what it found.",
       {DS_CTR_PACKETS_SEEN, DS_CTR_NON_IP, DS_CTR_NON_DARKNET,
        DS_CTR_DARKNET_PACKETS, DS_CTR_IPV4, DS_CTR_IPV6, DS_CTR_VLAN_TAGGED,
        DS_CTR_ACTION_PASS, DS_CTR_ACTION_DROP}},
      {"darkscope_frame_bytes_total",
       "kind",
       "Frame bytes since start: every frame seen, and the darknet's.",
       {DS_CTR_BYTES_SEEN, DS_CTR_DARKNET_BYTES}},
  };
  return *groups;
}

MetricFamily Family(std::string name, std::string help, MetricType type) {
  return MetricFamily{std::move(name), std::move(help), type, {}};
}

MetricFamily Single(std::string name, std::string help, MetricType type,
                    double value) {
  MetricFamily family = Family(std::move(name), std::move(help), type);
  family.samples.push_back({{}, value, {}});
  return family;
}

double Seconds(absl::Time t) {
  return absl::ToDoubleSeconds(t - absl::UnixEpoch());
}

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

// The `n` largest entries of `table` by packets (ties: table order).
template <typename Table, typename Make>
std::vector<TopEntry> Top(const Table& table, size_t n, Make make) {
  using Entry = const typename Table::value_type*;
  std::vector<Entry> entries;
  entries.reserve(table.size());
  for (const auto& entry : table) entries.push_back(&entry);
  auto more = [](Entry a, Entry b) {
    return a->second.packets > b->second.packets;
  };
  const size_t keep = std::min(n, entries.size());
  std::partial_sort(entries.begin(), entries.begin() + keep, entries.end(),
                    more);
  std::vector<TopEntry> top;
  for (size_t i = 0; i < keep; ++i) top.push_back(make(*entries[i]));
  return top;
}

const char* SlotName(uint32_t slot) {
  return slot < kSlotNames.size() ? kSlotNames[slot] : "unknown";
}

nlohmann::json TopJson(const std::vector<TopEntry>& entries, bool ports) {
  nlohmann::json rows = nlohmann::json::array();
  for (const TopEntry& e : entries) {
    nlohmann::json row;
    if (ports) {
      row["proto"] = e.proto;
      row["port"] = e.port;
    } else {
      row["net"] = e.net;
    }
    row["packets"] = e.packets;
    row["bytes"] = e.bytes;
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace

void FigureBoard::Publish(std::shared_ptr<const DrainFigures> figures) {
  absl::MutexLock lock(&mutex_);
  view_.drain.swap(figures);
  // The old figures are freed here, after the lock, by `figures`.
}

void FigureBoard::Publish(std::shared_ptr<const WriterFigures> figures) {
  absl::MutexLock lock(&mutex_);
  view_.writer.swap(figures);
}

FigureBoard::View FigureBoard::Read() const {
  absl::MutexLock lock(&mutex_);
  return view_;
}

IntervalSummary SummarizeInterval(const Snapshot& snapshot, size_t top_n) {
  const EpochCounts& c = snapshot.counts;
  IntervalSummary s;
  s.start = snapshot.interval_start;
  s.seconds = snapshot.interval_seconds;
  s.complete = snapshot.complete;
  s.counters = c.counters;
  s.agent_counters = snapshot.agent_counters;
  s.ports = c.ports.size();
  s.sources = c.sources.size();
  s.destinations = c.destinations.size();
  s.flows = c.flows.size();
  s.top_ports = Top(c.ports, top_n, [](const auto& entry) {
    const SlotPort sp = SlotPortOfIndex(entry.first);
    return TopEntry{SlotName(sp.slot), sp.port, "", entry.second.packets,
                    entry.second.bytes};
  });
  auto net = [](const auto& entry) {
    return TopEntry{"", 0, NetKeyToString(entry.first), entry.second.packets,
                    entry.second.bytes};
  };
  s.top_sources = Top(c.sources, top_n, net);
  s.top_destinations = Top(c.destinations, top_n, net);
  return s;
}

DrainTally::DrainTally(std::string sensor, absl::Time started,
                       absl::Duration interval, size_t top_n,
                       uint64_t queue_capacity)
    : drain_seconds_(kDurationBounds), top_n_(top_n) {
  figures_.sensor = std::move(sensor);
  figures_.started = started;
  figures_.interval = interval;
  figures_.queue_capacity = queue_capacity;
  figures_.drain_seconds = drain_seconds_.value();
}

std::shared_ptr<const DrainFigures> DrainTally::Current() const {
  return std::make_shared<const DrainFigures>(figures_);
}

std::shared_ptr<const DrainFigures> DrainTally::Add(const Snapshot& snapshot,
                                                    absl::Duration drain_time,
                                                    bool late,
                                                    uint64_t snapshots_dropped,
                                                    uint64_t queue_depth,
                                                    const Liveness& liveness) {
  ++figures_.intervals;
  figures_.liveness = liveness;
  if (late) ++figures_.late_intervals;
  const EpochCounts& c = snapshot.counts;
  for (int i = 0; i < DS_CTR_COUNT; ++i) figures_.counters[i] += c.counters[i];
  for (const auto& [index, stats] : c.ports) {
    const uint8_t slot = SlotPortOfIndex(index).slot;
    if (slot >= DS_SLOT_COUNT) continue;
    figures_.slot_packets[slot] += stats.packets;
    figures_.slot_bytes[slot] += stats.bytes;
  }
  drain_seconds_.Observe(absl::ToDoubleSeconds(drain_time));
  figures_.drain_seconds = drain_seconds_.value();
  figures_.snapshots_dropped = snapshots_dropped;
  figures_.queue_depth = queue_depth;
  figures_.last = SummarizeInterval(snapshot, top_n_);
  return Current();
}

WriterTally::WriterTally() : write_seconds_(kDurationBounds) {
  figures_.write_seconds = write_seconds_.value();
}

std::shared_ptr<const WriterFigures> WriterTally::Add(
    const Snapshot& snapshot, const absl::Status& status,
    absl::Duration write_time, absl::Time now, uint64_t backlog,
    uint64_t lost) {
  write_seconds_.Observe(absl::ToDoubleSeconds(write_time));
  figures_.write_seconds = write_seconds_.value();
  figures_.disk_fault = !status.ok();
  figures_.backlog = backlog;
  figures_.lost = lost;
  if (status.ok()) {
    ++figures_.written;
    figures_.last_written = now;
    figures_.last_written_start = snapshot.interval_start;
  } else {
    ++figures_.write_errors;
  }
  return std::make_shared<const WriterFigures>(figures_);
}

std::shared_ptr<const WriterFigures> WriterTally::AddFileAttempt(
    const absl::Status& status, uint64_t backlog, uint64_t lost) {
  figures_.disk_fault = !status.ok();
  figures_.backlog = backlog;
  figures_.lost = lost;
  return std::make_shared<const WriterFigures>(figures_);
}

std::shared_ptr<const WriterFigures> WriterTally::AddRetention(uint64_t files,
                                                               uint64_t bytes,
                                                               bool failed) {
  figures_.retention_deleted_files += files;
  figures_.retention_deleted_bytes += bytes;
  if (failed) ++figures_.retention_errors;
  return std::make_shared<const WriterFigures>(figures_);
}

std::vector<MetricFamily> MetricFamilies(const FigureBoard::View& view,
                                         absl::string_view version) {
  std::vector<MetricFamily> out;
  const DrainFigures empty_drain;
  const WriterFigures empty_writer;
  const DrainFigures& d = view.drain ? *view.drain : empty_drain;
  const WriterFigures& w = view.writer ? *view.writer : empty_writer;
  using T = MetricType;

  MetricFamily build =
      Family("darkscope_build_info",
             "The agent's version and sensor name; always 1.", T::kGauge);
  build.samples.push_back(
      {{{"version", std::string(version)}, {"sensor", d.sensor}}, 1, {}});
  out.push_back(std::move(build));
  out.push_back(
      Single("darkscope_start_time_seconds",
             "When the agent started, in seconds since the Unix epoch.",
             T::kGauge, view.drain ? Seconds(d.started) : 0));
  out.push_back(Single("darkscope_interval_seconds", "The snapshot interval.",
                       T::kGauge, absl::ToDoubleSeconds(d.interval)));
  out.push_back(
      Single("darkscope_kernel_map_bytes",
             "Kernel memory of the data plane's maps (both epochs and the "
             "drain's spare set), as the kernel accounts it.",
             T::kGauge, static_cast<double>(d.kernel_map_bytes)));
  out.push_back(Single("darkscope_intervals_drained_total",
                       "Intervals cut and drained since start.", T::kCounter,
                       static_cast<double>(d.intervals)));
  out.push_back(
      Single("darkscope_intervals_late_total",
             "Intervals flipped a whole interval late (a stalled host).",
             T::kCounter, static_cast<double>(d.late_intervals)));
  const Liveness& live = d.liveness;
  MetricFamily attached =
      Family("darkscope_xdp_program_attached",
             "1 if the agent's XDP program was the one attached at the last "
             "interval's check, by mode; "
             "0 while blind (detached or replaced from outside).",
             T::kGauge);
  attached.samples.push_back(
      {{{"mode", live.attached ? live.mode : std::string("none")}},
       live.attached ? 1.0 : 0.0,
       {}});
  out.push_back(std::move(attached));
  out.push_back(Single(
      "darkscope_blind_intervals_total",
      "Intervals at whose end the agent's program was not attached (their "
      "snapshots are marked incomplete).",
      T::kCounter, static_cast<double>(live.blind_intervals)));
  out.push_back(Single(
      "darkscope_xdp_reattached_total",
      "Times the agent attached its program again after it was detached from "
      "outside.",
      T::kCounter, static_cast<double>(live.reattached)));
  MetricFamily nic =
      Family("darkscope_nic_rx_drops_total",
             "The interface's own receive drop counters (its driver's, before "
             "XDP sees a frame) since the agent started.",
             T::kCounter);
  for (const auto& [name, value] : live.nic_drops) {
    nic.samples.push_back(
        {{{"counter", name}}, static_cast<double>(value), {}});
  }
  if (!nic.samples.empty()) out.push_back(std::move(nic));

  // Data plane counters since start, grouped.
  std::vector<bool> grouped(DS_CTR_COUNT, false);
  for (const CounterGroup& group : CounterGroups()) {
    MetricFamily family = Family(group.metric, group.help, T::kCounter);
    for (int counter : group.counters) {
      grouped[counter] = true;
      family.samples.push_back({{{group.label, kCounterNames[counter]}},
                                static_cast<double>(d.counters[counter]),
                                {}});
    }
    out.push_back(std::move(family));
  }
  MetricFamily other = Family(
      "darkscope_events_total",
      "Data plane counters in no other family, since start.", T::kCounter);
  for (int i = 0; i < DS_CTR_COUNT; ++i) {
    if (!grouped[i]) {
      other.samples.push_back({{{"counter", kCounterNames[i]}},
                               static_cast<double>(d.counters[i]),
                               {}});
    }
  }
  if (!other.samples.empty()) out.push_back(std::move(other));
  MetricFamily slot_packets =
      Family("darkscope_protocol_packets_total",
             "Darknet packets by protocol since start.", T::kCounter);
  MetricFamily slot_bytes =
      Family("darkscope_protocol_bytes_total",
             "Darknet frame bytes by protocol since start.", T::kCounter);
  for (int slot = 0; slot < DS_SLOT_COUNT; ++slot) {
    slot_packets.samples.push_back({{{"proto", kSlotNames[slot]}},
                                    static_cast<double>(d.slot_packets[slot]),
                                    {}});
    slot_bytes.samples.push_back({{{"proto", kSlotNames[slot]}},
                                  static_cast<double>(d.slot_bytes[slot]),
                                  {}});
  }
  out.push_back(std::move(slot_packets));
  out.push_back(std::move(slot_bytes));

  // The last interval, as gauges.
  const IntervalSummary& last = d.last;
  const bool has_last = d.intervals > 0;
  out.push_back(Single(
      "darkscope_last_interval_start_time_seconds",
      "Start of the last drained interval (Unix seconds; 0 before the first).",
      T::kGauge, has_last ? Seconds(last.start) : 0));
  out.push_back(Single("darkscope_last_interval_complete",
                       "1 if the agent saw the last interval whole.", T::kGauge,
                       last.complete ? 1 : 0));
  MetricFamily last_counters = Family(
      "darkscope_last_interval_packets",
      "Packets of the last interval: darknet total and by class.", T::kGauge);
  last_counters.samples.push_back(
      {{{"class", "darknet"}},
       static_cast<double>(last.counters[DS_CTR_DARKNET_PACKETS]),
       {}});
  for (int counter : CounterGroups()[0].counters) {
    last_counters.samples.push_back(
        {{{"class", kCounterNames[counter]}},
         static_cast<double>(last.counters[counter]),
         {}});
  }
  out.push_back(std::move(last_counters));
  out.push_back(
      Single("darkscope_last_interval_bytes",
             "Darknet frame bytes of the last interval.", T::kGauge,
             static_cast<double>(last.counters[DS_CTR_DARKNET_BYTES])));
  MetricFamily sizes =
      Family("darkscope_last_interval_table_entries",
             "Entries in each table of the last interval.", T::kGauge);
  for (const auto& [table, size] :
       {std::pair<const char*, size_t>{"ports", last.ports},
        {"sources", last.sources},
        {"destinations", last.destinations},
        {"flows", last.flows}}) {
    sizes.samples.push_back(
        {{{"table", table}}, static_cast<double>(size), {}});
  }
  out.push_back(std::move(sizes));
  // Top-N ports: at most N series per scrape, labelled by rank.
  MetricFamily top_packets =
      Family("darkscope_last_interval_top_port_packets",
             "Packets to the last interval's top destination ports (rank 1 is "
             "the largest).",
             T::kGauge);
  MetricFamily top_bytes = Family(
      "darkscope_last_interval_top_port_bytes",
      "Frame bytes to the last interval's top destination ports.", T::kGauge);
  for (size_t i = 0; i < last.top_ports.size(); ++i) {
    const TopEntry& e = last.top_ports[i];
    Labels labels = {{"rank", absl::StrCat(i + 1)},
                     {"proto", e.proto},
                     {"port", absl::StrCat(e.port)}};
    top_packets.samples.push_back({labels, static_cast<double>(e.packets), {}});
    top_bytes.samples.push_back({labels, static_cast<double>(e.bytes), {}});
  }
  out.push_back(std::move(top_packets));
  out.push_back(std::move(top_bytes));
  // The agent's own figures of the last interval, as in the snapshot's
  // summary (writer and, when sampling runs, AF_XDP figures).
  MetricFamily agent =
      Family("darkscope_last_interval_agent_figure",
             "The agent's figures recorded in the last snapshot's summary.",
             T::kGauge);
  for (const auto& [name, value] : last.agent_counters) {
    agent.samples.push_back({{{"name", name}}, static_cast<double>(value), {}});
  }
  out.push_back(std::move(agent));

  // Durations.
  MetricFamily drain = Family(
      "darkscope_drain_duration_seconds",
      "Time to flip, read and recycle one interval's maps.", T::kHistogram);
  drain.samples.push_back(
      {{},
       0,
       view.drain ? d.drain_seconds : Histogram(kDurationBounds).value()});
  out.push_back(std::move(drain));
  MetricFamily write =
      Family("darkscope_snapshot_write_duration_seconds",
             "Time to encode and durably write one snapshot.", T::kHistogram);
  write.samples.push_back(
      {{},
       0,
       view.writer ? w.write_seconds : Histogram(kDurationBounds).value()});
  out.push_back(std::move(write));

  // The writer, its queue and retention.
  struct Scalar {
    const char* name;
    const char* help;
    MetricType type;
    double value;
  };
  const Scalar scalars[] = {
      {"darkscope_snapshots_written_total", "Snapshots written durably.",
       T::kCounter, static_cast<double>(w.written)},
      {"darkscope_snapshot_write_errors_total",
       "Failed snapshot write attempts; each failed snapshot is kept and "
       "retried.",
       T::kCounter, static_cast<double>(w.write_errors)},
      {"darkscope_writer_disk_fault",
       "1 while the output directory refuses writes (full, read-only, I/O "
       "errors): "
       "the last attempt failed and the backlog is held in memory.",
       T::kGauge, w.disk_fault ? 1.0 : 0.0},
      {"darkscope_writer_backlog_files",
       "Files (snapshots and samples) the writer held after its last attempt.",
       T::kGauge, static_cast<double>(w.backlog)},
      {"darkscope_snapshots_lost_total",
       "Snapshots that still failed to write at shutdown (their last attempt).",
       T::kCounter, static_cast<double>(w.lost)},
      {"darkscope_snapshots_dropped_total",
       "Snapshots refused because the writer queue (the backlog) was full.",
       T::kCounter, static_cast<double>(d.snapshots_dropped)},
      {"darkscope_writer_queue_depth",
       "Snapshots waiting for the writer after the last drain.", T::kGauge,
       static_cast<double>(d.queue_depth)},
      {"darkscope_writer_queue_capacity",
       "Files (snapshots and sample files) the writer queue holds at most.",
       T::kGauge, static_cast<double>(d.queue_capacity)},
      {"darkscope_last_snapshot_written_time_seconds",
       "When the last snapshot write ended (Unix seconds; 0 before the first).",
       T::kGauge, w.written > 0 ? Seconds(w.last_written) : 0},
      {"darkscope_retention_deleted_files_total",
       "Old snapshot and sample files deleted by retention.", T::kCounter,
       static_cast<double>(w.retention_deleted_files)},
      {"darkscope_retention_deleted_bytes_total",
       "Bytes of the files retention deleted.", T::kCounter,
       static_cast<double>(w.retention_deleted_bytes)},
      {"darkscope_retention_errors_total",
       "Retention passes that failed to list or delete a file.", T::kCounter,
       static_cast<double>(w.retention_errors)},
  };
  for (const Scalar& scalar : scalars) {
    out.push_back(Single(scalar.name, scalar.help, scalar.type, scalar.value));
  }
  return out;
}

nlohmann::json LatestIntervalJson(const FigureBoard::View& view) {
  if (!view.drain || view.drain->intervals == 0) return nullptr;
  const DrainFigures& d = *view.drain;
  const IntervalSummary& s = d.last;
  nlohmann::json summary;
  summary["packets"] = s.counters[DS_CTR_DARKNET_PACKETS];
  summary["bytes"] = s.counters[DS_CTR_DARKNET_BYTES];
  for (int i = 0; i < DS_CTR_COUNT; ++i)
    summary[kCounterNames[i]] = s.counters[i];
  for (const auto& [name, value] : s.agent_counters) summary[name] = value;
  nlohmann::json out;
  out["sensor"] = d.sensor;
  out["interval_start"] = Rfc3339(s.start);
  out["interval_seconds"] = s.seconds;
  out["complete"] = s.complete;
  out["summary"] = std::move(summary);
  out["table_entries"] = {{"ports", s.ports},
                          {"sources", s.sources},
                          {"destinations", s.destinations},
                          {"flows", s.flows}};
  out["top_ports"] = TopJson(s.top_ports, true);
  out["top_sources"] = TopJson(s.top_sources, false);
  out["top_destinations"] = TopJson(s.top_destinations, false);
  return out;
}

Health CheckHealth(const FigureBoard::View& view, absl::Time now) {
  if (!view.drain) return {false, "not started: no interval loop yet"};
  const DrainFigures& d = *view.drain;
  if (!d.liveness.attached) {
    return {false, absl::StrCat("blind: ", d.liveness.problem, " (",
                                d.liveness.blind_intervals,
                                " intervals blind since start)")};
  }
  if (view.writer && view.writer->disk_fault) {
    return {false, absl::StrCat("disk fault: the last snapshot write failed; ",
                                view.writer->backlog,
                                " files held in memory, retried")};
  }
  const absl::Duration allowed = 2 * d.interval + absl::Seconds(10);
  if (!view.writer || view.writer->written == 0) {
    if (now - d.started < allowed) {
      return {true,
              absl::StrCat("starting: first snapshot due within ",
                           absl::FormatDuration(allowed - (now - d.started)))};
    }
    return {false, absl::StrCat("late: no snapshot written since the start at ",
                                Rfc3339(d.started))};
  }
  const WriterFigures& w = *view.writer;
  const absl::Duration age = now - w.last_written;
  const std::string last = absl::StrCat(
      "last snapshot ", SnapshotFileName(w.last_written_start), " written ",
      absl::FormatDuration(absl::Trunc(age, absl::Milliseconds(1))), " ago");
  if (age < allowed) return {true, absl::StrCat("ok: ", last)};
  return {false, absl::StrCat("late: ", last, " (more than ",
                              absl::FormatDuration(allowed), ")")};
}

}  // namespace darkscope
