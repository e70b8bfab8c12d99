// Country and AS of source networks from the installed enrichment data
// (deploy/setup.sh), from MaxMind GeoLite2 files (small ones written by
// tests/make_geolite2.pl), and the clear message when a database is
// missing. The
// data-backed cases need the data: without it they skip, except in CI
// (DARKSCOPE_REQUIRE_PRIVILEGED=1), where setup.sh has installed it.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/prefix.h"
#include "enrich/known_networks.h"
#include "enrich/names.h"
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
  EXPECT_TRUE(
      absl::StrContains(lookup->warnings()[0], "GeoLite2-Country.mmdb"));
  EXPECT_TRUE(absl::StrContains(lookup->warnings()[0], "deploy/setup.sh"));
  const Origin& origin = lookup->Of(NetKeyOf(*ParseAddress("126.1.2.3")));
  EXPECT_EQ(origin.country, "");
  EXPECT_EQ(origin.asn, 0u);
}

// A geo directory with GeoLite2-Country.mmdb and GeoLite2-ASN.mmdb (and
// optionally only the first), written by tests/make_geolite2.pl.
std::string GeoLite2Dir(bool with_asn) {
  char dir[] = "/tmp/darkscope-geolite2-XXXXXX";
  if (mkdtemp(dir) == nullptr) return "";
  const std::string command =
      absl::StrCat("perl ", DARKSCOPE_TESTS_DIR, "/make_geolite2.pl ", dir);
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
  if (!with_asn) std::remove(absl::StrCat(dir, "/GeoLite2-ASN.mmdb").c_str());
  return dir;
}

TEST(OriginLookupGeoLite2, ReadsCountryAndAsFiles) {
  const std::string dir = GeoLite2Dir(true);
  std::unique_ptr<OriginLookup> lookup = OriginLookup::Open(dir);
  ASSERT_TRUE(lookup->has_countries()) << lookup->warnings()[0];
  ASSERT_TRUE(lookup->has_asns()) << lookup->warnings()[0];
  EXPECT_TRUE(lookup->warnings().empty());
  struct Case {
    std::string address, country;
    uint32_t asn;
    std::string as_name;
  };
  const Case cases[] = {
      {"126.1.2.3", "JP", 17676, "SoftBank Corp."},
      {"2a01:4f8::1", "DE", 24940, "Hetzner Online GmbH"},
      {"203.0.113.9", "AU", 0, ""},  // registered_country only
      {"198.18.0.1", "", 0, ""},     // in neither file
  };
  for (const Case& c : cases) {
    const Origin& origin = lookup->Of(NetKeyOf(*ParseAddress(c.address)));
    EXPECT_EQ(origin.country, c.country) << c.address;
    EXPECT_EQ(origin.asn, c.asn) << c.address;
    EXPECT_EQ(origin.as_name, c.as_name) << c.address;
  }
  const std::vector<std::string> sources = lookup->sources();
  ASSERT_EQ(sources.size(), 2u);
  EXPECT_TRUE(absl::StrContains(sources[0], "GeoLite2-Country")) << sources[0];
  EXPECT_TRUE(absl::StrContains(sources[1], "GeoLite2-ASN")) << sources[1];
  std::system(absl::StrCat("rm -rf ", dir).c_str());
}

TEST(OriginLookupGeoLite2, AMissingAsFileSaysHowToInstallIt) {
  const std::string dir = GeoLite2Dir(false);
  std::unique_ptr<OriginLookup> lookup = OriginLookup::Open(dir);
  EXPECT_TRUE(lookup->has_countries());
  EXPECT_FALSE(lookup->has_asns());
  ASSERT_EQ(lookup->warnings().size(), 1u);
  for (const char* says :
       {"GeoLite2-ASN.mmdb", "deploy/setup.sh", "without ASes", dir.c_str()}) {
    EXPECT_TRUE(absl::StrContains(lookup->warnings()[0], says))
        << lookup->warnings()[0];
  }
  EXPECT_EQ(lookup->Of(NetKeyOf(*ParseAddress("126.1.2.3"))).country, "JP");
  std::system(absl::StrCat("rm -rf ", dir).c_str());
}

// Known scanners: a network is named when it overlaps a listed CIDR (the
// data plane counts /24s and /48s, so a listed /32 names its /24).
TEST(KnownNetworks, NamesOverlappingNetworks) {
  absl::StatusOr<KnownNetworks> known = KnownNetworks::Parse(
      "# research\n"
      "192.0.2.0/24 Example Research\n"
      "\n"
      "198.51.100.7/32   One Host Scanner\n"
      "203.0.0.0/8 Wide Block\n"
      "2001:db8:aa::/48 V6 Research\n",
      "known.txt");
  ASSERT_TRUE(known.ok()) << known.status();
  EXPECT_EQ(known->size(), 4u);
  EXPECT_EQ(known->narrower_than_networks(), 1);
  const struct {
    const char* address;  // a source address; its network is looked up
    const char* name;     // "" for none
  } cases[] = {
      {"192.0.2.200", "Example Research"},
      {"192.0.3.1", ""},
      {"198.51.100.99", "One Host Scanner"},  // the /32's /24
      {"203.5.6.7", "Wide Block"},
      {"2001:db8:aa::1", "V6 Research"},
      {"2001:db8:ab::1", ""},
  };
  for (const auto& c : cases) {
    const std::string* name = known->NameOf(NetKeyOf(*ParseAddress(c.address)));
    EXPECT_EQ(name ? *name : "", c.name) << c.address;
  }
}

TEST(KnownNetworks, ErrorsNameTheLine) {
  const struct {
    const char* text;
    const char* error;
  } cases[] = {
      {"192.0.2.0/24\n", "line 1: no name"},
      {"# c\n192.0.2.0/33 x\n", "line 2: '192.0.2.0/33' not a CIDR"},
      {"example.com x\n", "not an address"},
  };
  for (const auto& c : cases) {
    absl::StatusOr<KnownNetworks> known = KnownNetworks::Parse(c.text, "f");
    ASSERT_FALSE(known.ok()) << c.text;
    EXPECT_TRUE(absl::StrContains(known.status().message(), c.error))
        << known.status();
  }
  EXPECT_FALSE(KnownNetworks::Load("/nonexistent/known.txt").ok());
}

// Files the report is given that are not text files of a sane size: each
// refused in one line naming the file, never read without end (a FIFO
// without a writer, /dev/zero) or allocated whole.
TEST(EnrichFiles, OnlyBoundedRegularFilesAreRead) {
  char dir[] = "/tmp/darkscope-enrich-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string fifo = std::string(dir) + "/known.fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const std::string big = std::string(dir) + "/big.txt";
  {
    FILE* f = std::fopen(big.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fclose(f);
    ASSERT_EQ(truncate(big.c_str(), off_t{1} << 30), 0);  // 1 GiB, sparse
  }
  const struct {
    std::string path;
    const char* error;
  } cases[] = {
      {fifo, "a FIFO, not a regular file"},
      {"/dev/zero", "a character device, not a regular file"},
      {dir, "a directory, not a regular file"},
      {big, "bytes or more; at most"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.path);
    absl::StatusOr<KnownNetworks> known = KnownNetworks::Load(c.path);
    ASSERT_FALSE(known.ok());
    EXPECT_TRUE(absl::StrContains(known.status().message(), c.error))
        << known.status();
    EXPECT_TRUE(absl::StrContains(known.status().message(), c.path))
        << known.status();
    absl::StatusOr<ServiceNames> services = ServiceNames::Load(c.path);
    ASSERT_FALSE(services.ok());
    EXPECT_TRUE(absl::StrContains(services.status().message(), c.error))
        << services.status();
  }
  std::remove(fifo.c_str());
  std::remove(big.c_str());
  rmdir(dir);
}

// Names from the system's databases: IANA service names in /etc/services,
// ISO 3166 names from iso-codes and their Japanese translations.
TEST(Names, ServicesAndCountries) {
  absl::StatusOr<ServiceNames> services = ServiceNames::Load(kServicesFile);
  ASSERT_TRUE(services.ok()) << services.status();
  const struct {
    uint16_t port;
    const char* proto;
    const char* name;
  } ports[] = {{22, "tcp", "ssh"},
               {23, "TCP", "telnet"},
               {53, "udp", "domain"},
               {123, "udp", "ntp"},
               {445, "tcp", "microsoft-ds"},
               {1433, "tcp", "ms-sql-s"},
               {2323, "tcp", ""}};
  for (const auto& p : ports)
    EXPECT_EQ(services->Of(p.port, p.proto), p.name) << p.port;

  const struct {
    const char* language;
    const char* code;
    const char* name;
  } countries[] = {
      {"en", "JP", "Japan"},
      {"en", "KR", "South Korea"},
      {"en", "IR", "Iran"},
      {"en", "XX", ""},
      {"ja", "JP", "日本"},
      {"ja", "US", "米国"},
      {"ja", "CN", "中国"},
      {"ja", "TW", "台湾"},
      {"ja", "KR", "大韓民国 (韓国)"},  // no ja for "South Korea": ISO name's
  };
  for (const auto& c : countries) {
    absl::StatusOr<CountryNames> names =
        CountryNames::Load(c.language, kIsoCodesDir, kLocaleDir);
    ASSERT_TRUE(names.ok()) << names.status();
    EXPECT_EQ(names->Of(c.code), c.name) << c.language << " " << c.code;
  }
  EXPECT_FALSE(CountryNames::Load("xx", kIsoCodesDir, kLocaleDir).ok());
  EXPECT_FALSE(ServiceNames::Load("/nonexistent/services").ok());
  absl::StatusOr<std::map<std::string, std::string>> not_mo =
      ReadMoCatalogue(kServicesFile);
  ASSERT_FALSE(not_mo.ok());
  EXPECT_TRUE(absl::StrContains(not_mo.status().message(), "not a .mo file"));
}

}  // namespace
}  // namespace darkscope::testing
