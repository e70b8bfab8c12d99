// MapInfo: a map's kernel description (type, sizes, bound, id, name) by fd,
// with an error naming the map; shared by the drain and the loader.
#ifndef DARKSCOPE_LOADER_MAP_INFO_H_
#define DARKSCOPE_LOADER_MAP_INFO_H_

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include <cerrno>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/status.h"

namespace darkscope {

inline absl::StatusOr<bpf_map_info> MapInfo(int fd, absl::string_view what) {
  bpf_map_info info = {};
  uint32_t length = sizeof(info);
  if (bpf_obj_get_info_by_fd(fd, &info, &length) != 0) {
    return ErrnoError(errno, "bpf_obj_get_info_by_fd", what);
  }
  return info;
}

}  // namespace darkscope

#endif  // DARKSCOPE_LOADER_MAP_INFO_H_
