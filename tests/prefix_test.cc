// Parsing of darknet prefixes: what an operator may type, and the one-line
// errors for what they may not.
#include "common/prefix.h"

#include <string>

#include "gtest/gtest.h"

namespace darkscope {
namespace {

struct PrefixCase {
  std::string input;
  bool ok;
  std::string canonical_or_error;  // ToString() if ok, else part of the error
};

class ParseDarknetPrefixTest : public ::testing::TestWithParam<PrefixCase> {};

TEST_P(ParseDarknetPrefixTest, ParsesOrExplains) {
  const PrefixCase& c = GetParam();
  absl::StatusOr<Prefix> prefix = ParseDarknetPrefix(c.input);
  ASSERT_EQ(prefix.ok(), c.ok) << prefix.status();
  if (c.ok) {
    EXPECT_EQ(prefix->ToString(), c.canonical_or_error);
  } else {
    EXPECT_NE(prefix.status().message().find(c.canonical_or_error),
              std::string::npos)
        << prefix.status();
    EXPECT_NE(prefix.status().message().find(c.input), std::string::npos);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ParseDarknetPrefixTest,
    ::testing::Values(
        PrefixCase{"198.18.0.0/15", true, "198.18.0.0/15"},
        PrefixCase{"10.0.0.0/8", true, "10.0.0.0/8"},
        PrefixCase{"198.18.7.0/24", true, "198.18.7.0/24"},
        PrefixCase{"0.0.0.0/0", true, "0.0.0.0/0"},
        PrefixCase{"2001:db8::/32", true, "2001:db8::/32"},
        PrefixCase{"2001:db8:d::/48", true, "2001:db8:d::/48"},
        PrefixCase{"2001:db8::1/128", true, "2001:db8::1/128"},
        PrefixCase{"198.18.7.128/25", false, "/24 or shorter"},
        PrefixCase{"198.18.1.0/15", false, "host bits"},
        PrefixCase{"2001:db8::1/32", false, "host bits"},
        PrefixCase{"198.18.0.0", false, "address/length"},
        PrefixCase{"198.18.0.0/33", false, "length must be 0..32"},
        PrefixCase{"2001:db8::/129", false, "length must be 0..128"},
        PrefixCase{"198.18.0.0/x", false, "length must be"},
        PrefixCase{"198.18.0/16", false, "not an IPv4 or IPv6 address"},
        PrefixCase{"darknet/8", false, "not an IPv4 or IPv6 address"}));

TEST(NetKey, PrintsNetworksAsReportsShowThem) {
  EXPECT_EQ(NetKeyToString(NetKeyOf(*ParseAddress("203.0.113.77"))),
            "203.0.113.0/24");
  EXPECT_EQ(NetKeyToString(NetKeyOf(*ParseAddress("2001:db8:aa:bb::1"))),
            "2001:db8:aa::/48");
}

}  // namespace
}  // namespace darkscope
