// The report's ranked tables, the way the seeds print them: rank | entry |
// packets | previous rank (the entry's rank in the previous period).
#ifndef DARKSCOPE_REPORT_RANKED_TABLE_H_
#define DARKSCOPE_REPORT_RANKED_TABLE_H_

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "nlohmann/json.hpp"

namespace darkscope {

// Keys ranked by value, largest first (ties by key).
template <typename Key>
std::vector<std::pair<Key, uint64_t>> Ranked(
    const std::map<Key, uint64_t>& values) {
  std::vector<std::pair<Key, uint64_t>> ranked(values.begin(), values.end());
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  return ranked;
}

// The `top` entries of `now` by packets (ties by name), each row with its
// rank in `before` ("previous_rank": null where it was not seen;
// "previous": "not seen", "out of top N" or the rank). The column of the
// entry's name is `key`.
nlohmann::json RankedTable(const std::map<std::string, uint64_t>& now,
                           const std::map<std::string, uint64_t>& before,
                           int top, const char* key);

// The packets of the `top`-th largest of `totals` (0: fewer entries).
uint64_t TopCut(const absl::flat_hash_map<uint64_t, uint64_t>& totals, int top);

// RankedTable of entries kept by numeric key, naming by `label` only those
// the table needs: the entries now with at least the top-th largest total
// (ties included), and the entries before with at least as many packets as
// one of those had there (no other can rank above one of them). Equal to
// RankedTable of every entry named, as long as `label` names keys apart. A
// period of a /16 has millions of AS x port and country x port pairs: a
// string for each cost a quarter's report most of its time.
nlohmann::json TopRankedTable(
    const absl::flat_hash_map<uint64_t, uint64_t>& now,
    const absl::flat_hash_map<uint64_t, uint64_t>& before, int top,
    const char* key, absl::FunctionRef<std::string(uint64_t)> label);

}  // namespace darkscope

#endif  // DARKSCOPE_REPORT_RANKED_TABLE_H_
