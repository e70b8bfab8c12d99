// Measuring a map's kernel memory from fdinfo and splitting it by CPU.
#include "loader/map_memory.h"

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status.h"
#include "loader/map_info.h"

namespace darkscope {
namespace {

// The kernel's sizes in its memory accounting that do not depend on the
// map: HASHTAB_MAP_LOCK_COUNT ints of lock depth per CPU, and struct
// htab_elem's header before the key (x86_64 and arm64).
constexpr uint64_t kHashLockBytesPerCpu = 8 * sizeof(int);
constexpr uint64_t kHashElemHeader = 48;

uint64_t RoundUp8(uint64_t n) { return (n + 7) / 8 * 8; }

// Bytes the kernel accounts per possible CPU for a map like `info`
// (preallocated, as darkscope's are).
uint64_t PerCpuBytes(const bpf_map_info& info) {
  const uint64_t value = RoundUp8(info.value_size);
  switch (info.type) {
    case BPF_MAP_TYPE_PERCPU_ARRAY:
      return uint64_t{info.max_entries} * value;
    case BPF_MAP_TYPE_HASH:
      // One extra element per CPU (htab_has_extra_elems) and a freelist
      // pointer per CPU.
      if (info.map_flags & BPF_F_NO_PREALLOC) return kHashLockBytesPerCpu;
      return kHashLockBytesPerCpu + kHashElemHeader + RoundUp8(info.key_size) +
             value + sizeof(void*);
    case BPF_MAP_TYPE_PERCPU_HASH:
      if (info.map_flags & BPF_F_NO_PREALLOC) return kHashLockBytesPerCpu;
      return kHashLockBytesPerCpu + uint64_t{info.max_entries} * value;
    default:
      return 0;
  }
}

absl::StatusOr<uint64_t> FdinfoMemlock(int fd, absl::string_view what) {
  const std::string path = absl::StrCat("/proc/self/fdinfo/", fd);
  std::ifstream in(path);
  if (!in)
    return ErrnoError(errno, "open", absl::StrCat(path, " (", what, ")"));
  std::string line;
  while (std::getline(in, line)) {
    constexpr absl::string_view kKey = "memlock:";
    if (absl::string_view(line).substr(0, kKey.size()) != kKey) continue;
    uint64_t bytes = 0;
    if (!absl::SimpleAtoi(absl::string_view(line).substr(kKey.size()), &bytes))
      break;
    return bytes;
  }
  return absl::DataLossError(
      absl::StrCat("read ", path, " (", what, "): no memlock line"));
}

}  // namespace

absl::StatusOr<MapMemory> MeasureMapMemory(int fd, absl::string_view what,
                                           int possible_cpus) {
  DS_ASSIGN_OR_RETURN(bpf_map_info info, MapInfo(fd, what));
  DS_ASSIGN_OR_RETURN(uint64_t total, FdinfoMemlock(fd, what));
  MapMemory memory{
      .name = info.name, .fixed_bytes = 0, .per_cpu_bytes = PerCpuBytes(info)};
  const uint64_t per_cpu_total =
      memory.per_cpu_bytes * static_cast<uint64_t>(possible_cpus);
  if (per_cpu_total > total) {
    return absl::InternalError(absl::StrCat(
        "kernel memory of ", what, ": fdinfo says ", total,
        " bytes, less than the ", per_cpu_total, " its ", possible_cpus,
        " possible CPUs need by the kernel's formula"));
  }
  memory.fixed_bytes = total - per_cpu_total;
  return memory;
}

uint64_t TotalBytesFor(const std::vector<MapMemory>& maps, int possible_cpus) {
  uint64_t total = 0;
  for (const MapMemory& map : maps) total += map.BytesFor(possible_cpus);
  return total;
}

std::string FormatBytes(uint64_t bytes) {
  constexpr double kMiB = 1024.0 * 1024.0;
  if (bytes >= 1024 * 1024 * 1024ull)
    return absl::StrFormat("%.2f GiB", bytes / (kMiB * 1024));
  return absl::StrFormat("%.1f MiB", bytes / kMiB);
}

}  // namespace darkscope
