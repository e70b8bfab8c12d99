// Country and AS of source networks from the installed enrichment data
// (deploy/setup.sh), and the clear message when a database is missing. The
// data-backed cases need the data: without it they skip, except in CI
// (DARKSCOPE_REQUIRE_PRIVILEGED=1), where setup.sh has installed it.
#include <unistd.h>

#include <string>

#include "absl/strings/match.h"
#include "common/prefix.h"
#include "enrich/origin.h"
#include "gtest/gtest.h"
#include "privileged.h"

namespace darkscope::testing {
namespace {

struct OriginCase {
  std::string address;
  std::string country;
  uint32_t asn;  // 0: do not check
};

class OriginTest : public ::testing::TestWithParam<OriginCase> {
 protected:
  static void SetUpTestSuite() {
    lookup_ = OriginLookup::Open(kDefaultGeoDir).release();
  }
  void SetUp() override {
    if (!lookup_->has_countries() || !lookup_->has_asns()) {
      if (PrivilegedTestsRequired())
        FAIL() << "enrichment data missing: " << lookup_->warnings()[0];
      GTEST_SKIP()
          << "enrichment data not installed (sudo deploy/setup.sh installs it)";
    }
  }
  static OriginLookup* lookup_;
};
OriginLookup* OriginTest::lookup_ = nullptr;

TEST_P(OriginTest, FindsCountryAndAs) {
  const Origin& origin =
      lookup_->Of(NetKeyOf(*ParseAddress(GetParam().address)));
  EXPECT_EQ(origin.country, GetParam().country) << GetParam().address;
  if (GetParam().asn != 0) {
    EXPECT_EQ(origin.asn, GetParam().asn) << origin.as_name;
  }
}

// Well-known allocations whose country and AS do not move.
INSTANTIATE_TEST_SUITE_P(
    Networks, OriginTest,
    ::testing::Values(
        OriginCase{"1.1.1.1", "AU", 13335},      // Cloudflare's resolver block
        OriginCase{"8.8.8.8", "US", 15169},      // Google
        OriginCase{"126.1.2.3", "JP", 0},        // SoftBank
        OriginCase{"218.92.0.10", "CN", 0},      // China Telecom Jiangsu
        OriginCase{"2a01:4f8::1", "DE", 24940},  // Hetzner
        OriginCase{"198.18.0.1", "", 0}));       // benchmarking space: nobody's

TEST(OriginLookupMissing, SaysWhatIsMissingAndGoesOn) {
  std::unique_ptr<OriginLookup> lookup = OriginLookup::Open("/nonexistent/geo");
  EXPECT_FALSE(lookup->has_countries());
  EXPECT_FALSE(lookup->has_asns());
  ASSERT_EQ(lookup->warnings().size(), 2u);
  EXPECT_TRUE(absl::StrContains(lookup->warnings()[0], "/nonexistent/geo"))
      << lookup->warnings()[0];
  EXPECT_TRUE(absl::StrContains(lookup->warnings()[0], "without countries"));
  const Origin& origin = lookup->Of(NetKeyOf(*ParseAddress("126.1.2.3")));
  EXPECT_EQ(origin.country, "");
  EXPECT_EQ(origin.asn, 0u);
}

}  // namespace
}  // namespace darkscope::testing
