// bench/drain_cost: the agent's work at an interval boundary with every
// table filled to its bound (131,840 ports and 131,072 source ports with
// counts on every CPU, 262,144 source /24s, 65,536 destination /24s,
// 1,048,576 flows), phase by phase:
//   flip + swap (point the program at the other epoch, swap the old maps
//   out), read (batch lookups, per-CPU sums), recycle (clear what was read),
//   encode (snapshot tables, zstd), and the durable write of the file
//   through io_uring beside the write(2)+fsync(2) baseline.
// The tables are refilled from userspace (batch updates) before each round;
// the figures are medians over --rounds, and the total is given as a share
// of a 60 s interval.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdlib.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/unique_fd.h"
#include "drain/epoch_tables.h"
#include "io/durable_file.h"
#include "loader/data_plane.h"
#include "median.h"
#include "snapshot/snapshot.h"

ABSL_FLAG(int, rounds, 5, "fill-and-drain rounds");
ABSL_FLAG(std::string, dir, "",
          "directory for the snapshot files (default: a new one under /tmp, "
          "removed at exit)");

namespace darkscope {
namespace {

int InnerFd(int outer, uint32_t epoch) {
  uint32_t id = 0;
  if (bpf_map_lookup_elem(outer, &epoch, &id) != 0) return -1;
  return bpf_map_get_fd_by_id(id);
}

bool UpdateBatch(int fd, const void* keys, const void* values, uint32_t count) {
  LIBBPF_OPTS(bpf_map_batch_opts, opts);
  uint32_t n = count;
  return bpf_map_update_batch(fd, keys, values, &n, &opts) == 0 && n == count;
}

// Fills epoch 0's tables to their bounds.
bool Fill(const OuterMapFds& outer, uint32_t round) {
  const int cpus = libbpf_num_possible_cpus();
  auto fd = [&](EpochTable t) {
    return UniqueFd(InnerFd(outer[static_cast<int>(t)], 0));
  };

  {  // Per-CPU arrays: every index, a count on every CPU.
    UniqueFd ports = fd(EpochTable::kPorts);
    std::vector<uint32_t> keys(DS_PORT_INDEX_COUNT);
    std::vector<ds_port_counts> values(keys.size() * cpus);
    for (uint32_t i = 0; i < keys.size(); ++i) keys[i] = i;
    for (auto& v : values) v = {1 + round, 60, 1, 0, 1, 0, 0, 0};
    if (!UpdateBatch(ports.get(), keys.data(), values.data(), keys.size()))
      return false;
    UniqueFd src_ports = fd(EpochTable::kSrcPorts);
    keys.resize(DS_SRC_PORT_INDEX_COUNT);
    std::vector<ds_traffic> traffic(keys.size(), {1, 60});  // shared
    if (!UpdateBatch(src_ports.get(), keys.data(), traffic.data(), keys.size()))
      return false;
    // Every entry touched, as the program marks them (ds_touched, abi.h).
    UniqueFd touched = fd(EpochTable::kTouched);
    keys.resize(DS_TOUCHED_WORDS);
    std::vector<uint64_t> bits(keys.size(), ~uint64_t{0});
    if (!UpdateBatch(touched.get(), keys.data(), bits.data(), keys.size()))
      return false;
  }
  {  // Keyed tables: distinct keys up to each bound. The dense tables get
     // records 1 .. bound and the header's count, as the program leaves
     // them (abi.h, DS_INDEX_*); each record names an index entry (its
     // number), which the recycle zeroes.
    std::vector<ds_net_key> nets(DS_SOURCES_MAX);
    for (uint32_t i = 0; i < nets.size(); ++i) {
      nets[i] = {DS_FAMILY_IPV4,
                 0,
                 {uint8_t(i >> 16), uint8_t(i >> 8), uint8_t(i), 0, 0, 0}};
    }
    std::vector<uint32_t> numbers(DS_FLOWS_MAX + 1);
    for (uint32_t i = 0; i < numbers.size(); ++i) numbers[i] = i;
    std::vector<ds_source_record> sources(nets.size() + 1);
    sources[0].stats.packets = nets.size();
    for (uint32_t i = 1; i < sources.size(); ++i) {
      sources[i] = {nets[i - 1],
                    0,
                    i,
                    {3, 180, {7, 0, 0, 0}, {1, 2, 0, 0, 0, 0, 0, 0}, 1, 1},
                    {}};
    }
    UniqueFd sources_fd = fd(EpochTable::kSources);
    if (!UpdateBatch(sources_fd.get(), numbers.data(), sources.data(),
                     sources.size()))
      return false;
    std::vector<ds_dest_stats> dests(DS_DESTINATIONS_MAX);
    for (auto& d : dests) d = {3, 180, {7, 0, 0, 0}};
    UniqueFd dests_fd = fd(EpochTable::kDests);
    if (!UpdateBatch(dests_fd.get(), nets.data(), dests.data(), dests.size()))
      return false;
    std::vector<ds_flow_record> flows(DS_FLOWS_MAX + 1);
    flows[0].stats.packets = DS_FLOWS_MAX;
    for (uint32_t i = 1; i < flows.size(); ++i) {
      flows[i] = {{nets[(i - 1) % nets.size()], DS_SLOT_TCP, 0,
                   uint16_t((i - 1) / nets.size() + 1)},
                  i,
                  {1, 60, 0, 0, 0}};
    }
    UniqueFd flows_fd = fd(EpochTable::kFlows);
    if (!UpdateBatch(flows_fd.get(), numbers.data(), flows.data(),
                     flows.size()))
      return false;
  }
  return true;
}

// Reads every entry of a map with get_next_key and lookup, summing per-CPU
// values; returns the number of entries.
uint64_t ReadPerKey(int fd) {
  bpf_map_info info = {};
  uint32_t length = sizeof(info);
  if (bpf_obj_get_info_by_fd(fd, &info, &length) != 0) return 0;
  const bool per_cpu = info.type == BPF_MAP_TYPE_PERCPU_ARRAY ||
                       info.type == BPF_MAP_TYPE_PERCPU_HASH;
  const int copies = per_cpu ? libbpf_num_possible_cpus() : 1;
  const size_t stride = (info.value_size + 7) / 8 * 8;
  std::vector<uint8_t> key(info.key_size), next(info.key_size),
      value(stride * copies);
  std::vector<uint64_t> sum(stride / 8);
  uint64_t entries = 0;
  void* previous = nullptr;
  while (bpf_map_get_next_key(fd, previous, next.data()) == 0) {
    if (bpf_map_lookup_elem(fd, next.data(), value.data()) == 0) {
      for (int cpu = 0; cpu < copies; ++cpu) {
        for (size_t w = 0; w < sum.size(); ++w) {
          uint64_t word;
          std::memcpy(&word, value.data() + cpu * stride + w * 8, 8);
          sum[w] += word;
        }
      }
      ++entries;
    }
    key.swap(next);
    previous = key.data();
  }
  return entries;
}

double Ms(absl::Duration d) { return absl::ToDoubleMilliseconds(d); }

int Run() {
  std::string dir = absl::GetFlag(FLAGS_dir);
  std::optional<std::filesystem::path> own_dir;
  if (dir.empty()) {
    char tmpl[] = "/tmp/drain-cost-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) return 2;
    dir = tmpl;
    own_dir = dir;
  }
  absl::Cleanup remove_own_dir = [&] {
    std::error_code ignored;
    if (own_dir) std::filesystem::remove_all(*own_dir, ignored);
  };
  DataPlaneOptions options;
  // A /8: ds_dests is sized to the darknet's /24s, and a full-bound drain
  // needs all 65,536 of them. No traffic is sent; the tables are filled
  // from userspace.
  options.prefixes = {*ParseDarknetPrefix("10.0.0.0/8")};
  auto plane = DataPlane::Load(options);
  auto uring = UringFileWriter::Create(dir);
  if (!plane.ok() || !uring.ok()) {
    std::fprintf(stderr, "drain_cost: %s %s\n",
                 plane.status().ToString().c_str(),
                 uring.status().ToString().c_str());
    return 2;
  }
  EpochRotation rotation((*plane)->outer_map_fds());
  std::vector<double> flip, read, per_key, recycle, encode, uring_write,
      plain_write, total_uring;
  uint64_t per_key_rows = 0;
  size_t file_bytes = 0, rows = 0;
  for (int round = 0; round < absl::GetFlag(FLAGS_rounds); ++round) {
    if (!(*plane)->SetEpoch(1).ok() ||
        !Fill((*plane)->outer_map_fds(), round)) {
      std::fprintf(stderr, "drain_cost: filling the tables failed: %s\n",
                   strerror(errno));
      return 2;
    }
    absl::Time t0 = absl::Now();
    auto detached = rotation.SwapOut(0);
    absl::Time t1 = absl::Now();
    // The same maps read key by key (bpf_map_get_next_key + lookup), the
    // way a reader without batch operations would, for comparison.
    uint64_t per_key_entries = 0;
    if (detached.ok()) {
      for (const UniqueFd& map : detached->maps)
        per_key_entries += ReadPerKey(map.get());
    }
    absl::Time t1b = absl::Now();
    auto counts = ReadEpochTables(*detached);
    absl::Time t2 = absl::Now();
    if (!detached.ok() || !counts.ok()) return 2;
    Snapshot snapshot{"bench",
                      absl::FromUnixSeconds(1795428000 + 60 * round),
                      60,
                      true,
                      *counts,
                      {},
                      options.prefixes,
                      {}};
    if (!rotation.Recycle(std::move(*detached), *counts).ok()) return 2;
    absl::Time t3 = absl::Now();
    std::vector<uint8_t> bytes = EncodeSnapshot(snapshot);
    absl::Time t4 = absl::Now();
    // The two writers take turns at going first, so that neither always
    // meets the file system after the other's journal commit.
    const std::string name = SnapshotFileName(snapshot.interval_start);
    absl::Status written, plain;
    absl::Duration uring_time, plain_time;
    for (int turn = 0; turn < 2; ++turn) {
      absl::Time began = absl::Now();
      if ((turn + round) % 2 == 0) {
        written = (*uring)->Write(name, bytes);
        uring_time = absl::Now() - began;
      } else {
        plain = WritePlainFile(dir, "plain-" + name, bytes);
        plain_time = absl::Now() - began;
      }
    }
    absl::Time t5 = t4 + uring_time;
    if (!written.ok() || !plain.ok()) {
      std::fprintf(stderr, "drain_cost: %s %s\n", written.ToString().c_str(),
                   plain.ToString().c_str());
      return 2;
    }
    flip.push_back(Ms(t1 - t0));
    read.push_back(Ms(t2 - t1b));
    per_key.push_back(Ms(t1b - t1));
    per_key_rows = per_key_entries;
    recycle.push_back(Ms(t3 - t2));
    encode.push_back(Ms(t4 - t3));
    uring_write.push_back(Ms(uring_time));
    plain_write.push_back(Ms(plain_time));
    total_uring.push_back(Ms(t1 - t0) + Ms(t2 - t1b) +
                          Ms(t5 - t2));  // without the per-key read
    file_bytes = bytes.size();
    rows = counts->ports.size() + counts->src_ports.size() +
           counts->sources.size() + counts->destinations.size() +
           counts->flows.size();
  }
  std::printf("%zu rows per snapshot, %zu bytes compressed\n\n", rows,
              file_bytes);
  std::printf("| phase | median ms |\n|---|---|\n");
  std::printf(
      "| flip + swap out | %.1f |\n| read (batch, per-CPU sums) | %.1f |\n",
      Median(flip), Median(read));
  std::printf(
      "| read key by key instead (%llu entries, per-CPU sums) | %.1f |\n",
      static_cast<unsigned long long>(per_key_rows), Median(per_key));
  std::printf(
      "| recycle (clear what was read) | %.1f |\n| encode (tables + zstd) | "
      "%.1f |\n",
      Median(recycle), Median(encode));
  std::printf(
      "| durable write, io_uring | %.1f |\n| durable write, write(2)+fsync(2) "
      "| %.1f |\n",
      Median(uring_write), Median(plain_write));
  std::printf("| total with io_uring | %.1f (%.2f %% of a 60 s interval) |\n",
              Median(total_uring), Median(total_uring) / 600.0);
  return 0;
}

}  // namespace
}  // namespace darkscope

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return darkscope::Run();
}
