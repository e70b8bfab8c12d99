// DataPlane: the loaded XDP program and its maps, owned as one RAII object.
//
// Load() opens the skeleton, applies the settings that must be fixed before
// load (the darknet verdict, the bounds of the hash tables), loads the
// object into the kernel and fills the membership maps from the darknet
// prefixes. The destructor frees everything the kernel holds for it, unless
// something else (an XDP attachment, a pin) keeps a reference.
//
// LoadAndAttach() attaches through libxdp; AttachPinned() also pins the
// program and its maps in bpffs (loader/pins.h), or adopts the ones an
// earlier agent left there, so that counting outlives the agent. Tests and
// replay run frames through TestRun() instead.
#ifndef DARKSCOPE_LOADER_DATA_PLANE_H_
#define DARKSCOPE_LOADER_DATA_PLANE_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "common/prefix.h"
#include "common/unique_fd.h"
#include "darkscope/abi.h"
#include "loader/map_memory.h"
#include "loader/pins.h"

struct darkscope_bpf;
struct bpf_program;
struct xdp_program;

namespace darkscope {

// What the program does with a darknet packet once counted.
enum class DarknetAction {
  kDrop,  // the host never sees darknet traffic (the default)
  kPass,  // the host's stack sees it too (a honeypot answers it)
};

// How ds_dests is kept (ds_sources and ds_flows are shared dense tables in
// both; docs/maps.md).
enum class HashLayout {
  kShared,  // one copy, atomic updates: memory independent of CPU count
  kPerCpu,  // one copy per CPU, plain updates: memory x CPUs
};

struct DataPlaneOptions {
  std::vector<Prefix> prefixes;  // the darknet; at least one
  DarknetAction action = DarknetAction::kDrop;
  HashLayout hash_layout = HashLayout::kShared;
  uint32_t max_sources = DS_SOURCES_MAX;
  uint32_t max_destinations = DS_DESTINATIONS_MAX;
  uint32_t max_flows = DS_FLOWS_MAX;
};

// Which darknet packets the program redirects to the AF_XDP sample
// (struct ds_sample_policy, docs/maps.md). Changeable at run time.
struct SamplePolicy {
  uint32_t rate = 0;  // 1 in N darknet packets per CPU; 0: none, 1: all
  uint32_t first =
      0;  // and the first K packets of each source network per interval
  uint64_t pps =
      0;  // at most this many sampled packets per second per CPU; 0: no limit
};

// The map entry for `policy`: a token costs 1e9 / pps ns, and a bucket holds
// one second of tokens (a burst of pps packets).
ds_sample_policy SamplePolicyEntry(const SamplePolicy& policy);

// The counter tables that come in two epochs, in the order the drain reads
// them. Each is an outer ARRAY_OF_MAPS indexed by epoch.
enum class EpochTable {
  kCounters,
  kPorts,
  kSrcPorts,
  kSources,  // dense table: the records (abi.h, DS_INDEX_*)
  kDests,
  kFlows,        // dense table: the records
  kTouched,      // which entries of kPorts and kSrcPorts the epoch touched
  kSourceIndex,  // the index of kSources
  kFlowIndex,    // the index of kFlows
};
inline constexpr int kEpochTableCount = 9;
inline constexpr std::array<const char*, kEpochTableCount> kEpochTableNames = {
    "ds_counters", "ds_ports",   "ds_src_ports",    "ds_sources",   "ds_dests",
    "ds_flows",    "ds_touched", "ds_source_index", "ds_flow_index"};

// Every map the agent touches, in the order of kPlaneMapNames: the epoch
// tables (same order as EpochTable) first. These, the program and the
// settings (.rodata, pinned as "config") are what AttachPinned pins.
inline constexpr int kPlaneMapCount = kEpochTableCount + 6;
inline constexpr std::array<const char*, kPlaneMapCount> kPlaneMapNames = {
    "ds_counters",   "ds_ports",   "ds_src_ports",     "ds_sources",
    "ds_dests",      "ds_flows",   "ds_touched",       "ds_source_index",
    "ds_flow_index", "ds_control", "ds_sample_policy", "ds_sample_bucket",
    "ds_xsks",       "ds_dark_v4", "ds_dark_v6"};

// The index entries of a dense table of `bound` records: DS_INDEX_LOAD x
// bound, rounded up to a power of two.
uint32_t DenseIndexEntries(uint32_t bound);

// File descriptors of the outer maps, indexed by EpochTable; owned by the
// DataPlane.
using OuterMapFds = std::array<int, kEpochTableCount>;

// The program and maps of a darkscope plane found in the kernel (pinned,
// or attached to an interface with its pins gone), before they are checked
// against this run (DataPlane::AttachPinned).
struct PlaneObjects {
  UniqueFd program;
  std::array<UniqueFd, kPlaneMapCount> maps;  // by kPlaneMapNames
  UniqueFd config;    // the .rodata map: ds_config, ds_layout
  std::string where;  // for messages: "pinned in DIR", "attached to IF"
};

// One run of the program on one frame through BPF_PROG_TEST_RUN.
struct TestRunResult {
  uint32_t action = 0;       // XDP_* verdict
  uint32_t duration_ns = 0;  // mean per repetition, as the kernel timed it
};

// Runs `frame` through the XDP program `program_fd` `repeat` times with
// BPF_PROG_TEST_RUN. `name` is for the error message.
absl::StatusOr<TestRunResult> TestRunXdp(int program_fd, absl::string_view name,
                                         absl::Span<const uint8_t> frame,
                                         uint32_t repeat);

// How the program is attached to an interface.
enum class XdpMode {
  kNative,  // in the driver
  kSkb,     // generic XDP, after the stack allocated an skb
  kAuto,    // native if the driver has it, generic otherwise
};

// Where AttachPinned pins, and what it does with pins it finds.
struct PinningOptions {
  std::string bpffs;     // bpffs mount point (mounted if missing); pins go to
                         // BPFFS/darkscope/IFACE. When it would not outlive
                         // the agent (BpffsOutlivesProcess), the agent warns
                         // and attaches directly (not through libxdp's
                         // dispatcher, whose attachment lives in bpffs), so
                         // that the interface alone keeps the program.
  bool replace = false;  // pins of another layout or other settings: detach
                         // and replace them instead of refusing
  bool keep_attached = false;  // when destroyed, leave program and pins
};

class DataPlane {
 public:
  // Loads the program without attaching it (tests, benchmarks, replay).
  static absl::StatusOr<std::unique_ptr<DataPlane>> Load(
      const DataPlaneOptions& options);
  // Loads the program and attaches it to `ifindex` through libxdp, so that
  // other XDP programs can share the interface through its dispatcher.
  // Detached when the DataPlane is destroyed.
  static absl::StatusOr<std::unique_ptr<DataPlane>> LoadAndAttach(
      const DataPlaneOptions& options, int ifindex, XdpMode mode);
  // Like LoadAndAttach, and pins the program, its maps and settings in
  // PinDirectory(pins.bpffs, iface). If that directory already holds this
  // layout's pins of a program still attached to `ifindex` with the same
  // settings, adopts them instead (adopted() is then true): the program
  // keeps counting throughout. Pins of another layout or settings are
  // refused with instructions, or replaced with `pins.replace`; pins of a
  // program no longer attached are removed. When destroyed, detaches and
  // unpins unless `pins.keep_attached`; an adopted plane stays attached and
  // pinned until KeepAttached(false). The plane holds the interface's
  // PinDirectoryLock for its lifetime: a second AttachPinned on the same
  // interface and bpffs fails (FailedPrecondition) before touching anything.
  //
  // With no pins, the interface is the source of truth: a darkscope
  // program attached there (its pins lost with a private bpffs, or its
  // agent killed between attaching and pinning) is adopted the same way,
  // after the same checks (its layout from its .rodata, its maps reached by
  // id), and pinned again; found_on_interface() is then true. Another
  // program on the interface is named in the error.
  static absl::StatusOr<std::unique_ptr<DataPlane>> AttachPinned(
      const DataPlaneOptions& options, const std::string& iface, int ifindex,
      XdpMode mode, const PinningOptions& pins);
  // `darkscope detach`: detaches the program pinned for `iface` (any
  // layout) from `ifindex` (if still attached) and removes its pins (kept
  // when the detach fails); with nothing pinned, detaches a darkscope
  // program (any layout) found attached to `ifindex`. Returns what it did,
  // one line; NotFound when there is neither; FailedPrecondition while an
  // agent holds the interface (PinDirectoryLock).
  static absl::StatusOr<std::string> DetachPinned(const std::string& bpffs,
                                                  const std::string& iface,
                                                  int ifindex);
  ~DataPlane();
  DataPlane(const DataPlane&) = delete;
  DataPlane& operator=(const DataPlane&) = delete;

  int program_fd() const { return prog_fd_; }
  OuterMapFds outer_map_fds() const;
  // "native" or "skb" once attached, "" otherwise.
  const char* attach_mode_name() const;

  // Points the program at epoch 0 or 1 for the packets that follow.
  absl::Status SetEpoch(uint32_t epoch);
  // The epoch the program counts into now.
  absl::StatusOr<uint32_t> Epoch() const;

  // True when AttachPinned adopted an earlier agent's program.
  bool adopted() const { return adopted_; }
  // True when it was adopted from the interface (its pins were gone).
  bool found_on_interface() const { return found_on_interface_; }
  // The program's kernel id.
  uint32_t program_id() const { return prog_id_; }
  // The interface the plane is attached to (0 when only loaded).
  int ifindex() const { return ifindex_; }

  // Whether this plane's program is still the one attached to the
  // interface, and how (asked of the kernel each interval).
  struct Attachment {
    bool attached = false;  // our program runs on the interface
    std::string mode;       // "native", "skb", "" when not attached
    std::string instead;    // what is attached instead, "" for nothing
  };
  absl::StatusOr<Attachment> CheckAttachment() const;
  // Attaches the program again after something detached it from outside.
  // Only when the interface has no XDP program at all: another program put
  // there is never replaced. FailedPrecondition naming it then.
  absl::Status Reattach(XdpMode mode);
  // The pin directory, empty when not pinned.
  const std::string& pin_directory() const { return pin_dir_; }
  // Detaches the program now (the maps stay readable); the destructor then
  // only unpins. A no-op when not attached or keeping it attached.
  absl::Status Detach();
  // Whether the destructor (and Detach) leave the program attached and its
  // pins in place. Keeping is only honoured when pinned: an unpinned
  // program left attached could never be adopted or detached by darkscope.
  void KeepAttached(bool keep) { keep_attached_ = keep && !pin_dir_.empty(); }
  bool keeps_attached() const { return keep_attached_; }

  // The kernel memory of every map the plane holds, measured on this host
  // (MapMemory): the maps above, both epochs' tables and the drain's spare
  // hash tables (the recycled copy of one epoch's sources, destinations
  // and flows, which IntervalCutter keeps), so that TotalBytesFor() gives
  // the memory of these bounds on a host with any number of possible CPUs.
  absl::StatusOr<std::vector<MapMemory>> KernelMemory() const;

  // Writes the sampling policy and refills every CPU's token bucket.
  absl::Status SetSamplePolicy(const SamplePolicy& policy);
  // The XSKMAP (ds_xsks) the sampler puts its sockets in, by rx queue.
  int xsk_map_fd() const;

  // Runs `frame` through the program `repeat` times (BPF_PROG_TEST_RUN).
  // Counters count every repetition.
  absl::StatusOr<TestRunResult> TestRun(absl::Span<const uint8_t> frame,
                                        uint32_t repeat = 1) const;

 private:
  explicit DataPlane(darkscope_bpf* skeleton) : skeleton_(skeleton) {}
  // The skeleton opened and configured, not yet loaded.
  static absl::StatusOr<std::unique_ptr<DataPlane>> Open(
      const DataPlaneOptions& options);
  // Takes the program's and maps' fds from the loaded skeleton.
  void TakeSkeletonFds();
  // Writes the membership maps. `rewrite`: the maps may hold an earlier
  // agent's prefixes, which are replaced (never emptied in between).
  absl::Status FillMembership(const std::vector<Prefix>& prefixes,
                              bool rewrite);
  // Pins the program, maps and settings in `directory`.
  absl::Status Pin(const std::string& directory);
  // The same for a plane adopted from the interface.
  absl::Status PinAdopted(const std::string& directory);
  // Adopts the pins of `directory`; the skeleton `expected` (opened, not
  // loaded, with this run's settings) says what they must look like.
  // NotFound when the pinned program is no longer attached to `ifindex`.
  absl::Status Adopt(PlaneObjects found, int ifindex,
                     const darkscope_bpf& expected);
  // Adopts the darkscope program found on the interface (no pins), or
  // replaces it with `pins.replace`. Null when there is none.
  static absl::StatusOr<std::unique_ptr<DataPlane>> AdoptFromInterface(
      const DataPlaneOptions& options, const std::string& iface, int ifindex,
      const PinningOptions& pins, const std::string& directory);
  // LoadAndAttach, directly (not through libxdp's dispatcher) when `direct`.
  static absl::StatusOr<std::unique_ptr<DataPlane>> LoadAndAttachHow(
      const DataPlaneOptions& options, int ifindex, XdpMode mode, bool direct);
  // Detaches the program pinned in `directory` and removes the pins; the
  // caller holds the directory's lock.
  static absl::StatusOr<std::string> RemovePinned(const std::string& directory,
                                                  const std::string& iface,
                                                  int ifindex);

  darkscope_bpf* skeleton_;          // null when adopted
  std::vector<UniqueFd> templates_;  // outer maps' templates, until loaded
  std::array<int, kPlaneMapCount> map_fds_ = {};  // by kPlaneMapNames
  int prog_fd_ = -1;
  uint32_t prog_id_ = 0;
  std::vector<UniqueFd> adopted_fds_;  // owned when adopted
  xdp_program* attached_ = nullptr;    // set while attached
  int ifindex_ = 0;
  int attach_mode_ = 0;  // enum xdp_attach_mode
  std::string pin_dir_;
  bool keep_attached_ = false;
  bool adopted_ = false;
  bool found_on_interface_ = false;
  bool direct_ = false;    // attached without libxdp's dispatcher
  PinDirectoryLock lock_;  // held while pinned (AttachPinned)
};

}  // namespace darkscope

#endif  // DARKSCOPE_LOADER_DATA_PLANE_H_
