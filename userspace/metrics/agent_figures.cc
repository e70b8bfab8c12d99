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

// The data plane counters as /metrics exposes them: one metric per
// meaning, and where a metric has a label its samples are the parts of one
// whole, so that sum() over the label is that whole (said in each help
// text). A sample may add several counters. Every counter of
// DS_COUNTER_LIST is exposed here except PACKETS_SEEN, which is
// sum(darkscope_frames_total) (metrics_test checks both).
struct CounterSample {
  const char* label_value;  // nullptr: the metric has no label
  std::vector<int> counters;
};
struct CounterMetric {
  const char* metric;
  const char* label;  // nullptr: no label
  const char* help;
  std::vector<CounterSample> samples;
};
const std::vector<CounterMetric>& CounterMetrics() {
  static const auto* metrics = new std::vector<CounterMetric>{
      {"darkscope_frames_total",
       "outcome",
       "Frames the XDP program ran on since start, by outcome; sum() is "
       "every frame seen.",
       {{"darknet", {DS_CTR_DARKNET_PACKETS}},
        {"non_darknet", {DS_CTR_NON_DARKNET}},
        {"non_ip", {DS_CTR_NON_IP}},
        {"unparsed",
         {DS_CTR_MALFORMED_ETH, DS_CTR_MALFORMED_VLAN, DS_CTR_VLAN_TOO_DEEP,
          DS_CTR_MALFORMED_IPV4, DS_CTR_MALFORMED_IPV6}}}},
      {"darkscope_frame_verdicts_total",
       "verdict",
       "The program's verdicts since start; sum() is every frame seen.",
       {{"pass", {DS_CTR_ACTION_PASS}},
        {"drop", {DS_CTR_ACTION_DROP}},
        {"redirect", {DS_CTR_ACTION_REDIRECT}}}},
      {"darkscope_seen_bytes_total",
       nullptr,
       "Frame bytes of every frame the program ran on since start.",
       {{nullptr, {DS_CTR_BYTES_SEEN}}}},
      {"darkscope_darknet_bytes_total",
       nullptr,
       "Frame bytes of darknet packets since start.",
       {{nullptr, {DS_CTR_DARKNET_BYTES}}}},
      {"darkscope_darknet_packets_total",
       "family",
       "Darknet packets since start by IP family; sum() is every darknet "
       "packet.",
       {{"ipv4", {DS_CTR_IPV4}}, {"ipv6", {DS_CTR_IPV6}}}},
      {"darkscope_vlan_tagged_packets_total",
       nullptr,
       "Darknet packets with one or two VLAN tags since start.",
       {{nullptr, {DS_CTR_VLAN_TAGGED}}}},
      {"darkscope_packets_total",
       "class",
       "Darknet packets by class since start; sum() plus "
       "sum(darkscope_unclassified_packets_total) is every darknet packet.",
       {{"tcp_syn", {DS_CTR_TCP_SYN}},
        {"tcp_synack", {DS_CTR_TCP_SYNACK}},
        {"tcp_rst", {DS_CTR_TCP_RST}},
        {"tcp_other", {DS_CTR_TCP_OTHER}},
        {"udp", {DS_CTR_UDP}},
        {"icmp_echo", {DS_CTR_ICMP_ECHO}},
        {"icmp_error", {DS_CTR_ICMP_ERROR}},
        {"icmp_other", {DS_CTR_ICMP_OTHER}},
        {"other_proto", {DS_CTR_OTHER_PROTO}},
        {"fragment", {DS_CTR_FRAGMENT}}}},
      {"darkscope_unclassified_packets_total",
       "reason",
       "Darknet packets whose transport header could not be read, by "
       "reason, since start.",
       {{"malformed_ipv6_ext", {DS_CTR_MALFORMED_IPV6_EXT}},
        {"ipv6_ext_limit", {DS_CTR_IPV6_EXT_LIMIT}},
        {"malformed_tcp", {DS_CTR_MALFORMED_TCP}},
        {"malformed_udp", {DS_CTR_MALFORMED_UDP}},
        {"malformed_icmp", {DS_CTR_MALFORMED_ICMP}},
        {"malformed_icmpv6", {DS_CTR_MALFORMED_ICMPV6}}}},
      {"darkscope_unparsed_frames_total",
       "reason",
       "Frames whose destination could not be read, by reason, since "
       "start; sum() is darkscope_frames_total{outcome=\"unparsed\"}.",
       {{"malformed_eth", {DS_CTR_MALFORMED_ETH}},
        {"malformed_vlan", {DS_CTR_MALFORMED_VLAN}},
        {"vlan_too_deep", {DS_CTR_VLAN_TOO_DEEP}},
        {"malformed_ipv4", {DS_CTR_MALFORMED_IPV4}},
        {"malformed_ipv6", {DS_CTR_MALFORMED_IPV6}}}},
      {"darkscope_fingerprint_packets_total",
       "fingerprint",
       "Darknet packets carrying a scanner's fingerprint since start (a "
       "packet may carry more than one).",
       {{"mirai", {DS_CTR_MIRAI}},
        {"zmap", {DS_CTR_ZMAP}},
        {"masscan", {DS_CTR_MASSCAN}}}},
      {"darkscope_backscatter_packets_total",
       nullptr,
       "Darknet packets that look like backscatter (SYN-ACK, RST, ICMP "
       "error or echo reply, UDP from port 53) since start.",
       {{nullptr, {DS_CTR_BACKSCATTER}}}},
      {"darkscope_table_overflows_total",
       "table",
       "Table updates that did not fit in a full table since start (the "
       "packet is still counted everywhere else).",
       {{"sources", {DS_CTR_OVERFLOW_SOURCES}},
        {"destinations", {DS_CTR_OVERFLOW_DESTINATIONS}},
        {"flows", {DS_CTR_OVERFLOW_FLOWS}}}},
      {"darkscope_epoch_map_missing_total",
       nullptr,
       "Packets for which the program found no map for its epoch since "
       "start (a bug: they are lost to the tables).",
       {{nullptr, {DS_CTR_EPOCH_MAP_MISSING}}}},
      {"darkscope_sample_picked_total",
       "rule",
       "Darknet packets picked for the AF_XDP sample since start, by the "
       "rule that picked them; sum() is "
       "sum(darkscope_sample_pick_outcomes_total).",
       {{"rate", {DS_CTR_SAMPLE_BY_RATE}},
        {"first", {DS_CTR_SAMPLE_BY_FIRST}}}},
      {"darkscope_sample_pick_outcomes_total",
       "outcome",
       "What became of the packets picked for the sample since start.",
       {{"redirected", {DS_CTR_SAMPLE_REDIRECTED}},
        {"rate_limited", {DS_CTR_SAMPLE_RATE_LIMITED}},
        {"no_socket", {DS_CTR_SAMPLE_NO_SOCKET}},
        {"queue_out_of_range", {DS_CTR_SAMPLE_QUEUE_OUT_OF_RANGE}}}},
  };
  return *metrics;
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

// The sampler's figures in a snapshot's agent table: per interval (summed
// since start) unless `cumulative` (the writer's, since start already).
struct SamplerFigure {
  const char* agent_name;
  bool cumulative;
};
constexpr SamplerFigure kSamplerFigures[] = {
    {"sample_frames_written", false},  {"sample_bytes_written", false},
    {"sample_frames_over_cap", false}, {"sample_bad_descs", false},
    {"sample_rx_dropped", false},      {"sample_rx_invalid_descs", false},
    {"sample_rx_ring_full", false},    {"sample_fill_ring_empty", false},
    {"sample_files_written", true},    {"sample_file_write_errors", true},
    {"sample_files_dropped", true},
};

double Figure(const std::map<std::string, uint64_t>& figures,
              const char* name) {
  auto it = figures.find(name);
  return it == figures.end() ? 0 : static_cast<double>(it->second);
}

}  // namespace

const std::array<WatchedPort, kWatchedPortCount> kWatchedPorts = {{
    {DS_SLOT_TCP, 22},    {DS_SLOT_TCP, 23},   {DS_SLOT_TCP, 80},
    {DS_SLOT_TCP, 443},   {DS_SLOT_TCP, 445},  {DS_SLOT_TCP, 2323},
    {DS_SLOT_TCP, 3389},  {DS_SLOT_TCP, 5555}, {DS_SLOT_TCP, 6379},
    {DS_SLOT_TCP, 8080},  {DS_SLOT_TCP, 8443}, {DS_SLOT_TCP, 1433},
    {DS_SLOT_TCP, 3306},  {DS_SLOT_UDP, 53},   {DS_SLOT_UDP, 123},
    {DS_SLOT_UDP, 161},   {DS_SLOT_UDP, 1900}, {DS_SLOT_UDP, 5060},
    {DS_SLOT_UDP, 11211}, {DS_SLOT_UDP, 137},
}};

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
  for (size_t i = 0; i < kWatchedPorts.size(); ++i) {
    auto it = c.ports.find(
        ds_port_index(kWatchedPorts[i].slot, kWatchedPorts[i].port));
    if (it != c.ports.end())
      figures_.watched_port_packets[i] += it->second.packets;
  }
  for (const SamplerFigure& f : kSamplerFigures) {
    auto it = snapshot.agent_counters.find(f.agent_name);
    if (it == snapshot.agent_counters.end()) continue;
    uint64_t& total = figures_.sampler[f.agent_name];
    total = f.cumulative ? it->second : total + it->second;
  }
  figures_.last_drain_time = drain_time;
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
  struct Scalar {
    const char* name;
    const char* help;
    MetricType type;
    double value;
  };

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
  out.push_back(Single(
      "darkscope_xdp_program_attached",
      "1 if the agent's XDP program was the one attached at the last "
      "interval's check; 0 while blind (detached or replaced from outside).",
      T::kGauge, live.attached ? 1.0 : 0.0));
  MetricFamily mode =
      Family("darkscope_xdp_attach_mode",
             "1 for the mode the agent's program is attached in (native: the "
             "driver's, skb: generic), 0 for the others; all 0 while blind.",
             T::kGauge);
  std::vector<std::string> modes = {"native", "skb"};
  if (live.attached && !live.mode.empty() &&
      std::find(modes.begin(), modes.end(), live.mode) == modes.end()) {
    modes.push_back(live.mode);
  }
  for (const std::string& m : modes) {
    mode.samples.push_back(
        {{{"mode", m}}, live.attached && live.mode == m ? 1.0 : 0.0, {}});
  }
  out.push_back(std::move(mode));
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
  MetricFamily nic = Family(
      "darkscope_nic_rx_drops_total",
      "The interface's own receive drop statistics (its driver's, before "
      "XDP sees a frame) since the agent started, by statistics file; a "
      "statistic the interface lacks is absent.",
      T::kCounter);
  for (const auto& [name, value] : live.nic_drops) {
    nic.samples.push_back(
        {{{"statistic", name}}, static_cast<double>(value), {}});
  }
  out.push_back(std::move(nic));

  // Data plane counters since start.
  for (const CounterMetric& metric : CounterMetrics()) {
    MetricFamily family = Family(metric.metric, metric.help, T::kCounter);
    for (const CounterSample& sample : metric.samples) {
      uint64_t value = 0;
      for (int counter : sample.counters) value += d.counters[counter];
      Labels labels;
      if (metric.label != nullptr)
        labels.push_back({metric.label, sample.label_value});
      family.samples.push_back(
          {std::move(labels), static_cast<double>(value), {}});
    }
    out.push_back(std::move(family));
  }
  MetricFamily slot_packets =
      Family("darkscope_protocol_packets_total",
             "Darknet packets by protocol since start; sum() is every darknet "
             "packet with a protocol slot (as the port tables count them).",
             T::kCounter);
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
  MetricFamily watched =
      Family("darkscope_watched_port_packets_total",
             "Darknet packets to a fixed set of often scanned destination "
             "ports since start (the set is in docs/operations.md).",
             T::kCounter);
  for (size_t i = 0; i < kWatchedPorts.size(); ++i) {
    watched.samples.push_back({{{"proto", kSlotNames[kWatchedPorts[i].slot]},
                                {"port", absl::StrCat(kWatchedPorts[i].port)}},
                               static_cast<double>(d.watched_port_packets[i]),
                               {}});
  }
  out.push_back(std::move(watched));

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
  out.push_back(
      Single("darkscope_last_interval_darknet_packets",
             "Darknet packets of the last interval.", T::kGauge,
             static_cast<double>(last.counters[DS_CTR_DARKNET_PACKETS])));
  out.push_back(
      Single("darkscope_last_interval_darknet_bytes",
             "Darknet frame bytes of the last interval.", T::kGauge,
             static_cast<double>(last.counters[DS_CTR_DARKNET_BYTES])));
  MetricFamily last_classes =
      Family("darkscope_last_interval_packets",
             "Darknet packets of the last interval by class (as "
             "darkscope_packets_total).",
             T::kGauge);
  const CounterMetric& classes = *std::find_if(
      CounterMetrics().begin(), CounterMetrics().end(),
      [](const CounterMetric& m) {
        return absl::string_view(m.metric) == "darkscope_packets_total";
      });
  for (const CounterSample& sample : classes.samples) {
    last_classes.samples.push_back(
        {{{"class", sample.label_value}},
         static_cast<double>(last.counters[sample.counters[0]]),
         {}});
  }
  out.push_back(std::move(last_classes));
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
  // Top ports: only those with kTopPortMinShare of the interval's packets,
  // labelled by what they are, not by rank, so that a port that stays on
  // top keeps its series.
  MetricFamily top_packets = Family(
      "darkscope_last_interval_top_port_packets",
      "Packets to the last interval's top destination ports that carried at "
      "least 1% of its darknet packets.",
      T::kGauge);
  MetricFamily top_bytes = Family("darkscope_last_interval_top_port_bytes",
                                  "Frame bytes to the same ports as "
                                  "darkscope_last_interval_top_port_packets.",
                                  T::kGauge);
  const double min_packets =
      kTopPortMinShare *
      static_cast<double>(last.counters[DS_CTR_DARKNET_PACKETS]);
  for (const TopEntry& e : last.top_ports) {
    if (e.packets == 0 || static_cast<double>(e.packets) < min_packets)
      continue;
    Labels labels = {{"proto", e.proto}, {"port", absl::StrCat(e.port)}};
    top_packets.samples.push_back({labels, static_cast<double>(e.packets), {}});
    top_bytes.samples.push_back({labels, static_cast<double>(e.bytes), {}});
  }
  out.push_back(std::move(top_packets));
  out.push_back(std::move(top_bytes));
  out.push_back(
      Single("darkscope_last_interval_drain_seconds",
             "Time the last interval's drain took (flip, read, recycle).",
             T::kGauge, absl::ToDoubleSeconds(d.last_drain_time)));

  // The AF_XDP sampler (zero while it does not run).
  const Scalar sampler[] = {
      {"darkscope_sample_frames_written_total",
       "Sampled frames written to pcapng files.", T::kCounter,
       Figure(d.sampler, "sample_frames_written")},
      {"darkscope_sample_written_bytes_total",
       "Bytes of the pcapng sample files produced.", T::kCounter,
       Figure(d.sampler, "sample_bytes_written")},
      {"darkscope_sample_frames_over_cap_total",
       "Sampled frames not written because the interval's byte cap was "
       "reached.",
       T::kCounter, Figure(d.sampler, "sample_frames_over_cap")},
      {"darkscope_sample_bad_descriptors_total",
       "Rx descriptors from the AF_XDP rings that pointed outside the UMEM.",
       T::kCounter, Figure(d.sampler, "sample_bad_descs")},
      {"darkscope_sample_fill_ring_empty_total",
       "Times the sockets found their fill ring empty (XDP_STATISTICS).",
       T::kCounter, Figure(d.sampler, "sample_fill_ring_empty")},
      {"darkscope_sample_files_written_total", "Sample files written.",
       T::kCounter, Figure(d.sampler, "sample_files_written")},
      {"darkscope_sample_file_write_errors_total",
       "Failed sample file write attempts.", T::kCounter,
       Figure(d.sampler, "sample_file_write_errors")},
      {"darkscope_sample_files_dropped_total",
       "Sample files given up (evicted by a full queue or failing every "
       "attempt).",
       T::kCounter, Figure(d.sampler, "sample_files_dropped")},
  };
  for (const Scalar& scalar : sampler) {
    out.push_back(Single(scalar.name, scalar.help, scalar.type, scalar.value));
  }
  MetricFamily socket_drops = Family(
      "darkscope_sample_socket_drops_total",
      "Frames the AF_XDP sockets lost after the redirect, by XDP_STATISTICS "
      "field; sum() is every frame lost there.",
      T::kCounter);
  for (const auto& [statistic, name] :
       {std::pair<const char*, const char*>{"rx_dropped", "sample_rx_dropped"},
        {"rx_invalid_descs", "sample_rx_invalid_descs"},
        {"rx_ring_full", "sample_rx_ring_full"}}) {
    socket_drops.samples.push_back(
        {{{"statistic", statistic}}, Figure(d.sampler, name), {}});
  }
  out.push_back(std::move(socket_drops));

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
