// The drain's steps for one epoch of counter tables:
//
//   EpochRotation::SwapOut: put empty maps into the epoch's slot of every
//     outer map and hand back the maps taken out. Each outer-map update
//     returns only after every XDP program that was running has finished
//     (the kernel's maybe_wait_bpf_programs), so once the agent has pointed
//     the program at the other epoch, the maps taken out are quiescent.
//   ReadEpochTables: read those maps with batch lookups and sum the per-CPU
//     values into one EpochCounts.
//   EpochRotation::Recycle: make the maps empty again for the next swap.
//     Per-CPU arrays never leave their slot (SwapOut updates the slot with
//     the same map, for the kernel's wait only) and only the entries that
//     were read are cleared, in bounded batches, while the program counts
//     into the other epoch: two sets of them exist, not three (creating a
//     131,840-entry per-CPU array costs the kernel ~100 ms of per-CPU
//     allocations). The dense tables (ds_sources, ds_flows and their
//     indexes) are arrays too: their records and index entries are zeroed
//     through a memory mapping. The hash table (ds_dests) is swapped for
//     the spare; it is emptied with a batch delete when lightly used and
//     replaced by a new one when well filled.
//
// The agent flips, swaps out, reads and recycles at each interval boundary;
// the fixture tests do the same around each frame to see exactly what it
// counted.
#ifndef DARKSCOPE_DRAIN_EPOCH_TABLES_H_
#define DARKSCOPE_DRAIN_EPOCH_TABLES_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/unique_fd.h"
#include "counts/counts.h"
#include "darkscope/abi.h"
#include "loader/data_plane.h"

namespace darkscope {

// The inner maps of one epoch, taken out of their outer maps; indexed by
// EpochTable.
struct DetachedEpoch {
  std::array<UniqueFd, kEpochTableCount> maps;
};

// An array map mapped into memory (BPF_F_MMAPABLE): the dense tables and
// their indexes, read and zeroed without a syscall per entry. The mapping
// holds the map: the kernel frees it only once the mapping is gone too.
class MappedArray {
 public:
  static absl::StatusOr<std::unique_ptr<MappedArray>> Map(
      int fd, absl::string_view table, size_t value_size);
  MappedArray(const MappedArray&) = delete;
  MappedArray& operator=(const MappedArray&) = delete;
  ~MappedArray();

  uint32_t entries() const { return entries_; }
  uint8_t* entry(uint32_t i) const { return base_ + size_t{i} * stride_; }

 private:
  MappedArray() = default;
  uint8_t* base_ = nullptr;
  size_t length_ = 0, stride_ = 0;
  uint32_t entries_ = 0;
};

// The dense tables' mappings, kept from one interval to the next. Mapping
// a BPF array maps every one of its pages at once (the kernel's
// remap_vmalloc_range), and unmapping unmaps them all: 40 MB of flow
// records are 10,000 page-table entries each way. A mapping per read and
// per clear was more than half of replay's time per interval; the arrays
// never leave their slots, so each is mapped once. Keyed by map id, which
// the kernel cannot hand to another map while the mapping holds this one.
// Bounded by what its owner drains: one data plane's two epochs of six
// mappable arrays (the dense tables and their indexes, ds_touched,
// ds_src_ports). Nothing is let go before the owner is, so a mapping
// returned stays valid while the owner lives.
class MappedTables {
 public:
  // `fd`'s mapping, made on first use; `table` names it in errors.
  absl::StatusOr<const MappedArray*> Get(int fd, absl::string_view table,
                                         size_t value_size);

 private:
  absl::flat_hash_map<uint32_t, std::unique_ptr<MappedArray>> by_id_;
};

// What Recycle must clear of an epoch that was read: the array entries
// read, the records of the dense tables (1 .. n, with their index
// entries), and the keys of ds_dests, or none when it was well filled and
// is replaced by a new table instead (deleting many keys costs more than
// a new table).
template <typename Key>
struct HashClear {
  bool replace = false;  // true: a new table instead of deleting `keys`
  std::vector<Key> keys;
};
struct ClearList {
  std::vector<uint32_t> ports, src_ports;
  uint32_t source_records = 0, flow_records = 0;
  HashClear<ds_net_key> destinations;
};

// The clear list of `counts`, read from `maps`.
absl::StatusOr<ClearList> ClearListOf(const DetachedEpoch& maps,
                                      const EpochCounts& counts,
                                      MappedTables& mapped);

class EpochRotation {
 public:
  explicit EpochRotation(const OuterMapFds& outer) : outer_(outer) {}

  // Swaps empty maps (the recycled set, or new ones) into `epoch`'s slots
  // and returns the maps taken out.
  absl::StatusOr<DetachedEpoch> SwapOut(uint32_t epoch);

  // Empties `epoch`'s maps (clearing what `clear` lists, made from what
  // ReadEpochTables returned for it) and keeps them for the next SwapOut.
  absl::Status Recycle(DetachedEpoch epoch, const ClearList& clear);
  absl::Status Recycle(DetachedEpoch epoch, const EpochCounts& counts);

  // The dense tables' mappings, for ReadEpochTables of the epochs this
  // rotation recycles.
  MappedTables& mapped() { return mapped_; }

 private:
  OuterMapFds outer_;
  MappedTables mapped_;
  std::optional<DetachedEpoch> spare_;
};

absl::StatusOr<EpochCounts> ReadEpochTables(const DetachedEpoch& epoch,
                                            MappedTables& mapped);
// With mappings made for this read alone (tests, benchmarks).
absl::StatusOr<EpochCounts> ReadEpochTables(const DetachedEpoch& epoch);

// The inner maps `epoch`'s slots hold now, left in place: for a program
// that runs only when its caller runs it (BPF_PROG_TEST_RUN), whose maps
// are quiescent between runs without the kernel's wait.
absl::StatusOr<DetachedEpoch> InnerMapsInPlace(const OuterMapFds& outer,
                                               uint32_t epoch);

// Empties maps read in place: the array entries listed in `counts` are
// zeroed, every key of the hash tables in `counts` is deleted (what
// ReadEpochTables returned for them: the cost follows what the interval
// touched, in batches of bounded size).
absl::Status ClearInPlace(const DetachedEpoch& maps, const EpochCounts& counts,
                          MappedTables& mapped);

// The drain at an interval boundary, as the agent and replay use it: point
// the program at the other epoch, swap the old epoch out (the kernel's wait
// makes it quiescent), read it and recycle its maps. Every packet the
// program counted since the previous Cut is in the counts returned.
// How IntervalCutter cuts.
enum class CutMode {
  // The agent's: flip, swap out (the kernel waits for running programs),
  // read, recycle. For a program attached to an interface.
  kLive,
  // Replay's: the program runs only inside the caller's own test runs, so
  // the epoch's maps are read and cleared in place, without a flip or a
  // swap (each swap costs the kernel an RCU grace period per table).
  kQuiescent,
};

class IntervalCutter {
 public:
  explicit IntervalCutter(DataPlane& plane, CutMode mode = CutMode::kLive)
      : plane_(plane), rotation_(plane.outer_map_fds()), mode_(mode) {}

  // Points the program at epoch 0; call once before the first packet.
  absl::Status Start();
  // The epoch the program counts into now.
  uint32_t epoch() const { return epoch_; }

  // The cut in two halves, for an agent that must not lose an interval
  // when it is killed before the interval's snapshot is on disk:
  // CutAndHold flips, waits for running programs (an outer-map update with
  // the same maps) and reads the old epoch where it is, leaving its counts
  // in the kernel, reachable from the pinned outer maps; Release, once the
  // snapshot is durable, empties it. CutAndHold releases first what an
  // earlier one still holds (it must be empty before the program flips back
  // to it). kQuiescent cuts hold nothing.
  absl::StatusOr<EpochCounts> CutAndHold();
  absl::Status Release();
  // The epoch read and not yet released, if any.
  std::optional<uint32_t> held_epoch() const {
    return held_.has_value() ? std::optional<uint32_t>(held_->epoch)
                             : std::nullopt;
  }
  // Adopt's first half: reads the epoch the program is not counting into,
  // and holds it.
  absl::StatusOr<EpochCounts> AdoptAndHold();
  // Instead of Start, for a program an earlier agent left counting (an
  // adopted DataPlane): keeps the epoch the program counts into and drains
  // the other one, which holds what the earlier agent flipped away from
  // but did not read if it died between the flip and the swap (else it is
  // empty). Returns those counts; the next Cut returns the rest.
  absl::StatusOr<EpochCounts> Adopt();
  absl::StatusOr<EpochCounts> Cut();

 private:
  // Waits for running programs, reads `epoch` in place and holds it.
  absl::StatusOr<EpochCounts> ReadAndHold(uint32_t epoch);

  // kQuiescent: reads and clears epoch_'s maps in place.
  absl::StatusOr<EpochCounts> DrainInPlace();

  DataPlane& plane_;
  EpochRotation rotation_;
  CutMode mode_;
  std::optional<DetachedEpoch> in_place_;  // kQuiescent: epoch_'s maps
  uint32_t epoch_ = 0;
  struct Held {
    uint32_t epoch;
    ClearList clear;
  };
  std::optional<Held> held_;
};

}  // namespace darkscope

#endif  // DARKSCOPE_DRAIN_EPOCH_TABLES_H_
