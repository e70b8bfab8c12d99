// Parsing of darknet prefixes: what an operator may type, and the one-line
// errors for what they may not.
#include "common/prefix.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
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

std::vector<Prefix> Prefixes(const std::vector<std::string>& texts) {
  std::vector<Prefix> out;
  for (const std::string& t : texts) out.push_back(*ParseDarknetPrefix(t));
  return out;
}

TEST(PrefixSet, OverlapsAndDuplicatesAreRefusedNamingBoth) {
  struct Case {
    std::vector<std::string> prefixes;
    std::string error;  // empty: accepted
  };
  const Case cases[] = {
      {{"198.18.0.0/15"}, ""},
      {{"198.18.0.0/16", "198.19.0.0/16"}, ""},
      {{"198.18.0.0/24", "198.18.1.0/24", "2001:db8::/32", "2001:db9::/32"},
       ""},
      {{"198.18.0.0/15", "2001:db8::/32"}, ""},
      {{"198.18.0.0/15", "198.18.0.0/15"},
       "prefix 198.18.0.0/15 is given twice"},
      {{"198.18.5.0/24", "198.18.0.0/15"},
       "prefix 198.18.5.0/24 lies inside prefix 198.18.0.0/15"},
      {{"198.19.255.0/24", "10.0.0.0/8", "198.18.0.0/15"},
       "198.19.255.0/24 lies inside"},
      {{"2001:db8:d::/48", "2001:db8::/32"},
       "2001:db8:d::/48 lies inside prefix 2001:db8::/32"},
      {{"0.0.0.0/0", "198.18.0.0/15"}, "lies inside prefix 0.0.0.0/0"},
  };
  for (const Case& c : cases) {
    const absl::Status status = CheckPrefixesDisjoint(Prefixes(c.prefixes));
    EXPECT_EQ(status.ok(), c.error.empty()) << c.prefixes[0] << ": " << status;
    if (!c.error.empty()) {
      EXPECT_NE(status.message().find(c.error), std::string::npos) << status;
    }
  }
  // 10,000 /24s inside one /15 given with it: refused, quickly.
  std::vector<std::string> many = {"198.18.0.0/15"};
  for (int i = 0; i < 512; ++i)
    many.push_back(absl::StrCat("198.", 18 + i / 256, ".", i % 256, ".0/24"));
  EXPECT_FALSE(CheckPrefixesDisjoint(Prefixes(many)).ok());
  many.erase(many.begin());
  EXPECT_TRUE(CheckPrefixesDisjoint(Prefixes(many)).ok())
      << "512 disjoint /24s";
}

TEST(PrefixSet, AddressesAreCountedOnce) {
  struct Case {
    std::vector<std::string> prefixes;
    uint64_t addresses;
  };
  const Case cases[] = {
      {{}, 0},
      {{"198.18.0.0/15"}, 131072},
      {{"198.18.0.0/15", "198.18.0.0/15"}, 131072},
      {{"198.18.0.0/15", "198.18.9.0/24", "198.19.0.0/16"}, 131072},
      {{"198.18.0.0/24", "198.18.1.0/24", "2001:db8::/32"}, 512},
      {{"0.0.0.0/0", "198.18.0.0/15"}, uint64_t{1} << 32},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Ipv4AddressCount(Prefixes(c.prefixes)), c.addresses)
        << (c.prefixes.empty() ? "none" : c.prefixes[0]);
  }
  // What a crafted file may hold: lengths beyond the family count nothing
  // (and shift nothing by a negative amount).
  Prefix bad = *ParseDarknetPrefix("198.18.0.0/15");
  bad.length = 40;
  Prefix worse = bad;
  worse.length = -3;
  Prefix alien = bad;
  alien.family = 9;
  EXPECT_EQ(Ipv4AddressCount(std::vector<Prefix>{bad, worse, alien}), 0u);
}

TEST(PrefixSet, HostAddressesAreRefused) {
  const std::vector<HostAddress> host = {
      {"lo", *ParseAddress("127.0.0.1")},
      {"eth0", *ParseAddress("192.0.2.2")},
      {"eth0", *ParseAddress("fe80::fc:ff:fe00:1")},
  };
  struct Case {
    std::vector<std::string> prefixes;
    std::string error;  // empty: accepted
  };
  const Case cases[] = {
      {{"198.18.0.0/15", "2001:db8::/32"}, ""},
      {{"192.0.3.0/24"}, ""},
      {{"0.0.0.0/0"},
       "prefix 0.0.0.0/0 holds 127.0.0.1, an address of this host (lo)"},
      {{"198.18.0.0/15", "192.0.2.0/24"},
       "prefix 192.0.2.0/24 holds 192.0.2.2"},
      {{"192.0.0.0/16"}, "(eth0)"},
      {{"::/0"}, "prefix ::/0 holds fe80::fc:ff:fe00:1"},
      {{"fe80::/10"}, "--allow-own-addresses"},
  };
  for (const Case& c : cases) {
    const absl::Status status =
        CheckNoHostAddresses(Prefixes(c.prefixes), host);
    EXPECT_EQ(status.ok(), c.error.empty())
        << c.prefixes.back() << ": " << status;
    if (!c.error.empty()) {
      EXPECT_NE(status.message().find(c.error), std::string::npos) << status;
    }
  }
}

}  // namespace
}  // namespace darkscope
