// The per-queue sampling threads and the interval rotation of their files.
#include "sampler/sampler.h"

#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <pthread.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status.h"
#include "common/thread_guard.h"
#include "common/unique_fd.h"
#include "darkscope/abi.h"

namespace darkscope {

// A queue's socket, thread and the file of the interval in progress.
struct Sampler::Queue {
  std::unique_ptr<XskQueue> xsk;
  int cpu = -1;
  std::thread thread;
  absl::Mutex mutex;
  std::unique_ptr<PcapngBuffer> file ABSL_GUARDED_BY(mutex);
  uint64_t over_cap ABSL_GUARDED_BY(mutex) = 0;   // frames over the byte cap
  uint64_t bad_descs ABSL_GUARDED_BY(mutex) = 0;  // descriptors refused
  XskStats last_stats;  // at the previous rotation (rotation only)
};

namespace {

// The pcapng link type of an interface's ARPHRD_* hardware type.
absl::StatusOr<uint16_t> LinkType(const std::string& interface) {
  UniqueFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd.valid())
    return ErrnoError(errno, "socket for SIOCGIFHWADDR", interface);
  ifreq request = {};
  std::snprintf(request.ifr_name, IFNAMSIZ, "%s", interface.c_str());
  if (ioctl(fd.get(), SIOCGIFHWADDR, &request) != 0) {
    return ErrnoError(errno, "ioctl SIOCGIFHWADDR", interface);
  }
  switch (request.ifr_hwaddr.sa_family) {
    case ARPHRD_ETHER:
    case ARPHRD_LOOPBACK:  // frames carry an Ethernet header of zeros
      return kLinkTypeEthernet;
    default:
      return absl::UnimplementedError(
          absl::StrCat("sample ", interface, ": hardware type ",
                       request.ifr_hwaddr.sa_family, " is not Ethernet"));
  }
}

std::string QueueRanges(const std::vector<uint32_t>& queues) {
  std::vector<std::string> parts;
  for (size_t i = 0; i < queues.size();) {
    size_t j = i;
    while (j + 1 < queues.size() && queues[j + 1] == queues[j] + 1) ++j;
    parts.push_back(j == i ? absl::StrCat(queues[i])
                           : absl::StrCat(queues[i], "-", queues[j]));
    i = j + 1;
  }
  return absl::StrJoin(parts, ",");
}

uint64_t NowNs() {
  timespec now = {};
  clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<uint64_t>(now.tv_sec) * 1'000'000'000u +
         static_cast<uint64_t>(now.tv_nsec);
}

}  // namespace

absl::Status ValidateSamplerOptions(const SamplerOptions& options) {
  auto power_of_two = [](uint32_t n) { return n != 0 && (n & (n - 1)) == 0; };
  if (!power_of_two(options.umem_frames) || !power_of_two(options.ring_size)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "sample UMEM frames (", options.umem_frames, ") and ring size (",
        options.ring_size, ") must be powers of two"));
  }
  if (options.batch == 0)
    return absl::InvalidArgumentError("sample batch must be at least 1");
  // Upper bounds: memory the kernel pins per queue (UMEM frames of 4 KiB),
  // ring entries, and the pcapng bytes an interval holds in memory.
  if (options.umem_frames > kMaxUmemFrames ||
      options.ring_size > kMaxRingSize || options.batch > options.ring_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("sample UMEM frames (", options.umem_frames, ", at most ",
                     kMaxUmemFrames, "), ring size (", options.ring_size,
                     ", at most ", kMaxRingSize, ") and batch (", options.batch,
                     ", at most the ring size) out of bounds"));
  }
  if (options.max_bytes > kMaxSampleBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("sample bytes per interval (", options.max_bytes,
                     "): at most ", kMaxSampleBytes));
  }
  for (uint32_t q : options.queues) {
    if (q >= DS_XSK_QUEUES_MAX) {
      return absl::InvalidArgumentError(
          absl::StrCat("sample queue ", q, ": ds_xsks holds queues 0 to ",
                       DS_XSK_QUEUES_MAX - 1));
    }
  }
  if (!options.cpus.empty() && !options.queues.empty() &&
      options.cpus.size() != options.queues.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("sample CPUs: ", options.cpus.size(), " given for ",
                     options.queues.size(), " queues"));
  }
  return absl::OkStatus();
}

absl::StatusOr<uint32_t> RxQueueCount(const std::string& interface) {
  UniqueFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (fd.valid()) {
    ethtool_channels channels = {};
    channels.cmd = ETHTOOL_GCHANNELS;
    ifreq request = {};
    std::snprintf(request.ifr_name, IFNAMSIZ, "%s", interface.c_str());
    request.ifr_data = reinterpret_cast<char*>(&channels);
    if (ioctl(fd.get(), SIOCETHTOOL, &request) == 0 &&
        channels.rx_count + channels.combined_count > 0) {
      return channels.rx_count + channels.combined_count;
    }
  }
  // Drivers without ethtool channels: count the queues sysfs lists.
  std::error_code error;
  uint32_t count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(
           absl::StrCat("/sys/class/net/", interface, "/queues"), error)) {
    if (entry.path().filename().string().rfind("rx-", 0) == 0) ++count;
  }
  if (count == 0) {
    return absl::NotFoundError(absl::StrCat(
        "rx queues of ", interface, ": neither ethtool nor sysfs lists any"));
  }
  return count;
}

absl::StatusOr<std::vector<uint32_t>> ParseIndexList(const std::string& text) {
  std::vector<uint32_t> queues;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    std::vector<absl::string_view> range =
        absl::StrSplit(part, absl::MaxSplits('-', 1));
    uint32_t first = 0, last = 0;
    if (!absl::SimpleAtoi(range[0], &first) ||
        !absl::SimpleAtoi(range.size() == 2 ? range[1] : range[0], &last) ||
        last < first || last >= DS_XSK_QUEUES_MAX) {
      return absl::InvalidArgumentError(
          absl::StrCat("list '", text, "': expected numbers or ranges below ",
                       DS_XSK_QUEUES_MAX, " like 0,2-3"));
    }
    for (uint32_t q = first; q <= last; ++q) queues.push_back(q);
  }
  if (queues.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("list '", text, "' is empty"));
  }
  return queues;
}

std::string SampleFileName(absl::Time start, uint32_t queue) {
  return absl::StrCat(
      absl::FormatTime("%Y%m%dT%H%M%SZ", start, absl::UTCTimeZone()), ".q",
      queue, ".pcapng");
}

Sampler::Sampler(const SamplerOptions& options)
    : options_(options), budget_(static_cast<int64_t>(options.max_bytes)) {}

absl::StatusOr<std::unique_ptr<Sampler>> Sampler::Open(
    const SamplerOptions& options, int xsk_map_fd) {
  DS_RETURN_IF_ERROR(ValidateSamplerOptions(options));
  std::unique_ptr<Sampler> sampler(new Sampler(options));
  DS_ASSIGN_OR_RETURN(sampler->link_type_, LinkType(options.interface));
  if (sampler->options_.queues.empty()) {
    DS_ASSIGN_OR_RETURN(uint32_t count, RxQueueCount(options.interface));
    for (uint32_t q = 0; q < count; ++q) sampler->options_.queues.push_back(q);
  }
  const std::vector<uint32_t>& queues = sampler->options_.queues;
  // All the queues of the interface, now that they are known.
  DS_RETURN_IF_ERROR(ValidateSamplerOptions(sampler->options_));
  for (size_t i = 0; i < queues.size(); ++i) {
    auto queue = std::make_unique<Queue>();
    XskQueueOptions xsk_options = {.interface = options.interface,
                                   .queue = queues[i],
                                   .umem_frames = options.umem_frames,
                                   .ring_size = options.ring_size};
    DS_ASSIGN_OR_RETURN(queue->xsk, XskQueue::Create(xsk_options, xsk_map_fd));
    queue->cpu = options.cpus.empty() ? -1 : options.cpus[i];
    queue->file = std::make_unique<PcapngBuffer>(
        sampler->link_type_, queue->xsk->snaplen(), options.interface);
    sampler->queues_.push_back(std::move(queue));
  }
  return sampler;
}

void Sampler::StartThreads() {
  for (auto& queue : queues_) {
    Queue* q = queue.get();
    q->thread = std::thread(
        [this, q] { GuardThread("sampler", [this, q] { Loop(*q); }); });
  }
}

Sampler::~Sampler() { Stop(); }

void Sampler::Stop() {
  stopping_.store(true);
  for (auto& queue : queues_) {
    if (queue->thread.joinable()) queue->thread.join();
  }
}

std::string Sampler::Describe() const {
  const char* mode = queues_.empty() ? "no" : queues_[0]->xsk->mode();
  for (const auto& queue : queues_) {
    if (std::strcmp(queue->xsk->mode(), mode) != 0)
      mode = "mixed (zero-copy and copy)";
  }
  return absl::StrCat("rx queues ", QueueRanges(options_.queues), " of ",
                      options_.interface, " in ", mode, " mode");
}

void Sampler::Loop(Queue& queue) {
  if (queue.cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(queue.cpu, &set);
    if (int err = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
        err != 0) {
      std::fprintf(stderr,
                   "darkscope: pinning queue %u's thread to CPU %d: %s\n",
                   queue.xsk->queue(), queue.cpu, std::strerror(err));
    }
  }
  for (;;) {
    size_t reaped;
    {
      const uint64_t now = NowNs();
      absl::MutexLock lock(&queue.mutex);
      reaped = queue.xsk->Reap(
          options_.batch, [&](std::optional<absl::Span<const uint8_t>> frame)
                              ABSL_EXCLUSIVE_LOCKS_REQUIRED(queue.mutex) {
                                Keep(queue, now, frame);
                              });
    }
    if (reaped == 0) {
      // Stop only once the ring is empty: nothing received is lost.
      if (stopping_.load()) return;
      queue.xsk->Wait(/*timeout_ms=*/50);
    }
  }
}

void Sampler::Keep(Queue& queue, uint64_t now,
                   std::optional<absl::Span<const uint8_t>> frame) {
  if (!frame.has_value()) {
    ++queue.bad_descs;
    return;
  }
  const int64_t size =
      static_cast<int64_t>(PcapngBuffer::BlockSize(frame->size()));
  if (budget_.fetch_sub(size, std::memory_order_relaxed) < size) {
    budget_.fetch_add(size, std::memory_order_relaxed);
    ++queue.over_cap;
    return;
  }
  queue.file->Append(now, *frame);
}

void Sampler::Rotate(absl::Time start, std::vector<SampleFile>& files,
                     std::map<std::string, uint64_t>& counters) {
  uint64_t frames = 0, bytes = 0, over_cap = 0, bad_descs = 0;
  XskStats delta;
  for (auto& queue : queues_) {
    std::unique_ptr<PcapngBuffer> file = std::make_unique<PcapngBuffer>(
        link_type_, queue->xsk->snaplen(), options_.interface);
    {
      absl::MutexLock lock(&queue->mutex);
      std::swap(file, queue->file);
      over_cap += std::exchange(queue->over_cap, 0);
      bad_descs += std::exchange(queue->bad_descs, 0);
    }
    frames += file->frames();
    bytes += file->size();
    files.push_back(
        {SampleFileName(start, queue->xsk->queue()), file->TakeChunks()});
    absl::StatusOr<XskStats> stats = queue->xsk->Statistics();
    if (stats.ok()) {
      delta.rx_dropped += stats->rx_dropped - queue->last_stats.rx_dropped;
      delta.rx_invalid_descs +=
          stats->rx_invalid_descs - queue->last_stats.rx_invalid_descs;
      delta.rx_ring_full +=
          stats->rx_ring_full - queue->last_stats.rx_ring_full;
      delta.fill_ring_empty +=
          stats->fill_ring_empty - queue->last_stats.fill_ring_empty;
      queue->last_stats = *stats;
    }
  }
  budget_.store(static_cast<int64_t>(options_.max_bytes));
  counters["sample_frames_written"] = frames;
  counters["sample_bytes_written"] = bytes;
  counters["sample_frames_over_cap"] = over_cap;
  counters["sample_bad_descs"] = bad_descs;
  counters["sample_rx_dropped"] = delta.rx_dropped;
  counters["sample_rx_invalid_descs"] = delta.rx_invalid_descs;
  counters["sample_rx_ring_full"] = delta.rx_ring_full;
  counters["sample_fill_ring_empty"] = delta.fill_ring_empty;
}

}  // namespace darkscope
