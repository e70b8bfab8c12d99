// IntervalWriter: writes the snapshots of a time-ordered series of
// intervals (replay, the generator's ground truth) the way the agent names
// and marks them: a file per interval start, the first and the last
// interval marked incomplete (the series may begin and end mid-interval).
#ifndef DARKSCOPE_SNAPSHOT_INTERVAL_WRITER_H_
#define DARKSCOPE_SNAPSHOT_INTERVAL_WRITER_H_

#include <map>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "io/durable_file.h"
#include "snapshot/snapshot.h"

namespace darkscope {

class IntervalWriter {
 public:
  IntervalWriter(std::string sensor, std::vector<Prefix> darknet,
                 absl::Duration interval, UringFileWriter& files)
      : sensor_(std::move(sensor)),
        darknet_(std::move(darknet)),
        interval_(interval),
        files_(files) {}

  // The start of the interval that holds `t`.
  absl::Time IntervalStart(absl::Time t) const;

  // Hands over the counts of the interval starting at `start`; written when
  // the next one arrives (or at Finish), once it is known whether it is the
  // last.
  absl::Status Add(absl::Time start, EpochCounts counts,
                   std::map<std::string, uint64_t> agent_counters = {});
  absl::Status Finish();
  int written() const { return written_; }

 private:
  absl::Status WritePending(bool last);

  std::string sensor_;
  std::vector<Prefix> darknet_;
  absl::Duration interval_;
  UringFileWriter& files_;
  std::optional<Snapshot> pending_;
  int written_ = 0;
};

}  // namespace darkscope

#endif  // DARKSCOPE_SNAPSHOT_INTERVAL_WRITER_H_
