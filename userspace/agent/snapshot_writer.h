// SnapshotWriter: the writer thread behind a bounded queue, so that the
// drain never waits for the disk. The drain hands over a Snapshot (or a
// sample file, already encoded) and goes on; the thread encodes it and
// writes it durably through io_uring.
//
// Disk faults: a write that fails (a full or read-only output directory,
// an I/O error) is not lost: the file goes back to the head of the queue,
// which becomes the backlog held in memory, and the thread retries it
// every `retry` until the directory takes it, then writes the rest in
// order. A sample file that fails goes behind the snapshots queued after
// it (it never holds them up) and gets kFileAttempts attempts in all, then
// is dropped and counted. The queue's capacity bounds the backlog; once it
// is full a new snapshot first evicts a queued sample file, and is refused
// only when none is left. Faults, recoveries and refusals are logged, counted,
// and reported in the next snapshots' summary and /metrics; never a crash. At
// shutdown each file still queued gets one last attempt; what still fails
// is counted as lost.
#ifndef DARKSCOPE_AGENT_SNAPSHOT_WRITER_H_
#define DARKSCOPE_AGENT_SNAPSHOT_WRITER_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "io/durable_file.h"
#include "snapshot/snapshot.h"

namespace darkscope {

struct SnapshotWriterStats {
  uint64_t written = 0;       // snapshots on disk
  uint64_t write_errors = 0;  // failed write attempts (each is retried)
  uint64_t dropped = 0;       // snapshots refused by a full queue
  uint64_t lost = 0;          // snapshots still failing at shutdown
  uint64_t queue_depth = 0;   // waiting now, the one being written included
  uint64_t queue_capacity = 0;
  uint64_t disk_fault = 0;     // 1 while the last write failed
  uint64_t files_written = 0;  // other files (pcapng samples) on disk
  uint64_t file_write_errors = 0;
  uint64_t files_dropped =
      0;  // refused, evicted, or failed kFileAttempts times
};

// Called on the writer thread after each write attempt with the snapshot
// (null for a sample file), the attempt's status, how long encoding and
// writing took, and the writer's figures after it (the agent's monitoring
// tallies it and applies retention there).
using WriteObserver =
    std::function<void(const Snapshot*, const absl::Status&, absl::Duration,
                       const SnapshotWriterStats&)>;

// Attempts a sample file gets while the output directory fails.
inline constexpr int kFileAttempts = 3;

class SnapshotWriter {
 public:
  // `capacity`: files queued (and held while the disk fails) at most.
  SnapshotWriter(std::unique_ptr<UringFileWriter> files, size_t capacity,
                 WriteObserver observer = nullptr,
                 absl::Duration retry = absl::Seconds(1));
  // Writes what is queued (one attempt each while the disk fails), then
  // stops.
  ~SnapshotWriter();

  // Queues a snapshot; false (and counted) when the queue is full.
  bool Enqueue(Snapshot snapshot);
  // Queues a whole file's bytes, in pieces written one after the other, as
  // `name` beside the snapshots; false (and counted) when the queue is full.
  bool EnqueueFile(std::string name, std::vector<std::vector<uint8_t>> pieces);
  SnapshotWriterStats stats() const;
  // Waits at most `limit` until the snapshot of the interval at `start` is
  // durably written; true if it is.
  bool WaitWritten(absl::Time start, absl::Duration limit);

 private:
  // A snapshot, or a file that is already bytes.
  struct Job {
    std::optional<Snapshot> snapshot;
    std::string name;
    std::vector<std::vector<uint8_t>> pieces;
    int attempts = 0;  // failed so far
  };
  bool Push(Job job, uint64_t& dropped) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Encodes (snapshots) and writes one job; records the outcome (a failed
  // `last_attempt` as lost).
  absl::Status WriteJob(Job& job, bool last_attempt);
  SnapshotWriterStats StatsLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void Loop();

  std::unique_ptr<UringFileWriter> files_;
  const size_t capacity_;
  const WriteObserver observer_;
  const absl::Duration retry_;
  mutable absl::Mutex mutex_;
  std::deque<Job> queue_ ABSL_GUARDED_BY(mutex_);
  bool in_flight_ ABSL_GUARDED_BY(mutex_) = false;  // a job taken off the queue
  bool closing_ ABSL_GUARDED_BY(mutex_) = false;
  SnapshotWriterStats stats_ ABSL_GUARDED_BY(mutex_);
  // The interval start of the last snapshot written.
  absl::Time last_written_ ABSL_GUARDED_BY(mutex_) = absl::InfinitePast();
  std::thread thread_;
};

}  // namespace darkscope

#endif  // DARKSCOPE_AGENT_SNAPSHOT_WRITER_H_
