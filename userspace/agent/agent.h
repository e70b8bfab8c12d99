// The agent's main job (`darkscope run`): attach the data plane to an
// interface, cut the counts into wall-clock aligned intervals (a 60 s
// interval flips on the minute, UTC), and hand one snapshot per interval to
// the writer, until SIGINT or SIGTERM.
//
// At each boundary: point the program at the other epoch, swap the old
// epoch's maps out (the kernel's wait for running programs makes them
// quiescent), read and sum them, recycle them, queue the snapshot. On a
// signal the interval in progress is cut the same way and written marked
// incomplete; so is the first interval, which started before the agent.
//
// Restarts without loss: the program, its maps and settings are pinned in
// bpffs (BPFFS/darkscope/IFACE, loader/pins.h). If the agent dies (SIGKILL,
// a crash) or stops with keep_attached, the program keeps counting; the
// next agent on the interface adopts it, drains the epoch the program is
// not counting into (what a dead agent flipped away from but never read),
// and adds it to its first snapshot, which also holds everything counted
// while no agent ran and is marked incomplete. Pins of another layout are
// refused with instructions (or replaced with replace_pinned).
//
// When the sample policy picks anything, the agent also binds an AF_XDP
// socket to each sampled rx queue (userspace/sampler) before it says it is
// attached, and at each boundary writes each queue's pcapng file of the
// interval beside the snapshot, with the sample path's health counters in
// the snapshot's agent table.
#ifndef DARKSCOPE_AGENT_AGENT_H_
#define DARKSCOPE_AGENT_AGENT_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "agent/monitoring.h"
#include "loader/data_plane.h"
#include "sampler/sampler.h"

namespace darkscope {

struct AgentOptions {
  std::string interface;
  DataPlaneOptions data_plane;
  XdpMode xdp_mode = XdpMode::kAuto;
  absl::Duration interval = absl::Seconds(60);
  std::string out_dir;
  std::string sensor;
  // Snapshots held in memory while the disk is slow or failing, at most
  // (the backlog; sample files get as many again per sampled queue).
  size_t writer_queue = 16;
  // Pinning: bpffs mount point (empty: no pins, detach at any exit), what
  // to do with pins of another layout, and whether to leave the program
  // attached and pinned when stopped by SIGINT/SIGTERM.
  std::string bpffs = "/sys/fs/bpf";
  bool replace_pinned = false;
  bool keep_attached = false;
  SamplePolicy sample_policy;  // all zero: no sampling, no sockets
  SamplerOptions sampler;      // interface: taken from `interface`
  // Operations: HTTP endpoints, retention, capabilities kept after attach.
  MonitoringOptions monitoring;
  bool drop_capabilities = true;
  // Take prefixes that hold an address of this host (--allow-own-addresses);
  // refused otherwise (common/prefix.h, CheckNoHostAddresses).
  bool allow_own_addresses = false;
};

// Checks every option before anything touches the kernel: the interface
// exists, the interval divides a day, the output directory is writable,
// the prefixes are disjoint and hold no address of this host (unless
// allowed), every string is bounded and printable (the sensor name at
// most kMaxSensorNameBytes), the HTTP address is ADDR:PORT, numbers are
// within their bounds. Errors name the flag and the problem in one line,
// quoting at most 64 bytes of the value, escaped.
absl::Status ValidateAgentOptions(const AgentOptions& options);

// Runs until SIGINT or SIGTERM (which the caller must have blocked in every
// thread). Returns an error when the agent could not start, or Internal
// when a drain failed at run time. A pinned program the agent adopted stays
// attached and pinned through any error before its first snapshot, and any
// pinned program does through an Internal error (the next run adopts it);
// the agent says so on stderr.
absl::Status RunAgent(const AgentOptions& options);

}  // namespace darkscope

#endif  // DARKSCOPE_AGENT_AGENT_H_
