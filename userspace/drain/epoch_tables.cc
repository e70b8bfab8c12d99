// Swapping an epoch's maps out of the program, and reading them.
#include "drain/epoch_tables.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace darkscope {
namespace {

// Entries asked of the kernel per batch call.
constexpr uint32_t kBatchEntries = 4096;

absl::StatusOr<bpf_map_info> MapInfo(int fd, absl::string_view what) {
  bpf_map_info info = {};
  uint32_t length = sizeof(info);
  if (bpf_obj_get_info_by_fd(fd, &info, &length) != 0) {
    return ErrnoError(errno, "bpf_obj_get_info_by_fd", what);
  }
  return info;
}

bool IsPerCpu(uint32_t type) {
  return type == BPF_MAP_TYPE_PERCPU_ARRAY || type == BPF_MAP_TYPE_PERCPU_HASH ||
         type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

// Visits every entry of a map: `values` holds one value, or one per
// possible CPU for per-CPU maps, `stride` bytes apart.
using EntryVisitor =
    absl::FunctionRef<void(const uint8_t* key, const uint8_t* values,
                           size_t stride, int copies)>;

absl::Status ReadMapBatched(int fd, EntryVisitor visit) {
  DS_ASSIGN_OR_RETURN(bpf_map_info info, MapInfo(fd, "inner map"));
  const bool per_cpu = IsPerCpu(info.type);
  const int copies = per_cpu ? libbpf_num_possible_cpus() : 1;
  if (copies <= 0) return ErrnoError(copies, "libbpf_num_possible_cpus", "");
  const size_t stride = per_cpu ? (info.value_size + 7) / 8 * 8 : info.value_size;

  uint32_t capacity = kBatchEntries;
  std::vector<uint8_t> keys, values;
  uint64_t in_batch = 0, out_batch = 0;  // large enough for any batch token
  bool first = true;
  for (;;) {
    keys.resize(size_t{capacity} * info.key_size);
    values.resize(size_t{capacity} * stride * copies);
    uint32_t count = capacity;
    LIBBPF_OPTS(bpf_map_batch_opts, opts);
    int err = bpf_map_lookup_batch(fd, first ? nullptr : &in_batch, &out_batch,
                                   keys.data(), values.data(), &count, &opts);
    if (err != 0 && errno == ENOSPC && count == 0) {
      // A hash bucket holds more entries than fit: retry with room.
      capacity *= 2;
      continue;
    }
    if (err != 0 && errno != ENOENT) {
      return ErrnoError(errno, "bpf_map_lookup_batch",
                        absl::StrCat(info.name, " (id ", info.id, ")"));
    }
    for (uint32_t i = 0; i < count; ++i) {
      visit(keys.data() + size_t{i} * info.key_size,
            values.data() + size_t{i} * stride * copies, stride, copies);
    }
    if (err != 0) return absl::OkStatus();  // ENOENT: the last batch
    in_batch = out_batch;
    first = false;
  }
}

// Sums per-CPU copies of an ABI value, which is a sequence of __u64.
template <typename T>
T SumCopies(const uint8_t* values, size_t stride, int copies) {
  static_assert(sizeof(T) % sizeof(uint64_t) == 0);
  uint64_t sum[sizeof(T) / sizeof(uint64_t)] = {};
  for (int cpu = 0; cpu < copies; ++cpu) {
    uint64_t words[sizeof(T) / sizeof(uint64_t)];
    std::memcpy(words, values + cpu * stride, sizeof(T));
    for (size_t w = 0; w < std::size(words); ++w) sum[w] += words[w];
  }
  T result;
  std::memcpy(&result, sum, sizeof(T));
  return result;
}

template <typename T>
bool IsZero(const T& value) {
  static const T zero = {};
  return std::memcmp(&value, &zero, sizeof(T)) == 0;
}

// Reads an array or hash table into `out`, keeping nonzero values.
template <typename Key, typename Value, typename Map>
absl::Status ReadTable(int fd, Map& out) {
  return ReadMapBatched(fd, [&](const uint8_t* key_bytes, const uint8_t* values,
                                size_t stride, int copies) {
    Value value = SumCopies<Value>(values, stride, copies);
    if (IsZero(value)) return;
    Key key;
    std::memcpy(&key, key_bytes, sizeof(Key));
    out[key] = value;
  });
}

// A new, empty map shaped like `fd`'s.
absl::StatusOr<UniqueFd> CreateLike(int fd, absl::string_view table) {
  DS_ASSIGN_OR_RETURN(bpf_map_info info, MapInfo(fd, table));
  LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = info.map_flags);
  int created = bpf_map_create(static_cast<bpf_map_type>(info.type), info.name,
                               info.key_size, info.value_size,
                               info.max_entries, &opts);
  if (created < 0) return ErrnoError(created, "bpf_map_create", info.name);
  return UniqueFd(created);
}

}  // namespace

absl::StatusOr<DetachedEpoch> SwapOutEpoch(const OuterMapFds& outer,
                                           uint32_t epoch) {
  DetachedEpoch detached;
  for (int table = 0; table < kEpochTableCount; ++table) {
    const char* name = kEpochTableNames[table];
    uint32_t inner_id = 0;
    if (bpf_map_lookup_elem(outer[table], &epoch, &inner_id) != 0) {
      return ErrnoError(errno, "bpf_map_lookup_elem",
                        absl::StrCat(name, "[", epoch, "]"));
    }
    UniqueFd old_map(bpf_map_get_fd_by_id(inner_id));
    if (!old_map.valid()) {
      return ErrnoError(errno, "bpf_map_get_fd_by_id",
                        absl::StrCat(name, "[", epoch, "]"));
    }
    DS_ASSIGN_OR_RETURN(UniqueFd fresh, CreateLike(old_map.get(), name));
    int fresh_fd = fresh.get();
    // Returns after running programs finished: from here on nothing
    // writes old_map.
    if (bpf_map_update_elem(outer[table], &epoch, &fresh_fd, BPF_ANY) != 0) {
      return ErrnoError(errno, "bpf_map_update_elem",
                        absl::StrCat(name, "[", epoch, "]"));
    }
    detached.maps[table] = std::move(old_map);
  }
  return detached;
}

absl::StatusOr<EpochCounts> ReadEpochTables(const DetachedEpoch& epoch) {
  EpochCounts counts;
  auto fd = [&](EpochTable table) {
    return epoch.maps[static_cast<int>(table)].get();
  };
  absl::btree_map<uint32_t, ds_counters> counters;
  DS_RETURN_IF_ERROR(
      (ReadTable<uint32_t, ds_counters>(fd(EpochTable::kCounters), counters)));
  if (auto it = counters.find(0); it != counters.end()) {
    std::copy(std::begin(it->second.value), std::end(it->second.value),
              counts.counters.begin());
  }
  DS_RETURN_IF_ERROR(
      (ReadTable<uint32_t, ds_port_stats>(fd(EpochTable::kPorts), counts.ports)));
  DS_RETURN_IF_ERROR((ReadTable<uint32_t, ds_traffic>(
      fd(EpochTable::kSrcPorts), counts.src_ports)));
  DS_RETURN_IF_ERROR((ReadTable<ds_net_key, ds_source_stats>(
      fd(EpochTable::kSources), counts.sources)));
  DS_RETURN_IF_ERROR((ReadTable<ds_net_key, ds_dest_stats>(
      fd(EpochTable::kDests), counts.destinations)));
  DS_RETURN_IF_ERROR((ReadTable<ds_flow_key, ds_traffic>(
      fd(EpochTable::kFlows), counts.flows)));
  return counts;
}

}  // namespace darkscope
