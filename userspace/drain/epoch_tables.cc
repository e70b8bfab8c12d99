// Swapping an epoch's maps out of the program, and reading them.
#include "drain/epoch_tables.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "common/port_index.h"
#include "common/status.h"
#include "loader/map_info.h"

namespace darkscope {
namespace {

// Entries asked of the kernel per batch call.
constexpr uint32_t kBatchEntries = 4096;

// The arrays (counters, ports, source ports, the touched bitmap, the dense
// tables and their indexes): cleared in place, never swapped for a spare.
// Only ds_dests, a hash table, is.
bool IsArrayTable(int table) {
  return table != static_cast<int>(EpochTable::kDests);
}

bool IsPerCpu(uint32_t type) {
  return type == BPF_MAP_TYPE_PERCPU_ARRAY ||
         type == BPF_MAP_TYPE_PERCPU_HASH ||
         type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

// How a batch call lays out a map's values: one value, or one per possible
// CPU for per-CPU maps, each copy rounded up to 8 bytes.
struct ValueLayout {
  int copies;
  size_t stride;
};

absl::StatusOr<ValueLayout> LayoutOf(const bpf_map_info& info) {
  if (!IsPerCpu(info.type)) return ValueLayout{1, info.value_size};
  const int copies = libbpf_num_possible_cpus();
  if (copies <= 0) return ErrnoError(copies, "libbpf_num_possible_cpus", "");
  return ValueLayout{copies, (info.value_size + 7) / 8 * 8};
}

// Visits every entry of a map: `values` holds one value, or one per
// possible CPU for per-CPU maps, `stride` bytes apart.
using EntryVisitor = absl::FunctionRef<void(
    const uint8_t* key, const uint8_t* values, size_t stride, int copies)>;

absl::Status ReadMapBatched(int fd, EntryVisitor visit) {
  DS_ASSIGN_OR_RETURN(bpf_map_info info, MapInfo(fd, "inner map"));
  DS_ASSIGN_OR_RETURN(const ValueLayout layout, LayoutOf(info));
  const int copies = layout.copies;
  const size_t stride = layout.stride;

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

// Visits the entries [first, first + count) of an array map (cut at its
// bound), in batch lookups of at most kBatchEntries entries.
absl::Status ReadArrayRange(int fd, const bpf_map_info& info, uint32_t first,
                            uint32_t count, EntryVisitor visit) {
  DS_ASSIGN_OR_RETURN(const ValueLayout layout, LayoutOf(info));
  const int copies = layout.copies;
  const size_t stride = layout.stride;
  const uint32_t end = static_cast<uint32_t>(
      std::min<uint64_t>(uint64_t{first} + count, info.max_entries));
  std::vector<uint8_t> keys, values;
  while (first < end) {
    uint32_t want = std::min(end - first, kBatchEntries);
    keys.resize(size_t{want} * info.key_size);
    values.resize(size_t{want} * stride * copies);
    // The batch starts after in_batch (the previous key), or at key 0.
    uint32_t in_batch = first - 1, out_batch = 0, got = want;
    LIBBPF_OPTS(bpf_map_batch_opts, opts);
    int err =
        bpf_map_lookup_batch(fd, first == 0 ? nullptr : &in_batch, &out_batch,
                             keys.data(), values.data(), &got, &opts);
    if (err != 0 && errno != ENOENT) {
      return ErrnoError(
          errno, "bpf_map_lookup_batch",
          absl::StrCat(info.name, " (id ", info.id, ") from ", first));
    }
    for (uint32_t i = 0; i < got; ++i) {
      visit(keys.data() + size_t{i} * info.key_size,
            values.data() + size_t{i} * stride * copies, stride, copies);
    }
    if (got < want) {
      return absl::DataLossError(
          absl::StrCat("bpf_map_lookup_batch ", info.name, " (id ", info.id,
                       "): ", got, " of ", want, " entries from ", first));
    }
    first += want;
  }
  return absl::OkStatus();
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

// Reads an array table into `out` keeping nonzero values (every index of an
// array exists), or a hash table keeping every entry. Entries are gathered,
// sorted, and appended in order: far cheaper than a million tree inserts.
template <typename Key, typename Value, typename Map>
absl::Status ReadTable(int fd, bool is_array, Map& out) {
  std::vector<std::pair<Key, Value>> entries;
  DS_RETURN_IF_ERROR(
      ReadMapBatched(fd, [&](const uint8_t* key_bytes, const uint8_t* values,
                             size_t stride, int copies) {
        Value value = SumCopies<Value>(values, stride, copies);
        if (is_array && IsZero(value)) return;
        Key key;
        std::memcpy(&key, key_bytes, sizeof(Key));
        entries.emplace_back(key, value);
      }));
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [key, value] : entries)
    out.emplace_hint(out.end(), key, value);
  return absl::OkStatus();
}

// Reads an array table's nonzero entries among those whose bits are set in
// `words` (bit i: entry i; ds_touched, abi.h): the runs of nonzero words,
// 64 entries a word, one batch lookup per run of up to kBatchEntries.
template <typename Value, typename Map>
absl::Status ReadTouchedArray(int fd, absl::Span<const uint64_t> words,
                              Map& out, absl::string_view table) {
  DS_ASSIGN_OR_RETURN(bpf_map_info info, MapInfo(fd, table));
  std::vector<std::pair<uint32_t, Value>> entries;
  auto keep = [&](const uint8_t* key_bytes, const uint8_t* values,
                  size_t stride, int copies) {
    Value value = SumCopies<Value>(values, stride, copies);
    if (IsZero(value)) return;
    uint32_t key;
    std::memcpy(&key, key_bytes, sizeof(key));
    entries.emplace_back(key, value);
  };
  for (size_t w = 0; w < words.size();) {
    if (words[w] == 0) {
      ++w;
      continue;
    }
    size_t end = w + 1;
    while (end < words.size() && words[end] != 0) ++end;
    // From the run's first set bit to its last: a word with one entry
    // touched is one entry read, not 64.
    const uint32_t first =
        static_cast<uint32_t>(w * 64 + std::countr_zero(words[w]));
    const uint32_t last = static_cast<uint32_t>(
        (end - 1) * 64 + 63 - std::countl_zero(words[end - 1]));
    DS_RETURN_IF_ERROR(ReadArrayRange(fd, info, first, last - first + 1, keep));
    w = end;
  }
  // Runs come in key order.
  for (const auto& [key, value] : entries)
    out.emplace_hint(out.end(), key, value);
  return absl::OkStatus();
}

// Reads the nonzero entries of a memory-mappable array among those whose
// bits are set in `words`, in key order, from its mapping.
template <typename Value, typename Map>
absl::Status ReadTouchedMapped(int fd, absl::Span<const uint64_t> words,
                               MappedTables& mapped, Map& out,
                               absl::string_view table) {
  DS_ASSIGN_OR_RETURN(const MappedArray* array,
                      mapped.Get(fd, table, sizeof(Value)));
  for (size_t w = 0; w < words.size(); ++w) {
    for (uint64_t bits = words[w]; bits != 0; bits &= bits - 1) {
      const uint64_t key =
          w * 64 + static_cast<uint64_t>(std::countr_zero(bits));
      if (key >= array->entries()) break;
      Value value;
      std::memcpy(&value, array->entry(static_cast<uint32_t>(key)),
                  sizeof(value));
      if (IsZero(value)) continue;
      out.emplace_hint(out.end(), static_cast<uint32_t>(key), value);
    }
  }
  return absl::OkStatus();
}

// Zeroes `keys` of a memory-mappable array through its mapping.
template <typename Value>
absl::Status ZeroMappedEntries(int fd, const std::vector<uint32_t>& keys,
                               MappedTables& mapped, absl::string_view table) {
  if (keys.empty()) return absl::OkStatus();
  DS_ASSIGN_OR_RETURN(const MappedArray* array,
                      mapped.Get(fd, table, sizeof(Value)));
  for (uint32_t key : keys) {
    if (key < array->entries())
      std::memset(array->entry(key), 0, sizeof(Value));
  }
  return absl::OkStatus();
}

// The epoch's touched bitmap (ds_touched), DS_TOUCHED_WORDS words, through
// its mapping.
absl::StatusOr<std::vector<uint64_t>> ReadTouchedWords(int fd,
                                                       MappedTables& mapped) {
  DS_ASSIGN_OR_RETURN(const MappedArray* touched,
                      mapped.Get(fd, "ds_touched", sizeof(uint64_t)));
  if (touched->entries() != DS_TOUCHED_WORDS) {
    return absl::FailedPreconditionError(
        absl::StrCat("ds_touched: ", touched->entries(), " words, expected ",
                     DS_TOUCHED_WORDS));
  }
  std::vector<uint64_t> words(DS_TOUCHED_WORDS);
  std::memcpy(words.data(), touched->entry(0), words.size() * sizeof(uint64_t));
  return words;
}

// The records a dense table holds (abi.h, DS_INDEX_*): 1 .. the header's
// count of numbers handed out, cut at the bound.
template <typename Record>
uint32_t DenseRecords(const MappedArray& records) {
  uint64_t handed_out = 0;
  std::memcpy(
      &handed_out,
      records.entry(0) + offsetof(Record, index_slot) + sizeof(uint32_t),
      sizeof(handed_out));
  return static_cast<uint32_t>(
      std::min<uint64_t>(handed_out, records.entries() - 1));
}

void MergeValue(const ds_source_stats& from, ds_source_stats& into) {
  into.packets += from.packets;
  into.bytes += from.bytes;
  for (int w = 0; w < DS_HOST_BITMAP_WORDS; ++w) into.hosts[w] |= from.hosts[w];
  for (int w = 0; w < DS_PORT_SKETCH_WORDS; ++w)
    into.port_sketch[w] |= from.port_sketch[w];
  into.synack += from.synack;
  into.rst += from.rst;
}

void MergeValue(const ds_flow_stats& from, ds_flow_stats& into) {
  into.packets += from.packets;
  into.bytes += from.bytes;
  into.mirai += from.mirai;
  into.zmap += from.zmap;
  into.masscan += from.masscan;
}

// Reads a dense table's records into `out`: those with packets (a record
// number a CPU took and did not use holds none), by key.
template <typename Record, typename Key, typename Value, typename Map>
absl::Status ReadDense(int fd, absl::string_view table, Value Record::*counts,
                       MappedTables& mapped, Map& out) {
  DS_ASSIGN_OR_RETURN(const MappedArray* mapping,
                      mapped.Get(fd, table, sizeof(Record)));
  const MappedArray& records = *mapping;
  const uint32_t held = DenseRecords<Record>(records);
  std::vector<std::pair<Key, Value>> entries;
  entries.reserve(held);
  for (uint32_t i = 1; i <= held; ++i) {
    Record record;
    std::memcpy(&record, records.entry(i), sizeof(record));
    if ((record.*counts).packets == 0) continue;
    entries.emplace_back(record.key, record.*counts);
  }
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  // One record per key (the program's claim); merged all the same.
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i > 0 && !(entries[i - 1].first < entries[i].first)) {
      MergeValue(entries[i].second, std::prev(out.end())->second);
      continue;
    }
    out.emplace_hint(out.end(), entries[i].first, entries[i].second);
  }
  return absl::OkStatus();
}

// Zeroes a dense table's records 1 .. `held`, their index entries and the
// header: the table is empty again.
template <typename Record>
absl::Status ClearDense(int records_fd, int index_fd, uint32_t held,
                        absl::string_view table, MappedTables& mapped) {
  DS_ASSIGN_OR_RETURN(const MappedArray* records_mapping,
                      mapped.Get(records_fd, table, sizeof(Record)));
  DS_ASSIGN_OR_RETURN(
      const MappedArray* index_mapping,
      mapped.Get(index_fd, absl::StrCat(table, " index"), sizeof(uint32_t)));
  const MappedArray& records = *records_mapping;
  const MappedArray& index = *index_mapping;
  held = std::min(held, records.entries() - 1);
  for (uint32_t i = 1; i <= held; ++i) {
    uint32_t slot = 0;
    std::memcpy(&slot, records.entry(i) + offsetof(Record, index_slot),
                sizeof(slot));
    if (slot < index.entries()) std::memset(index.entry(slot), 0, 4);
  }
  if (held > 0) std::memset(records.entry(1), 0, sizeof(Record) * held);
  std::memset(records.entry(0), 0, sizeof(Record));
  return absl::OkStatus();
}

// The records of a dense table now.
template <typename Record>
absl::StatusOr<uint32_t> DenseRecordsOf(int fd, absl::string_view table,
                                        MappedTables& mapped) {
  DS_ASSIGN_OR_RETURN(const MappedArray* records,
                      mapped.Get(fd, table, sizeof(Record)));
  return DenseRecords<Record>(*records);
}

// A new, empty map shaped like `fd`'s.
absl::StatusOr<UniqueFd> CreateLike(int fd, absl::string_view table) {
  DS_ASSIGN_OR_RETURN(bpf_map_info info, MapInfo(fd, table));
  LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = info.map_flags);
  int created =
      bpf_map_create(static_cast<bpf_map_type>(info.type), info.name,
                     info.key_size, info.value_size, info.max_entries, &opts);
  if (created < 0) return ErrnoError(created, "bpf_map_create", info.name);
  return UniqueFd(created);
}

}  // namespace

absl::StatusOr<std::unique_ptr<MappedArray>> MappedArray::Map(
    int fd, absl::string_view table, size_t value_size) {
  DS_ASSIGN_OR_RETURN(bpf_map_info info, MapInfo(fd, table));
  if (info.type != BPF_MAP_TYPE_ARRAY ||
      (info.map_flags & BPF_F_MMAPABLE) == 0 || info.value_size != value_size) {
    return absl::FailedPreconditionError(absl::StrCat(
        table, " (id ", info.id, "): type ", info.type, ", flags ",
        info.map_flags, ", values of ", info.value_size,
        " bytes; expected a memory-mappable array of ", value_size));
  }
  std::unique_ptr<MappedArray> mapped(new MappedArray());
  mapped->stride_ = (size_t{info.value_size} + 7) / 8 * 8;
  mapped->entries_ = info.max_entries;
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  mapped->length_ =
      (mapped->stride_ * info.max_entries + page - 1) / page * page;
  void* base =
      mmap(nullptr, mapped->length_, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) {
    return ErrnoError(errno, "mmap",
                      absl::StrCat(table, " (id ", info.id, ")"));
  }
  mapped->base_ = static_cast<uint8_t*>(base);
  return mapped;
}

MappedArray::~MappedArray() {
  if (base_ != nullptr) munmap(base_, length_);
}

absl::StatusOr<const MappedArray*> MappedTables::Get(int fd,
                                                     absl::string_view table,
                                                     size_t value_size) {
  DS_ASSIGN_OR_RETURN(bpf_map_info info, MapInfo(fd, table));
  if (auto it = by_id_.find(info.id); it != by_id_.end())
    return it->second.get();
  DS_ASSIGN_OR_RETURN(std::unique_ptr<MappedArray> mapped,
                      MappedArray::Map(fd, table, value_size));
  const MappedArray* result = mapped.get();
  by_id_.emplace(info.id, std::move(mapped));
  return result;
}

absl::StatusOr<DetachedEpoch> EpochRotation::SwapOut(uint32_t epoch) {
  DetachedEpoch detached;
  for (int table = 0; table < kEpochTableCount; ++table) {
    const std::string slot =
        absl::StrCat(kEpochTableNames[table], "[", epoch, "]");
    uint32_t inner_id = 0;
    if (bpf_map_lookup_elem(outer_[table], &epoch, &inner_id) != 0) {
      return ErrnoError(errno, "bpf_map_lookup_elem", slot);
    }
    UniqueFd old_map(bpf_map_get_fd_by_id(inner_id));
    if (!old_map.valid()) {
      return ErrnoError(errno, "bpf_map_get_fd_by_id", slot);
    }
    UniqueFd empty;
    if (IsArrayTable(table)) {
      // Arrays stay in their slot: the update with the same map is only
      // for the kernel's wait, and Recycle clears what was read in place
      // while the program counts into the other epoch. Two sets of the
      // per-CPU arrays exist, not three.
      empty = UniqueFd(::dup(old_map.get()));
      if (!empty.valid()) return ErrnoError(errno, "dup", slot);
    } else if (spare_.has_value() && spare_->maps[table].valid()) {
      empty = std::move(spare_->maps[table]);
    } else {
      DS_ASSIGN_OR_RETURN(empty, CreateLike(old_map.get(), slot));
    }
    int empty_fd = empty.get();
    // Returns after running programs finished: from here on nothing
    // writes old_map.
    if (bpf_map_update_elem(outer_[table], &epoch, &empty_fd, BPF_ANY) != 0) {
      return ErrnoError(errno, "bpf_map_update_elem", slot);
    }
    detached.maps[table] = std::move(old_map);
  }
  spare_.reset();
  return detached;
}

namespace {

// Writes zeros over `keys` of an array table, kBatchEntries keys per call:
// the zero buffer is bounded whatever the CPU count and the table's bound
// (one buffer for a whole table reached 600 MB on 64 CPUs).
template <typename Key>
absl::Status ZeroArrayEntries(int fd, const std::vector<Key>& keys,
                              absl::string_view table) {
  if (keys.empty()) return absl::OkStatus();
  DS_ASSIGN_OR_RETURN(bpf_map_info info, MapInfo(fd, table));
  DS_ASSIGN_OR_RETURN(const ValueLayout layout, LayoutOf(info));
  const int copies = layout.copies;
  const size_t stride = layout.stride;
  const size_t chunk = std::min<size_t>(keys.size(), kBatchEntries);
  const std::vector<uint8_t> zeros(chunk * stride * copies, 0);
  for (size_t first = 0; first < keys.size(); first += chunk) {
    uint32_t count =
        static_cast<uint32_t>(std::min(chunk, keys.size() - first));
    LIBBPF_OPTS(bpf_map_batch_opts, opts);
    if (bpf_map_update_batch(fd, keys.data() + first, zeros.data(), &count,
                             &opts) != 0) {
      return ErrnoError(errno, "bpf_map_update_batch", table);
    }
  }
  return absl::OkStatus();
}

// Deletes `keys` from a hash table.
template <typename Key>
absl::Status DeleteHashEntries(int fd, const std::vector<Key>& keys,
                               absl::string_view table) {
  for (size_t first = 0; first < keys.size(); first += kBatchEntries) {
    uint32_t count = static_cast<uint32_t>(
        std::min<size_t>(kBatchEntries, keys.size() - first));
    LIBBPF_OPTS(bpf_map_batch_opts, opts);
    if (bpf_map_delete_batch(fd, keys.data() + first, &count, &opts) != 0) {
      return ErrnoError(errno, "bpf_map_delete_batch", table);
    }
  }
  return absl::OkStatus();
}

template <typename Map>
std::vector<typename Map::key_type> KeysOf(const Map& map) {
  std::vector<typename Map::key_type> keys;
  keys.reserve(map.size());
  for (const auto& entry : map) keys.push_back(entry.first);
  return keys;
}

// Clears the touched bitmap (33 KB, whole, through its mapping), after the
// arrays' entries: an entry still nonzero keeps its bit.
absl::Status ZeroTouched(int fd, MappedTables& mapped) {
  DS_ASSIGN_OR_RETURN(const MappedArray* touched,
                      mapped.Get(fd, "ds_touched", sizeof(uint64_t)));
  std::memset(touched->entry(0), 0,
              size_t{touched->entries()} * sizeof(uint64_t));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ClearList> ClearListOf(const DetachedEpoch& maps,
                                      const EpochCounts& counts,
                                      MappedTables& mapped) {
  ClearList clear;
  clear.ports = KeysOf(counts.ports);
  clear.src_ports = KeysOf(counts.src_ports);
  auto fd = [&](EpochTable table) {
    return maps.maps[static_cast<int>(table)].get();
  };
  DS_ASSIGN_OR_RETURN(clear.source_records,
                      DenseRecordsOf<ds_source_record>(fd(EpochTable::kSources),
                                                       "ds_sources", mapped));
  DS_ASSIGN_OR_RETURN(clear.flow_records,
                      DenseRecordsOf<ds_flow_record>(fd(EpochTable::kFlows),
                                                     "ds_flows", mapped));
  // ds_dests: a lightly used table is emptied key by key (a batch delete);
  // a well-filled one is replaced, since deleting many keys costs the
  // kernel more than a new preallocated table.
  DS_ASSIGN_OR_RETURN(bpf_map_info info,
                      MapInfo(fd(EpochTable::kDests), "ds_dests"));
  clear.destinations.replace =
      counts.destinations.size() * 8 >= info.max_entries;
  if (!clear.destinations.replace)
    clear.destinations.keys = KeysOf(counts.destinations);
  return clear;
}

absl::Status EpochRotation::Recycle(DetachedEpoch epoch,
                                    const EpochCounts& counts) {
  DS_ASSIGN_OR_RETURN(ClearList clear, ClearListOf(epoch, counts, mapped_));
  return Recycle(std::move(epoch), clear);
}

absl::Status EpochRotation::Recycle(DetachedEpoch epoch,
                                    const ClearList& clear) {
  auto fd = [&](EpochTable table) {
    return epoch.maps[static_cast<int>(table)].get();
  };
  auto name = [](EpochTable table) {
    return kEpochTableNames[static_cast<int>(table)];
  };
  DS_RETURN_IF_ERROR(ZeroArrayEntries(fd(EpochTable::kCounters),
                                      std::vector<uint32_t>{0},
                                      name(EpochTable::kCounters)));
  DS_RETURN_IF_ERROR(ZeroArrayEntries(fd(EpochTable::kPorts), clear.ports,
                                      name(EpochTable::kPorts)));
  DS_RETURN_IF_ERROR(
      ZeroMappedEntries<ds_traffic>(fd(EpochTable::kSrcPorts), clear.src_ports,
                                    mapped_, name(EpochTable::kSrcPorts)));
  DS_RETURN_IF_ERROR(ZeroTouched(fd(EpochTable::kTouched), mapped_));
  // A table marked `replace` was well filled: replaced by a new one (the
  // old map is freed by the kernel once its last fd closes).
  auto recycle_hash = [&](EpochTable table, const auto& hash) -> absl::Status {
    UniqueFd& map = epoch.maps[static_cast<int>(table)];
    if (!hash.replace)
      return DeleteHashEntries(map.get(), hash.keys, name(table));
    DS_ASSIGN_OR_RETURN(UniqueFd fresh, CreateLike(map.get(), name(table)));
    map = std::move(fresh);
    return absl::OkStatus();
  };
  DS_RETURN_IF_ERROR(ClearDense<ds_source_record>(
      fd(EpochTable::kSources), fd(EpochTable::kSourceIndex),
      clear.source_records, name(EpochTable::kSources), mapped_));
  DS_RETURN_IF_ERROR(ClearDense<ds_flow_record>(
      fd(EpochTable::kFlows), fd(EpochTable::kFlowIndex), clear.flow_records,
      name(EpochTable::kFlows), mapped_));
  DS_RETURN_IF_ERROR(recycle_hash(EpochTable::kDests, clear.destinations));
  // The arrays were cleared where they are (still in their slot); only the
  // hash table is kept as the spare.
  for (int table = 0; table < kEpochTableCount; ++table) {
    if (IsArrayTable(table)) epoch.maps[table].Reset();
  }
  spare_ = std::move(epoch);
  return absl::OkStatus();
}

absl::StatusOr<DetachedEpoch> InnerMapsInPlace(const OuterMapFds& outer,
                                               uint32_t epoch) {
  DetachedEpoch maps;
  for (int table = 0; table < kEpochTableCount; ++table) {
    const std::string slot =
        absl::StrCat(kEpochTableNames[table], "[", epoch, "]");
    uint32_t inner_id = 0;
    if (bpf_map_lookup_elem(outer[table], &epoch, &inner_id) != 0) {
      return ErrnoError(errno, "bpf_map_lookup_elem", slot);
    }
    maps.maps[table] = UniqueFd(bpf_map_get_fd_by_id(inner_id));
    if (!maps.maps[table].valid())
      return ErrnoError(errno, "bpf_map_get_fd_by_id", slot);
  }
  return maps;
}

absl::Status ClearInPlace(const DetachedEpoch& maps, const EpochCounts& counts,
                          MappedTables& mapped) {
  auto fd = [&](EpochTable table) {
    return maps.maps[static_cast<int>(table)].get();
  };
  auto name = [](EpochTable table) {
    return kEpochTableNames[static_cast<int>(table)];
  };
  DS_RETURN_IF_ERROR(ZeroArrayEntries(fd(EpochTable::kCounters),
                                      std::vector<uint32_t>{0},
                                      name(EpochTable::kCounters)));
  DS_RETURN_IF_ERROR(ZeroArrayEntries(
      fd(EpochTable::kPorts), KeysOf(counts.ports), name(EpochTable::kPorts)));
  DS_RETURN_IF_ERROR(ZeroMappedEntries<ds_traffic>(
      fd(EpochTable::kSrcPorts), KeysOf(counts.src_ports), mapped,
      name(EpochTable::kSrcPorts)));
  DS_RETURN_IF_ERROR(ZeroTouched(fd(EpochTable::kTouched), mapped));
  DS_ASSIGN_OR_RETURN(
      const uint32_t sources,
      DenseRecordsOf<ds_source_record>(fd(EpochTable::kSources),
                                       name(EpochTable::kSources), mapped));
  DS_RETURN_IF_ERROR(ClearDense<ds_source_record>(
      fd(EpochTable::kSources), fd(EpochTable::kSourceIndex), sources,
      name(EpochTable::kSources), mapped));
  DS_ASSIGN_OR_RETURN(
      const uint32_t flows,
      DenseRecordsOf<ds_flow_record>(fd(EpochTable::kFlows),
                                     name(EpochTable::kFlows), mapped));
  DS_RETURN_IF_ERROR(ClearDense<ds_flow_record>(
      fd(EpochTable::kFlows), fd(EpochTable::kFlowIndex), flows,
      name(EpochTable::kFlows), mapped));
  return DeleteHashEntries(fd(EpochTable::kDests), KeysOf(counts.destinations),
                           name(EpochTable::kDests));
}

absl::StatusOr<EpochCounts> ReadEpochTables(const DetachedEpoch& epoch) {
  MappedTables mapped;
  return ReadEpochTables(epoch, mapped);
}

absl::StatusOr<EpochCounts> ReadEpochTables(const DetachedEpoch& epoch,
                                            MappedTables& mapped) {
  EpochCounts counts;
  auto fd = [&](EpochTable table) {
    return epoch.maps[static_cast<int>(table)].get();
  };
  absl::btree_map<uint32_t, ds_counters> counters;
  DS_RETURN_IF_ERROR((ReadTable<uint32_t, ds_counters>(
      fd(EpochTable::kCounters), /*is_array=*/true, counters)));
  if (auto it = counters.find(0); it != counters.end()) {
    std::copy(std::begin(it->second.value), std::end(it->second.value),
              counts.counters.begin());
  }
  // The arrays: only the entries of the touched bitmap's nonzero words.
  DS_ASSIGN_OR_RETURN(std::vector<uint64_t> touched,
                      ReadTouchedWords(fd(EpochTable::kTouched), mapped));
  const absl::Span<const uint64_t> words(touched);
  absl::btree_map<uint32_t, ds_port_counts> ports;
  DS_RETURN_IF_ERROR(ReadTouchedArray<ds_port_counts>(
      fd(EpochTable::kPorts), words.subspan(0, DS_TOUCHED_PORT_WORDS), ports,
      "ds_ports"));
  for (const auto& [index, port] : ports) {
    const SlotPort sp = SlotPortOfIndex(index);
    counts.ports.emplace_hint(counts.ports.end(), index,
                              ds_port_stats_of(sp.slot, &port));
  }
  DS_RETURN_IF_ERROR(ReadTouchedMapped<ds_traffic>(
      fd(EpochTable::kSrcPorts), words.subspan(DS_TOUCHED_PORT_WORDS), mapped,
      counts.src_ports, "ds_src_ports"));
  DS_RETURN_IF_ERROR((ReadDense<ds_source_record, ds_net_key>(
      fd(EpochTable::kSources), "ds_sources", &ds_source_record::stats, mapped,
      counts.sources)));
  DS_RETURN_IF_ERROR((ReadTable<ds_net_key, ds_dest_stats>(
      fd(EpochTable::kDests), /*is_array=*/false, counts.destinations)));
  DS_RETURN_IF_ERROR((ReadDense<ds_flow_record, ds_flow_key>(
      fd(EpochTable::kFlows), "ds_flows", &ds_flow_record::stats, mapped,
      counts.flows)));
  return counts;
}

absl::Status IntervalCutter::Start() {
  epoch_ = 0;
  return plane_.SetEpoch(epoch_);
}

absl::StatusOr<EpochCounts> IntervalCutter::Adopt() {
  DS_ASSIGN_OR_RETURN(EpochCounts counts, AdoptAndHold());
  DS_RETURN_IF_ERROR(Release());
  return counts;
}

absl::StatusOr<EpochCounts> IntervalCutter::AdoptAndHold() {
  DS_RETURN_IF_ERROR(Release());
  DS_ASSIGN_OR_RETURN(epoch_, plane_.Epoch());
  return ReadAndHold(epoch_ ^ 1);
}

absl::StatusOr<EpochCounts> IntervalCutter::Cut() {
  DS_ASSIGN_OR_RETURN(EpochCounts counts, CutAndHold());
  DS_RETURN_IF_ERROR(Release());
  return counts;
}

absl::StatusOr<EpochCounts> IntervalCutter::CutAndHold() {
  if (mode_ == CutMode::kQuiescent) return DrainInPlace();
  // The epoch flipped back to must be empty.
  DS_RETURN_IF_ERROR(Release());
  const uint32_t old_epoch = epoch_;
  DS_RETURN_IF_ERROR(plane_.SetEpoch(old_epoch ^ 1));
  epoch_ = old_epoch ^ 1;
  return ReadAndHold(old_epoch);
}

absl::StatusOr<EpochCounts> IntervalCutter::ReadAndHold(uint32_t old_epoch) {
  const OuterMapFds& outer = plane_.outer_map_fds();
  DS_ASSIGN_OR_RETURN(DetachedEpoch maps, InnerMapsInPlace(outer, old_epoch));
  for (int table = 0; table < kEpochTableCount; ++table) {
    // The same map back into its slot: the update returns only after every
    // running program finished, so nothing writes the old epoch from here.
    int fd = maps.maps[table].get();
    if (bpf_map_update_elem(outer[table], &old_epoch, &fd, BPF_ANY) != 0) {
      return ErrnoError(
          errno, "bpf_map_update_elem",
          absl::StrCat(kEpochTableNames[table], "[", old_epoch, "]"));
    }
  }
  DS_ASSIGN_OR_RETURN(EpochCounts counts,
                      ReadEpochTables(maps, rotation_.mapped()));
  DS_ASSIGN_OR_RETURN(ClearList clear,
                      ClearListOf(maps, counts, rotation_.mapped()));
  held_ = Held{old_epoch, std::move(clear)};
  return counts;
}

absl::Status IntervalCutter::Release() {
  if (!held_.has_value()) return absl::OkStatus();
  // Quiescent already: the swap puts the spare hash tables in, and the
  // maps taken out are emptied for the next one.
  DS_ASSIGN_OR_RETURN(DetachedEpoch detached, rotation_.SwapOut(held_->epoch));
  DS_RETURN_IF_ERROR(rotation_.Recycle(std::move(detached), held_->clear));
  held_.reset();
  return absl::OkStatus();
}

absl::StatusOr<EpochCounts> IntervalCutter::DrainInPlace() {
  if (!in_place_.has_value()) {
    DS_ASSIGN_OR_RETURN(DetachedEpoch maps,
                        InnerMapsInPlace(plane_.outer_map_fds(), epoch_));
    in_place_ = std::move(maps);
  }
  DS_ASSIGN_OR_RETURN(EpochCounts counts,
                      ReadEpochTables(*in_place_, rotation_.mapped()));
  DS_RETURN_IF_ERROR(ClearInPlace(*in_place_, counts, rotation_.mapped()));
  return counts;
}

}  // namespace darkscope
