// `darkscope cat`: snapshot files as rows, one per line, in JSON Lines or
// CSV: the contract monitoring scripts rely on. Table and column names are
// stable (docs/snapshot-format.md lists them).
#ifndef DARKSCOPE_CAT_CAT_H_
#define DARKSCOPE_CAT_CAT_H_

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "snapshot/snapshot.h"
#include "snapshot/snapshot_files.h"

namespace darkscope {

enum class CatFormat { kJsonLines, kCsv };

// The tables `cat` prints, in order.
inline constexpr const char* kCatTables[] = {
    "summary", "ports", "src_ports", "sources", "destinations", "flows"};

struct CatOptions {
  CatFormat format = CatFormat::kJsonLines;
  std::string table;  // empty: all tables
};

// Prints every file to `out`. A file that cannot be read or decoded is
// reported on `errors` with its name and the offset, and the others still
// print. Returns the number of files that failed.
int CatSnapshots(const std::vector<std::string>& files,
                 const CatOptions& options, std::ostream& out,
                 std::ostream& errors);

}  // namespace darkscope

#endif  // DARKSCOPE_CAT_CAT_H_
