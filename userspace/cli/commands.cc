// The rows of cli/commands.h: every subcommand and every flag it takes.
#include "cli/commands.h"

#include <cstdint>

#include "darkscope/abi.h"

namespace darkscope::cli {
namespace {

using T = FlagType;

// The data plane's settings, shared by run and replay.
constexpr FlagSpec kDarknetAction = {
    "darknet-action", T::kChoice, "drop|pass", "drop",
    "drop darknet packets after counting them, or pass them on"};
constexpr FlagSpec kHashLayout = {
    "hash-layout", T::kChoice, "shared|percpu", "shared",
    "one shared or per-CPU source/destination/flow tables (docs/maps.md)"};
// The keyed tables' bounds (abi.h's defaults; docs/maps.md, Memory).
constexpr FlagSpec kMaxSources = {
    "max-sources", T::kUint32, "N", "262144",
    "source /24s (/48s) per interval; more count overflow_sources"};
constexpr FlagSpec kMaxDestinations = {
    "max-destinations", T::kUint32, "N", "65536",
    "destination /24s (/48s) per interval, at most the darknet's; more count "
    "overflow_destinations"};
constexpr FlagSpec kMaxFlows = {
    "max-flows", T::kUint32, "N", "1048576",
    "(source /24, protocol, port) flows per interval; more count "
    "overflow_flows"};

// The defaults above are abi.h's.
constexpr uint64_t Decimal(absl::string_view text) {
  uint64_t value = 0;
  for (char c : text) value = value * 10 + (c - '0');
  return value;
}
static_assert(Decimal(kMaxSources.default_value) == DS_SOURCES_MAX);
static_assert(Decimal(kMaxDestinations.default_value) == DS_DESTINATIONS_MAX);
static_assert(Decimal(kMaxFlows.default_value) == DS_FLOWS_MAX);

constexpr FlagSpec kRunFlags[] = {
    {"iface", T::kString, "IF", "", "interface that receives the darknet",
     kRequired},
    {"prefix", T::kString, "CIDR", "", "darknet prefix; repeat for several",
     kRepeated | kRequired},
    {"interval", T::kDuration, "DURATION", "60s",
     "snapshot interval, dividing a day; boundaries are multiples of it in "
     "UTC"},
    {"out", T::kString, "DIR", "", "directory for snapshot and sample files",
     kRequired},
    {"sensor", T::kString, "NAME", "",
     "sensor name written in each snapshot (empty: host name)"},
    {"xdp-mode", T::kChoice, "native|skb|auto", "auto",
     "attach in the driver (native), generic (skb), or native if the driver "
     "can (auto)"},
    kDarknetAction,
    kHashLayout,
    kMaxSources,
    kMaxDestinations,
    kMaxFlows,
    {"sample-rate", T::kUint32, "N", "0",
     "sample 1 in N darknet packets per CPU to pcapng (0: none, 1: all)"},
    {"sample-first", T::kUint32, "K", "0",
     "also sample the first K packets of each source /24 (/48) per interval"},
    {"sample-pps", T::kUint64, "P", "10000",
     "at most this many sampled packets per second per CPU (0: no limit)"},
    {"sample-max-bytes", T::kUint64, "B", "67108864",
     "pcapng bytes per interval, all queues; frames over it are counted, not "
     "written"},
    {"queues", T::kString, "LIST", "",
     "rx queues to sample, e.g. 0,2-3 (empty: all)"},
    {"sample-cpus", T::kString, "LIST", "",
     "CPU of each sampled queue's thread, in --queues order (empty: unpinned)"},
    {"sample-umem-frames", T::kUint32, "F", "4096",
     "AF_XDP UMEM buffers per queue, all on the fill ring (power of 2)"},
    {"sample-ring-size", T::kUint32, "R", "2048",
     "AF_XDP rx ring entries per queue (power of 2)"},
    {"sample-batch", T::kUint32, "B", "64",
     "frames reaped from an rx ring at a time"},
    {"config", T::kString, "FILE", "",
     "config file of `key = value` lines, keys are these flags' names; flags "
     "override it"},
    {"http", T::kString, "ADDR:PORT", "127.0.0.1:9464",
     "where /metrics, /v1/snapshot/latest and /healthz are served (empty: "
     "off)"},
    {"retain-age", T::kDuration, "DURATION", "0",
     "delete snapshots and samples older than this (0: keep)"},
    {"retain-bytes", T::kString, "SIZE", "0",
     "keep snapshots and samples within this total, e.g. 50G (0: no limit)"},
    {"bpffs", T::kString, "DIR", "/sys/fs/bpf",
     "bpffs of the pins, DIR/darkscope/IFACE, mounted if missing (empty: no "
     "pins)"},
    {"keep-attached", T::kBool, "", "false",
     "on SIGINT/SIGTERM leave the program attached and pinned for the next run "
     "to adopt"},
    {"replace-pinned", T::kBool, "", "false",
     "replace a pinned program of another layout or settings (its unsaved "
     "counts are lost)"},
    {"writer-backlog", T::kUint64, "N", "16",
     "snapshots held in memory while the output directory is slow, full or "
     "read-only"},
    {"allow-own-addresses", T::kBool, "", "false",
     "take --prefix blocks that hold an address of this host (its own traffic "
     "is then counted, and dropped with --darknet-action drop)"},
};

constexpr FlagSpec kDetachFlags[] = {
    {"iface", T::kString, "IF", "",
     "interface whose pinned program is detached", kRequired},
    {"bpffs", T::kString, "DIR", "/sys/fs/bpf",
     "bpffs of the pins, DIR/darkscope/IFACE"},
};

constexpr FlagSpec kCatFlags[] = {
    {"format", T::kChoice, "jsonl|csv", "jsonl", "JSON lines or CSV"},
    {"table", T::kString, "T", "",
     "only this table: summary, ports, src_ports, sources, destinations or "
     "flows (empty: all)"},
};

constexpr FlagSpec kGenFlags[] = {
    {"scenario", T::kString, "NAME|FILE", "demo",
     "built-in scenario (demo, telescope) or scenario file "
     "(docs/scenarios.md)"},
    {"packets", T::kUint64, "N", "0",
     "frames to generate (0: as the scenario says)"},
    {"seed", T::kUint64, "N", "0", "random seed (0: as the scenario says)"},
    {"pcap", T::kString, "FILE", "",
     "write the frames, with their times, to this pcap file"},
    {"truth", T::kString, "DIR", "",
     "write the ground truth snapshots to this directory (created if missing)"},
    {"send", T::kString, "IF", "", "send the frames on this interface"},
    {"rate", T::kUint64, "PPS", "0",
     "frames per second when sending (0: as fast as possible)"},
    {"max-time", T::kDuration, "DURATION", "60s",
     "give up sending after this long"},
};

constexpr FlagSpec kReplayFlags[] = {
    {"prefix", T::kString, "CIDR", "", "darknet prefix; repeat for several",
     kRepeated | kRequired},
    {"interval", T::kDuration, "DURATION", "60s",
     "snapshot interval in packet time, whole seconds"},
    {"out", T::kString, "DIR", "",
     "directory for the snapshots (created if missing)", kRequired},
    {"sensor", T::kString, "NAME", "replay",
     "sensor name written in each snapshot"},
    kDarknetAction,
    kHashLayout,
    kMaxSources,
    kMaxDestinations,
    kMaxFlows,
};

// Where ClickHouse is, for export and for a report read from it.
constexpr FlagSpec kClickHouseDatabase = {
    "database", T::kString, "NAME", "darkscope", "the ClickHouse database"};
constexpr FlagSpec kClickHouseCluster = {
    "cluster", T::kString, "NAME", "",
    "the ClickHouse cluster: Replicated tables on every shard and Distributed "
    "tables sharded by sensor (empty: a single node)"};

constexpr FlagSpec kReportFlags[] = {
    {"in", T::kString, "DIR", "",
     "a sensor's snapshot directory; repeat for several (or --clickhouse)",
     kRepeated},
    {"clickhouse", T::kString, "URL", "",
     "read the snapshots exported to this ClickHouse HTTP URL instead of --in"},
    kClickHouseDatabase,
    kClickHouseCluster,
    {"sensor", T::kString, "NAME", "",
     "only this sensor (the snapshots' sensor name); repeat for several "
     "(none: all)",
     kRepeated},
    {"from", T::kString, "T", "",
     "start of the period: RFC 3339, or a date or time without offset in "
     "--time-zone (none: the input's first snapshot)"},
    {"to", T::kString, "T", "",
     "end of the period, as --from (none: the end of the input's last "
     "snapshot)"},
    {"previous", T::kString, "auto|T..T", "auto",
     "the period compared with: the same length just before (auto), or "
     "FROM..TO (each as --from)"},
    {"top", T::kInt, "N", "10", "entries in the top-N tables"},
    {"series", T::kString, "KIND:KEY,...", "",
     "series of these entries whatever their rank: port:23/tcp, "
     "source_port:123/udp, country:JP, pair:JP:23/tcp, asn:17676 "
     "(comma-separated, repeatable)",
     kRepeated},
    {"country", T::kString, "CC,...", "",
     "only sources in these countries (ISO codes, ?? for unknown); every "
     "section follows (docs/reports.md, Filters)",
     kRepeated},
    {"asn", T::kString, "N,...", "",
     "only sources in these autonomous systems (64500 or AS64500)", kRepeated},
    {"port", T::kString, "PORT/PROTO,...", "",
     "only packets to these destination ports (23/tcp, 53/udp, icmp)",
     kRepeated},
    {"source-port", T::kString, "PORT/PROTO,...", "",
     "only packets from these source ports (the source-port table only)",
     kRepeated},
    {"fingerprint", T::kChoice, "all|mirai|zmap|masscan", "all",
     "only packets with this scanner fingerprint (per port; with source "
     "filters, per source network and port)"},
    {"family", T::kChoice, "all|ipv4|ipv6", "all",
     "only IPv4 or only IPv6 sources (ipv6: the IPv6 view)"},
    {"known-scanners", T::kString, "FILE", "",
     "label source networks listed in FILE (lines CIDR NAME) in the top "
     "sources"},
    {"exclude-known", T::kBool, "", "false",
     "leave the --known-scanners networks out of every section"},
    {"lang", T::kChoice, "en|ja", "en",
     "the language of names and headings (countries by their ISO 3166 name "
     "from iso-codes, in Japanese with ja)"},
    {"format", T::kChoice, "text|json|html|csv", "text",
     "text, JSON, HTML with SVG charts, or the series as CSV (time, kind, "
     "key, packets, coverage)"},
    {"out", T::kString, "FILE", "",
     "write the report to this file (empty: stdout)"},
    {"geo-dir", T::kString, "DIR", "/usr/local/share/darkscope/geo",
     "enrichment data, countries and ASes (deploy/setup.sh installs it)"},
    {"time-zone", T::kString, "TZ", "UTC",
     "the report's time zone: its times, days, dates without offset and "
     "the local hour-of-day profiles"},
};

constexpr FlagSpec kRollupFlags[] = {
    {"in", T::kString, "DIR", "",
     "a sensor's snapshot directory; repeat for several",
     kRepeated | kRequired},
};

constexpr FlagSpec kExportFlags[] = {
    {"clickhouse", T::kString, "URL", "",
     "the ClickHouse HTTP URL to export into", kRequired},
    {"in", T::kString, "DIR", "",
     "a sensor's snapshot directory; repeat for several",
     kRepeated | kRequired},
    kClickHouseDatabase,
    kClickHouseCluster,
    {"follow", T::kBool, "", "false",
     "keep exporting new snapshots as they are written, until stopped"},
    {"ledger", T::kString, "FILE", "",
     "the ledger of exported files (empty: "
     "/var/lib/darkscope/export/HOST:PORT-DATABASE.ledger)"},
    {"batch-files", T::kInt, "N", "16", "snapshot files per INSERT"},
    {"poll", T::kDuration, "DURATION", "2s",
     "with --follow: time between scans for new files"},
};

constexpr CommandSpec kCommands[] = {
    {"run", "",
     "count a darknet's traffic with XDP and write one snapshot per interval",
     kRunFlags, true},
    {"detach", "",
     "remove what a killed or kept-attached `run` left on an interface",
     kDetachFlags, true},
    {"cat", "PATH...",
     "print snapshot files (or directories of them) as JSON lines or CSV",
     kCatFlags},
    {"gen", "",
     "generate a scenario's frames to pcap or an interface, and its ground "
     "truth",
     kGenFlags},
    {"replay", "FILE...",
     "run pcap/pcapng captures through the XDP program into snapshots",
     kReplayFlags, true},
    {"report", "", "report a period of snapshots as text, JSON or HTML",
     kReportFlags},
    {"rollup", "",
     "write hourly and daily roll-ups of snapshot directories, for long "
     "reports",
     kRollupFlags},
    {"export", "",
     "export snapshot files into ClickHouse exactly once (one-shot or "
     "--follow)",
     kExportFlags},
};

}  // namespace

absl::Span<const CommandSpec> Commands() { return kCommands; }

const CommandSpec* FindCommand(absl::string_view name) {
  for (const CommandSpec& command : kCommands) {
    if (command.name == name) return &command;
  }
  return nullptr;
}

}  // namespace darkscope::cli
