// Snapshot series written interval by interval.
#include "snapshot/interval_writer.h"

namespace darkscope {

absl::Time IntervalWriter::IntervalStart(absl::Time t) const {
  return absl::UnixEpoch() + absl::Floor(t - absl::UnixEpoch(), interval_);
}

absl::Status IntervalWriter::Add(
    absl::Time start, EpochCounts counts,
    std::map<std::string, uint64_t> agent_counters) {
  if (pending_.has_value()) {
    if (absl::Status s = WritePending(/*last=*/false); !s.ok()) return s;
  }
  Snapshot snapshot;
  snapshot.sensor = sensor_;
  snapshot.darknet = darknet_;
  snapshot.interval_start = start;
  snapshot.interval_seconds =
      static_cast<uint32_t>(absl::ToInt64Seconds(interval_));
  snapshot.counts = std::move(counts);
  snapshot.agent_counters = std::move(agent_counters);
  pending_ = std::move(snapshot);
  return absl::OkStatus();
}

absl::Status IntervalWriter::Finish() {
  if (!pending_.has_value()) return absl::OkStatus();
  return WritePending(/*last=*/true);
}

absl::Status IntervalWriter::WritePending(bool last) {
  pending_->complete = written_ > 0 && !last;
  absl::Status status = files_.Write(SnapshotFileName(pending_->interval_start),
                                     EncodeSnapshot(*pending_));
  pending_.reset();
  ++written_;
  return status;
}

}  // namespace darkscope
