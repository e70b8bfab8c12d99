// DataPlane's pinned life: pinning the program, its maps and its settings
// after attaching, adopting what an earlier agent pinned, refusing (or
// replacing) pins of another layout, and `darkscope detach`.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <unistd.h>
#include <xdp/libxdp.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status.h"
#include "loader/attached_program.h"
#include "loader/data_plane.h"  // abi.h, before the skeleton
#include "loader/map_info.h"
#include "loader/pins.h"
// clang-format off: the skeleton uses the ABI's types, included above.
#include "darkscope.skel.h"
// clang-format on

namespace darkscope {
namespace {

constexpr const char* kProgramName = "xdp_count_darknet";
constexpr const char* kConfigPin = "config";  // the .rodata map (ds_config)

std::string PinPath(const std::string& directory, absl::string_view object) {
  return absl::StrCat(directory, "/", PinName(object));
}

// The shape a map must have to be adopted.
struct MapShape {
  uint32_t type = 0, key_size = 0, value_size = 0, max_entries = 0, flags = 0;
  friend bool operator==(const MapShape&, const MapShape&) = default;
};

std::string Describe(const MapShape& shape) {
  return absl::StrCat("type ", shape.type, ", key ", shape.key_size,
                      " B, value ", shape.value_size, " B, ", shape.max_entries,
                      " entries, flags ", shape.flags);
}

MapShape ShapeOf(const bpf_map* map) {
  return {static_cast<uint32_t>(bpf_map__type(map)), bpf_map__key_size(map),
          bpf_map__value_size(map), bpf_map__max_entries(map),
          bpf_map__map_flags(map)};
}

MapShape ShapeOf(const bpf_map_info& info) {
  return {info.type, info.key_size, info.value_size, info.max_entries,
          info.map_flags};
}

// The shape of the map in slot 0 of the outer map `outer_fd`.
absl::StatusOr<MapShape> InnerShape(int outer_fd, absl::string_view name) {
  uint32_t slot = 0, inner_id = 0;
  if (bpf_map_lookup_elem(outer_fd, &slot, &inner_id) != 0) {
    return ErrnoError(errno, "bpf_map_lookup_elem", absl::StrCat(name, "[0]"));
  }
  UniqueFd inner(bpf_map_get_fd_by_id(inner_id));
  if (!inner.valid()) {
    return ErrnoError(errno, "bpf_map_get_fd_by_id", absl::StrCat(name, "[0]"));
  }
  DS_ASSIGN_OR_RETURN(bpf_map_info info, MapInfo(inner.get(), name));
  return ShapeOf(info);
}

absl::StatusOr<UniqueFd> OpenPin(const std::string& path) {
  UniqueFd fd(bpf_obj_get(path.c_str()));
  if (!fd.valid()) return ErrnoError(errno, "bpf_obj_get", path);
  return fd;
}

// How to get rid of pins the agent will not adopt.
std::string Instructions(absl::string_view iface) {
  return absl::StrCat(
      "run `darkscope detach --iface ", iface,
      "` (what it counted since its agent's last snapshot is discarded), or "
      "start `darkscope run` with --replace-pinned to do the same and attach "
      "this build");
}

}  // namespace

absl::Status DataPlane::Pin(const std::string& directory) {
  DS_RETURN_IF_ERROR(MakePinDirectory(directory));
  pin_dir_ = directory;  // from here on the destructor removes what is pinned
  auto pin = [&](int fd, absl::string_view object) -> absl::Status {
    const std::string path = PinPath(directory, object);
    if (bpf_obj_pin(fd, path.c_str()) != 0)
      return ErrnoError(errno, "bpf_obj_pin", path);
    return absl::OkStatus();
  };
  for (int i = 0; i < kPlaneMapCount; ++i) {
    DS_RETURN_IF_ERROR(pin(map_fds_[i], kPlaneMapNames[i]));
  }
  DS_RETURN_IF_ERROR(pin(bpf_map__fd(skeleton_->maps.rodata), kConfigPin));
  // The program last: its pin is what marks the directory as complete.
  return pin(prog_fd_, kProgramName);
}

namespace {

// The pins of `directory` (this layout's names).
absl::StatusOr<PlaneObjects> OpenPinned(const std::string& directory) {
  PlaneObjects found;
  found.where = absl::StrCat("the program pinned in ", directory);
  DS_ASSIGN_OR_RETURN(found.program, OpenPin(PinPath(directory, kProgramName)));
  for (int i = 0; i < kPlaneMapCount; ++i) {
    DS_ASSIGN_OR_RETURN(found.maps[i],
                        OpenPin(PinPath(directory, kPlaneMapNames[i])));
  }
  DS_ASSIGN_OR_RETURN(found.config, OpenPin(PinPath(directory, kConfigPin)));
  return found;
}

}  // namespace

absl::Status DataPlane::PinAdopted(const std::string& directory) {
  DS_RETURN_IF_ERROR(MakePinDirectory(directory));
  pin_dir_ = directory;
  auto pin = [&](int fd, absl::string_view object) -> absl::Status {
    const std::string path = PinPath(directory, object);
    if (bpf_obj_pin(fd, path.c_str()) != 0)
      return ErrnoError(errno, "bpf_obj_pin", path);
    return absl::OkStatus();
  };
  for (int i = 0; i < kPlaneMapCount; ++i) {
    DS_RETURN_IF_ERROR(pin(map_fds_[i], kPlaneMapNames[i]));
  }
  // adopted_fds_: the maps, then the program, then the config.
  DS_RETURN_IF_ERROR(pin(adopted_fds_.back().get(), kConfigPin));
  return pin(prog_fd_, kProgramName);
}

absl::Status DataPlane::Adopt(PlaneObjects found, int ifindex,
                              const darkscope_bpf& expected) {
  bpf_prog_info prog_info = {};
  uint32_t length = sizeof(prog_info);
  if (bpf_obj_get_info_by_fd(found.program.get(), &prog_info, &length) != 0) {
    return ErrnoError(errno, "bpf_obj_get_info_by_fd", found.where);
  }
  xdp_program* attached = xdp_program__from_id(prog_info.id);
  if (long err = libxdp_get_error(attached); err != 0 || attached == nullptr) {
    return ErrnoError(err ? static_cast<int>(err) : EINVAL,
                      "xdp_program__from_id",
                      absl::StrCat(kProgramName, " id ", prog_info.id));
  }
  const int mode = xdp_program__is_attached(attached, ifindex);
  if (mode == XDP_MODE_UNSPEC) {
    xdp_program__close(attached);
    return absl::NotFoundError(absl::StrCat(found.where, " (id ", prog_info.id,
                                            ") is not attached to ifindex ",
                                            ifindex));
  }
  attached_ = attached;
  ifindex_ = ifindex;
  attach_mode_ = mode;
  prog_id_ = prog_info.id;
  // How it is attached decides how it is attached again (Reattach).
  if (absl::StatusOr<InterfaceScan> scan = ScanInterface(ifindex, found.where);
      scan.ok()) {
    direct_ = !scan->in_dispatcher;
  }

  // Every map must have the shape this run would have created: same
  // layout, same hash layout and bounds.
  std::vector<std::string> differences;
  for (int i = 0; i < kPlaneMapCount; ++i) {
    const char* name = kPlaneMapNames[i];
    UniqueFd& map = found.maps[i];
    DS_ASSIGN_OR_RETURN(bpf_map_info info, MapInfo(map.get(), name));
    bpf_map* want = bpf_object__find_map_by_name(expected.obj, name);
    if (ShapeOf(info) != ShapeOf(want)) {
      differences.push_back(absl::StrCat(name, ": found ",
                                         Describe(ShapeOf(info)), ", this run ",
                                         Describe(ShapeOf(want))));
    } else if (bpf_map__inner_map(want) != nullptr) {
      // An epoch table: its current inner map against this run's name_0.
      const std::string slot0 = absl::StrCat(name, "_0");
      const MapShape wanted =
          ShapeOf(bpf_object__find_map_by_name(expected.obj, slot0.c_str()));
      DS_ASSIGN_OR_RETURN(MapShape pinned, InnerShape(map.get(), name));
      if (pinned != wanted) {
        differences.push_back(absl::StrCat(name, " tables: found ",
                                           Describe(pinned), ", this run ",
                                           Describe(wanted)));
      }
    }
    map_fds_[i] = map.get();
    adopted_fds_.push_back(std::move(map));
  }
  // The settings fixed at load (.rodata): darknet action, hash layout.
  UniqueFd config = std::move(found.config);
  DS_ASSIGN_OR_RETURN(bpf_map_info config_info,
                      MapInfo(config.get(), kConfigPin));
  std::vector<uint8_t> rodata(config_info.value_size);
  const uint32_t zero = 0;
  if (bpf_map_lookup_elem(config.get(), &zero, rodata.data()) != 0) {
    return ErrnoError(errno, "bpf_map_lookup_elem",
                      absl::StrCat(found.where, " .rodata"));
  }
  const size_t offset =
      reinterpret_cast<const uint8_t*>(&expected.rodata->config) -
      reinterpret_cast<const uint8_t*>(expected.rodata);
  ds_config pinned_config = {};
  if (rodata.size() >= offset + sizeof(ds_config)) {
    std::memcpy(&pinned_config, rodata.data() + offset, sizeof(ds_config));
  }
  // The hash seed is drawn at each load: the pinned program's is kept.
  ds_config wanted_config = expected.rodata->config;
  wanted_config.hash_seed = pinned_config.hash_seed;
  if (std::memcmp(&pinned_config, &wanted_config, sizeof(ds_config)) != 0) {
    differences.push_back(absl::StrCat(
        "settings: found darknet action ", pinned_config.darknet_action,
        " per-CPU hashes ", pinned_config.per_cpu_hashes, ", this run ",
        expected.rodata->config.darknet_action, " and ",
        expected.rodata->config.per_cpu_hashes));
  }
  if (!differences.empty()) {
    return absl::FailedPreconditionError(absl::StrJoin(differences, "; "));
  }
  prog_fd_ = found.program.get();
  adopted_fds_.push_back(std::move(found.program));
  adopted_fds_.push_back(std::move(config));
  adopted_ = true;
  return absl::OkStatus();
}

namespace {

// Detaches the darkscope program `found` (any layout) from `ifindex`.
absl::StatusOr<std::string> DetachFound(const InterfaceScan& found,
                                        const std::string& iface, int ifindex) {
  xdp_program* attached = xdp_program__from_id(found.program_id);
  if (long err = libxdp_get_error(attached); err != 0 || attached == nullptr) {
    return ErrnoError(err ? static_cast<int>(err) : EINVAL,
                      "xdp_program__from_id",
                      absl::StrCat(kProgramName, " id ", found.program_id));
  }
  const int err = xdp_program__detach(
      attached, ifindex, static_cast<xdp_attach_mode>(found.mode), 0);
  xdp_program__close(attached);
  if (err != 0) {
    return ErrnoError(err, "xdp_program__detach",
                      absl::StrCat(kProgramName, " (id ", found.program_id,
                                   ") from ", iface));
  }
  return absl::StrCat("detached ", kProgramName, " (id ", found.program_id,
                      ", found on ", iface, " in ", XdpModeName(found.mode),
                      " mode, not pinned) from ", iface);
}

}  // namespace

absl::StatusOr<std::unique_ptr<DataPlane>> DataPlane::AdoptFromInterface(
    const DataPlaneOptions& options, const std::string& iface, int ifindex,
    const PinningOptions& pins, const std::string& directory) {
  DS_ASSIGN_OR_RETURN(InterfaceXdp found, FindInterfaceXdp(ifindex, iface));
  if (!found.plane) {
    if (!found.others.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          iface, " already runs XDP program ",
          absl::StrJoin(found.others, "; "),
          ", which is not darkscope's xdp_count_darknet (nor a libxdp "
          "dispatcher with it): "
          "darkscope does not replace it; remove it first (`ip link set dev ",
          iface, " xdp off`, or `xdp-loader unload ", iface, " --all`)"));
    }
    return std::unique_ptr<DataPlane>();
  }
  const std::string where = found.plane->where;
  const std::string layout = found.layout.empty() ? "none" : found.layout;
  absl::Status refused = absl::OkStatus();
  std::unique_ptr<DataPlane> plane;
  if (found.layout != LayoutVersion()) {
    refused = absl::FailedPreconditionError(absl::StrCat(
        where, " has layout version ", layout, ", not this build's ",
        LayoutVersion(), ", and no pins in ", directory,
        ": it may still be counting and is not adopted; ",
        Instructions(iface)));
  } else {
    DS_ASSIGN_OR_RETURN(std::unique_ptr<DataPlane> expected, Open(options));
    plane.reset(new DataPlane(nullptr));
    plane->keep_attached_ =
        true;  // as for pins: never detached before its first cut
    absl::Status adopted =
        plane->Adopt(std::move(*found.plane), ifindex, *expected->skeleton_);
    if (adopted.ok()) {
      plane->found_on_interface_ = true;
      return plane;
    }
    if (!absl::IsFailedPrecondition(adopted)) return adopted;
    plane.reset();
    refused = absl::FailedPreconditionError(absl::StrCat(
        where, " (no pins in ", directory,
        ") runs with other settings than this run asks (", adopted.message(),
        "): restart with its settings, or ", Instructions(iface)));
  }
  if (!pins.replace) return refused;
  InterfaceScan scan;
  scan.program_id = found.program_id;
  scan.mode = found.mode;
  DS_ASSIGN_OR_RETURN(std::string detached, DetachFound(scan, iface, ifindex));
  std::printf("darkscope: --replace-pinned: %s\n", detached.c_str());
  return std::unique_ptr<DataPlane>();
}

absl::StatusOr<std::unique_ptr<DataPlane>> DataPlane::AttachPinned(
    const DataPlaneOptions& options, const std::string& iface, int ifindex,
    XdpMode mode, const PinningOptions& pins) {
  DS_RETURN_IF_ERROR(EnsureBpffs(pins.bpffs));
  const std::string directory = PinDirectory(pins.bpffs, iface);
  // Before the pins are even read: a live agent's are never adopted,
  // replaced or removed by a second one.
  DS_ASSIGN_OR_RETURN(PinDirectoryLock lock,
                      PinDirectoryLock::Acquire(directory, iface));
  DS_ASSIGN_OR_RETURN(std::vector<PinEntry> entries, ListPins(directory));
  std::set<std::string> other_layouts;
  for (const PinEntry& entry : entries) {
    if (entry.layout != LayoutVersion()) {
      other_layouts.insert(entry.layout.empty() ? "none" : entry.layout);
    }
  }
  if (!other_layouts.empty()) {
    if (!pins.replace) {
      return absl::FailedPreconditionError(absl::StrCat(
          "pinned layout version ", absl::StrJoin(other_layouts, ", "), " in ",
          directory, " differs from this build's ", LayoutVersion(),
          ": the program pinned there may still be counting on ", iface,
          " and is not adopted; ", Instructions(iface)));
    }
    DS_ASSIGN_OR_RETURN(std::string detached,
                        RemovePinned(directory, iface, ifindex));
    std::printf("darkscope: --replace-pinned: %s\n", detached.c_str());
    entries.clear();
  }
  if (!entries.empty()) {
    // Adopt: the skeleton is only opened, to know what the maps must be.
    DS_ASSIGN_OR_RETURN(std::unique_ptr<DataPlane> expected, Open(options));
    std::unique_ptr<DataPlane> plane(new DataPlane(nullptr));
    // Never detach what it found: not while adopting, and not before the
    // agent has written what the program counted (it calls KeepAttached
    // after its first cut), so that a failed start loses nothing.
    plane->keep_attached_ = true;
    absl::StatusOr<PlaneObjects> pinned = OpenPinned(directory);
    absl::Status adopted =
        pinned.ok()
            ? plane->Adopt(std::move(*pinned), ifindex, *expected->skeleton_)
            : pinned.status();
    if (adopted.ok()) {
      plane->pin_dir_ = directory;
      plane->lock_ = std::move(lock);
      DS_RETURN_IF_ERROR(
          plane->FillMembership(options.prefixes, /*rewrite=*/true));
      return plane;
    }
    if (absl::IsFailedPrecondition(adopted) && !pins.replace) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the program pinned in ", directory,
          " runs with other settings than this run asks (", adopted.message(),
          "): restart with its settings, or ", Instructions(iface)));
    }
    if (!absl::IsFailedPrecondition(adopted) && !absl::IsNotFound(adopted))
      return adopted;
    plane.reset();
    // Not attached any more (stale pins), or to be replaced.
    DS_ASSIGN_OR_RETURN(std::string detached,
                        RemovePinned(directory, iface, ifindex));
    std::printf("darkscope: %s: %s\n", std::string(adopted.message()).c_str(),
                detached.c_str());
  }
  // No pins: the interface may still run an earlier agent's program.
  DS_ASSIGN_OR_RETURN(
      std::unique_ptr<DataPlane> found,
      AdoptFromInterface(options, iface, ifindex, pins, directory));
  if (found) {
    found->lock_ = std::move(lock);
    DS_RETURN_IF_ERROR(
        found->FillMembership(options.prefixes, /*rewrite=*/true));
    // Pinned again, so that `darkscope detach` and the next agent find it
    // by its pins too (it stays kept attached until the first cut).
    DS_RETURN_IF_ERROR(found->PinAdopted(directory));
    return found;
  }
  // A bpffs private to this process takes its pins, and libxdp's
  // dispatcher attachment with them, when the agent exits: attached
  // directly, the program is then held by the interface alone.
  std::string why;
  absl::StatusOr<bool> outlives = BpffsOutlivesProcess(pins.bpffs, &why);
  const bool direct = outlives.ok() && !*outlives;
  if (direct) {
    std::fprintf(
        stderr,
        "darkscope: warning: the bpffs at %s is not the host's (%s): the pins "
        "vanish when the agent exits, so %s is attached directly (not through "
        "libxdp's dispatcher) to keep counting without them, and the next "
        "agent "
        "adopts it from the interface; give --bpffs a bpffs of the host's to "
        "keep "
        "the pins\n",
        pins.bpffs.c_str(), why.c_str(), kProgramName);
  } else if (!outlives.ok()) {
    std::fprintf(
        stderr,
        "darkscope: warning: cannot tell whether the bpffs at %s outlives "
        "the agent: %s\n",
        pins.bpffs.c_str(), std::string(outlives.status().message()).c_str());
  }
  DS_ASSIGN_OR_RETURN(std::unique_ptr<DataPlane> plane,
                      LoadAndAttachHow(options, ifindex, mode, direct));
  plane->lock_ = std::move(lock);
  DS_RETURN_IF_ERROR(plane->Pin(directory));
  plane->keep_attached_ = pins.keep_attached;
  return plane;
}

absl::StatusOr<std::string> DataPlane::DetachPinned(const std::string& bpffs,
                                                    const std::string& iface,
                                                    int ifindex) {
  const std::string directory = PinDirectory(bpffs, iface);
  DS_ASSIGN_OR_RETURN(std::vector<PinEntry> entries, ListPins(directory));
  if (entries.empty()) {
    // Nothing pinned: the interface may still run darkscope's program (its
    // pins lost with a private bpffs). Under the lock, unless an agent
    // holds the interface.
    if (ifindex > 0) {
      DS_ASSIGN_OR_RETURN(InterfaceScan found, ScanInterface(ifindex, iface));
      if (found.program.valid()) {
        DS_RETURN_IF_ERROR(EnsureBpffs(bpffs));  // for the lock
        DS_ASSIGN_OR_RETURN(PinDirectoryLock lock,
                            PinDirectoryLock::Acquire(directory, iface));
        DS_ASSIGN_OR_RETURN(std::string what,
                            DetachFound(found, iface, ifindex));
        if (rmdir(directory.c_str()) == 0)
          rmdir(directory.substr(0, directory.rfind('/')).c_str());
        return what;
      }
    }
    return absl::NotFoundError(
        absl::StrCat("nothing pinned in ", directory,
                     " and no darkscope program attached to ", iface));
  }
  DS_ASSIGN_OR_RETURN(PinDirectoryLock lock,
                      PinDirectoryLock::Acquire(directory, iface));
  DS_ASSIGN_OR_RETURN(std::string what,
                      RemovePinned(directory, iface, ifindex));
  // The operator asked for everything gone: the emptied directory too, and
  // the shared parent if it is empty, best effort (under the service user
  // the parent is not ours to remove). A run that opened the directory
  // meanwhile fails cleanly: its lock or its pins find no directory.
  if (rmdir(directory.c_str()) == 0) {
    absl::StrAppend(&what, " and the directory");
    rmdir(directory.substr(0, directory.rfind('/')).c_str());
  }
  return what;
}

absl::StatusOr<std::string> DataPlane::RemovePinned(
    const std::string& directory, const std::string& iface, int ifindex) {
  DS_ASSIGN_OR_RETURN(std::vector<PinEntry> entries, ListPins(directory));
  if (entries.empty()) {
    return absl::NotFoundError(absl::StrCat("nothing pinned in ", directory));
  }
  std::string what = "no pinned program";
  for (const PinEntry& entry : entries) {
    if (entry.object != kProgramName) continue;
    const std::string path = absl::StrCat(directory, "/", entry.name);
    DS_ASSIGN_OR_RETURN(UniqueFd program, OpenPin(path));
    bpf_prog_info info = {};
    uint32_t length = sizeof(info);
    if (bpf_obj_get_info_by_fd(program.get(), &info, &length) != 0) {
      return ErrnoError(errno, "bpf_obj_get_info_by_fd", path);
    }
    xdp_program* attached = xdp_program__from_id(info.id);
    if (long err = libxdp_get_error(attached);
        err != 0 || attached == nullptr) {
      return ErrnoError(err ? static_cast<int>(err) : EINVAL,
                        "xdp_program__from_id", path);
    }
    const int mode =
        ifindex > 0 ? xdp_program__is_attached(attached, ifindex) : 0;
    int err = 0;
    if (mode != XDP_MODE_UNSPEC) {
      err = xdp_program__detach(attached, ifindex,
                                static_cast<xdp_attach_mode>(mode), 0);
    }
    xdp_program__close(attached);
    if (err != 0) {
      return ErrnoError(
          err, "xdp_program__detach",
          absl::StrCat(path, " from ", iface, " (kept the ", entries.size(),
                       " pins in ", directory, ")"));
    }
    what = mode != XDP_MODE_UNSPEC
               ? absl::StrCat("detached ", entry.name, " (id ", info.id,
                              ") from ", iface)
               : absl::StrCat(entry.name, " (id ", info.id,
                              ") was not attached to ", iface);
  }
  DS_RETURN_IF_ERROR(RemovePins(directory));
  return absl::StrCat(what, "; removed ", entries.size(), " pins from ",
                      directory);
}

}  // namespace darkscope
