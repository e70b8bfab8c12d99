// MapMemory: the kernel memory a loaded map holds, as the kernel itself
// reports it (the `memlock` line of /proc/self/fdinfo/FD, which is
// bpf_map_memory_usage()), split into a part that does not depend on the
// number of possible CPUs and a part per possible CPU, so that the memory of
// the same bounds on a host with another CPU count can be computed from the
// maps loaded here.
//
// The per-CPU part follows the kernel's own accounting (kernel/bpf/
// arraymap.c array_map_mem_usage, hashtab.c htab_map_mem_usage): a per-CPU
// array holds max_entries x round_up(value_size, 8) bytes per CPU; a
// preallocated hash holds, per CPU, its lock counters (8 ints), and either
// one value per entry (per-CPU hash) or one extra element and a freelist
// pointer (shared hash). Every other map type has no per-CPU part.
#ifndef DARKSCOPE_LOADER_MAP_MEMORY_H_
#define DARKSCOPE_LOADER_MAP_MEMORY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace darkscope {

struct MapMemory {
  std::string name;            // the map's kernel name
  uint64_t fixed_bytes = 0;    // independent of the CPU count
  uint64_t per_cpu_bytes = 0;  // for each possible CPU

  uint64_t BytesFor(int possible_cpus) const {
    return fixed_bytes + per_cpu_bytes * static_cast<uint64_t>(possible_cpus);
  }
};

// The memory of map `fd` (`what` names it in errors), measured on this host
// whose possible CPUs are `possible_cpus`.
absl::StatusOr<MapMemory> MeasureMapMemory(int fd, absl::string_view what,
                                           int possible_cpus);

// The sum over `maps` for `possible_cpus`.
uint64_t TotalBytesFor(const std::vector<MapMemory>& maps, int possible_cpus);

// "512.0 MiB", "1.25 GiB": binary units, as `free -h` prints them.
std::string FormatBytes(uint64_t bytes);

}  // namespace darkscope

#endif  // DARKSCOPE_LOADER_MAP_MEMORY_H_
