// Finding and reading snapshot files: the directory listing every reader
// (cat, report, rollup, export) shares, and a file's bytes.
#ifndef DARKSCOPE_SNAPSHOT_SNAPSHOT_FILES_H_
#define DARKSCOPE_SNAPSHOT_SNAPSHOT_FILES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace darkscope {

// Snapshot files named by `paths` (files, or directories whose *.dsnap
// files are taken in time order).
absl::StatusOr<std::vector<std::string>> ListSnapshotFiles(
    const std::vector<std::string>& paths);

// The most ReadWholeFile reads by default: a snapshot of the largest body
// the decoder takes, with room to spare (snapshot.h, kMaxSnapshotBodySize).
inline constexpr uint64_t kMaxWholeFileBytes = (uint64_t{2} << 30) + (1 << 20);

// The bytes of the regular file `path`, at most `max_bytes`. Anything else
// is refused with its kind named ("a FIFO", "a character device", "a
// directory"): it is opened with O_NONBLOCK, so that a FIFO without a
// writer cannot hang the open, and fstat decides before any read. A file
// larger than `max_bytes` (or growing past it while read) is refused.
absl::StatusOr<std::vector<uint8_t>> ReadWholeFile(
    const std::string& path, uint64_t max_bytes = kMaxWholeFileBytes);

}  // namespace darkscope

#endif  // DARKSCOPE_SNAPSHOT_SNAPSHOT_FILES_H_
