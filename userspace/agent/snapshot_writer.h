// SnapshotWriter: the writer thread behind a bounded queue, so that the
// drain never waits for the disk. The drain hands over a Snapshot (or a
// sample file, already encoded) and goes on; the thread encodes it and
// writes it durably through io_uring. A full queue drops the file and a
// failed write loses it: both are counted (and logged), reported in the
// next snapshots' summary, never a crash.
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
  uint64_t written = 0;        // snapshots on disk
  uint64_t write_errors = 0;   // snapshots lost to a failed write
  uint64_t dropped = 0;        // snapshots refused by a full queue
  uint64_t queue_depth = 0;    // waiting now
  uint64_t files_written = 0;  // other files (pcapng samples) on disk
  uint64_t file_write_errors = 0;
  uint64_t files_dropped = 0;
};

// Called on the writer thread after each write with the snapshot, the
// write's status and how long encoding and writing took (the agent's
// monitoring tallies it and applies retention there).
using WriteObserver =
    std::function<void(const Snapshot&, const absl::Status&, absl::Duration)>;

class SnapshotWriter {
 public:
  SnapshotWriter(std::unique_ptr<UringFileWriter> files, size_t capacity,
                 WriteObserver observer = nullptr);
  // Writes what is queued, then stops.
  ~SnapshotWriter();

  // Queues a snapshot; false (and counted) when the queue is full.
  bool Enqueue(Snapshot snapshot);
  // Queues a whole file's bytes, in pieces written one after the other, as
  // `name` beside the snapshots; false (and counted) when the queue is full.
  bool EnqueueFile(std::string name, std::vector<std::vector<uint8_t>> pieces);
  SnapshotWriterStats stats() const;

 private:
  // A snapshot, or a file that is already bytes.
  struct Job {
    std::optional<Snapshot> snapshot;
    std::string name;
    std::vector<std::vector<uint8_t>> pieces;
  };
  bool Push(Job job, uint64_t& dropped) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void Loop();

  std::unique_ptr<UringFileWriter> files_;
  const size_t capacity_;
  const WriteObserver observer_;
  mutable absl::Mutex mutex_;
  std::deque<Job> queue_ ABSL_GUARDED_BY(mutex_);
  bool closing_ ABSL_GUARDED_BY(mutex_) = false;
  SnapshotWriterStats stats_ ABSL_GUARDED_BY(mutex_);
  std::thread thread_;
};

}  // namespace darkscope

#endif  // DARKSCOPE_AGENT_SNAPSHOT_WRITER_H_
