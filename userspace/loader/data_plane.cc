// Loading the XDP program through its libbpf skeleton, attaching it,
// pinning or adopting it, and running frames through it.
#include "loader/data_plane.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <sys/random.h>
#include <xdp/libxdp.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status.h"
#include "darkscope.skel.h"
#include "loader/attached_program.h"
#include "loader/pins.h"

namespace darkscope {
namespace {

// The bitmap words of every /24 inside the IPv4 prefixes.
std::map<uint32_t, uint64_t> DarkV4Words(const std::vector<Prefix>& prefixes) {
  std::map<uint32_t, uint64_t> words;
  for (const Prefix& prefix : prefixes) {
    if (prefix.family != DS_FAMILY_IPV4) continue;
    uint32_t first = (uint32_t{prefix.addr[0]} << 16) |
                     (uint32_t{prefix.addr[1]} << 8) | prefix.addr[2];
    uint32_t count = 1u << (24 - prefix.length);
    for (uint32_t net24 = first; net24 < first + count; ++net24) {
      words[net24 >> 6] |= uint64_t{1} << (net24 & 63);
    }
  }
  return words;
}

// How many destination networks (IPv4 /24s, IPv6 /48s) the darknet holds:
// ds_dests can never need more entries than that, since only darknet
// destinations are counted. Overlapping IPv6 prefixes are counted twice (an
// upper bound is enough). A table sized to the darknet instead of to a /8
// saves 15 MB per set of tables on a /15 (docs/maps.md, Per-packet cost).
uint64_t DestinationNetworks(const std::vector<Prefix>& prefixes) {
  uint64_t networks = 0;
  for (const auto& [word, bits] : DarkV4Words(prefixes))
    networks += __builtin_popcountll(bits);
  for (const Prefix& prefix : prefixes) {
    if (prefix.family != DS_FAMILY_IPV6) continue;
    networks += prefix.length >= 48
                    ? 1
                    : uint64_t{1} << std::min(48 - prefix.length, 40);
  }
  return networks;
}

// Indexes into kPlaneMapNames of the maps that are not epoch tables.
constexpr int kControl = kEpochTableCount + 0;
constexpr int kSamplePolicy = kEpochTableCount + 1;
constexpr int kSampleBucket = kEpochTableCount + 2;
constexpr int kXsks = kEpochTableCount + 3;
constexpr int kDarkV4 = kEpochTableCount + 4;
constexpr int kDarkV6 = kEpochTableCount + 5;

constexpr const char* kProgramName = "xdp_count_darknet";

}  // namespace

uint32_t DenseIndexEntries(uint32_t bound) {
  uint64_t entries = 1;
  while (entries < uint64_t{DS_INDEX_LOAD} * bound) entries *= 2;
  return static_cast<uint32_t>(entries);
}

void DataPlane::TakeSkeletonFds() {
  for (int i = 0; i < kPlaneMapCount; ++i) {
    map_fds_[i] = bpf_map__fd(
        bpf_object__find_map_by_name(skeleton_->obj, kPlaneMapNames[i]));
  }
  prog_fd_ = bpf_program__fd(skeleton_->progs.xdp_count_darknet);
}

absl::StatusOr<std::unique_ptr<DataPlane>> DataPlane::Open(
    const DataPlaneOptions& options) {
  if (options.prefixes.empty()) {
    return absl::InvalidArgumentError(
        "load data plane: no darknet prefix given");
  }
  darkscope_bpf* skeleton = darkscope_bpf__open();
  if (skeleton == nullptr) {
    return ErrnoError(errno, "darkscope_bpf__open", "darkscope.bpf.o");
  }
  std::unique_ptr<DataPlane> plane(new DataPlane(skeleton));

  skeleton->rodata->config.darknet_action =
      options.action == DarknetAction::kDrop ? XDP_DROP : XDP_PASS;
  const uint32_t max_destinations = static_cast<uint32_t>(std::max<uint64_t>(
      1, std::min<uint64_t>(options.max_destinations,
                            DestinationNetworks(options.prefixes))));
  // Read back by an agent that finds the program on an interface unpinned.
  std::snprintf(const_cast<char*>(skeleton->rodata->ds_layout),
                sizeof(skeleton->rodata->ds_layout), "%s",
                LayoutVersion().c_str());
  // The dense tables (abi.h, DS_INDEX_*): bound + 1 records (entry 0 is the
  // header), an index of DS_INDEX_LOAD x bound entries rounded up to a
  // power of two.
  for (const auto& [name, bound] :
       {std::pair<const char*, uint32_t>{"max_sources", options.max_sources},
        {"max_flows", options.max_flows}}) {
    if (bound < 1 || bound > DS_INDEX_RECORD_MAX) {
      return absl::InvalidArgumentError(
          absl::StrCat("load data plane: ", name, " ", bound,
                       " out of range (1 to ", DS_INDEX_RECORD_MAX, ")"));
    }
  }
  const uint32_t source_index = DenseIndexEntries(options.max_sources);
  const uint32_t flow_index = DenseIndexEntries(options.max_flows);
  skeleton->rodata->config.sources_bound = options.max_sources;
  skeleton->rodata->config.source_index_mask = source_index - 1;
  skeleton->rodata->config.flows_bound = options.max_flows;
  skeleton->rodata->config.flow_index_mask = flow_index - 1;
  if (getrandom(&skeleton->rodata->config.hash_seed,
                sizeof(skeleton->rodata->config.hash_seed),
                0) != sizeof(skeleton->rodata->config.hash_seed)) {
    return ErrnoError(errno, "getrandom", "the dense tables' hash seed");
  }
  const std::pair<bpf_map*, uint32_t> bounds[] = {
      {skeleton->maps.ds_sources_0, options.max_sources + 1},
      {skeleton->maps.ds_sources_1, options.max_sources + 1},
      {skeleton->maps.ds_source_index_0, source_index},
      {skeleton->maps.ds_source_index_1, source_index},
      {skeleton->maps.ds_flows_0, options.max_flows + 1},
      {skeleton->maps.ds_flows_1, options.max_flows + 1},
      {skeleton->maps.ds_flow_index_0, flow_index},
      {skeleton->maps.ds_flow_index_1, flow_index},
      {skeleton->maps.ds_dests_0, max_destinations},
      {skeleton->maps.ds_dests_1, max_destinations},
  };
  for (const auto& [map, max_entries] : bounds) {
    if (int err = bpf_map__set_max_entries(map, max_entries); err != 0) {
      return ErrnoError(err, "bpf_map__set_max_entries", bpf_map__name(map));
    }
  }
  // An array in an outer map must have the bound of the outer map's
  // template, which libbpf sizes from the BTF definition: the dense tables'
  // outer maps get templates made here, with the tables' bounds (freed
  // once loaded, ReleaseTemplates).
  for (bpf_map* outer :
       {skeleton->maps.ds_sources, skeleton->maps.ds_source_index,
        skeleton->maps.ds_flows, skeleton->maps.ds_flow_index}) {
    const std::string name = absl::StrCat(bpf_map__name(outer), "_0");
    const bpf_map* inner =
        bpf_object__find_map_by_name(skeleton->obj, name.c_str());
    LIBBPF_OPTS(bpf_map_create_opts, create,
                .map_flags = bpf_map__map_flags(inner));
    UniqueFd made(bpf_map_create(
        bpf_map__type(inner), "ds_template", bpf_map__key_size(inner),
        bpf_map__value_size(inner), bpf_map__max_entries(inner), &create));
    if (!made.valid()) {
      return ErrnoError(errno, "bpf_map_create",
                        absl::StrCat("template of ", bpf_map__name(outer)));
    }
    if (int err = bpf_map__set_inner_map_fd(outer, made.get()); err != 0) {
      return ErrnoError(err, "bpf_map__set_inner_map_fd", bpf_map__name(outer));
    }
    plane->templates_.push_back(std::move(made));
  }
  if (options.hash_layout == HashLayout::kPerCpu) {
    skeleton->rodata->config.per_cpu_hashes = 1;
    // The inner maps and the outer map's template must agree on the type.
    for (bpf_map* map :
         {bpf_map__inner_map(skeleton->maps.ds_dests),
          skeleton->maps.ds_dests_0, skeleton->maps.ds_dests_1}) {
      if (int err = bpf_map__set_type(map, BPF_MAP_TYPE_PERCPU_HASH);
          err != 0) {
        return ErrnoError(err, "bpf_map__set_type", bpf_map__name(map));
      }
    }
  }
  return plane;
}

absl::StatusOr<std::unique_ptr<DataPlane>> DataPlane::Load(
    const DataPlaneOptions& options) {
  DS_ASSIGN_OR_RETURN(std::unique_ptr<DataPlane> plane, Open(options));
  if (int err = darkscope_bpf__load(plane->skeleton_); err != 0) {
    return ErrnoError(err, "darkscope_bpf__load",
                      "darkscope.bpf.o (needs CAP_BPF and CAP_NET_ADMIN)");
  }
  plane->templates_.clear();
  plane->TakeSkeletonFds();
  DS_RETURN_IF_ERROR(
      plane->FillMembership(options.prefixes, /*rewrite=*/false));
  return plane;
}

absl::StatusOr<std::unique_ptr<DataPlane>> DataPlane::LoadAndAttach(
    const DataPlaneOptions& options, int ifindex, XdpMode mode) {
  return LoadAndAttachHow(options, ifindex, mode, /*direct=*/false);
}

namespace {

// The error of an XDP attach, with its likely cause.
absl::Status AttachError(int err, int ifindex) {
  char text[128] = {};
  libxdp_strerror(err, text, sizeof(text));
  const int error = std::abs(err);
  const char* cause = error == EPERM || error == EACCES
                          ? " (needs CAP_BPF and CAP_NET_ADMIN)"
                      : error == EBUSY || error == EEXIST
                          ? " (another XDP program is attached there, not "
                            "through a libxdp dispatcher "
                            "darkscope can join, or a dispatcher whose pins "
                            "are gone: `ip link show` names "
                            "it; remove it first)"
                          : "";
  return absl::UnavailableError(
      absl::StrCat("xdp_program__attach xdp_count_darknet to ifindex ", ifindex,
                   ": ", text, cause));
}

}  // namespace

absl::StatusOr<std::unique_ptr<DataPlane>> DataPlane::LoadAndAttachHow(
    const DataPlaneOptions& options, int ifindex, XdpMode mode, bool direct) {
  DS_ASSIGN_OR_RETURN(std::unique_ptr<DataPlane> plane, Open(options));
  DECLARE_LIBXDP_OPTS(xdp_program_opts, xdp_opts, .obj = plane->skeleton_->obj,
                      .prog_name = "xdp_count_darknet");
  xdp_program* program = xdp_program__create(&xdp_opts);
  if (long err = libxdp_get_error(program); err != 0 || program == nullptr) {
    return ErrnoError(err ? static_cast<int>(err) : EINVAL,
                      "xdp_program__create", "xdp_count_darknet");
  }
  const xdp_attach_mode wanted = mode == XdpMode::kNative ? XDP_MODE_NATIVE
                                 : mode == XdpMode::kSkb  ? XDP_MODE_SKB
                                                          : XDP_MODE_UNSPEC;
  // libxdp loads the object here (as a dispatcher component if it can;
  // directly, the program alone, when asked to skip the dispatcher).
  if (direct) setenv("LIBXDP_SKIP_DISPATCHER", "1", 1);
  const int err = xdp_program__attach(program, ifindex, wanted, 0);
  if (direct) unsetenv("LIBXDP_SKIP_DISPATCHER");
  plane->templates_.clear();
  if (err != 0) {
    xdp_program__close(program);
    return AttachError(err, ifindex);
  }
  plane->attached_ = program;
  plane->ifindex_ = ifindex;
  plane->direct_ = direct;
  plane->attach_mode_ = xdp_program__is_attached(program, ifindex);
  plane->TakeSkeletonFds();
  plane->prog_id_ = xdp_program__id(program);
  DS_RETURN_IF_ERROR(
      plane->FillMembership(options.prefixes, /*rewrite=*/false));
  return plane;
}

absl::Status DataPlane::Detach() {
  if (attached_ == nullptr || keep_attached_ ||
      attach_mode_ == XDP_MODE_UNSPEC) {
    return absl::OkStatus();
  }
  if (int err = xdp_program__detach(
          attached_, ifindex_, static_cast<xdp_attach_mode>(attach_mode_), 0);
      err != 0) {
    return ErrnoError(err, "xdp_program__detach",
                      absl::StrCat(kProgramName, " from ifindex ", ifindex_));
  }
  attach_mode_ = XDP_MODE_UNSPEC;
  return absl::OkStatus();
}

DataPlane::~DataPlane() {
  if (!keep_attached_) {
    if (absl::Status s = Detach(); !s.ok()) {
      // Still attached: the pins stay, so that `darkscope detach` (or the
      // next agent) can still find and detach it.
      std::fprintf(stderr, "darkscope: %s%s\n",
                   std::string(s.message()).c_str(),
                   pin_dir_.empty()
                       ? ""
                       : absl::StrCat("; kept its pins in ", pin_dir_).c_str());
    } else if (!pin_dir_.empty()) {
      if (absl::Status s = RemovePins(pin_dir_); !s.ok()) {
        std::fprintf(stderr, "darkscope: %s\n",
                     std::string(s.message()).c_str());
      }
    }
  }
  if (attached_ != nullptr) xdp_program__close(attached_);
  if (skeleton_ != nullptr) darkscope_bpf__destroy(skeleton_);
}

const char* DataPlane::attach_mode_name() const {
  return XdpModeName(attach_mode_);
}

absl::StatusOr<DataPlane::Attachment> DataPlane::CheckAttachment() const {
  Attachment now;
  if (ifindex_ <= 0) return now;
  DS_ASSIGN_OR_RETURN(
      InterfaceScan scan,
      ScanInterface(ifindex_, absl::StrCat("ifindex ", ifindex_)));
  now.attached = scan.program.valid() && scan.program_id == prog_id_;
  if (now.attached) now.mode = XdpModeName(scan.mode);
  std::vector<std::string> instead = scan.others;
  if (scan.program.valid() && !now.attached) {
    instead.push_back(
        absl::StrCat("another ", kProgramName, " (id ", scan.program_id, ")"));
  }
  now.instead = absl::StrJoin(instead, "; ");
  return now;
}

absl::Status DataPlane::Reattach(XdpMode mode) {
  if (attached_ == nullptr)
    return absl::FailedPreconditionError("reattach: never attached");
  DS_ASSIGN_OR_RETURN(
      InterfaceScan scan,
      ScanInterface(ifindex_, absl::StrCat("ifindex ", ifindex_)));
  if (scan.program.valid() || !scan.others.empty()) {
    std::vector<std::string> there = scan.others;
    if (scan.program.valid())
      there.push_back(absl::StrCat(kProgramName, " id ", scan.program_id));
    return absl::FailedPreconditionError(absl::StrCat(
        "ifindex ", ifindex_, " runs ", absl::StrJoin(there, "; "),
        " instead: not replaced (remove it to let the agent attach again)"));
  }
  const uint32_t flags = XDP_FLAGS_UPDATE_IF_NOEXIST |
                         (mode == XdpMode::kNative          ? XDP_FLAGS_DRV_MODE
                          : mode == XdpMode::kSkb           ? XDP_FLAGS_SKB_MODE
                          : attach_mode_ == XDP_MODE_SKB    ? XDP_FLAGS_SKB_MODE
                          : attach_mode_ == XDP_MODE_NATIVE ? XDP_FLAGS_DRV_MODE
                                                            : 0);
  int err = 0;
  if (direct_) {
    // The program itself, on the interface, only if nothing is there.
    err = bpf_xdp_attach(ifindex_, prog_fd_, flags, nullptr);
  } else {
    const xdp_attach_mode wanted =
        mode == XdpMode::kNative ? XDP_MODE_NATIVE
        : mode == XdpMode::kSkb  ? XDP_MODE_SKB
                                 : static_cast<xdp_attach_mode>(attach_mode_);
    err = xdp_program__attach(attached_, ifindex_, wanted, 0);
  }
  if (err != 0) return AttachError(err, ifindex_);
  attach_mode_ = xdp_program__is_attached(attached_, ifindex_);
  return absl::OkStatus();
}

absl::Status DataPlane::FillMembership(const std::vector<Prefix>& prefixes,
                                       bool rewrite) {
  const int v4_fd = map_fds_[kDarkV4];
  const std::map<uint32_t, uint64_t> words = DarkV4Words(prefixes);
  if (rewrite) {
    // Every word, in one batch: each changes atomically, none is cleared
    // before its new value is written.
    std::vector<uint32_t> keys(DS_DARK_V4_WORDS);
    std::vector<uint64_t> values(DS_DARK_V4_WORDS, 0);
    for (uint32_t i = 0; i < DS_DARK_V4_WORDS; ++i) keys[i] = i;
    for (const auto& [word, bits] : words) values[word] = bits;
    uint32_t count = DS_DARK_V4_WORDS;
    LIBBPF_OPTS(bpf_map_batch_opts, opts);
    if (bpf_map_update_batch(v4_fd, keys.data(), values.data(), &count,
                             &opts) != 0) {
      return ErrnoError(errno, "bpf_map_update_batch", "ds_dark_v4");
    }
  } else {
    for (const auto& [word, bits] : words) {
      if (bpf_map_update_elem(v4_fd, &word, &bits, BPF_ANY) != 0) {
        return ErrnoError(errno, "bpf_map_update_elem", "ds_dark_v4");
      }
    }
  }
  const int v6_fd = map_fds_[kDarkV6];
  std::vector<ds_v6_prefix_key> wanted;
  int v6_count = 0;
  for (const Prefix& prefix : prefixes) {
    if (prefix.family != DS_FAMILY_IPV6) continue;
    if (++v6_count > static_cast<int>(DS_DARK_V6_MAX)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "load data plane: more than ", DS_DARK_V6_MAX, " IPv6 prefixes"));
    }
    ds_v6_prefix_key key = {};
    key.prefixlen = static_cast<uint32_t>(prefix.length);
    std::copy(prefix.addr.begin(), prefix.addr.end(), key.addr);
    uint8_t present = 1;
    if (bpf_map_update_elem(v6_fd, &key, &present, BPF_ANY) != 0) {
      return ErrnoError(errno, "bpf_map_update_elem",
                        absl::StrCat("ds_dark_v6 ", prefix.ToString()));
    }
    wanted.push_back(key);
  }
  if (!rewrite) return absl::OkStatus();
  // An earlier agent's prefixes that this run does not have: removed after
  // the new ones are in.
  std::vector<ds_v6_prefix_key> stale;
  ds_v6_prefix_key key = {}, next = {};
  for (bool first = true;; first = false) {
    if (bpf_map_get_next_key(v6_fd, first ? nullptr : &key, &next) != 0) break;
    key = next;
    bool keep = false;
    for (const ds_v6_prefix_key& w : wanted) {
      keep |= std::memcmp(&w, &key, sizeof(key)) == 0;
    }
    if (!keep) stale.push_back(key);
  }
  for (const ds_v6_prefix_key& old : stale) {
    if (bpf_map_delete_elem(v6_fd, &old) != 0 && errno != ENOENT) {
      return ErrnoError(errno, "bpf_map_delete_elem",
                        "ds_dark_v6 (an earlier prefix)");
    }
  }
  return absl::OkStatus();
}

OuterMapFds DataPlane::outer_map_fds() const {
  OuterMapFds fds;
  for (int i = 0; i < kEpochTableCount; ++i) fds[i] = map_fds_[i];
  return fds;
}

absl::StatusOr<uint32_t> DataPlane::Epoch() const {
  uint32_t key = 0;
  ds_control control = {};
  if (bpf_map_lookup_elem(map_fds_[kControl], &key, &control) != 0) {
    return ErrnoError(errno, "bpf_map_lookup_elem", "ds_control");
  }
  if (control.epoch >= DS_EPOCHS) {
    return absl::DataLossError(absl::StrCat("ds_control: epoch ", control.epoch,
                                            " is neither 0 nor 1"));
  }
  return control.epoch;
}

absl::Status DataPlane::SetEpoch(uint32_t epoch) {
  if (epoch >= DS_EPOCHS) {
    return absl::InvalidArgumentError(
        absl::StrCat("set epoch ", epoch, ": must be 0 or 1"));
  }
  uint32_t key = 0;
  ds_control control = {.epoch = epoch, .pad = 0};
  if (bpf_map_update_elem(map_fds_[kControl], &key, &control, BPF_ANY) != 0) {
    return ErrnoError(errno, "bpf_map_update_elem", "ds_control");
  }
  return absl::OkStatus();
}

ds_sample_policy SamplePolicyEntry(const SamplePolicy& policy) {
  constexpr uint64_t kSecondNs = 1'000'000'000;
  ds_sample_policy entry = {
      .rate = policy.rate, .first = policy.first, .token_ns = 0, .burst_ns = 0};
  if (policy.pps > 0) {
    entry.token_ns = std::max<uint64_t>(1, kSecondNs / policy.pps);
    entry.burst_ns = std::max<uint64_t>(entry.token_ns, kSecondNs);
  }
  return entry;
}

absl::Status DataPlane::SetSamplePolicy(const SamplePolicy& policy) {
  // Buckets first: a bucket zeroed under the new policy starts full.
  const int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0)
    return ErrnoError(cpus, "libbpf_num_possible_cpus", "ds_sample_bucket");
  std::vector<ds_sample_bucket> buckets(static_cast<size_t>(cpus),
                                        ds_sample_bucket{});
  uint32_t key = 0;
  if (bpf_map_update_elem(map_fds_[kSampleBucket], &key, buckets.data(),
                          BPF_ANY) != 0) {
    return ErrnoError(errno, "bpf_map_update_elem", "ds_sample_bucket");
  }
  const ds_sample_policy entry = SamplePolicyEntry(policy);
  if (bpf_map_update_elem(map_fds_[kSamplePolicy], &key, &entry, BPF_ANY) !=
      0) {
    return ErrnoError(errno, "bpf_map_update_elem", "ds_sample_policy");
  }
  return absl::OkStatus();
}

int DataPlane::xsk_map_fd() const { return map_fds_[kXsks]; }

absl::StatusOr<std::vector<MapMemory>> DataPlane::KernelMemory() const {
  const int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0)
    return ErrnoError(cpus, "libbpf_num_possible_cpus", "kernel memory");
  std::vector<MapMemory> maps;
  for (int i = 0; i < kPlaneMapCount; ++i) {
    DS_ASSIGN_OR_RETURN(MapMemory memory,
                        MeasureMapMemory(map_fds_[i], kPlaneMapNames[i], cpus));
    maps.push_back(std::move(memory));
  }
  for (int table = 0; table < kEpochTableCount; ++table) {
    for (uint32_t epoch = 0; epoch < DS_EPOCHS; ++epoch) {
      const std::string slot =
          absl::StrCat(kEpochTableNames[table], "[", epoch, "]");
      uint32_t inner_id = 0;
      if (bpf_map_lookup_elem(map_fds_[table], &epoch, &inner_id) != 0) {
        return ErrnoError(errno, "bpf_map_lookup_elem", slot);
      }
      UniqueFd inner(bpf_map_get_fd_by_id(inner_id));
      if (!inner.valid())
        return ErrnoError(errno, "bpf_map_get_fd_by_id", slot);
      DS_ASSIGN_OR_RETURN(MapMemory memory,
                          MeasureMapMemory(inner.get(), slot, cpus));
      maps.push_back(memory);
      if (epoch == 0 && table == static_cast<int>(EpochTable::kDests)) {
        // The drain's spare hash table is made like epoch 0's (arrays are
        // cleared in place and have no spare).
        memory.name = absl::StrCat(kEpochTableNames[table], " (spare set)");
        maps.push_back(std::move(memory));
      }
    }
  }
  return maps;
}

absl::StatusOr<TestRunResult> DataPlane::TestRun(
    absl::Span<const uint8_t> frame, uint32_t repeat) const {
  return TestRunXdp(program_fd(), "xdp_count_darknet", frame, repeat);
}

absl::StatusOr<TestRunResult> TestRunXdp(int program_fd, absl::string_view name,
                                         absl::Span<const uint8_t> frame,
                                         uint32_t repeat) {
  std::vector<uint8_t> out(frame.size() + 256);
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(),
              .data_out = out.data(),
              .data_size_in = static_cast<uint32_t>(frame.size()),
              .data_size_out = static_cast<uint32_t>(out.size()),
              .repeat = static_cast<int>(repeat));
  if (int err = bpf_prog_test_run_opts(program_fd, &opts); err != 0) {
    return ErrnoError(
        err, "bpf_prog_test_run_opts",
        absl::StrCat(name, " (frame of ", frame.size(), " bytes)"));
  }
  return TestRunResult{.action = opts.retval, .duration_ns = opts.duration};
}

}  // namespace darkscope
