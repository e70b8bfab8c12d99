// bench/userspace_bench: Google Benchmark figures for the agent's userspace
// hot paths, none of which needs a kernel or privileges:
//   BM_AddCounts*        merging one interval's counts into a running total
//                        (AddCounts), what a report does per snapshot;
//   BM_Encode/Decode*    the snapshot codec on a /24, a /16 and a darknet
//                        filling every table to its bound in abi.h;
//   BM_ReadDayOfSnapshots  a day of one-minute snapshot files of a /24
//                        listed, read, decoded and merged, as a daily report
//                        does (the files are in the page cache).
// The per-CPU sums of the drain read BPF maps, so they are measured with a
// kernel by bench/drain_cost, not here.
//
// The counts are pseudo-random but deterministic and plausible: IPv4 /24
// networks, TCP flows to a few popular ports and a long tail, mostly
// few-packet probes with an occasional burst. Each table's keys are
// distinct by construction.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "common/status.h"
#include "common/unique_fd.h"
#include "counts/counts.h"
#include "darkscope/abi.h"
#include "snapshot/snapshot.h"
#include "snapshot/snapshot_files.h"

namespace darkscope {
namespace {

// Rows in each table of one interval's counts.
struct TableSizes {
  uint32_t ports;         // ds_port_index() entries hit
  uint32_t src_ports;     // slot * 65536 + source port entries seen
  uint32_t sources;       // source /24s
  uint32_t destinations;  // darknet /24s hit
  uint32_t flows;         // (source /24, TCP port)

  friend auto operator<=>(const TableSizes&, const TableSizes&) = default;
};

// One minute of a /24 darknet: one destination network.
constexpr TableSizes kSlash24Minute = {.ports = 2'048,
                                       .src_ports = 8'192,
                                       .sources = 5'000,
                                       .destinations = 1,
                                       .flows = 20'000};
// One minute of a /16 darknet: 256 destination /24s.
constexpr TableSizes kSlash16Minute = {.ports = 30'000,
                                       .src_ports = 65'536,
                                       .sources = 100'000,
                                       .destinations = 256,
                                       .flows = 300'000};
// Every table full: what a busy /8 can reach in one interval.
constexpr TableSizes kAbiBounds = {.ports = DS_PORT_INDEX_COUNT,
                                   .src_ports = DS_SRC_PORT_INDEX_COUNT,
                                   .sources = DS_SOURCES_MAX,
                                   .destinations = DS_DESTINATIONS_MAX,
                                   .flows = DS_FLOWS_MAX};

// Table sizes that go with a flow and source count (the AddCounts sweep):
// one port and source port per 4 flows, one destination per 4 sources, each
// within its bound (so the largest sweep point is kAbiBounds).
TableSizes SizesForFlowsAndSources(int64_t flows, int64_t sources) {
  return {
      .ports = static_cast<uint32_t>(
          std::min<int64_t>(flows / 4, DS_PORT_INDEX_COUNT)),
      .src_ports = static_cast<uint32_t>(
          std::min<int64_t>(flows / 4, DS_SRC_PORT_INDEX_COUNT)),
      .sources = static_cast<uint32_t>(sources),
      .destinations = static_cast<uint32_t>(
          std::clamp<int64_t>(sources / 4, 1, DS_DESTINATIONS_MAX)),
      .flows = static_cast<uint32_t>(flows),
  };
}

uint64_t RowCount(const EpochCounts& counts) {
  return counts.ports.size() + counts.src_ports.size() + counts.sources.size() +
         counts.destinations.size() + counts.flows.size();
}

// Plausible values for the rows of one interval.
class TrafficDraw {
 public:
  explicit TrafficDraw(uint64_t seed) : random_(seed) {}

  // Packets of one row: mostly one to four probes, one row in eight a burst.
  uint64_t Packets() {
    return random_() % 8 == 0 ? 1 + random_() % 4096 : 1 + random_() % 4;
  }
  // Frame bytes of `packets` packets: SYN probes of 54 to 85 bytes.
  uint64_t Bytes(uint64_t packets) { return packets * (54 + random_() % 32); }
  // A number in [0, bound].
  uint64_t UpTo(uint64_t bound) { return random_() % (bound + 1); }
  // One random bit set in a bitmap of `word_count` words.
  void SetRandomBit(__u64* words, int word_count) {
    const uint64_t bit = random_() % (64 * word_count);
    words[bit / 64] |= uint64_t{1} << (bit % 64);
  }
  // One distinct port added to a PCSA sketch: a bucket, and a bit at a
  // geometrically distributed position in it.
  void AddToPortSketch(__u64 (&sketch)[DS_PORT_SKETCH_WORDS]) {
    const uint64_t bucket = random_() % DS_PORT_SKETCH_BUCKETS;
    const int rank = std::min(std::countr_zero(random_() | (uint64_t{1} << 63)),
                              DS_PORT_SKETCH_BITS - 1);
    const int per_word = 64 / DS_PORT_SKETCH_BITS;
    sketch[bucket / per_word] |=
        uint64_t{1} << ((bucket % per_word) * DS_PORT_SKETCH_BITS + rank);
  }
  // A host bitmap where most hosts are set (a darknet /24 that scanners
  // sweep within the interval).
  uint64_t DenseWord() { return random_() | random_() | random_(); }

 private:
  std::mt19937_64 random_;
};

// The /24 of member `member` of a fixed population of scanning networks:
// an odd multiplier permutes the 2^24 IPv4 /24s, so members are distinct.
ds_net_key SourceNet(uint32_t member) {
  const uint32_t net24 = (member * 2'654'435'761u) & 0xffffff;
  return {
      .family = DS_FAMILY_IPV4,
      .pad = 0,
      .prefix = {static_cast<__u8>(net24 >> 16), static_cast<__u8>(net24 >> 8),
                 static_cast<__u8>(net24), 0, 0, 0}};
}

// The darknet's `index`-th /24, counting from 10.0.0.0 (a /8 holds all
// DS_DESTINATIONS_MAX of them).
ds_net_key DarknetNet(uint32_t index) {
  return {.family = DS_FAMILY_IPV4,
          .pad = 0,
          .prefix = {static_cast<__u8>(10 + (index >> 16)),
                     static_cast<__u8>(index >> 8), static_cast<__u8>(index), 0,
                     0, 0}};
}

// The TCP ports scanners probe most, all below kFirstTailPort.
constexpr uint16_t kPopularTcpPorts[] = {23,   22,   80,   443, 445,  3389,
                                         8080, 2323, 5555, 81,  8443, 1433,
                                         3306, 5900, 6379, 21};
constexpr uint32_t kPopularPortCount = std::size(kPopularTcpPorts);
constexpr uint32_t kFirstTailPort = 10'000;

// The `rank`-th port that source `member` probes: popular ports first (in
// an order that depends on the source), then a tail of high ports. Distinct
// ranks give distinct ports for one source.
uint16_t FlowPort(uint32_t member, uint32_t rank) {
  if (rank < kPopularPortCount) {
    return kPopularTcpPorts[(rank + member) % kPopularPortCount];
  }
  const uint32_t tail_ports = 65'536 - kFirstTailPort;
  return static_cast<uint16_t>(
      kFirstTailPort + (rank - kPopularPortCount + member * 131) % tail_ports);
}

// One interval's counts with `sizes` rows per table. Its sources are
// members first_source .. first_source + sizes.sources - 1 of the scanner
// population, so that intervals with nearby `first_source` share most of
// their sources, as consecutive minutes do. Values are drawn from `seed`.
EpochCounts MakeCounts(const TableSizes& sizes, uint32_t first_source,
                       uint64_t seed) {
  TrafficDraw draw(seed);
  EpochCounts counts;

  // ds_ports indexes: a stride coprime with DS_PORT_INDEX_COUNT (2^8 x 5 x
  // 103) visits every index once.
  constexpr uint32_t kPortIndexStride = 7'919;
  for (uint32_t i = 0; i < sizes.ports; ++i) {
    const uint32_t index = static_cast<uint32_t>(
        (uint64_t{first_source} + uint64_t{i} * kPortIndexStride) %
        DS_PORT_INDEX_COUNT);
    ds_port_stats stats = {};
    stats.packets = draw.Packets();
    stats.bytes = draw.Bytes(stats.packets);
    stats.syn = stats.packets - stats.packets / 8;
    stats.synack = draw.UpTo(stats.packets - stats.syn);
    stats.rst = stats.packets - stats.syn - stats.synack;
    stats.mirai = draw.UpTo(stats.syn / 4);
    stats.zmap = draw.UpTo(stats.syn / 4);
    stats.masscan = draw.UpTo(stats.syn / 8);
    stats.backscatter = stats.synack + stats.rst;
    counts.ports.emplace(index, stats);
  }

  // Source port entries: an odd multiplier permutes the 2^17 indexes.
  for (uint32_t i = 0; i < sizes.src_ports; ++i) {
    const uint32_t index =
        (first_source + i * 40'503u) % DS_SRC_PORT_INDEX_COUNT;
    const uint64_t packets = draw.Packets();
    counts.src_ports.emplace(index, ds_traffic{packets, draw.Bytes(packets)});
  }

  for (uint32_t i = 0; i < sizes.sources; ++i) {
    ds_source_stats stats = {};
    stats.packets = draw.Packets();
    stats.bytes = draw.Bytes(stats.packets);
    const uint64_t hosts = 1 + draw.UpTo(2);
    for (uint64_t h = 0; h < hosts; ++h) {
      draw.SetRandomBit(stats.hosts, DS_HOST_BITMAP_WORDS);
    }
    const uint64_t ports = 1 + draw.UpTo(3);
    for (uint64_t p = 0; p < ports; ++p) {
      draw.AddToPortSketch(stats.port_sketch);
    }
    counts.sources.emplace(SourceNet(first_source + i), stats);
  }

  for (uint32_t i = 0; i < sizes.destinations; ++i) {
    ds_dest_stats stats = {};
    stats.packets = 64 * draw.Packets();
    stats.bytes = draw.Bytes(stats.packets);
    for (__u64& word : stats.hosts) word = draw.DenseWord();
    counts.destinations.emplace(DarknetNet(i), stats);
  }

  // Flow i: source i % sources, its (i / sources)-th port.
  const uint32_t flow_sources = std::max<uint32_t>(sizes.sources, 1);
  for (uint32_t i = 0; i < sizes.flows; ++i) {
    const uint32_t member = first_source + i % flow_sources;
    ds_flow_key key = {};
    key.src = SourceNet(member);
    key.proto_slot = DS_SLOT_TCP;
    key.port = FlowPort(member, i / flow_sources);
    const uint64_t packets = draw.Packets();
    counts.flows.emplace(key,
                         ds_flow_stats{packets, draw.Bytes(packets), 0, 0, 0});
  }

  // Data-plane counters that agree with the ports table.
  uint64_t packets = 0, bytes = 0, syn = 0, synack = 0, rst = 0;
  for (const auto& [index, stats] : counts.ports) {
    packets += stats.packets;
    bytes += stats.bytes;
    syn += stats.syn;
    synack += stats.synack;
    rst += stats.rst;
  }
  const uint64_t passed = draw.UpTo(packets / 16);
  counts.counters[DS_CTR_DARKNET_PACKETS] = packets;
  counts.counters[DS_CTR_DARKNET_BYTES] = bytes;
  counts.counters[DS_CTR_IPV4] = packets;
  counts.counters[DS_CTR_TCP_SYN] = syn;
  counts.counters[DS_CTR_TCP_SYNACK] = synack;
  counts.counters[DS_CTR_TCP_RST] = rst;
  counts.counters[DS_CTR_BACKSCATTER] = synack + rst;
  counts.counters[DS_CTR_NON_DARKNET] = passed;
  counts.counters[DS_CTR_PACKETS_SEEN] = packets + passed;
  counts.counters[DS_CTR_BYTES_SEEN] = bytes + passed * 90;
  counts.counters[DS_CTR_ACTION_DROP] = packets;
  counts.counters[DS_CTR_ACTION_PASS] = passed;
  return counts;
}

// 2026-11-23T00:00:00Z: the first interval of the benchmarks' day.
absl::Time DayStart() {
  return absl::FromCivil(absl::CivilDay(2026, 11, 23), absl::UTCTimeZone());
}

Snapshot MakeSnapshot(EpochCounts counts, int minute) {
  Snapshot snapshot;
  snapshot.sensor = "bench-sensor-1";
  snapshot.interval_start = DayStart() + absl::Minutes(minute);
  snapshot.interval_seconds = 60;
  snapshot.complete = true;
  snapshot.counts = std::move(counts);
  snapshot.agent_counters = {
      {"drain_microseconds", 41'000},
      {"snapshots_written", static_cast<uint64_t>(minute)},
      {"snapshot_write_errors", 0},
      {"snapshots_dropped", 0},
      {"writer_queue_depth", 0}};
  return snapshot;
}

// A snapshot of some size, its file bytes, and whether they decode back to
// it; built once per size and kept for the process.
struct PreparedSnapshot {
  Snapshot snapshot;
  std::vector<uint8_t> file;
  uint64_t rows = 0;
  absl::Status round_trip;
};

const PreparedSnapshot& Prepared(const TableSizes& sizes) {
  static auto* const prepared =
      new std::map<TableSizes, std::unique_ptr<PreparedSnapshot>>();
  std::unique_ptr<PreparedSnapshot>& entry = (*prepared)[sizes];
  if (entry == nullptr) {
    entry = std::make_unique<PreparedSnapshot>();
    entry->snapshot = MakeSnapshot(MakeCounts(sizes, 0, /*seed=*/1), 0);
    entry->file = EncodeSnapshot(entry->snapshot);
    entry->rows = RowCount(entry->snapshot.counts);
    absl::StatusOr<Snapshot> decoded = DecodeSnapshot(entry->file);
    if (!decoded.ok()) {
      entry->round_trip = decoded.status();
    } else if (*decoded != entry->snapshot) {
      entry->round_trip = absl::InternalError(
          "the decoded snapshot differs from the encoded one");
    }
  }
  return *entry;
}

// ---- AddCounts --------------------------------------------------------------

// Merging an interval into a total that already holds all its keys: a
// report's running total, after the first intervals, for a steady scanner
// population.
void BM_AddCountsIntoTotal(benchmark::State& state) {
  const TableSizes sizes =
      SizesForFlowsAndSources(state.range(0), state.range(1));
  const EpochCounts& interval = Prepared(sizes).snapshot.counts;
  EpochCounts total = interval;
  for (auto _ : state) {
    AddCounts(interval, total);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * RowCount(interval));
  state.counters["rows"] = static_cast<double>(RowCount(interval));
}

// Merging an interval into an empty total: every key is an insertion.
void BM_AddCountsIntoEmpty(benchmark::State& state) {
  const TableSizes sizes =
      SizesForFlowsAndSources(state.range(0), state.range(1));
  const EpochCounts& interval = Prepared(sizes).snapshot.counts;
  for (auto _ : state) {
    EpochCounts total;
    AddCounts(interval, total);
    benchmark::DoNotOptimize(total);
    state.PauseTiming();  // freeing the total is not part of the merge
    total = EpochCounts();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * RowCount(interval));
  state.counters["rows"] = static_cast<double>(RowCount(interval));
}

void AddCountsSizes(benchmark::internal::Benchmark* benchmark) {
  benchmark->ArgNames({"flows", "sources"})
      ->Args({10'000, 1'024})
      ->Args({100'000, 16'384})
      ->Args({DS_FLOWS_MAX, DS_SOURCES_MAX})
      ->Unit(benchmark::kMillisecond);
}
BENCHMARK(BM_AddCountsIntoTotal)->Apply(AddCountsSizes);
BENCHMARK(BM_AddCountsIntoEmpty)->Apply(AddCountsSizes);

// ---- Snapshot codec ---------------------------------------------------------

// Items are rows; bytes are the file's (compressed) bytes.
void SetCodecCounters(benchmark::State& state,
                      const PreparedSnapshot& prepared) {
  state.SetItemsProcessed(state.iterations() * prepared.rows);
  state.SetBytesProcessed(state.iterations() * prepared.file.size());
  state.counters["rows"] = static_cast<double>(prepared.rows);
  state.counters["file_bytes"] = static_cast<double>(prepared.file.size());
}

void BM_EncodeSnapshot(benchmark::State& state, TableSizes sizes) {
  const PreparedSnapshot& prepared = Prepared(sizes);
  for (auto _ : state) {
    std::vector<uint8_t> file = EncodeSnapshot(prepared.snapshot);
    benchmark::DoNotOptimize(file.data());
  }
  SetCodecCounters(state, prepared);
}

void BM_DecodeSnapshot(benchmark::State& state, TableSizes sizes) {
  const PreparedSnapshot& prepared = Prepared(sizes);
  if (!prepared.round_trip.ok()) {
    state.SkipWithError(prepared.round_trip.ToString().c_str());
    return;
  }
  for (auto _ : state) {
    absl::StatusOr<Snapshot> snapshot = DecodeSnapshot(prepared.file);
    benchmark::DoNotOptimize(snapshot);
  }
  SetCodecCounters(state, prepared);
}

BENCHMARK_CAPTURE(BM_EncodeSnapshot, slash24, kSlash24Minute)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_EncodeSnapshot, slash16, kSlash16Minute)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_EncodeSnapshot, abi_bounds, kAbiBounds)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_DecodeSnapshot, slash24, kSlash24Minute)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_DecodeSnapshot, slash16, kSlash16Minute)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_DecodeSnapshot, abi_bounds, kAbiBounds)
    ->Unit(benchmark::kMillisecond);

// ---- A day of snapshot files ------------------------------------------------

constexpr int kMinutesPerDay = 24 * 60;
// Sources the scanner population moves on by each minute: over a day a /24
// sees ~58,000 source /24s, 5,000 of them in any one minute.
constexpr uint32_t kSourcesReplacedPerMinute = 37;

absl::Status WriteWholeFile(const std::string& path,
                            absl::Span<const uint8_t> bytes) {
  UniqueFd fd(
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid()) return ErrnoError(errno, "open", path);
  size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n =
        ::write(fd.get(), bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError(errno, "write", path);
    written += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

// A day of one-minute snapshot files of a /24 darknet in a new directory
// under $TMPDIR (default /tmp); the destructor removes them.
class SnapshotDay {
 public:
  static absl::StatusOr<std::unique_ptr<SnapshotDay>> Write() {
    const char* tmpdir = ::getenv("TMPDIR");
    std::string directory =
        absl::StrCat(tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp",
                     "/userspace-bench-XXXXXX");
    if (::mkdtemp(directory.data()) == nullptr) {
      return ErrnoError(errno, "mkdtemp", directory);
    }
    auto day = std::unique_ptr<SnapshotDay>(new SnapshotDay(directory));
    for (int minute = 0; minute < kMinutesPerDay; ++minute) {
      const Snapshot snapshot = MakeSnapshot(
          MakeCounts(kSlash24Minute, minute * kSourcesReplacedPerMinute,
                     /*seed=*/1'000 + minute),
          minute);
      const std::vector<uint8_t> file = EncodeSnapshot(snapshot);
      const std::string path = absl::StrCat(
          directory, "/", SnapshotFileName(snapshot.interval_start));
      day->paths_.push_back(path);  // before writing, so that it is removed
      DS_RETURN_IF_ERROR(WriteWholeFile(path, file));
      day->file_bytes_ += file.size();
    }
    return day;
  }

  ~SnapshotDay() {
    for (const std::string& path : paths_) ::unlink(path.c_str());
    ::rmdir(directory_.c_str());
  }
  SnapshotDay(const SnapshotDay&) = delete;
  SnapshotDay& operator=(const SnapshotDay&) = delete;

  const std::string& directory() const { return directory_; }
  uint64_t file_bytes() const { return file_bytes_; }

 private:
  explicit SnapshotDay(std::string directory)
      : directory_(std::move(directory)) {}

  std::string directory_;
  std::vector<std::string> paths_;
  uint64_t file_bytes_ = 0;
};

// The day's files: written on first use (outside any timed loop), removed
// by main.
struct DayOnDisk {
  std::unique_ptr<SnapshotDay> day;
  absl::Status error;  // why the day could not be written
};

DayOnDisk& TheDayOnDisk() {
  static auto* const day_on_disk = new DayOnDisk();
  return *day_on_disk;
}

// The day's files, written now if they are not yet.
absl::StatusOr<const SnapshotDay*> WrittenDay() {
  DayOnDisk& day_on_disk = TheDayOnDisk();
  if (day_on_disk.day == nullptr && day_on_disk.error.ok()) {
    absl::StatusOr<std::unique_ptr<SnapshotDay>> day = SnapshotDay::Write();
    if (day.ok()) {
      day_on_disk.day = *std::move(day);
    } else {
      day_on_disk.error = day.status();
    }
  }
  if (!day_on_disk.error.ok()) return day_on_disk.error;
  return day_on_disk.day.get();
}

double MillisecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now() - start)
      .count();
}

// A daily report's input: list the day's files, read, decode and merge each.
// The phases' times per day are reported beside the total.
void BM_ReadDayOfSnapshots(benchmark::State& state) {
  absl::StatusOr<const SnapshotDay*> written_day = WrittenDay();
  if (!written_day.ok()) {
    state.SkipWithError(written_day.status().ToString().c_str());
    return;
  }
  const SnapshotDay* day = *written_day;
  double list_ms = 0, read_ms = 0, decode_ms = 0, merge_ms = 0;
  uint64_t day_rows = 0;
  for (auto _ : state) {
    auto phase_start = std::chrono::steady_clock::now();
    absl::StatusOr<std::vector<std::string>> files =
        ListSnapshotFiles({day->directory()});
    list_ms += MillisecondsSince(phase_start);
    if (!files.ok() || files->size() != kMinutesPerDay) {
      state.SkipWithError(files.ok() ? "the day's files are not all listed"
                                     : files.status().ToString().c_str());
      break;
    }
    EpochCounts day_total;
    for (const std::string& file : *files) {
      phase_start = std::chrono::steady_clock::now();
      absl::StatusOr<std::vector<uint8_t>> bytes = ReadWholeFile(file);
      read_ms += MillisecondsSince(phase_start);
      phase_start = std::chrono::steady_clock::now();
      absl::StatusOr<Snapshot> snapshot =
          bytes.ok() ? DecodeSnapshot(*bytes)
                     : absl::StatusOr<Snapshot>(bytes.status());
      decode_ms += MillisecondsSince(phase_start);
      if (!snapshot.ok()) {
        state.SkipWithError(snapshot.status().ToString().c_str());
        break;
      }
      phase_start = std::chrono::steady_clock::now();
      AddCounts(snapshot->counts, day_total);
      merge_ms += MillisecondsSince(phase_start);
    }
    day_rows = RowCount(day_total);
    benchmark::DoNotOptimize(day_total);
  }
  using benchmark::Counter;
  const double days = static_cast<double>(state.iterations());
  state.SetBytesProcessed(state.iterations() * day->file_bytes());
  state.counters["files_per_second"] =
      Counter(days * kMinutesPerDay, Counter::kIsRate);
  state.counters["seconds_per_day"] =
      Counter(days, Counter::kIsRate | Counter::kInvert);
  state.counters["list_ms"] = Counter(list_ms, Counter::kAvgIterations);
  state.counters["read_ms"] = Counter(read_ms, Counter::kAvgIterations);
  state.counters["decode_ms"] = Counter(decode_ms, Counter::kAvgIterations);
  state.counters["merge_ms"] = Counter(merge_ms, Counter::kAvgIterations);
  state.counters["day_rows"] = static_cast<double>(day_rows);
}
BENCHMARK(BM_ReadDayOfSnapshots)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace darkscope

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  // Removes the day's files, if a benchmark wrote them.
  darkscope::TheDayOnDisk().day.reset();
  return 0;
}
