// The report's ranked tables: top entries with their previous ranks.
#include "report/ranked_table.h"

#include <limits>

#include "absl/strings/str_cat.h"

namespace darkscope {
namespace {

using nlohmann::json;

template <typename Key>
std::map<Key, int> Ranks(const std::map<Key, uint64_t>& values) {
  std::map<Key, int> ranks;
  int rank = 0;
  for (const auto& [key, value] : Ranked(values)) ranks[key] = ++rank;
  return ranks;
}

}  // namespace

uint64_t TopCut(const absl::flat_hash_map<uint64_t, uint64_t>& totals,
                int top) {
  if (top <= 0 || totals.size() < static_cast<size_t>(top)) return 0;
  std::vector<uint64_t> values;
  values.reserve(totals.size());
  for (const auto& [key, total] : totals) values.push_back(total);
  std::nth_element(values.begin(), values.begin() + (top - 1), values.end(),
                   std::greater<>());
  return values[top - 1];
}

json RankedTable(const std::map<std::string, uint64_t>& now,
                 const std::map<std::string, uint64_t>& before, int top,
                 const char* key) {
  const std::map<std::string, int> previous = Ranks(before);
  json rows = json::array();
  int rank = 0;
  for (const auto& [name, packets] : Ranked(now)) {
    if (++rank > top) break;
    auto it = previous.find(name);
    json row = {{"rank", rank}, {key, name}, {"packets", packets}};
    row["previous_rank"] =
        it == previous.end() ? json(nullptr) : json(it->second);
    row["previous"] = it == previous.end() ? "not seen"
                      : it->second > top   ? absl::StrCat("out of top ", top)
                                           : absl::StrCat(it->second);
    rows.push_back(row);
  }
  return rows;
}

json TopRankedTable(const absl::flat_hash_map<uint64_t, uint64_t>& now,
                    const absl::flat_hash_map<uint64_t, uint64_t>& before,
                    int top, const char* key,
                    absl::FunctionRef<std::string(uint64_t)> label) {
  const uint64_t top_cut = TopCut(now, top);
  uint64_t before_cut = std::numeric_limits<uint64_t>::max();
  std::map<std::string, uint64_t> named_now, named_before;
  for (const auto& [k, total] : now) {
    if (total < top_cut) continue;
    named_now[label(k)] += total;
    auto it = before.find(k);
    if (it != before.end()) before_cut = std::min(before_cut, it->second);
  }
  for (const auto& [k, total] : before) {
    if (total >= before_cut) named_before[label(k)] += total;
  }
  return RankedTable(named_now, named_before, top, key);
}

}  // namespace darkscope
