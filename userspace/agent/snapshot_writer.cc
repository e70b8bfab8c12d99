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

bool SnapshotWriter::Enqueue(Snapshot snapshot) {
  absl::MutexLock lock(&mutex_);
  if (queue_.size() >= capacity_) {
    ++stats_.dropped;
    std::fprintf(stderr,
                 "darkscope: snapshot queue full (%zu waiting): dropped the "
                 "snapshot of %s\n",
                 queue_.size(), SnapshotFileName(snapshot.interval_start).c_str());
    return false;
  }
  queue_.push_back(std::move(snapshot));
  return true;
}

SnapshotWriterStats SnapshotWriter::stats() const {
  absl::MutexLock lock(&mutex_);
  SnapshotWriterStats stats = stats_;
  stats.queue_depth = queue_.size();
  return stats;
}

void SnapshotWriter::Loop() {
  for (;;) {
    Snapshot snapshot;
    {
      absl::MutexLock lock(&mutex_);
      mutex_.Await(absl::Condition(
          +[](SnapshotWriter* w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(w->mutex_) {
            return !w->queue_.empty() || w->closing_;
          },
          this));
      if (queue_.empty()) return;  // closing, and everything written
      snapshot = std::move(queue_.front());
      queue_.pop_front();
    }
    const absl::Time began = absl::Now();
    const std::string name = SnapshotFileName(snapshot.interval_start);
    std::vector<uint8_t> bytes = EncodeSnapshot(snapshot);
    absl::Status status = files_->Write(name, bytes);
    const absl::Duration took = absl::Now() - began;
    {
      absl::MutexLock lock(&mutex_);
      if (status.ok()) {
        ++stats_.written;
      } else {
        ++stats_.write_errors;
        std::fprintf(stderr, "darkscope: writing snapshot %s failed: %s\n",
                     name.c_str(), status.ToString().c_str());
      }
    }
    if (observer_) observer_(snapshot, status, took);
  }
}

}  // namespace darkscope
