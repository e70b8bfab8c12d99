// The kernel side's subcommand bodies (cli/command_bodies.h): run, detach
// and replay load or remove the XDP program. Linked only when CMake's
// DARKSCOPE_KERNEL_SIDE is ON.
#include <net/if.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "agent/agent.h"
#include "agent/privileges.h"
#include "cli/command_bodies.h"
#include "common/prefix.h"
#include "common/status.h"
#include "config/config_file.h"
#include "loader/data_plane.h"
#include "replay/replay.h"
#include "sampler/sampler.h"

namespace darkscope::cli {
namespace {

// The keyed tables' bounds refused before anything is loaded: the kernel
// takes no empty table; 2^24 is every IPv4 /24, and a dense table's record
// number fits its index entry (abi.h, DS_INDEX_RECORD_MAX).
constexpr uint32_t kMaxDestinationsBound = 1u << 24;
constexpr uint32_t kMaxDenseBound = DS_INDEX_RECORD_MAX;

// The data plane settings shared by run and replay (--prefix,
// --darknet-action, --hash-layout, --max-sources, --max-destinations,
// --max-flows).
absl::Status DataPlaneFromFlags(const ParsedFlags& flags,
                                DataPlaneOptions& options) {
  for (const std::string& text : flags.List("prefix")) {
    absl::StatusOr<Prefix> prefix = ParseDarknetPrefix(text);
    if (!prefix.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--prefix: ", prefix.status().message()));
    }
    options.prefixes.push_back(*prefix);
  }
  options.action = flags.String("darknet-action") == "drop"
                       ? DarknetAction::kDrop
                       : DarknetAction::kPass;
  options.hash_layout = flags.String("hash-layout") == "shared"
                            ? HashLayout::kShared
                            : HashLayout::kPerCpu;
  const struct {
    const char* name;
    uint32_t* bound;
    uint32_t most;
  } bounds[] = {
      {"max-sources", &options.max_sources, kMaxDenseBound},
      {"max-destinations", &options.max_destinations, kMaxDestinationsBound},
      {"max-flows", &options.max_flows, kMaxDenseBound},
  };
  for (const auto& [name, bound, most] : bounds) {
    *bound = flags.Uint32(name);
    if (*bound == 0 || *bound > most) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--", name, " must be between 1 and ", most, ", not ", *bound));
    }
  }
  return absl::OkStatus();
}

// AgentOptions from run's flags; InvalidArgument for a bad or conflicting
// value.
absl::StatusOr<AgentOptions> AgentOptionsFromFlags(const ParsedFlags& flags) {
  AgentOptions options;
  DS_RETURN_IF_ERROR(DataPlaneFromFlags(flags, options.data_plane));
  options.interface = flags.String("iface");
  options.interval = flags.Duration("interval");
  options.out_dir = flags.String("out");
  options.sensor = flags.String("sensor");
  if (options.sensor.empty()) {
    char host[256] = {};
    gethostname(host, sizeof(host) - 1);
    options.sensor = host;
  }
  const std::string mode = flags.String("xdp-mode");
  options.xdp_mode = mode == "native" ? XdpMode::kNative
                     : mode == "skb"  ? XdpMode::kSkb
                                      : XdpMode::kAuto;
  options.sample_policy = {.rate = flags.Uint32("sample-rate"),
                           .first = flags.Uint32("sample-first"),
                           .pps = flags.Uint64("sample-pps")};
  options.sampler.max_bytes = flags.Uint64("sample-max-bytes");
  options.sampler.umem_frames = flags.Uint32("sample-umem-frames");
  options.sampler.ring_size = flags.Uint32("sample-ring-size");
  options.sampler.batch = flags.Uint32("sample-batch");
  if (const std::string& queues = flags.String("queues"); !queues.empty()) {
    absl::StatusOr<std::vector<uint32_t>> list = ParseIndexList(queues);
    if (!list.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--queues: ", list.status().message()));
    }
    options.sampler.queues = *list;
  }
  if (const std::string& cpus = flags.String("sample-cpus"); !cpus.empty()) {
    absl::StatusOr<std::vector<uint32_t>> list = ParseIndexList(cpus);
    if (!list.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--sample-cpus: ", list.status().message()));
    }
    options.sampler.cpus.assign(list->begin(), list->end());
  }
  flags.String("config");  // applied by main.cc before the body runs
  options.monitoring.http_address = flags.String("http");
  options.monitoring.retention.max_age = flags.Duration("retain-age");
  if (options.monitoring.retention.max_age < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--retain-age must not be negative");
  }
  absl::StatusOr<uint64_t> bytes = ParseByteSize(flags.String("retain-bytes"));
  if (!bytes.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--retain-bytes ", bytes.status().message()));
  }
  options.monitoring.retention.max_bytes = *bytes;
  options.bpffs = flags.String("bpffs");
  options.keep_attached = flags.Bool("keep-attached");
  options.replace_pinned = flags.Bool("replace-pinned");
  options.writer_queue = flags.Uint64("writer-backlog");
  options.allow_own_addresses = flags.Bool("allow-own-addresses");
  if (options.writer_queue == 0) {
    return absl::InvalidArgumentError("--writer-backlog must be at least 1");
  }
  if (options.keep_attached && options.bpffs.empty()) {
    return absl::InvalidArgumentError(
        "--keep-attached needs pins: --bpffs must not be empty");
  }
  DS_RETURN_IF_ERROR(flags.CheckAllRead());
  return options;
}

int RunMain(const ParsedFlags& flags) {
  absl::StatusOr<AgentOptions> options = AgentOptionsFromFlags(flags);
  if (!options.ok()) {
    return Fail("run", options.status().message(),
                absl::IsInternal(options.status()) ? kExitFailure : kExitUsage);
  }
  // Refusals (no such interface, an unwritable output directory, missing
  // capabilities) exit 2 like usage errors: restarting cannot help.
  if (absl::Status s = ValidateAgentOptions(*options); !s.ok()) {
    return Fail("run", s.message(), kExitUsage);
  }
  const bool sampling =
      options->sample_policy.rate > 0 || options->sample_policy.first > 0;
  if (absl::Status s = CheckAttachCapabilities(sampling); !s.ok()) {
    return Fail("run", s.message(), kExitUsage);
  }
  // SIGINT and SIGTERM are taken by the interval loop (sigtimedwait);
  // blocked before any thread starts so that every thread inherits it.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // An internal error at run time (the drain failed; the program is left
  // attached for the next agent to adopt) is 1, which the unit restarts;
  // a refusal (pins of another layout, the interface held) is 2.
  if (absl::Status s = RunAgent(*options); !s.ok()) {
    return Fail("run", s.message(),
                absl::IsInternal(s) ? kExitFailure : kExitUsage);
  }
  return 0;
}

// `darkscope detach`: the program a kept-attached or killed agent left.
int DetachMain(const ParsedFlags& flags) {
  const std::string iface = flags.String("iface");
  const std::string bpffs = flags.String("bpffs");
  if (absl::Status s = flags.CheckAllRead(); !s.ok()) {
    return Fail("detach", s.message(), kExitFailure);
  }
  if (bpffs.empty())
    return Fail("detach", "--bpffs must not be empty", kExitUsage);
  // The interface may be gone; the pins are removed all the same.
  const int ifindex = static_cast<int>(if_nametoindex(iface.c_str()));
  absl::StatusOr<std::string> done =
      DataPlane::DetachPinned(bpffs, iface, ifindex);
  if (absl::IsNotFound(done.status())) {
    std::printf("darkscope detach: %s\n",
                std::string(done.status().message()).c_str());
    return 0;
  }
  // Another agent holding the interface is a refusal, as for run.
  if (!done.ok()) {
    return Fail("detach", done.status().message(),
                absl::IsInternal(done.status()) ? kExitFailure : kExitUsage);
  }
  std::printf("darkscope detach: %s\n", done->c_str());
  return 0;
}

int ReplayMain(const ParsedFlags& flags) {
  ReplayOptions options;
  if (absl::Status s = DataPlaneFromFlags(flags, options.data_plane); !s.ok()) {
    return Fail("replay", s.message(), kExitUsage);
  }
  options.interval = flags.Duration("interval");
  options.out_dir = flags.String("out");
  if (const std::string& sensor = flags.String("sensor"); !sensor.empty())
    options.sensor = sensor;
  options.files = flags.operands();
  options.progress = isatty(STDERR_FILENO);
  if (absl::Status s = flags.CheckAllRead(); !s.ok()) {
    return Fail("replay", s.message(), kExitFailure);
  }
  if (options.interval < absl::Seconds(1) ||
      options.interval % absl::Seconds(1) != absl::ZeroDuration()) {
    return Fail("replay", "--interval must be whole seconds, at least 1s",
                kExitUsage);
  }
  if (options.files.empty())
    return Fail("replay", "no capture file given", kExitUsage);
  if (geteuid() != 0) {
    return Fail(
        "replay",
        "needs root (CAP_BPF) to load the XDP program for BPF_PROG_TEST_RUN",
        kExitFailure);
  }
  if (absl::Status s = RunReplay(options); !s.ok()) {
    return Fail("replay", s.message(), kExitFailure);
  }
  return 0;
}

constexpr CommandBody kBodies[] = {
    {"run", RunMain},
    {"detach", DetachMain},
    {"replay", ReplayMain},
};

}  // namespace

absl::Span<const CommandBody> KernelCommandBodies() { return kBodies; }

}  // namespace darkscope::cli
