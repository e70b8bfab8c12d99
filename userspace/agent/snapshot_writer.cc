// The writer thread, its bounded queue, and the backlog kept while the
// output directory fails.
#include "agent/snapshot_writer.h"

#include <cstdio>

namespace darkscope {

SnapshotWriter::SnapshotWriter(std::unique_ptr<UringFileWriter> files,
                               size_t capacity, WriteObserver observer,
                               absl::Duration retry)
    : files_(std::move(files)),
      capacity_(capacity),
      observer_(std::move(observer)),
      retry_(retry) {
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
  const size_t depth = queue_.size() + (in_flight_ ? 1 : 0);
  if (depth >= capacity_ && job.snapshot.has_value()) {
    // Counts come before samples: make room by evicting a queued sample
    // file, the newest first.
    for (auto it = queue_.rbegin(); it != queue_.rend(); ++it) {
      if (it->snapshot.has_value()) continue;
      ++stats_.files_dropped;
      std::fprintf(stderr,
                   "darkscope: writer backlog full (%zu of %zu): dropped %s to "
                   "keep %s\n",
                   depth, capacity_, it->name.c_str(), job.name.c_str());
      queue_.erase(std::next(it).base());
      queue_.push_back(std::move(job));
      return true;
    }
  }
  if (depth >= capacity_) {
    ++dropped;
    std::fprintf(
        stderr,
        "darkscope: writer backlog full (%zu of %zu waiting): dropped %s\n",
        depth, capacity_, job.name.c_str());
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
  return Push({std::nullopt, std::move(name), std::move(pieces)},
              stats_.files_dropped);
}

SnapshotWriterStats SnapshotWriter::StatsLocked() const {
  SnapshotWriterStats stats = stats_;
  stats.queue_depth = queue_.size() + (in_flight_ ? 1 : 0);
  stats.queue_capacity = capacity_;
  return stats;
}

SnapshotWriterStats SnapshotWriter::stats() const {
  absl::MutexLock lock(&mutex_);
  return StatsLocked();
}

bool SnapshotWriter::WaitWritten(absl::Time start, absl::Duration limit) {
  absl::MutexLock lock(&mutex_);
  struct Written {
    SnapshotWriter* writer;
    absl::Time start;
  } arg{this, start};
  return mutex_.AwaitWithTimeout(
      absl::Condition(
          +[](Written* w) ABSL_NO_THREAD_SAFETY_ANALYSIS {
            return w->writer->last_written_ >= w->start;
          },
          &arg),
      limit);
}

absl::Status SnapshotWriter::WriteJob(Job& job, bool last_attempt) {
  const absl::Time began = absl::Now();
  // A snapshot is encoded for each attempt and never kept encoded: the
  // backlog holds the (smaller) decoded form only once.
  std::vector<std::vector<uint8_t>> encoded;
  if (job.snapshot.has_value()) encoded = {EncodeSnapshot(*job.snapshot)};
  const auto& bytes = job.snapshot.has_value() ? encoded : job.pieces;
  std::vector<absl::Span<const uint8_t>> pieces(bytes.begin(), bytes.end());
  absl::Status status = files_->Write(job.name, pieces);
  const absl::Duration took = absl::Now() - began;
  const bool snapshot = job.snapshot.has_value();
  SnapshotWriterStats after;
  {
    absl::MutexLock lock(&mutex_);
    if (status.ok()) {
      ++(snapshot ? stats_.written : stats_.files_written);
      if (snapshot) last_written_ = job.snapshot->interval_start;
      if (stats_.disk_fault != 0) {
        std::fprintf(stderr,
                     "darkscope: output directory takes files again: wrote %s; "
                     "writing the backlog of %zu\n",
                     job.name.c_str(), queue_.size());
      }
      stats_.disk_fault = 0;
    } else if (last_attempt) {
      ++(snapshot ? stats_.write_errors : stats_.file_write_errors);
      if (snapshot) ++stats_.lost;
      stats_.disk_fault = 1;
      std::fprintf(stderr, "darkscope: stopping: %s is lost (%s)\n",
                   job.name.c_str(), status.ToString().c_str());
    } else {
      ++(snapshot ? stats_.write_errors : stats_.file_write_errors);
      if (stats_.disk_fault == 0) {
        std::fprintf(
            stderr,
            "darkscope: writing %s failed: %s; keeping it and what follows in "
            "memory (at most %zu files), retrying every %s\n",
            job.name.c_str(), status.ToString().c_str(), capacity_,
            absl::FormatDuration(retry_).c_str());
      }
      stats_.disk_fault = 1;
    }
    after = StatsLocked();
    const bool done = status.ok() || last_attempt ||
                      (!snapshot && job.attempts + 1 >= kFileAttempts);
    if (done) --after.queue_depth;
  }
  // After every attempt, sample files' included: the disk-fault and
  // backlog figures must not wait for the next snapshot.
  if (observer_)
    observer_(snapshot ? &*job.snapshot : nullptr, status, took, after);
  return status;
}

void SnapshotWriter::Loop() {
  for (;;) {
    Job job;
    bool closing = false;
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
      in_flight_ = true;
      closing = closing_;
    }
    // At shutdown each file gets one last attempt.
    const absl::Status status = WriteJob(job, /*last_attempt=*/closing);
    absl::MutexLock lock(&mutex_);
    in_flight_ = false;
    if (status.ok() || closing) continue;
    if (job.snapshot.has_value()) {
      // Back to the head of the backlog: snapshots are written in order.
      queue_.push_front(std::move(job));
    } else if (++job.attempts >= kFileAttempts) {
      ++stats_.files_dropped;
      std::fprintf(stderr, "darkscope: gave up on %s after %d attempts (%s)\n",
                   job.name.c_str(), job.attempts, status.ToString().c_str());
      continue;
    } else {
      // Behind every snapshot queued now: a file that keeps failing (too
      // big for what is left of the disk, say) never holds counts up.
      auto after_snapshots = queue_.begin();
      for (auto it = queue_.begin(); it != queue_.end(); ++it) {
        if (it->snapshot.has_value()) after_snapshots = std::next(it);
      }
      queue_.insert(after_snapshots, std::move(job));
    }
    // Wait, unless asked to stop.
    mutex_.AwaitWithTimeout(absl::Condition(&closing_), retry_);
  }
}

}  // namespace darkscope
