// Retention: deleting darkscope's own old files from the output directory,
// oldest first, by age and by total size. Only names darkscope writes are
// considered: snapshots "YYYYMMDDTHHMMSSZ.dsnap" and samples
// "YYYYMMDDTHHMMSSZ.pcapng" (and their ".tmp" leftovers are not touched);
// the stamp in the name, the interval's UTC start, is the file's age. The
// files of the newest stamp are always kept, so the interval just written
// survives any limit. Run by the writer thread after each write, never by
// the drain.
#ifndef DARKSCOPE_AGENT_RETENTION_H_
#define DARKSCOPE_AGENT_RETENTION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace darkscope {

struct RetentionPolicy {
  absl::Duration max_age = absl::ZeroDuration();  // zero: no age limit
  uint64_t max_bytes = 0;                         // zero: no size limit
  bool enabled() const {
    return max_age > absl::ZeroDuration() || max_bytes > 0;
  }
};

struct RetainedFile {
  std::string name;
  absl::Time stamp;
  uint64_t bytes = 0;
  friend bool operator==(const RetainedFile&, const RetainedFile&) = default;
};

// The stamp of a darkscope file name; nullopt for any other name.
std::optional<absl::Time> DarkscopeFileStamp(absl::string_view name);

// The files to delete, oldest first: those whose stamp is older than
// now - max_age, then the oldest until the rest fit in max_bytes; never
// those of the newest stamp.
std::vector<RetainedFile> PlanRetention(std::vector<RetainedFile> files,
                                        const RetentionPolicy& policy,
                                        absl::Time now);

struct RetentionResult {
  uint64_t files = 0;  // deleted
  uint64_t bytes = 0;  // their sizes
};

// Lists `directory`, plans and deletes. The error names the directory or
// the file that could not be listed or deleted (files before it are gone).
absl::StatusOr<RetentionResult> ApplyRetention(const std::string& directory,
                                               const RetentionPolicy& policy,
                                               absl::Time now);

}  // namespace darkscope

#endif  // DARKSCOPE_AGENT_RETENTION_H_
