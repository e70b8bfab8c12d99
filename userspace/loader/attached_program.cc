// Finding darkscope's program on an interface and its maps by id.
#include "loader/attached_program.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <xdp/libxdp.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status.h"
#include "loader/map_info.h"

namespace darkscope {
namespace {

constexpr const char* kProgramName = "xdp_count_darknet";
constexpr const char* kLayoutVariable = "ds_layout";

// Object names as the kernel keeps them: at most BPF_OBJ_NAME_LEN - 1 bytes.
std::string KernelName(absl::string_view name) {
  return std::string(name.substr(0, BPF_OBJ_NAME_LEN - 1));
}

absl::StatusOr<bpf_prog_info> ProgramInfo(int fd,
                                          std::vector<uint32_t>* map_ids,
                                          absl::string_view what) {
  bpf_prog_info info = {};
  uint32_t length = sizeof(info);
  if (bpf_obj_get_info_by_fd(fd, &info, &length) != 0) {
    return ErrnoError(errno, "bpf_obj_get_info_by_fd", what);
  }
  if (map_ids == nullptr) return info;
  // Again, with room for the map ids it reported.
  map_ids->assign(info.nr_map_ids, 0);
  const uint32_t count = info.nr_map_ids;
  info = {};
  info.nr_map_ids = count;
  info.map_ids = reinterpret_cast<uint64_t>(map_ids->data());
  length = sizeof(info);
  if (bpf_obj_get_info_by_fd(fd, &info, &length) != 0) {
    return ErrnoError(errno, "bpf_obj_get_info_by_fd (map ids)", what);
  }
  map_ids->resize(std::min(count, info.nr_map_ids));
  return info;
}

// A program attached to the interface, by id: its fd and kernel name.
struct Attached {
  UniqueFd fd;
  uint32_t id = 0;
  std::string name;
  int mode = 0;
};

absl::StatusOr<Attached> OpenAttached(uint32_t id, int mode) {
  Attached program{UniqueFd(bpf_prog_get_fd_by_id(id)), id, "", mode};
  if (!program.fd.valid()) {
    return ErrnoError(errno, "bpf_prog_get_fd_by_id",
                      absl::StrCat("XDP program id ", id));
  }
  DS_ASSIGN_OR_RETURN(
      bpf_prog_info info,
      ProgramInfo(program.fd.get(), nullptr, absl::StrCat("program id ", id)));
  program.name = info.name;
  return program;
}

}  // namespace

const char* XdpModeName(int mode) {
  switch (mode) {
    case XDP_MODE_NATIVE:
      return "native";
    case XDP_MODE_SKB:
      return "skb";
    case XDP_MODE_HW:
      return "hw";
    default:
      return "";
  }
}

absl::StatusOr<PlaneObjects> PlaneObjectsOfProgram(UniqueFd program,
                                                   std::string where) {
  PlaneObjects objects;
  objects.where = std::move(where);
  std::vector<uint32_t> map_ids;
  DS_ASSIGN_OR_RETURN(bpf_prog_info info,
                      ProgramInfo(program.get(), &map_ids, objects.where));
  (void)info;
  for (uint32_t id : map_ids) {
    UniqueFd map(bpf_map_get_fd_by_id(id));
    if (!map.valid()) {
      return ErrnoError(errno, "bpf_map_get_fd_by_id",
                        absl::StrCat("map id ", id, " of ", objects.where));
    }
    DS_ASSIGN_OR_RETURN(bpf_map_info map_info,
                        MapInfo(map.get(), absl::StrCat("map id ", id)));
    const std::string name = map_info.name;
    if (absl::EndsWith(name, ".rodata")) {
      objects.config = std::move(map);
      continue;
    }
    for (int i = 0; i < kPlaneMapCount; ++i) {
      if (name == KernelName(kPlaneMapNames[i]))
        objects.maps[i] = std::move(map);
    }
  }
  std::vector<std::string> missing;
  for (int i = 0; i < kPlaneMapCount; ++i) {
    if (!objects.maps[i].valid()) missing.push_back(kPlaneMapNames[i]);
  }
  if (!objects.config.valid()) missing.push_back(".rodata");
  if (!missing.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        objects.where, " uses no map named ", absl::StrJoin(missing, ", "),
        ": not a program of this layout"));
  }
  objects.program = std::move(program);
  return objects;
}

absl::StatusOr<std::string> RecordedLayout(int config_fd) {
  DS_ASSIGN_OR_RETURN(bpf_map_info info, MapInfo(config_fd, ".rodata"));
  if (info.btf_id == 0) return std::string();
  std::unique_ptr<btf, void (*)(btf*)> types(
      btf__load_from_kernel_by_id(info.btf_id), btf__free);
  if (types == nullptr) {
    return ErrnoError(errno, "btf__load_from_kernel_by_id",
                      absl::StrCat("BTF id ", info.btf_id, " of ", info.name));
  }
  const btf_type* section =
      btf__type_by_id(types.get(), info.btf_value_type_id);
  if (section == nullptr || !btf_is_datasec(section)) return std::string();
  const btf_var_secinfo* vars = btf_var_secinfos(section);
  for (uint16_t i = 0; i < btf_vlen(section); ++i) {
    const btf_type* var = btf__type_by_id(types.get(), vars[i].type);
    if (var == nullptr ||
        std::strcmp(btf__name_by_offset(types.get(), var->name_off),
                    kLayoutVariable) != 0) {
      continue;
    }
    if (static_cast<uint64_t>(vars[i].offset) + vars[i].size > info.value_size)
      break;
    std::vector<char> value(info.value_size);
    const uint32_t zero = 0;
    if (bpf_map_lookup_elem(config_fd, &zero, value.data()) != 0) {
      return ErrnoError(errno, "bpf_map_lookup_elem", info.name);
    }
    const char* text = value.data() + vars[i].offset;
    return std::string(text, strnlen(text, vars[i].size));
  }
  return std::string();
}

absl::StatusOr<InterfaceScan> ScanInterface(int ifindex,
                                            absl::string_view iface) {
  InterfaceScan found;
  LIBBPF_OPTS(bpf_xdp_query_opts, query);
  if (int err = bpf_xdp_query(ifindex, 0, &query); err != 0) {
    return ErrnoError(err, "bpf_xdp_query",
                      absl::StrCat(iface, " (ifindex ", ifindex, ")"));
  }
  const std::pair<uint32_t, int> ids[] = {{query.drv_prog_id, XDP_MODE_NATIVE},
                                          {query.skb_prog_id, XDP_MODE_SKB},
                                          {query.hw_prog_id, XDP_MODE_HW}};
  const std::string ours = KernelName(kProgramName);
  for (const auto& [id, mode] : ids) {
    if (id == 0) continue;
    absl::StatusOr<Attached> program = OpenAttached(id, mode);
    if (!program.ok()) {
      if (absl::IsNotFound(program.status())) continue;  // detached meanwhile
      return program.status();
    }
    if (program->name == ours) {
      if (!found.program.valid()) {
        found.program = std::move(program->fd);
        found.program_id = id;
        found.mode = mode;
      }
      continue;
    }
    // libxdp's dispatcher: its components, as libxdp finds them (through its
    // own pins; a dispatcher whose pins are gone shows none).
    std::string components;
    bool ours_inside = false;
    xdp_multiprog* multiprog = xdp_multiprog__get_from_ifindex(ifindex);
    if (libxdp_get_error(multiprog) == 0 && multiprog != nullptr) {
      if (!xdp_multiprog__is_legacy(multiprog)) {
        for (xdp_program* component =
                 xdp_multiprog__next_prog(nullptr, multiprog);
             component != nullptr;
             component = xdp_multiprog__next_prog(component, multiprog)) {
          if (std::strcmp(xdp_program__name(component), kProgramName) == 0 &&
              !found.program.valid()) {
            found.program =
                UniqueFd(fcntl(xdp_program__fd(component), F_DUPFD_CLOEXEC, 3));
            found.program_id = xdp_program__id(component);
            found.mode = mode;
            found.in_dispatcher = true;
            ours_inside = true;
          } else {
            absl::StrAppend(&components, components.empty() ? "" : ", ",
                            xdp_program__name(component), " (id ",
                            xdp_program__id(component), ")");
          }
        }
      }
      xdp_multiprog__close(multiprog);
    }
    if (!ours_inside || !components.empty()) {
      found.others.push_back(absl::StrCat(
          program->name, " (id ", id, ", ", XdpModeName(mode),
          components.empty() ? "" : absl::StrCat(", running ", components),
          ")"));
    }
  }
  return found;
}

absl::StatusOr<InterfaceXdp> FindInterfaceXdp(int ifindex,
                                              absl::string_view iface) {
  DS_ASSIGN_OR_RETURN(InterfaceScan scan, ScanInterface(ifindex, iface));
  InterfaceXdp found;
  found.others = std::move(scan.others);
  if (!scan.program.valid()) return found;
  const std::string where =
      absl::StrCat(kProgramName, " (id ", scan.program_id, ") attached to ",
                   iface, " in ", XdpModeName(scan.mode), " mode");
  absl::StatusOr<PlaneObjects> objects =
      PlaneObjectsOfProgram(std::move(scan.program), where);
  if (!objects.ok()) {
    if (!absl::IsFailedPrecondition(objects.status())) return objects.status();
    found.others.push_back(std::string(objects.status().message()));
    return found;
  }
  DS_ASSIGN_OR_RETURN(found.layout, RecordedLayout(objects->config.get()));
  found.plane = std::move(*objects);
  found.program_id = scan.program_id;
  found.mode = scan.mode;
  found.in_dispatcher = scan.in_dispatcher;
  return found;
}

}  // namespace darkscope
