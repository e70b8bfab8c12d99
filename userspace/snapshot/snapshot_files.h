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

// The file's bytes.
absl::StatusOr<std::vector<uint8_t>> ReadWholeFile(const std::string& path);

}  // namespace darkscope

#endif  // DARKSCOPE_SNAPSHOT_SNAPSHOT_FILES_H_
