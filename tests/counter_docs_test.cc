// The counters' table in docs/snapshot-format.md against the ABI header's
// DS_COUNTER_LIST, the one list the kernel enum, the user-side names and
// the docs come from: a counter added, renamed or re-described in one place
// only fails here.
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/counter_names.h"
#include "gtest/gtest.h"

namespace darkscope {
namespace {

// The rows between the markers, as written.
std::vector<std::string> DocumentedRows(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> rows;
  bool inside = false;
  for (std::string line; std::getline(in, line);) {
    if (line == "<!-- counters:begin -->")
      inside = true;
    else if (line == "<!-- counters:end -->")
      inside = false;
    else if (inside && line.rfind("| `", 0) == 0)
      rows.push_back(line);
  }
  return rows;
}

TEST(CounterDocs, TableEqualsTheAbiList) {
  const std::vector<std::string> documented =
      DocumentedRows(DARKSCOPE_SNAPSHOT_FORMAT_DOC);
  std::vector<std::string> expected;
  for (int i = 0; i < DS_CTR_COUNT; ++i) {
    expected.push_back(absl::StrCat(
        "| `", kCounterNames[i], "` | ",
        absl::StrReplaceAll(kCounterDocs[i], {{"|", "\\|"}}), " |"));
  }
  EXPECT_EQ(documented, expected)
      << "regenerate the table in " << DARKSCOPE_SNAPSHOT_FORMAT_DOC;
}

TEST(CounterDocs, EnumFollowsTheList) {
  // The list's order is the enum's: spot-check both ends and the middle.
  EXPECT_STREQ(kCounterNames[DS_CTR_PACKETS_SEEN], "packets_seen");
  EXPECT_STREQ(kCounterNames[DS_CTR_MALFORMED_ETH], "malformed_eth");
  EXPECT_STREQ(kCounterNames[DS_CTR_ACTION_REDIRECT], "action_redirect");
}

}  // namespace
}  // namespace darkscope
