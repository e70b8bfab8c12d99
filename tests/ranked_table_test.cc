// Ranked tables: TopRankedTable, which names only the entries a table can
// show, gives the same rows as RankedTable of every entry named, ties at
// the cut and previous ranks included.
#include "report/ranked_table.h"

#include <map>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace darkscope::testing {
namespace {

using Totals = absl::flat_hash_map<uint64_t, uint64_t>;

std::string Label(uint64_t key) { return absl::StrCat("entry ", key); }

// RankedTable with every entry named: what TopRankedTable must equal.
nlohmann::json EveryEntryNamed(const Totals& now, const Totals& before,
                               int top) {
  std::map<std::string, uint64_t> named_now, named_before;
  for (const auto& [key, total] : now) named_now[Label(key)] = total;
  for (const auto& [key, total] : before) named_before[Label(key)] = total;
  return RankedTable(named_now, named_before, top, "entry");
}

struct Case {
  const char* what;
  Totals now, before;
  int top;
};

TEST(TopRankedTableTest, EqualsTheTableOfEveryEntryNamed) {
  const Case cases[] = {
      {"empty", {}, {}, 3},
      {"fewer entries than the top", {{1, 5}, {2, 7}}, {{2, 1}}, 3},
      {"ties at the cut are ranked by name",
       {{1, 9}, {2, 4}, {3, 4}, {4, 4}, {5, 1}},
       {},
       2},
      {"an entry before outranks the top entries there",
       {{1, 10}, {2, 8}, {3, 1}},
       {{1, 3}, {2, 2}, {3, 50}, {4, 40}},
       2},
      {"previous ranks out of the top and not seen",
       {{1, 10}, {2, 9}, {3, 8}},
       {{1, 1}, {4, 5}, {5, 5}, {6, 5}},
       3},
      {"ties before at a top entry's total",
       {{1, 10}, {2, 9}},
       {{1, 5}, {2, 5}, {3, 5}, {4, 6}},
       2},
      {"top 0", {{1, 1}}, {{1, 1}}, 0},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(TopRankedTable(c.now, c.before, c.top, "entry", Label),
              EveryEntryNamed(c.now, c.before, c.top))
        << c.what;
  }
}

TEST(TopRankedTableTest, EqualsOnRandomPeriodsWithManyTies) {
  std::mt19937_64 rng(20261203);
  for (int round = 0; round < 500; ++round) {
    Totals now, before;
    const int keys = 1 + static_cast<int>(rng() % 40);
    const uint64_t spread = 1 + rng() % 6;  // small: many equal totals
    for (int i = 0; i < keys; ++i) {
      if (rng() % 4) now[rng() % 60] += 1 + rng() % spread;
      if (rng() % 4) before[rng() % 60] += 1 + rng() % spread;
    }
    const int top = 1 + static_cast<int>(rng() % 10);
    ASSERT_EQ(TopRankedTable(now, before, top, "entry", Label),
              EveryEntryNamed(now, before, top))
        << "round " << round;
  }
}

TEST(TopCutTest, TheTopthLargestOrZero) {
  EXPECT_EQ(TopCut({{1, 5}, {2, 9}, {3, 7}}, 2), 7u);
  EXPECT_EQ(TopCut({{1, 5}, {2, 9}, {3, 9}}, 2), 9u);
  EXPECT_EQ(TopCut({{1, 5}}, 2), 0u);
  EXPECT_EQ(TopCut({{1, 5}}, 0), 0u);
}

}  // namespace
}  // namespace darkscope::testing
