// The run options the agent refuses before it touches the kernel
// (ValidateAgentOptions): each case is one option set wrong on an otherwise
// good set, on the loopback interface, with the one-line error expected.
// Nothing here loads or attaches a program.
#include <stdlib.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "agent/agent.h"
#include "common/prefix.h"
#include "gtest/gtest.h"

namespace darkscope {
namespace {

class AgentOptionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/darkscope-options-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }

  AgentOptions Good() const {
    AgentOptions options;
    options.interface = "lo";
    options.data_plane.prefixes = {*ParseDarknetPrefix("198.18.0.0/15"),
                                   *ParseDarknetPrefix("2001:db8::/32")};
    options.out_dir = dir_;
    options.sensor = "unit";
    return options;
  }

  std::string dir_;
};

std::vector<Prefix> Prefixes(const std::vector<std::string>& texts) {
  std::vector<Prefix> out;
  for (const std::string& t : texts) out.push_back(*ParseDarknetPrefix(t));
  return out;
}

TEST_F(AgentOptionsTest, RefusesBeforeTouchingTheKernel) {
  struct Case {
    std::string what;
    std::function<void(AgentOptions&)> change;
    std::string error;  // a substring; empty: accepted
  };
  const Case cases[] = {
      {"the good set", [](AgentOptions&) {}, ""},
      // Point 6: the host's own addresses, overlaps and duplicates.
      {"0.0.0.0/0 holds the host's addresses",
       [](AgentOptions& o) { o.data_plane.prefixes = Prefixes({"0.0.0.0/0"}); },
       "prefix 0.0.0.0/0 holds"},
      {"::/0 holds the host's addresses",
       [](AgentOptions& o) { o.data_plane.prefixes = Prefixes({"::/0"}); },
       "prefix ::/0 holds ::1, an address of this host (lo)"},
      {"127.0.0.0/8 holds the loopback address",
       [](AgentOptions& o) {
         o.data_plane.prefixes = Prefixes({"127.0.0.0/8"});
       },
       "holds 127.0.0.1, an address of this host (lo)"},
      {"--allow-own-addresses takes them",
       [](AgentOptions& o) {
         o.data_plane.prefixes = Prefixes({"0.0.0.0/0", "::/0"});
         o.allow_own_addresses = true;
       },
       ""},
      {"a prefix given twice",
       [](AgentOptions& o) {
         o.data_plane.prefixes = Prefixes({"198.18.0.0/15", "198.18.0.0/15"});
       },
       "prefix 198.18.0.0/15 is given twice"},
      {"a prefix inside another",
       [](AgentOptions& o) {
         o.data_plane.prefixes = Prefixes({"198.18.0.0/15", "198.19.4.0/24"});
       },
       "prefix 198.19.4.0/24 lies inside prefix 198.18.0.0/15"},
  };
  for (const Case& c : cases) {
    AgentOptions options = Good();
    c.change(options);
    const absl::Status status = ValidateAgentOptions(options);
    if (c.error.empty()) {
      EXPECT_TRUE(status.ok()) << c.what << ": " << status;
    } else {
      EXPECT_FALSE(status.ok()) << c.what;
      EXPECT_TRUE(absl::StrContains(status.message(), c.error))
          << c.what << ": " << status;
    }
  }
}

}  // namespace
}  // namespace darkscope
