// The interface as the source of truth: which XDP programs are attached to
// an interface, darkscope's xdp_count_darknet among them (directly, or as a
// component of libxdp's dispatcher), and its maps reached by id from the
// program itself (bpf_prog_get_info_by_fd map_ids, bpf_map_get_fd_by_id), so
// that an agent adopts a program whose pins are gone: an earlier agent's
// bpffs was private and vanished with it (`ip netns exec`), or the agent
// died between attaching and pinning.
//
// The layout version a program was built with is in its .rodata map
// (ds_layout, filled by the loader), found through the map's BTF, so that a
// program of another layout is recognised whatever its .rodata looks like.
#ifndef DARKSCOPE_LOADER_ATTACHED_PROGRAM_H_
#define DARKSCOPE_LOADER_ATTACHED_PROGRAM_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/unique_fd.h"
#include "loader/data_plane.h"

namespace darkscope {

// What is attached to an interface.
struct InterfaceXdp {
  std::optional<PlaneObjects> plane;  // darkscope's program and maps, if there
  uint32_t program_id = 0;            // the plane's program
  int mode = 0;                       // its enum xdp_attach_mode
  bool in_dispatcher = false;         // a component of libxdp's dispatcher
  std::string layout;                 // its layout version, "" if none recorded
  std::vector<std::string> others;    // other programs there: "NAME (id N)"
};

// The programs attached to an interface, without darkscope's maps.
struct InterfaceScan {
  UniqueFd program;  // darkscope's, if there
  uint32_t program_id = 0;
  int mode = 0;
  bool in_dispatcher = false;
  std::vector<std::string> others;  // "NAME (id N, MODE)"
};

// Every XDP program attached to `ifindex` (`iface` for messages): cheap
// enough for each interval (netlink, and libxdp's pins for a dispatcher).
absl::StatusOr<InterfaceScan> ScanInterface(int ifindex,
                                            absl::string_view iface);

// ScanInterface, and darkscope's maps and layout.
absl::StatusOr<InterfaceXdp> FindInterfaceXdp(int ifindex,
                                              absl::string_view iface);

// The maps the program `program` uses (kPlaneMapNames and the .rodata map),
// reached by id. FailedPrecondition naming what is missing when it is not a
// darkscope program of a layout with these maps.
absl::StatusOr<PlaneObjects> PlaneObjectsOfProgram(UniqueFd program,
                                                   std::string where);

// The layout version in a plane's .rodata map (ds_layout); "" when the
// map's BTF has no such variable (a build before it was recorded).
absl::StatusOr<std::string> RecordedLayout(int config_fd);

// "native", "skb", "hw" for an enum xdp_attach_mode; "" otherwise.
const char* XdpModeName(int mode);

}  // namespace darkscope

#endif  // DARKSCOPE_LOADER_ATTACHED_PROGRAM_H_
