// The interval loop of `darkscope run`.
#include "agent/agent.h"

#include <arpa/inet.h>
#include <bpf/libbpf.h>
#include <ifaddrs.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/cut_state.h"
#include "agent/liveness.h"
#include "agent/privileges.h"
#include "agent/snapshot_writer.h"
#include "common/prefix.h"
#include "common/status.h"
#include "drain/epoch_tables.h"
#include "loader/map_memory.h"
#include "loader/pins.h"
#include "snapshot/snapshot.h"

namespace darkscope {
namespace {

// The start of the interval that contains `t`.
absl::Time IntervalStart(absl::Time t, absl::Duration interval) {
  return absl::UnixEpoch() + absl::Floor(t - absl::UnixEpoch(), interval);
}

// Waits until `deadline` or a blocked SIGINT/SIGTERM; true on a signal.
bool WaitForSignalUntil(absl::Time deadline, const sigset_t& signals) {
  for (;;) {
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return false;
    timespec timeout = absl::ToTimespec(left);
    int sig = sigtimedwait(&signals, nullptr, &timeout);
    if (sig == SIGINT || sig == SIGTERM) return true;
    // EAGAIN: the deadline passed; EINTR: another signal; check again.
  }
}

// Bounds of the run options (the rest are bounded by their types or by
// what the kernel takes): most snapshots held while the disk fails (each
// up to the maps' size, about 85 MB), a path's length with room for the
// names under it, the longest listen address ("[v6 address]:port").
constexpr size_t kMaxWriterQueue = 1024;
constexpr size_t kMaxPathBytes = PATH_MAX - 256;
constexpr size_t kMaxHttpAddressBytes = 64;

// An error naming `flag` and a short, printable form of its value.
absl::Status BadValue(absl::string_view flag, absl::string_view value,
                      absl::string_view why) {
  std::string shown = absl::CHexEscape(value.substr(0, 64));
  if (value.size() > 64)
    absl::StrAppend(&shown, "... (", value.size(), " bytes)");
  return absl::InvalidArgumentError(
      absl::StrCat(flag, " '", shown, "': ", why));
}

// A string option: at most `max` bytes, no control characters (it ends up
// in files, logs and terminals).
absl::Status CheckText(absl::string_view flag, absl::string_view value,
                       size_t max) {
  if (value.size() > max) {
    return BadValue(flag, value, absl::StrCat("at most ", max, " bytes"));
  }
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f)
      return BadValue(flag, value, "control characters are not allowed");
  }
  return absl::OkStatus();
}

// "127.0.0.1:9464" or "[::1]:9464": one literal address and a port, the
// only form the HTTP server is given (civetweb would read more into
// others: "9464s" is TLS, "a,b" two listeners).
absl::Status CheckHttpAddress(const std::string& address) {
  DS_RETURN_IF_ERROR(CheckText("--http", address, kMaxHttpAddressBytes));
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) {
    return BadValue("--http", address,
                    "expected ADDR:PORT, e.g. 127.0.0.1:9464 or [::1]:9464");
  }
  std::string host = address.substr(0, colon);
  const std::string port_text = address.substr(colon + 1);
  uint32_t port = 0;
  const bool digits =
      !port_text.empty() && port_text.size() <= 5 &&
      port_text.find_first_not_of("0123456789") == std::string::npos;
  if (!digits || !absl::SimpleAtoi(port_text, &port) || port > 65535) {
    return BadValue("--http", address, "the port must be a number 0..65535");
  }
  const bool bracketed =
      host.size() >= 2 && host.front() == '[' && host.back() == ']';
  if (bracketed) host = host.substr(1, host.size() - 2);
  in6_addr v6;
  in_addr v4;
  const bool ok = bracketed ? inet_pton(AF_INET6, host.c_str(), &v6) == 1
                            : inet_pton(AF_INET, host.c_str(), &v4) == 1;
  if (!ok) {
    return BadValue(
        "--http", address,
        "expected a literal IPv4 address or a bracketed IPv6 one before the "
        "port, e.g. 127.0.0.1:9464 or [::1]:9464");
  }
  return absl::OkStatus();
}

// Every IPv4 and IPv6 address of this host's interfaces (in the agent's
// network namespace).
absl::StatusOr<std::vector<HostAddress>> HostAddresses() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0)
    return ErrnoError(errno, "getifaddrs", "this host");
  std::vector<HostAddress> addresses;
  for (const ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
    if (a->ifa_addr == nullptr) continue;
    HostAddress h;
    h.interface = a->ifa_name != nullptr ? a->ifa_name : "?";
    if (a->ifa_addr->sa_family == AF_INET) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
      h.address.family = DS_FAMILY_IPV4;
      h.address.length = 32;
      std::memcpy(h.address.addr.data(), &in->sin_addr, 4);
    } else if (a->ifa_addr->sa_family == AF_INET6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(a->ifa_addr);
      h.address.family = DS_FAMILY_IPV6;
      h.address.length = 128;
      std::memcpy(h.address.addr.data(), &in6->sin6_addr, 16);
    } else {
      continue;
    }
    addresses.push_back(std::move(h));
  }
  freeifaddrs(list);
  return addresses;
}

}  // namespace

absl::Status ValidateAgentOptions(const AgentOptions& options) {
  if (options.interface.empty()) {
    return absl::InvalidArgumentError("--iface is required");
  }
  DS_RETURN_IF_ERROR(CheckText("--iface", options.interface, IFNAMSIZ - 1));
  // Every string is bounded before it is used anywhere: the sensor name
  // goes into every snapshot (its length field would wrap past 65,535
  // bytes), the paths into syscalls, the address to civetweb.
  if (options.sensor.empty())
    return absl::InvalidArgumentError("--sensor must not be empty");
  DS_RETURN_IF_ERROR(
      CheckText("--sensor", options.sensor, kMaxSensorNameBytes));
  DS_RETURN_IF_ERROR(CheckText("--out", options.out_dir, kMaxPathBytes));
  DS_RETURN_IF_ERROR(CheckText("--bpffs", options.bpffs, kMaxPathBytes));
  if (!options.monitoring.http_address.empty()) {
    DS_RETURN_IF_ERROR(CheckHttpAddress(options.monitoring.http_address));
  }
  if (options.writer_queue == 0 || options.writer_queue > kMaxWriterQueue) {
    return absl::InvalidArgumentError(
        absl::StrCat("--writer-backlog ", options.writer_queue, ": must be 1..",
                     kMaxWriterQueue));
  }
  if (options.monitoring.retention.max_age < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--retain-age must not be negative");
  }
  if (if_nametoindex(options.interface.c_str()) == 0) {
    return absl::NotFoundError(
        absl::StrCat("interface '", options.interface, "' not found"));
  }
  if (options.data_plane.prefixes.empty()) {
    return absl::InvalidArgumentError("at least one --prefix is required");
  }
  DS_RETURN_IF_ERROR(CheckPrefixesDisjoint(options.data_plane.prefixes));
  if (!options.allow_own_addresses) {
    DS_ASSIGN_OR_RETURN(const std::vector<HostAddress> host, HostAddresses());
    DS_RETURN_IF_ERROR(CheckNoHostAddresses(options.data_plane.prefixes, host));
  }
  absl::Duration day_remainder;
  if (options.interval < absl::Seconds(1) ||
      (absl::IDivDuration(absl::Hours(24), options.interval, &day_remainder),
       day_remainder != absl::ZeroDuration())) {
    return absl::InvalidArgumentError(
        absl::StrCat("--interval ", absl::FormatDuration(options.interval),
                     ": must be whole seconds, at least 1s, and divide a day"));
  }
  if (options.interval % absl::Seconds(1) != absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--interval must be whole seconds");
  }
  if (options.out_dir.empty()) {
    return absl::InvalidArgumentError("--out is required");
  }
  if (::access(options.out_dir.c_str(), W_OK | X_OK) != 0) {
    return ErrnoError(errno, "output directory",
                      absl::StrCat("'", options.out_dir, "' is not writable"));
  }
  if (options.sample_policy.rate > 0 || options.sample_policy.first > 0) {
    DS_RETURN_IF_ERROR(ValidateSamplerOptions(options.sampler));
  }
  return absl::OkStatus();
}

namespace {

// At adoption: `held` is the epoch the program is not counting into. If
// the cut record names it and its interval's snapshot is missing, the
// earlier agent was killed between that cut and the snapshot's fsync: the
// snapshot is written now, before anything else. If the snapshot exists,
// the epoch was written and is dropped. Otherwise (no record, or the
// record names the epoch being counted: killed before the flip) it joins
// the first snapshot through `carried`.
absl::Status WritePendingInterval(const AgentOptions& options,
                                  uint32_t held_epoch, EpochCounts& held,
                                  SnapshotWriter& writer,
                                  EpochCounts& carried) {
  absl::StatusOr<std::optional<CutState>> state = ReadCutState(options.out_dir);
  if (!state.ok()) {
    std::fprintf(stderr, "darkscope: %s; keeping the adopted counts\n",
                 state.status().ToString().c_str());
  }
  if (!state.ok() || !state->has_value() || (*state)->epoch != held_epoch) {
    carried = std::move(held);
    return absl::OkStatus();
  }
  const CutState& cut = **state;
  const std::string name = SnapshotFileName(cut.interval_start);
  const std::string path = absl::StrCat(options.out_dir, "/", name);
  if (::access(path.c_str(), F_OK) == 0) return absl::OkStatus();
  if (errno != ENOENT) return ErrnoError(errno, "access", path);
  Snapshot snapshot;
  snapshot.sensor = options.sensor;
  snapshot.darknet = options.data_plane.prefixes;
  snapshot.interval_start = cut.interval_start;
  snapshot.interval_seconds = cut.interval_seconds;
  snapshot.complete = cut.complete;
  snapshot.counts = std::move(held);
  snapshot.agent_counters["recovered_after_kill"] = 1;
  const uint64_t packets = snapshot.counts.counters[DS_CTR_DARKNET_PACKETS];
  writer.Enqueue(std::move(snapshot));
  if (!writer.WaitWritten(cut.interval_start, absl::Seconds(30))) {
    return absl::UnavailableError(
        absl::StrCat("write ", path,
                     ": the interval an earlier agent cut is not on disk "
                     "after 30 s; left in the kernel for the next agent"));
  }
  std::printf(
      "darkscope: wrote %s (%llu darknet packets): the interval an earlier "
      "agent cut but was killed before writing\n",
      name.c_str(), static_cast<unsigned long long>(packets));
  std::fflush(stdout);
  return absl::OkStatus();
}

// Everything after the data plane is attached: sampler, monitoring, and the
// interval loop until a signal or an error.
absl::Status RunAttached(const AgentOptions& options, int ifindex,
                         std::unique_ptr<UringFileWriter> files,
                         DataPlane* plane);

}  // namespace

absl::Status RunAgent(const AgentOptions& options) {
  DS_RETURN_IF_ERROR(ValidateAgentOptions(options));
  DS_ASSIGN_OR_RETURN(std::unique_ptr<UringFileWriter> files,
                      UringFileWriter::Create(options.out_dir));
  const int ifindex =
      static_cast<int>(if_nametoindex(options.interface.c_str()));
  std::unique_ptr<DataPlane> plane;
  if (options.bpffs.empty()) {
    DS_ASSIGN_OR_RETURN(plane,
                        DataPlane::LoadAndAttach(options.data_plane, ifindex,
                                                 options.xdp_mode));
  } else {
    // libxdp's own pins (its dispatcher) go to the same bpffs, so that they
    // outlive the agent together with darkscope's.
    setenv("LIBXDP_BPFFS", options.bpffs.c_str(), /*overwrite=*/0);
    DS_ASSIGN_OR_RETURN(plane, DataPlane::AttachPinned(
                                   options.data_plane, options.interface,
                                   ifindex, options.xdp_mode,
                                   {.bpffs = options.bpffs,
                                    .replace = options.replace_pinned,
                                    .keep_attached = options.keep_attached}));
  }
  absl::Status status =
      RunAttached(options, ifindex, std::move(files), plane.get());
  if (!status.ok() && plane->keeps_attached() &&
      *plane->attach_mode_name() != '\0') {
    std::fprintf(stderr,
                 "darkscope: leaving xdp_count_darknet attached to %s and "
                 "counting, pinned "
                 "in %s: the next `darkscope run` adopts it and loses nothing "
                 "(`darkscope detach --iface %s` removes it)\n",
                 options.interface.c_str(), plane->pin_directory().c_str(),
                 options.interface.c_str());
  }
  return status;
}

namespace {

absl::Status RunAttached(const AgentOptions& options, int ifindex,
                         std::unique_ptr<UringFileWriter> files,
                         DataPlane* plane) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  std::unique_ptr<Sampler> sampler;
  const SamplePolicy& policy = options.sample_policy;
  if (plane->adopted()) {
    // An earlier agent's policy (and its sockets) are gone with it.
    DS_RETURN_IF_ERROR(plane->SetSamplePolicy({}));
  }
  if (policy.rate > 0 || policy.first > 0) {
    SamplerOptions sampler_options = options.sampler;
    sampler_options.interface = options.interface;
    DS_ASSIGN_OR_RETURN(sampler,
                        Sampler::Open(sampler_options, plane->xsk_map_fd()));
    // Sockets first, so that no picked packet finds its queue empty.
    DS_RETURN_IF_ERROR(plane->SetSamplePolicy(policy));
    std::printf(
        "darkscope: sampling %s: 1 in %u darknet packets and the first %u of "
        "each "
        "source network per interval, at most %llu/s per CPU (0: no limit), "
        "%llu bytes of pcapng per interval\n",
        sampler->Describe().c_str(), policy.rate, policy.first,
        static_cast<unsigned long long>(policy.pps),
        static_cast<unsigned long long>(options.sampler.max_bytes));
  }
  std::vector<std::string> prefixes;
  for (const Prefix& p : options.data_plane.prefixes)
    prefixes.push_back(p.ToString());
  if (plane->adopted() && plane->found_on_interface()) {
    std::printf(
        "darkscope: adopted the xdp_count_darknet (id %u) found attached to %s "
        "with no "
        "pins (lost with an earlier agent's private bpffs, or it died before "
        "pinning), "
        "still counting: the interval in progress is completed, nothing "
        "counted is "
        "lost; pinned again in %s\n",
        plane->program_id(), options.interface.c_str(),
        plane->pin_directory().c_str());
  } else if (plane->adopted()) {
    std::printf(
        "darkscope: adopted the xdp_count_darknet pinned in %s, still "
        "counting: "
        "the interval in progress is completed, nothing counted is lost\n",
        plane->pin_directory().c_str());
  } else if (!plane->pin_directory().empty()) {
    std::printf(
        "darkscope: pinned xdp_count_darknet and its maps in %s (layout "
        "%s)%s\n",
        plane->pin_directory().c_str(), LayoutVersion().c_str(),
        options.keep_attached ? "; --keep-attached: left attached at exit"
                              : "");
  }
  std::printf(
      "darkscope: %s xdp_count_darknet to %s (ifindex %d) in %s mode; "
      "darknet %s; %s intervals into %s as sensor '%s'\n",
      plane->adopted() ? "attached (adopted)" : "attached",
      options.interface.c_str(), ifindex, plane->attach_mode_name(),
      absl::StrJoin(prefixes, " ").c_str(),
      absl::FormatDuration(options.interval).c_str(), options.out_dir.c_str(),
      options.sensor.c_str());
  std::fflush(stdout);
  // Before any thread starts, so that every thread runs without them.
  if (options.drop_capabilities) {
    DS_RETURN_IF_ERROR(LockDownAfterAttach());
    DS_RETURN_IF_ERROR(CheckDirectoryWritable(options.out_dir));
  }
  if (sampler) sampler->StartThreads();
  // Room for each interval's sample files beside its snapshot; /metrics
  // reports this, the bound the writer enforces.
  const size_t writer_capacity =
      options.writer_queue * (1 + (sampler ? sampler->queue_count() : 0));
  DS_ASSIGN_OR_RETURN(std::vector<MapMemory> map_memory, plane->KernelMemory());
  MonitoringOptions monitoring_options = options.monitoring;
  {
    const int cpus = libbpf_num_possible_cpus();
    monitoring_options.kernel_map_bytes = TotalBytesFor(map_memory, cpus);
    std::printf(
        "darkscope: kernel memory of the maps: %s on this host's %d possible "
        "CPUs "
        "(%s on 16, %s on 64); bounds: %u sources, %u destinations, %u flows\n",
        FormatBytes(monitoring_options.kernel_map_bytes).c_str(), cpus,
        FormatBytes(TotalBytesFor(map_memory, 16)).c_str(),
        FormatBytes(TotalBytesFor(map_memory, 64)).c_str(),
        options.data_plane.max_sources, options.data_plane.max_destinations,
        options.data_plane.max_flows);
  }
  DS_ASSIGN_OR_RETURN(std::unique_ptr<AgentMonitoring> monitoring,
                      AgentMonitoring::Start(monitoring_options, options.sensor,
                                             options.out_dir, options.interval,
                                             writer_capacity));
  if (monitoring->http_port() > 0) {
    std::printf(
        "darkscope: serving /metrics, /v1/snapshot/latest and /healthz on %s "
        "(port %d)\n",
        options.monitoring.http_address.c_str(), monitoring->http_port());
    std::fflush(stdout);
  }

  LivenessWatch watch(*plane, options.interface, options.xdp_mode);
  IntervalCutter cutter(*plane);
  SnapshotWriter writer(std::move(files), writer_capacity,
                        monitoring->write_observer());
  // What an earlier agent left in the epoch the program is not counting
  // into; it joins the first snapshot.
  EpochCounts carried;
  if (plane->adopted()) {
    DS_ASSIGN_OR_RETURN(EpochCounts held, cutter.AdoptAndHold());
    DS_RETURN_IF_ERROR(WritePendingInterval(options, *cutter.held_epoch(), held,
                                            writer, carried));
    DS_RETURN_IF_ERROR(cutter.Release());
  } else {
    DS_RETURN_IF_ERROR(cutter.Start());
  }
  // Test only: seconds to pause after each cut but the first, before its
  // snapshot is queued (the window a kill must not lose).
  absl::Duration pause_after_cut;
  if (const char* pause = std::getenv("DARKSCOPE_TEST_PAUSE_AFTER_CUT")) {
    int seconds = 0;
    if (absl::SimpleAtoi(pause, &seconds) && seconds > 0)
      pause_after_cut = absl::Seconds(seconds);
  }

  uint64_t released_unwritten = 0;
  const int64_t interval_seconds = absl::ToInt64Seconds(options.interval);
  absl::Time start = IntervalStart(absl::Now(), options.interval);
  bool first = true;
  for (;;) {
    const absl::Time boundary = start + options.interval;
    const bool stopping = WaitForSignalUntil(boundary, signals);
    if (stopping && options.keep_attached && !options.bpffs.empty()) {
      // No cut: the interval in progress stays in the kernel for the next
      // agent. The samples' sockets close with this one.
      if (sampler) {
        DS_RETURN_IF_ERROR(plane->SetSamplePolicy({}));
        sampler->Stop();
      }
      std::printf(
          "darkscope: stopping: --keep-attached: xdp_count_darknet stays "
          "attached to "
          "%s and counting, pinned in %s; the next `darkscope run` completes "
          "the "
          "interval started at %s\n",
          options.interface.c_str(), plane->pin_directory().c_str(),
          SnapshotFileName(start).c_str());
      return absl::OkStatus();
    }
    // Before a stop detaches it: was the program there to count?
    std::map<std::string, uint64_t> liveness_counters;
    const bool seen = watch.CheckInterval(liveness_counters);
    if (stopping) {
      // Detached first, so that the last cut holds every packet counted
      // (an adopted plane, kept until its first cut, is let go here too).
      plane->KeepAttached(false);
      if (absl::Status s = plane->Detach(); !s.ok()) {
        std::fprintf(stderr, "darkscope: %s\n",
                     std::string(s.message()).c_str());
      }
    }

    // Cut: new packets go to the other epoch; the old one is read.
    const absl::Time drain_began = absl::Now();
    Snapshot snapshot;
    snapshot.sensor = options.sensor;
    snapshot.darknet = options.data_plane.prefixes;
    snapshot.interval_start = start;
    snapshot.interval_seconds = static_cast<uint32_t>(interval_seconds);
    // A flip a whole interval late (a stalled host) covers more than the
    // interval it is named after.
    const bool late = drain_began - boundary >= options.interval;
    snapshot.complete = !first && !stopping && !late && seen;
    // The epoch cut last must be empty before the flip back to it; its
    // snapshot was given until now to become durable.
    if (cutter.held_epoch().has_value()) {
      ++released_unwritten;
      std::fprintf(stderr,
                   "darkscope: the snapshot of the interval before %s is not "
                   "on disk yet (held in memory by the writer); emptying its "
                   "epoch in the kernel anyway\n",
                   SnapshotFileName(start).c_str());
    }
    absl::Status released = cutter.Release();
    // Durably, before the flip: which epoch holds which interval, until
    // its snapshot is written.
    if (released.ok()) {
      const CutState cut_state = {.epoch = cutter.epoch(),
                                  .interval_start = start,
                                  .interval_seconds = snapshot.interval_seconds,
                                  .complete = snapshot.complete};
      if (absl::Status s = WriteCutState(options.out_dir, cut_state); !s.ok()) {
        std::fprintf(stderr, "darkscope: %s\n", s.ToString().c_str());
        RemoveCutState(options.out_dir);
      }
    }
    absl::StatusOr<EpochCounts> counts =
        released.ok() ? cutter.CutAndHold() : released;
    if (!counts.ok()) {
      // The kernel side is in a state the agent cannot read: stop rather
      // than write snapshots that miss counts, and leave the program
      // counting for the next agent (RunAgent says so).
      plane->KeepAttached(true);
      return absl::InternalError(absl::StrCat("drain of the interval at ",
                                              SnapshotFileName(start), ": ",
                                              counts.status().message()));
    }
    snapshot.counts = std::move(*counts);
    if (first && plane->adopted()) {
      AddCounts(carried, snapshot.counts);
      snapshot.agent_counters["adopted_pinned_program"] = 1;
      if (plane->found_on_interface())
        snapshot.agent_counters["adopted_from_interface"] = 1;
    }
    const SnapshotWriterStats stats = writer.stats();
    const std::map<std::string, uint64_t> figures = {
        {"drain_microseconds", static_cast<uint64_t>(absl::ToInt64Microseconds(
                                   absl::Now() - drain_began))},
        {"snapshots_written", stats.written},
        {"snapshot_write_errors", stats.write_errors},
        {"snapshots_dropped", stats.dropped},
        {"snapshots_lost", stats.lost},
        {"writer_queue_depth", stats.queue_depth},
        {"writer_disk_fault", stats.disk_fault},
        {"epochs_released_unwritten", released_unwritten},
    };
    snapshot.agent_counters.insert(figures.begin(), figures.end());
    snapshot.agent_counters.insert(liveness_counters.begin(),
                                   liveness_counters.end());
    std::vector<SampleFile> samples;
    if (sampler) {
      // At a stop the rings are reaped to the end first: the last file
      // holds every frame the sockets received.
      if (stopping) sampler->Stop();
      sampler->Rotate(start, samples, snapshot.agent_counters);
      snapshot.agent_counters["sample_files_written"] = stats.files_written;
      snapshot.agent_counters["sample_file_write_errors"] =
          stats.file_write_errors;
      snapshot.agent_counters["sample_files_dropped"] = stats.files_dropped;
    }
    monitoring->AfterDrain(snapshot, absl::Now() - drain_began, late, stats,
                           watch.figures());
    if (pause_after_cut > absl::ZeroDuration() && !first) {
      std::printf("darkscope: test: paused after the cut of %s\n",
                  SnapshotFileName(start).c_str());
      std::fflush(stdout);
      absl::SleepFor(pause_after_cut);
    }
    // The snapshot first: a backed-up queue drops sample files before it.
    writer.Enqueue(std::move(snapshot));
    for (SampleFile& file : samples) {
      writer.EnqueueFile(std::move(file.name), std::move(file.chunks));
    }
    // Once the snapshot is durable its epoch is emptied in the kernel;
    // until then a kill loses nothing (the next agent writes it).
    if (writer.WaitWritten(start, options.interval / 2)) {
      if (absl::Status s = cutter.Release(); !s.ok()) {
        plane->KeepAttached(true);
        return absl::InternalError(absl::StrCat("drain of the interval at ",
                                                SnapshotFileName(start), ": ",
                                                s.message()));
      }
    }

    if (stopping) break;
    if (!seen) watch.Recover();  // for the interval that starts now
    if (first) {
      // What an adopted program counted is now in a snapshot: from here on
      // a failure may detach it as the user asked.
      plane->KeepAttached(options.keep_attached);
    }
    first = false;
    // Normally the next boundary; later if the agent fell behind.
    start = IntervalStart(absl::Now(), options.interval);
    if (start < boundary) start = boundary;
  }
  std::printf(
      "darkscope: stopping: wrote the last interval, detaching from %s\n",
      options.interface.c_str());
  return absl::OkStatus();
}

}  // namespace

}  // namespace darkscope
