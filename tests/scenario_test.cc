// The scenario format: what parses, what is refused (naming the line), and
// that generation is deterministic and follows shares, windows and kinds.
#include "gen/scenario.h"

#include <map>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

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
        BadScenario{"warp 9\n", "unknown directive 'warp'"}));

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

}  // namespace
}  // namespace darkscope
