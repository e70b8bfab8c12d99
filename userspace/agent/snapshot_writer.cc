// The writer thread and its bounded queue.
#include "agent/snapshot_writer.h"

#include <cstdio>

namespace darkscope {

SnapshotWriter::SnapshotWriter(std::unique_ptr<UringFileWriter> files,
                               size_t capacity, WriteObserver observer)
    : files_(std::move(files)), capacity_(capacity), observer_(std::move(observer)) {
  thread_ = std::thread([this] { Loop(); });
}

SnapshotWriter::~SnapshotWriter() {
  {
    absl::MutexLock lock(&mutex_);
    closing_ = true;
  }
  thread_.join();
}

bool SnapshotWriter::Push(Job job, uint64_t& dropped) {
  if (queue_.size() >= capacity_) {
    ++dropped;
    std::fprintf(stderr, "darkscope: writer queue full (%zu waiting): dropped %s\n",
                 queue_.size(), job.name.c_str());
    return false;
  }
  queue_.push_back(std::move(job));
  return true;
}

bool SnapshotWriter::Enqueue(Snapshot snapshot) {
  absl::MutexLock lock(&mutex_);
  std::string name = SnapshotFileName(snapshot.interval_start);
  return Push({std::move(snapshot), std::move(name), {}}, stats_.dropped);
}

bool SnapshotWriter::EnqueueFile(std::string name,
                                 std::vector<std::vector<uint8_t>> pieces) {
  absl::MutexLock lock(&mutex_);
  return Push({std::nullopt, std::move(name), std::move(pieces)}, stats_.files_dropped);
}

SnapshotWriterStats SnapshotWriter::stats() const {
  absl::MutexLock lock(&mutex_);
  SnapshotWriterStats stats = stats_;
  stats.queue_depth = queue_.size();
  return stats;
}

void SnapshotWriter::Loop() {
  for (;;) {
    Job job;
    {
      absl::MutexLock lock(&mutex_);
      mutex_.Await(absl::Condition(
          +[](SnapshotWriter* w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(w->mutex_) {
            return !w->queue_.empty() || w->closing_;
          },
          this));
      if (queue_.empty()) return;  // closing, and everything written
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    const absl::Time began = absl::Now();
    if (job.snapshot.has_value()) job.pieces = {EncodeSnapshot(*job.snapshot)};
    std::vector<absl::Span<const uint8_t>> pieces(job.pieces.begin(), job.pieces.end());
    absl::Status status = files_->Write(job.name, pieces);
    const absl::Duration took = absl::Now() - began;
    const bool snapshot = job.snapshot.has_value();
    {
      absl::MutexLock lock(&mutex_);
      if (status.ok()) {
        ++(snapshot ? stats_.written : stats_.files_written);
      } else {
        ++(snapshot ? stats_.write_errors : stats_.file_write_errors);
        std::fprintf(stderr, "darkscope: writing %s failed: %s\n", job.name.c_str(),
                     status.ToString().c_str());
      }
    }
    // Retention and the write-duration histogram follow the snapshots.
    if (observer_ && snapshot) observer_(*job.snapshot, status, took);
  }
}

}  // namespace darkscope
