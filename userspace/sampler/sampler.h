// Sampler: the AF_XDP sample path of `darkscope run`. One XskQueue and one
// thread per rx queue (optionally pinned to a CPU); each thread reaps its
// ring in batches into the interval's pcapng file for its queue, kept in
// memory until the agent rotates it out at the interval boundary and hands
// it to the io_uring writer. A per-interval byte cap, shared by the queues,
// bounds the files: frames over it are counted, not written.
//
// A frame is filed under the interval in which its thread reaped it, a few
// microseconds after the program counted it, so at a boundary a frame may
// land one file later than its counts; totals over a run agree.
#ifndef DARKSCOPE_SAMPLER_SAMPLER_H_
#define DARKSCOPE_SAMPLER_SAMPLER_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "sampler/pcapng.h"
#include "sampler/xsk_queue.h"

namespace darkscope {

struct SamplerOptions {
  std::string interface;
  std::vector<uint32_t> queues;  // rx queues to sample; empty: all of them
  std::vector<int> cpus;         // CPU of queue i's thread; empty: not pinned
  uint32_t umem_frames = 4096;   // per queue, all on the fill ring (power of 2)
  uint32_t ring_size = 2048;     // rx ring entries per queue (power of 2)
  uint32_t batch = 64;           // frames reaped at a time
  uint64_t max_bytes = 64ull << 20;  // frame blocks per interval, all queues
};

// One pcapng file of one interval and queue, in chunks (PcapngBuffer).
struct SampleFile {
  std::string name;
  std::vector<std::vector<uint8_t>> chunks;
};

// Bounds of the sampler's options: UMEM frames per queue (4 KiB each: 1 GiB),
// rx ring entries, pcapng bytes held per interval.
inline constexpr uint32_t kMaxUmemFrames = 1u << 18;
inline constexpr uint32_t kMaxRingSize = 1u << 16;
inline constexpr uint64_t kMaxSampleBytes = uint64_t{1} << 30;

// Checks what can be checked before binding anything: ring and UMEM sizes
// are powers of two within their bounds, a batch is 1 frame to the ring
// size, queues are below DS_XSK_QUEUES_MAX, one CPU per queue when both are
// listed, the bytes per interval within kMaxSampleBytes.
absl::Status ValidateSamplerOptions(const SamplerOptions& options);

// The rx queues of `interface` (ethtool channels, else sysfs).
absl::StatusOr<uint32_t> RxQueueCount(const std::string& interface);

// Parses "0,2-3" into numbers (queues, CPUs).
absl::StatusOr<std::vector<uint32_t>> ParseIndexList(const std::string& text);

// "20261123T100000Z.q3.pcapng".
std::string SampleFileName(absl::Time start, uint32_t queue);

class Sampler {
 public:
  // Binds a socket to every queue and puts them into `xsk_map_fd`; frames
  // wait in the rings until StartThreads (which the agent calls once it has
  // dropped its capabilities: they are per thread).
  static absl::StatusOr<std::unique_ptr<Sampler>> Open(
      const SamplerOptions& options, int xsk_map_fd);
  // Starts one reaping thread per queue. Once.
  void StartThreads();
  // Stops the threads (see Stop).
  ~Sampler();

  size_t queue_count() const { return queues_.size(); }
  // "rx queues 0-3 of eth1 in copy mode": for the agent's start-up line.
  std::string Describe() const;

  // Hands over the files of the interval starting at `start` (one per
  // queue) and adds its health counters to `counters`; new files begin.
  void Rotate(absl::Time start, std::vector<SampleFile>& files,
              std::map<std::string, uint64_t>& counters);

  // Reaps what is left in the rings, then stops the threads. Idempotent.
  void Stop();

 private:
  struct Queue;
  explicit Sampler(const SamplerOptions& options);
  void Loop(Queue& queue);
  // Files one reaped frame (nullopt: a bad descriptor) under the byte cap.
  void Keep(Queue& queue, uint64_t now,
            std::optional<absl::Span<const uint8_t>> frame);

  SamplerOptions options_;
  uint16_t link_type_ = kLinkTypeEthernet;
  std::vector<std::unique_ptr<Queue>> queues_;
  // Bytes of frame blocks the interval may still take, all queues together.
  std::atomic<int64_t> budget_;
  std::atomic<bool> stopping_{false};
};

}  // namespace darkscope

#endif  // DARKSCOPE_SAMPLER_SAMPLER_H_
