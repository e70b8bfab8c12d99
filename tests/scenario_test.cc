// The scenario format: what parses, what is refused (naming the line), and
// that generation is deterministic and follows shares, windows and kinds;
// and that a population's sources are in its country in the installed
// enrichment data (a report filtered by country finds all of them).
#include "gen/scenario.h"

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/prefix.h"
#include "enrich/origin.h"
#include "gtest/gtest.h"
#include "privileged.h"

namespace darkscope {
namespace {

struct BadScenario {
  std::string text;
  std::string error;  // part of the message
};

class ScenarioErrorTest : public ::testing::TestWithParam<BadScenario> {};

TEST_P(ScenarioErrorTest, IsRefusedWithTheLine) {
  absl::StatusOr<Scenario> s = ParseScenario(GetParam().text);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(absl::StrContains(s.status().message(), GetParam().error))
      << s.status();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ScenarioErrorTest,
    ::testing::Values(
        BadScenario{"darknet 198.18.0.0/15\n", "needs populations"},
        BadScenario{"population p share=1 kind=syn ports=23\n",
                    "needs a darknet"},
        BadScenario{"darknet 198.18.0.0/15\npopulation p share=1 kind=teleport "
                    "ports=23\n",
                    "line 2: unknown kind 'teleport'"},
        BadScenario{"darknet 198.18.0.0/15\npopulation p share=1 kind=syn "
                    "ports=70000\n",
                    "bad port '70000'"},
        BadScenario{"darknet 198.18.0.0/15\npopulation p share=1 kind=syn "
                    "ports=23 sources=XX:1\n",
                    "unknown country 'XX'"},
        BadScenario{"darknet 198.18.0.0/15\npopulation p kind=syn ports=23\n",
                    "share > 0"},
        BadScenario{"darknet 198.18.0.0/15\npopulation p share=1 kind=syn\n",
                    "needs ports"},
        BadScenario{"darknet 198.18.0.0/15\nduration forever\n",
                    "line 2: duration"},
        BadScenario{"darknet 198.18.0.0/33\n", "line 1"},
        BadScenario{"darknet 198.18.0.0/15\npopulation p share=1 kind=syn "
                    "ports=23 family=6\n",
                    "no darknet prefix of IPv6"},
        BadScenario{"warp 9\n", "unknown directive 'warp'"},
        BadScenario{"time-zone Mars/Olympus\n", "line 1: unknown time zone"},
        BadScenario{"darknet 198.18.0.0/15\npopulation p share=1 kind=syn "
                    "ports=23 zone=Nowhere\n",
                    "line 2: unknown time zone 'Nowhere'"},
        BadScenario{"darknet 198.18.0.0/15\npopulation p share=1 kind=syn "
                    "ports=23 from=yesterday\n",
                    "population p: from 'yesterday' is neither"},
        BadScenario{"darknet 198.18.0.0/15\npopulation p share=1 kind=syn "
                    "ports=23 until=2026-11-24T00:00:00Z\n",
                    "population p: until 2026-11-24T00:00:00Z is outside"},
        BadScenario{"darknet 198.18.0.0/15\npopulation p share=1 kind=syn "
                    "ports=23 from=80 until=20\n",
                    "until is before from"}));

// Office profiles peak at 13:00 in the population's zone (the scenario's
// unless it names one), and windows may be absolute times: RFC 3339, or
// without an offset in the scenario's zone.
TEST(Scenario, ZonesAndAbsoluteWindows) {
  absl::StatusOr<Scenario> s = ParseScenario(R"(
    start 2026-11-23T00:00:00Z
    duration 24h
    packets 48000
    time-zone Asia/Tokyo
    darknet 198.18.0.0/15
    population tokyo  share=1 kind=syn ports=445 profile=office
    population utc    share=1 kind=syn ports=1433 profile=office zone=UTC
    population burst  share=1 kind=syn ports=123 from=2026-11-24T01:00 until=2026-11-23T18:00:00Z
  )");
  ASSERT_TRUE(s.ok()) << s.status();
  std::map<uint16_t, std::array<int, 24>> by_utc_hour;
  absl::Time first_burst = absl::InfiniteFuture(),
             last_burst = absl::InfinitePast();
  GenerateScenario(*s, [&](const GeneratedFrame& f) {
    const int hour = absl::ToCivilHour(f.time, absl::UTCTimeZone()).hour();
    by_utc_hour[f.spec.dport][hour]++;
    EXPECT_EQ(s->populations[f.population].ports[0].first, f.spec.dport);
    if (f.spec.dport == 123) {
      first_burst = std::min(first_burst, f.time);
      last_burst = std::max(last_burst, f.time);
    }
  });
  const struct {
    uint16_t port;
    int peak_utc_hour;  // 13:00 in the population's zone
  } cases[] = {{445, 4}, {1433, 13}};
  for (const auto& c : cases) {
    // The busiest five-hour window is centred on the peak (the cosine is
    // flat at its top: single hours are within noise of each other).
    const std::array<int, 24>& hours = by_utc_hour[c.port];
    auto window = [&](int centre) {
      int sum = 0;
      for (int d = -2; d <= 2; ++d) sum += hours[(centre + d + 24) % 24];
      return sum;
    };
    int busiest = 0;
    for (int h = 0; h < 24; ++h) {
      if (window(h) > window(busiest)) busiest = h;
    }
    EXPECT_EQ(busiest, c.peak_utc_hour) << c.port;
    EXPECT_LT(window((c.peak_utc_hour + 12) % 24) * 3, window(busiest))
        << c.port;
  }
  // 01:00 JST on the 24th is 16:00 UTC on the 23rd.
  const absl::Time from = s->start + absl::Hours(16),
                   until = s->start + absl::Hours(18);
  EXPECT_GE(first_burst, from);
  EXPECT_LT(first_burst, from + absl::Minutes(5));
  EXPECT_LT(last_burst, until);
  EXPECT_GT(last_burst, until - absl::Minutes(5));
}

TEST(Scenario, BuiltInsParse) {
  for (const std::string& name : BuiltInScenarioNames()) {
    absl::StatusOr<Scenario> s = LoadScenario(name);
    EXPECT_TRUE(s.ok()) << name << ": " << s.status();
  }
  EXPECT_FALSE(LoadScenario("no-such-scenario").ok());
}

TEST(Scenario, GenerationIsDeterministicAndFollowsTheText) {
  absl::StatusOr<Scenario> s = ParseScenario(R"(
    start 2026-11-23T00:00:00Z
    duration 1h
    packets 10000
    seed 3
    darknet 198.18.0.0/15
    population a share=75 kind=mirai ports=23 sources=JP:1 hosts=10 networks=1
    population b share=25 kind=zmap ports=443 sources=US:1 hosts=5 from=50
  )");
  ASSERT_TRUE(s.ok()) << s.status();
  std::map<uint16_t, int> first_half, second_half;
  std::vector<uint32_t> seqs;
  GenerateScenario(*s, [&](const GeneratedFrame& f) {
    const bool first = f.time < s->start + absl::Minutes(30);
    (first ? first_half : second_half)[f.spec.dport]++;
    if (f.spec.dport == 23) {
      const uint32_t daddr = (uint32_t{f.spec.dst.addr[0]} << 24) |
                             (f.spec.dst.addr[1] << 16) |
                             (f.spec.dst.addr[2] << 8) | f.spec.dst.addr[3];
      EXPECT_EQ(f.spec.seq, daddr)
          << "a Mirai-type frame carries its destination";
    } else {
      EXPECT_EQ(f.spec.ip_id, 54321);
    }
    seqs.push_back(f.spec.seq);
  });
  EXPECT_EQ(first_half[443], 0) << "b starts halfway";
  EXPECT_EQ(first_half[23], 5000);
  // In the second half, a has 75 of every 100 frames: about 3750.
  EXPECT_NEAR(second_half[23], 3750, 200);
  std::vector<uint32_t> again;
  GenerateScenario(
      *s, [&](const GeneratedFrame& f) { again.push_back(f.spec.seq); });
  EXPECT_EQ(seqs, again) << "same scenario, same seed, same frames";
}

// Every source network of a country's population, IPv4 and IPv6, is in
// that country as the report looks it up: one outside would be missed by
// `report --country` and counted under another country.
TEST(Scenario, SourcesAreInTheirCountryInTheEnrichmentData) {
  std::unique_ptr<OriginLookup> origins = OriginLookup::Open(kDefaultGeoDir);
  if (!origins->has_countries()) {
    if (testing::PrivilegedTestsRequired())
      FAIL() << "enrichment data missing: " << origins->warnings()[0];
    GTEST_SKIP()
        << "enrichment data not installed (deploy/setup.sh installs it)";
  }
  for (const char* country : {"JP", "CN", "US", "BR", "VN", "RU", "NL", "DE",
                              "IN", "KR", "TW", "ID", "FR", "IR"}) {
    absl::StatusOr<Scenario> s = ParseScenario(absl::StrCat(
        "packets 20000\ndarknet 198.18.0.0/15\ndarknet 2001:db8::/32\n",
        "population v4 share=50 kind=syn ports=23 sources=", country,
        ":100 hosts=2000 networks=400\n",
        "population v6 share=50 kind=syn family=6 ports=23 sources=", country,
        ":100 hosts=500 networks=100\n"));
    ASSERT_TRUE(s.ok()) << s.status();
    std::map<std::string, std::string> elsewhere;  // address -> its country
    int networks = 0;
    std::set<ds_net_key> seen;
    GenerateScenario(*s, [&](const GeneratedFrame& f) {
      const ds_net_key net = NetKeyOf(f.spec.src);
      if (!seen.insert(net).second) return;
      ++networks;
      const Origin& origin = origins->Of(net);
      if (origin.country != country) {
        elsewhere[f.spec.src.ToString()] = origin.country;
      }
    });
    EXPECT_GT(networks, 300) << country;
    EXPECT_TRUE(elsewhere.empty())
        << country << ": " << elsewhere.size() << " of " << networks
        << " source networks are elsewhere, e.g. " << elsewhere.begin()->first
        << " in " << elsewhere.begin()->second;
  }
}

}  // namespace
}  // namespace darkscope
