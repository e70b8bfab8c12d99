// darkscope: the one binary, with subcommands.
//
//   darkscope run --iface IF --prefix CIDR [--prefix CIDR ...]
//                 --interval DURATION --out DIR [--sensor NAME]
//                 [--xdp-mode native|skb|auto] [--config FILE] [--http ADDR:PORT]
//                 [--retain-age DURATION] [--retain-bytes SIZE]
//                 [--sample-rate N] [--sample-first K] [--sample-pps P]
//                 [--sample-max-bytes B] [--queues LIST] [--sample-cpus LIST]
//                 [--sample-umem-frames F] [--sample-ring-size R] [--sample-batch B]
//                 [--bpffs DIR] [--keep-attached] [--replace-pinned]
//                 [--writer-backlog N]
//   darkscope detach --iface IF [--bpffs DIR]
//   darkscope cat [--format jsonl|csv] [--table T] PATH...
//   darkscope gen [--scenario NAME|FILE] [--pcap FILE] [--truth DIR] [--send IF]
//   darkscope replay --prefix CIDR... --interval DURATION --out DIR FILE...
//   darkscope report --in DIR... --from T --to T [--format text|json|html]
//   darkscope rollup --in DIR...
//
// Flags are abseil flags, defined here only. They are parsed by this file's
// own loop over absl's flag registry so that any bad flag or value is a
// one-line error with exit status 2 (absl::ParseCommandLine exits 1), and so
// that --prefix may be repeated.
#include <net/if.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <new>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/algorithm/container.h"
#include "absl/flags/reflection.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "cat/cat.h"
#include "common/reader_memory.h"
#include "common/status.h"
#include "gen/generate.h"
#include "report/html.h"
#include "rollup/rollup.h"
#include "report/report.h"
#include "common/prefix.h"
#if DARKSCOPE_KERNEL_SIDE
#include "agent/agent.h"
#include "agent/privileges.h"
#include "config/config_file.h"
#include "replay/replay.h"
#endif

ABSL_FLAG(std::string, iface, "", "run: interface that receives the darknet");
ABSL_FLAG(std::vector<std::string>, prefix, {},
          "run: darknet prefix (CIDR); repeat for several");
ABSL_FLAG(absl::Duration, interval, absl::Seconds(60),
          "run: snapshot interval; boundaries are multiples of it in UTC");
ABSL_FLAG(std::string, out, "", "run: directory for snapshot files");
ABSL_FLAG(std::string, sensor, "", "run: sensor name (default: host name)");
ABSL_FLAG(std::string, xdp_mode, "auto", "run: native, skb or auto");
ABSL_FLAG(std::string, darknet_action, "drop",
          "run: drop (default) or pass darknet packets after counting");
ABSL_FLAG(std::string, hash_layout, "shared",
          "run: shared or percpu source/destination/flow tables (docs/maps.md)");
ABSL_FLAG(uint32_t, sample_rate, 0,
          "run: sample 1 in N darknet packets per CPU to pcapng (0: none, 1: all)");
ABSL_FLAG(uint32_t, sample_first, 0,
          "run: also sample the first K packets of each source /24 (/48) per interval");
ABSL_FLAG(uint64_t, sample_pps, 10000,
          "run: at most this many sampled packets per second per CPU (0: no limit)");
ABSL_FLAG(uint64_t, sample_max_bytes, 64ull << 20,
          "run: pcapng bytes per interval, all queues; frames over it are counted");
ABSL_FLAG(std::string, queues, "", "run: rx queues to sample, e.g. 0,2-3 (default: all)");
ABSL_FLAG(std::string, sample_cpus, "",
          "run: CPU of each sampled queue's thread, in --queues order (default: unpinned)");
ABSL_FLAG(uint32_t, sample_umem_frames, 4096, "run: AF_XDP UMEM buffers per queue, all on the fill ring (power of 2)");
ABSL_FLAG(uint32_t, sample_ring_size, 2048, "run: AF_XDP rx ring entries per queue (power of 2)");
ABSL_FLAG(uint32_t, sample_batch, 64, "run: frames reaped from a ring at a time");
ABSL_FLAG(std::string, send, "", "gen: interface to send the frames on");
ABSL_FLAG(std::string, scenario, "demo", "gen: built-in scenario (demo, telescope) or file");
ABSL_FLAG(uint64_t, packets, 0, "gen: frames (0: as the scenario says)");
ABSL_FLAG(std::string, pcap, "", "gen: write the frames to this pcap file");
ABSL_FLAG(std::string, truth, "", "gen: write the ground truth snapshots to this directory");
ABSL_FLAG(uint64_t, rate, 0, "gen: frames per second, 0 for as fast as possible");
ABSL_FLAG(absl::Duration, max_time, absl::Seconds(60), "gen: stop sending after this long");
ABSL_FLAG(uint64_t, seed, 0, "gen: random seed (0: as the scenario says)");
ABSL_FLAG(std::string, format, "", "cat: jsonl (default) or csv; report: text (default), json or html");
ABSL_FLAG(std::vector<std::string>, in, {},
          "report, rollup: a sensor's snapshot directory; repeat");
ABSL_FLAG(std::string, from, "", "report: start of the period (RFC 3339)");
ABSL_FLAG(std::string, to, "", "report: end of the period (RFC 3339)");
ABSL_FLAG(std::string, previous, "auto", "report: auto (the same length before) or FROM..TO");
ABSL_FLAG(int, top, 10, "report: entries in the top-N tables");
ABSL_FLAG(std::string, time_zone, "Asia/Tokyo",
          "report: the local time zone of the hour-of-day profiles (besides UTC)");
ABSL_FLAG(std::string, geo_dir, "", "report: enrichment data (default /usr/local/share/darkscope/geo)");
ABSL_FLAG(std::string, table, "", "cat: only this table");
// Operations of `run` (issue 7).
ABSL_FLAG(std::string, config, "",
          "run: config file of `key = value` lines (keys: run's flags); flags override it");
ABSL_FLAG(std::string, http, "127.0.0.1:9464",
          "run: ADDR:PORT of /metrics, /v1/snapshot/latest, /healthz; empty: off");
ABSL_FLAG(absl::Duration, retain_age, absl::ZeroDuration(),
          "run: delete snapshots and samples older than this (0: keep)");
ABSL_FLAG(std::string, retain_bytes, "0",
          "run: keep snapshots and samples within this total, e.g. 50G (0: no limit)");
ABSL_FLAG(std::string, bpffs, "/sys/fs/bpf",
          "run, detach: bpffs mount point of the pins, BPFFS/darkscope/IFACE (mounted if "
          "missing); run: empty for no pins");
ABSL_FLAG(bool, keep_attached, false,
          "run: on SIGINT/SIGTERM leave the program attached, counting and pinned; the next "
          "run on the interface adopts it and completes the interval");
ABSL_FLAG(bool, replace_pinned, false,
          "run: detach and replace a pinned program of another layout or other settings "
          "(its counts since its last snapshot are discarded) instead of refusing");
ABSL_FLAG(bool, allow_own_addresses, false,
          "run: take --prefix blocks that hold an address of this host (its own traffic "
          "is then counted, and dropped with --darknet-action drop)");
ABSL_FLAG(uint64_t, writer_backlog, 16,
          "run: snapshots held in memory while the output directory is slow, full or "
          "read-only, at most");

namespace darkscope {
namespace {

// Exit statuses: a refusal (bad flags, pins of another layout, the
// interface held by another agent) is 2, which the unit does not restart;
// an internal error at run time (the drain failed, the program is left
// attached for the next agent to adopt) is 1, which it does.
constexpr int kUsageError = 2;
constexpr int kInternalError = 1;

const char* const kRunFlags[] = {"iface",  "prefix",   "interval",
                                 "out",    "sensor",   "xdp_mode",
                                 "darknet_action", "hash_layout",
                                 "sample_rate", "sample_first", "sample_pps",
                                 "sample_max_bytes", "queues", "sample_cpus",
                                 "sample_umem_frames", "sample_ring_size", "sample_batch"};
const char* const kRunOpsFlags[] = {"config",        "http",           "retain_age",
                                    "retain_bytes",  "bpffs",          "keep_attached",
                                    "replace_pinned", "writer_backlog",
                                    "allow_own_addresses"};
const char* const kDetachFlags[] = {"iface", "bpffs"};
const char* const kCatFlags[] = {"format", "table"};
const char* const kGenFlags[] = {"send",     "scenario", "packets", "rate",
                                 "max_time", "seed",     "pcap",    "truth"};
const char* const kRollupFlags[] = {"in"};
const char* const kReportFlags[] = {"in",     "from",    "to",      "previous", "top",
                                    "format", "out",     "geo_dir", "time_zone"};
const char* const kReplayFlags[] = {"prefix", "interval", "out", "sensor",
                                    "darknet_action", "hash_layout"};

int Fail(absl::string_view command, absl::string_view message) {
  std::fprintf(stderr, "darkscope %s: %s\n", std::string(command).c_str(),
               std::string(message).c_str());
  return kUsageError;
}

// Parses argv[2..] into flags (only those in `allowed`) and positional
// arguments. --prefix accumulates.
absl::Status ParseFlags(int argc, char** argv, absl::Span<const char* const> allowed,
                        std::vector<std::string>& positional) {
  std::vector<std::string> prefixes, ins;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (!absl::StartsWith(arg, "-") || arg == "-") {
      positional.push_back(arg);
      continue;
    }
    if (arg == "--") {
      for (++i; i < argc; ++i) positional.push_back(argv[i]);
      break;
    }
    std::string name = arg.substr(arg[1] == '-' ? 2 : 1);
    std::string value;
    bool has_value = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    for (char& c : name) {
      if (c == '-') c = '_';
    }
    bool known = false;
    for (const char* a : allowed) known |= name == a;
    absl::CommandLineFlag* flag = known ? absl::FindCommandLineFlag(name) : nullptr;
    if (flag == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag '", arg, "'"));
    }
    if (!has_value && flag->IsOfType<bool>()) {
      value = "true";  // --keep-attached alone
      has_value = true;
    }
    if (!has_value) {
      if (i + 1 >= argc) {
        return absl::InvalidArgumentError(absl::StrCat("flag '", arg, "' needs a value"));
      }
      value = argv[++i];
    }
    if (name == "prefix" || name == "in") {  // repeatable
      (name == "prefix" ? prefixes : ins).push_back(value);
      continue;
    }
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad value '", value, "' for --", name, ": ", error));
    }
  }
  if (!prefixes.empty()) absl::SetFlag(&FLAGS_prefix, prefixes);
  if (!ins.empty()) absl::SetFlag(&FLAGS_in, ins);
  return absl::OkStatus();
}

// ParseFlags for a command that takes no positional argument.
absl::Status ParseFlagsOnly(int argc, char** argv, absl::Span<const char* const> allowed) {
  std::vector<std::string> positional;
  DS_RETURN_IF_ERROR(ParseFlags(argc, argv, allowed, positional));
  if (!positional.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("unexpected argument '", positional[0], "'"));
  }
  return absl::OkStatus();
}

#if DARKSCOPE_KERNEL_SIDE
// The data plane settings shared by run and replay.
absl::Status DataPlaneFromFlags(DataPlaneOptions& options) {
  for (const std::string& text : absl::GetFlag(FLAGS_prefix)) {
    DS_ASSIGN_OR_RETURN(Prefix prefix, ParseDarknetPrefix(text));
    options.prefixes.push_back(prefix);
  }
  if (options.prefixes.empty()) {
    return absl::InvalidArgumentError("at least one --prefix is required");
  }
  const std::string action = absl::GetFlag(FLAGS_darknet_action);
  if (action != "drop" && action != "pass") {
    return absl::InvalidArgumentError(
        absl::StrCat("--darknet-action ", action, ": expected drop or pass"));
  }
  options.action = action == "drop" ? DarknetAction::kDrop : DarknetAction::kPass;
  const std::string layout = absl::GetFlag(FLAGS_hash_layout);
  if (layout != "shared" && layout != "percpu") {
    return absl::InvalidArgumentError(
        absl::StrCat("--hash-layout ", layout, ": expected shared or percpu"));
  }
  options.hash_layout = layout == "shared" ? HashLayout::kShared : HashLayout::kPerCpu;
  return absl::OkStatus();
}

// Sets run's flags from the config file `path`; errors name file and line.
absl::Status ApplyConfigFile(const std::string& path, absl::Span<const char* const> allowed) {
  DS_ASSIGN_OR_RETURN(std::vector<ConfigEntry> entries, ReadConfigFile(path));
  std::vector<std::string> prefixes;
  for (const ConfigEntry& entry : entries) {
    const std::string where = absl::StrCat(path, ":", entry.line, ": ");
    bool known = entry.key != "config";
    if (known) known = absl::c_linear_search(allowed, entry.key);
    absl::CommandLineFlag* flag = known ? absl::FindCommandLineFlag(entry.key) : nullptr;
    if (flag == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(where, "unknown key '", entry.key, "'"));
    }
    if (entry.key == "prefix") {
      prefixes.push_back(entry.value);
      continue;
    }
    std::string error;
    if (!flag->ParseFrom(entry.value, &error)) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "bad value '", entry.value, "' for ", entry.key, ": ", error));
    }
  }
  if (!prefixes.empty()) absl::SetFlag(&FLAGS_prefix, prefixes);
  return absl::OkStatus();
}

// The operations options of run from its flags.
absl::Status MonitoringFromFlags(MonitoringOptions& options) {
  options.http_address = absl::GetFlag(FLAGS_http);
  options.retention.max_age = absl::GetFlag(FLAGS_retain_age);
  if (options.retention.max_age < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--retain-age must not be negative");
  }
  absl::StatusOr<uint64_t> bytes = ParseByteSize(absl::GetFlag(FLAGS_retain_bytes));
  if (!bytes.ok()) return absl::InvalidArgumentError(absl::StrCat("--retain-bytes ", bytes.status().message()));
  options.retention.max_bytes = *bytes;
  return absl::OkStatus();
}

int Run(int argc, char** argv) {
  std::vector<std::string> positional;
  std::vector<const char*> allowed(std::begin(kRunFlags), std::end(kRunFlags));
  allowed.insert(allowed.end(), std::begin(kRunOpsFlags), std::end(kRunOpsFlags));
  if (absl::Status s = ParseFlags(argc, argv, allowed, positional); !s.ok()) {
    return Fail("run", s.message());
  }
  // The config file under the command line: apply it, then the flags again.
  if (const std::string config = absl::GetFlag(FLAGS_config); !config.empty()) {
    if (absl::Status s = ApplyConfigFile(config, allowed); !s.ok()) return Fail("run", s.message());
    positional.clear();
    if (absl::Status s = ParseFlags(argc, argv, allowed, positional); !s.ok()) {
      return Fail("run", s.message());
    }
  }

  if (!positional.empty()) {
    return Fail("run", absl::StrCat("unexpected argument '", positional[0], "'"));
  }
  AgentOptions options;
  if (absl::Status s = MonitoringFromFlags(options.monitoring); !s.ok()) {
    return Fail("run", s.message());
  }
  options.interface = absl::GetFlag(FLAGS_iface);
  options.interval = absl::GetFlag(FLAGS_interval);
  options.out_dir = absl::GetFlag(FLAGS_out);
  options.bpffs = absl::GetFlag(FLAGS_bpffs);
  options.keep_attached = absl::GetFlag(FLAGS_keep_attached);
  options.replace_pinned = absl::GetFlag(FLAGS_replace_pinned);
  options.allow_own_addresses = absl::GetFlag(FLAGS_allow_own_addresses);
  options.writer_queue = absl::GetFlag(FLAGS_writer_backlog);
  if (options.writer_queue == 0) return Fail("run", "--writer-backlog must be at least 1");
  if (options.keep_attached && options.bpffs.empty()) {
    return Fail("run", "--keep-attached needs pins: --bpffs must not be empty");
  }
  options.sensor = absl::GetFlag(FLAGS_sensor);
  if (options.sensor.empty()) {
    char host[256] = {};
    gethostname(host, sizeof(host) - 1);
    options.sensor = host;
  }
  if (absl::Status s = DataPlaneFromFlags(options.data_plane); !s.ok()) {
    return Fail("run", s.message());
  }
  const std::string mode = absl::GetFlag(FLAGS_xdp_mode);
  if (mode == "native") {
    options.xdp_mode = XdpMode::kNative;
  } else if (mode == "skb") {
    options.xdp_mode = XdpMode::kSkb;
  } else if (mode == "auto") {
    options.xdp_mode = XdpMode::kAuto;
  } else {
    return Fail("run", absl::StrCat("--xdp-mode ", mode, ": expected native, skb or auto"));
  }
  options.sample_policy = {.rate = absl::GetFlag(FLAGS_sample_rate),
                           .first = absl::GetFlag(FLAGS_sample_first),
                           .pps = absl::GetFlag(FLAGS_sample_pps)};
  options.sampler.max_bytes = absl::GetFlag(FLAGS_sample_max_bytes);
  options.sampler.umem_frames = absl::GetFlag(FLAGS_sample_umem_frames);
  options.sampler.ring_size = absl::GetFlag(FLAGS_sample_ring_size);
  options.sampler.batch = absl::GetFlag(FLAGS_sample_batch);
  if (const std::string queues = absl::GetFlag(FLAGS_queues); !queues.empty()) {
    absl::StatusOr<std::vector<uint32_t>> list = ParseIndexList(queues);
    if (!list.ok()) return Fail("run", absl::StrCat("--queues: ", list.status().message()));
    options.sampler.queues = *list;
  }
  if (const std::string cpus = absl::GetFlag(FLAGS_sample_cpus); !cpus.empty()) {
    absl::StatusOr<std::vector<uint32_t>> list = ParseIndexList(cpus);
    if (!list.ok()) return Fail("run", absl::StrCat("--sample-cpus: ", list.status().message()));
    options.sampler.cpus.assign(list->begin(), list->end());
  }
  if (absl::Status s = ValidateAgentOptions(options); !s.ok()) {
    return Fail("run", s.message());
  }
  const bool sampling = options.sample_policy.rate > 0 || options.sample_policy.first > 0;
  if (absl::Status s = CheckAttachCapabilities(sampling); !s.ok()) {
    return Fail("run", s.message());
  }
  // SIGINT and SIGTERM are taken by the interval loop (sigtimedwait);
  // blocked before any thread starts so that every thread inherits it.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  if (absl::Status s = RunAgent(options); !s.ok()) {
    const int refused = Fail("run", s.message());
    return absl::IsInternal(s) ? kInternalError : refused;
  }
  return 0;
}

// `darkscope detach`: the program a kept-attached or killed agent left.
int Detach(int argc, char** argv) {
  if (absl::Status s = ParseFlagsOnly(argc, argv, kDetachFlags); !s.ok()) {
    return Fail("detach", s.message());
  }
  const std::string iface = absl::GetFlag(FLAGS_iface);
  const std::string bpffs = absl::GetFlag(FLAGS_bpffs);
  if (iface.empty()) return Fail("detach", "--iface is required");
  if (bpffs.empty()) return Fail("detach", "--bpffs must not be empty");
  // The interface may be gone; the pins are removed all the same.
  const int ifindex = static_cast<int>(if_nametoindex(iface.c_str()));
  absl::StatusOr<std::string> done = DataPlane::DetachPinned(bpffs, iface, ifindex);
  if (absl::IsNotFound(done.status())) {
    std::printf("darkscope detach: %s\n", std::string(done.status().message()).c_str());
    return 0;
  }
  if (!done.ok()) return Fail("detach", done.status().message());
  std::printf("darkscope detach: %s\n", done->c_str());
  return 0;
}
#endif  // DARKSCOPE_KERNEL_SIDE

int Cat(int argc, char** argv) {
  std::vector<std::string> paths;
  if (absl::Status s = ParseFlags(argc, argv, kCatFlags, paths); !s.ok()) {
    return Fail("cat", s.message());
  }
  CatOptions options;
  const std::string format = absl::GetFlag(FLAGS_format);
  if (format == "jsonl" || format.empty()) {
    options.format = CatFormat::kJsonLines;
  } else if (format == "csv") {
    options.format = CatFormat::kCsv;
  } else {
    return Fail("cat", absl::StrCat("--format ", format, ": expected jsonl or csv"));
  }
  options.table = absl::GetFlag(FLAGS_table);
  if (!options.table.empty()) {
    bool known = false;
    for (const char* t : kCatTables) known |= options.table == t;
    if (!known) {
      return Fail("cat", absl::StrCat("--table ", options.table, ": expected one of ",
                                      absl::StrJoin(kCatTables, ", ")));
    }
  }
  if (paths.empty()) return Fail("cat", "no snapshot file or directory given");
  absl::StatusOr<std::vector<std::string>> files = ListSnapshotFiles(paths);
  if (!files.ok()) return Fail("cat", files.status().message());
  return CatSnapshots(*files, options, std::cout, std::cerr) == 0 ? 0 : 1;
}

int Gen(int argc, char** argv) {
  if (absl::Status s = ParseFlagsOnly(argc, argv, kGenFlags); !s.ok()) {
    return Fail("gen", s.message());
  }
  GenerateOptions options;
  options.scenario = absl::GetFlag(FLAGS_scenario);
  if (absl::GetFlag(FLAGS_packets) > 0) options.packets = absl::GetFlag(FLAGS_packets);
  if (absl::GetFlag(FLAGS_seed) > 0) options.seed = absl::GetFlag(FLAGS_seed);
  options.pcap = absl::GetFlag(FLAGS_pcap);
  options.truth_dir = absl::GetFlag(FLAGS_truth);
  options.send_interface = absl::GetFlag(FLAGS_send);
  options.rate = absl::GetFlag(FLAGS_rate);
  options.max_time = absl::GetFlag(FLAGS_max_time);
  if (absl::Status s = RunGenerate(options); !s.ok()) return Fail("gen", s.message());
  return 0;
}

#if DARKSCOPE_KERNEL_SIDE
int Replay(int argc, char** argv) {
  ReplayOptions options;
  if (absl::Status s = ParseFlags(argc, argv, kReplayFlags, options.files); !s.ok()) {
    return Fail("replay", s.message());
  }
  if (absl::Status s = DataPlaneFromFlags(options.data_plane); !s.ok()) {
    return Fail("replay", s.message());
  }
  options.interval = absl::GetFlag(FLAGS_interval);
  if (options.interval < absl::Seconds(1) || options.interval % absl::Seconds(1) != absl::ZeroDuration()) {
    return Fail("replay", "--interval must be whole seconds, at least 1s");
  }
  options.out_dir = absl::GetFlag(FLAGS_out);
  if (options.out_dir.empty()) return Fail("replay", "--out is required");
  if (!absl::GetFlag(FLAGS_sensor).empty()) options.sensor = absl::GetFlag(FLAGS_sensor);
  if (options.files.empty()) return Fail("replay", "no capture file given");
  options.progress = isatty(STDERR_FILENO);
  if (geteuid() != 0) {
    return Fail("replay", "needs root (CAP_BPF) to load the XDP program for BPF_PROG_TEST_RUN");
  }
  if (absl::Status s = RunReplay(options); !s.ok()) {
    std::fprintf(stderr, "darkscope replay: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  return 0;
}
#endif  // DARKSCOPE_KERNEL_SIDE

absl::StatusOr<absl::Time> ParseTimeFlag(const char* name, const std::string& text) {
  absl::Time t;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, text, &t, &error)) {
    return absl::InvalidArgumentError(absl::StrCat("--", name, " '", text, "': ", error));
  }
  return t;
}

int Report(int argc, char** argv) {
  KeepFreedMemoryForReuse();
  if (absl::Status s = ParseFlagsOnly(argc, argv, kReportFlags); !s.ok()) {
    return Fail("report", s.message());
  }
  ReportOptions options;
  options.dirs = absl::GetFlag(FLAGS_in);
  if (options.dirs.empty()) return Fail("report", "at least one --in DIR is required");
  absl::StatusOr<absl::Time> from = ParseTimeFlag("from", absl::GetFlag(FLAGS_from));
  absl::StatusOr<absl::Time> to = ParseTimeFlag("to", absl::GetFlag(FLAGS_to));
  if (!from.ok()) return Fail("report", from.status().message());
  if (!to.ok()) return Fail("report", to.status().message());
  options.from = *from;
  options.to = *to;
  const std::string previous = absl::GetFlag(FLAGS_previous);
  if (previous != "auto") {
    std::vector<std::string> ends = absl::StrSplit(previous, "..");
    if (ends.size() != 2) return Fail("report", "--previous must be auto or FROM..TO");
    absl::StatusOr<absl::Time> pf = ParseTimeFlag("previous", ends[0]);
    absl::StatusOr<absl::Time> pt = ParseTimeFlag("previous", ends[1]);
    if (!pf.ok() || !pt.ok()) return Fail("report", "--previous: times must be RFC 3339");
    options.previous_from = *pf;
    options.previous_to = *pt;
  }
  options.top = absl::GetFlag(FLAGS_top);
  options.geo_dir = absl::GetFlag(FLAGS_geo_dir);
  options.local_time_zone = absl::GetFlag(FLAGS_time_zone);
  options.progress = isatty(STDERR_FILENO);
  const std::string format = absl::GetFlag(FLAGS_format).empty() ? "text" : absl::GetFlag(FLAGS_format);
  if (format != "text" && format != "json" && format != "html") {
    return Fail("report", absl::StrCat("--format ", format, ": expected text, json or html"));
  }
  absl::StatusOr<nlohmann::json> report = BuildReport(options);
  if (!report.ok()) return Fail("report", report.status().message());
  std::ofstream file;
  const std::string out_path = absl::GetFlag(FLAGS_out);
  if (!out_path.empty()) {
    file.open(out_path);
    if (!file) return Fail("report", absl::StrCat("cannot write '", out_path, "'"));
  }
  std::ostream& out = out_path.empty() ? std::cout : file;
  if (format == "json") {
    out << report->dump(2) << "\n";
  } else if (format == "html") {
    out << RenderReportHtml(*report);
  } else {
    PrintReportText(*report, out);
  }
  return 0;
}

int Rollup(int argc, char** argv) {
  KeepFreedMemoryForReuse();
  if (absl::Status s = ParseFlagsOnly(argc, argv, kRollupFlags); !s.ok()) {
    return Fail("rollup", s.message());
  }
  RollupOptions options;
  options.dirs = absl::GetFlag(FLAGS_in);
  if (options.dirs.empty()) return Fail("rollup", "at least one --in DIR is required");
  options.progress = isatty(STDERR_FILENO);
  absl::StatusOr<RollupResult> result = RunRollup(options);
  if (!result.ok()) {
    std::fprintf(stderr, "darkscope rollup: %s\n", std::string(result.status().message()).c_str());
    return 1;
  }
  for (const std::string& skipped : result->skipped) {
    std::fprintf(stderr, "darkscope rollup: skipped %s\n", skipped.c_str());
  }
  std::printf("darkscope rollup: %d hourly and %d daily roll-ups written, %d up to date\n",
              result->hourly_written, result->daily_written, result->up_to_date);
  return 0;
}

constexpr const char* kUsage =
    "usage:\n"
    "  darkscope run --iface IF --prefix CIDR [--prefix CIDR ...] --interval DURATION\n"
    "                --out DIR [--sensor NAME] [--xdp-mode native|skb|auto]\n"
    "                [--darknet-action drop|pass] [--hash-layout shared|percpu]\n"
    "                [--config FILE] [--http ADDR:PORT] [--retain-age DURATION]\n"
    "                [--retain-bytes SIZE] [--bpffs DIR] [--keep-attached]\n"
    "                [--replace-pinned] [--writer-backlog N] [--allow-own-addresses]\n"
    "  darkscope detach --iface IF [--bpffs DIR]\n"
    "  darkscope cat [--format jsonl|csv] [--table T] PATH...\n"
    "  darkscope gen [--scenario NAME|FILE] [--pcap FILE] [--truth DIR] [--send IF]\n"
    "                [--packets N] [--seed N] [--rate PPS] [--max-time DURATION]\n"
    "  darkscope replay --prefix CIDR [--prefix CIDR ...] --interval DURATION --out DIR\n"
    "                [--sensor NAME] FILE...\n"
    "  darkscope report --in DIR [--in DIR ...] --from T --to T [--previous auto|T..T]\n"
    "                [--top N] [--format text|json|html] [--out FILE] [--geo-dir DIR]\n"
    "                [--time-zone TZ]\n"
    "  darkscope rollup --in DIR [--in DIR ...]\n";

}  // namespace
}  // namespace darkscope

namespace {

int Dispatch(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(darkscope::kUsage, stderr);
    return darkscope::kUsageError;
  }
  const std::string command = argv[1];
#if DARKSCOPE_KERNEL_SIDE
  if (command == "run") return darkscope::Run(argc, argv);
  if (command == "detach") return darkscope::Detach(argc, argv);
  if (command == "replay") return darkscope::Replay(argc, argv);
#else
  if (command == "run" || command == "detach" || command == "replay") {
    std::fprintf(stderr,
                 "darkscope %s: this build has no kernel side "
                 "(configured with -DDARKSCOPE_KERNEL_SIDE=OFF)\n",
                 command.c_str());
    return darkscope::kUsageError;
  }
#endif
  if (command == "cat") return darkscope::Cat(argc, argv);
  if (command == "gen") return darkscope::Gen(argc, argv);
  if (command == "report") return darkscope::Report(argc, argv);
  if (command == "rollup") return darkscope::Rollup(argc, argv);
  if (command == "help" || command == "--help" || command == "-h") {
    std::fputs(darkscope::kUsage, stdout);
    return 0;
  }
  std::fprintf(stderr, "darkscope: unknown command '%s'\n%s", command.c_str(),
               darkscope::kUsage);
  return darkscope::kUsageError;
}

}  // namespace

// The last resort for memory: every input's sizes are bounded before they
// are allocated, but an allocation that still fails ends the command with
// one line and status 1, never an abort.
int main(int argc, char** argv) {
  try {
    return Dispatch(argc, argv);
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "darkscope %s: out of memory\n", argc >= 2 ? argv[1] : "");
    return 1;
  }
}
