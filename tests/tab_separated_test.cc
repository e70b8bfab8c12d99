// ClickHouse's TabSeparated answers read row by row (TabSeparatedRows,
// export/clickhouse_client.h): fields split on tabs, rows on newlines that
// are not escaped, escapes undone, and each row's fields as the whole-body
// parse gives them.
#include <string>
#include <vector>

#include "export/clickhouse_client.h"
#include "gtest/gtest.h"

namespace darkscope::testing {
namespace {

using Rows = std::vector<std::vector<std::string>>;

struct Case {
  std::string what, body;
  Rows rows;
};

TEST(TabSeparatedRows, ReadRowByRowAsTheyWereWritten) {
  const Case cases[] = {
      {"nothing", "", {}},
      {"one number", "42\n", {{"42"}}},
      {"columns and rows",
       "1\t2\t3\n4\t5\t6\n",
       {{"1", "2", "3"}, {"4", "5", "6"}}},
      {"no newline at the end", "a\tb", {{"a", "b"}}},
      {"an empty line is a row of one empty field",
       "a\n\nb\n",
       {{"a"}, {""}, {"b"}}},
      {"empty fields", "\t\t\n", {{"", "", ""}}},
      {"an escaped tab stays in its field", "a\\tb\tc\n", {{"a\tb", "c"}}},
      {"an escaped newline stays in its row",
       "x\\ny\t1\n2\n",
       {{"x\ny", "1"}, {"2"}}},
      {"a backslash then a raw newline", "x\\\ny\t1\n", {{"x\ny", "1"}}},
      {"backslash, quote, NUL",
       "\\\\\t\\'\t\\0\n",
       {{"\\", "'", std::string(1, '\0')}}},
      {"a row with escapes between two without",
       "s1\t10\nparis\\tnord\t20\ns3\t30\n",
       {{"s1", "10"}, {"paris\tnord", "20"}, {"s3", "30"}}},
      {"a trailing backslash stays", "a\\", {{"a\\"}}},
  };
  for (const Case& c : cases) {
    Rows read;
    for (const TabSeparatedRows::Row& row : TabSeparatedRows(c.body))
      read.emplace_back(row.begin(), row.end());
    EXPECT_EQ(read, c.rows) << c.what;
    EXPECT_EQ(ParseTabSeparated(c.body), c.rows) << c.what;
  }
}

// Iterated twice, the rows are the same (nothing is unescaped in place).
TEST(TabSeparatedRows, IterateTwice) {
  const TabSeparatedRows rows("a\\tb\t1\nc\t2\n");
  for (int pass = 0; pass < 2; ++pass) {
    std::vector<std::string> first;
    for (const TabSeparatedRows::Row& row : rows) first.emplace_back(row[0]);
    EXPECT_EQ(first, (std::vector<std::string>{"a\tb", "c"})) << pass;
  }
}

}  // namespace
}  // namespace darkscope::testing
