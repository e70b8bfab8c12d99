// The report finds what the telescope scenario planted, and nothing where
// nothing was planted. The scenario's capture is replayed through the data
// plane (BPF_PROG_TEST_RUN, root) and the report built from the sensor's
// snapshots; it must equal the report of the generator's ground truth.
#include "report/report.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "gen/generate.h"
#include "gen/scenario.h"
#include "gtest/gtest.h"
#include "privileged.h"
#include "replay/replay.h"

namespace darkscope::testing {
namespace {

class ReportTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char dir[] = "/tmp/darkscope-report-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    GenerateOptions gen;
    gen.scenario = "telescope";
    gen.packets = 100000;
    gen.pcap = dir_ + "/telescope.pcap";
    gen.truth_dir = dir_ + "/truth";
    ASSERT_EQ(mkdir(gen.truth_dir.c_str(), 0755), 0);
    ASSERT_TRUE(RunGenerate(gen).ok());
    ReportOptions options;
    options.dirs = {gen.truth_dir};
    options.from = absl::FromUnixSeconds(1795435200);  // 2026-11-23T12:00:00Z
    options.to = absl::FromUnixSeconds(1795478400);    // 2026-11-24T00:00:00Z
    absl::StatusOr<nlohmann::json> truth = BuildReport(options);
    ASSERT_TRUE(truth.ok()) << truth.status();
    truth_report_ = new nlohmann::json(std::move(*truth));
    if (MissingPrivileges() != nullptr) return;  // the tests skip or fail
    absl::StatusOr<Scenario> scenario = LoadScenario("telescope");
    ASSERT_TRUE(scenario.ok());
    ReplayOptions replay;
    replay.data_plane.prefixes = scenario->darknet;
    replay.interval = scenario->interval;
    replay.sensor =
        "ground-truth";  // the truth's name, so that reports compare
    replay.out_dir = dir_ + "/sensor";
    ASSERT_EQ(mkdir(replay.out_dir.c_str(), 0755), 0);
    replay.files = {gen.pcap};
    const absl::Status replayed = RunReplay(replay);
    ASSERT_TRUE(replayed.ok()) << replayed;
    options.dirs = {replay.out_dir};
    absl::StatusOr<nlohmann::json> report = BuildReport(options);
    ASSERT_TRUE(report.ok()) << report.status();
    report_ = new nlohmann::json(std::move(*report));
  }
  static void TearDownTestSuite() { std::system(("rm -rf " + dir_).c_str()); }
  void SetUp() override {
    DS_REQUIRE_PRIVILEGES();
    ASSERT_NE(report_, nullptr);
    if (report_->at("enrichment").empty()) {
      if (PrivilegedTestsRequired()) FAIL() << "enrichment data missing";
      GTEST_SKIP()
          << "enrichment data not installed (sudo deploy/setup.sh installs it)";
    }
  }
  static std::string dir_;
  static nlohmann::json* report_;        // from the replayed snapshots
  static nlohmann::json* truth_report_;  // from the ground truth
};
std::string ReportTest::dir_;
nlohmann::json* ReportTest::report_ = nullptr;
nlohmann::json* ReportTest::truth_report_ = nullptr;

TEST_F(ReportTest, SensorReportEqualsGroundTruthReport) {
  for (const auto& [key, value] : truth_report_->items()) {
    EXPECT_EQ(report_->at(key), value) << key;
  }
}

std::set<std::string> Column(const nlohmann::json& rows, const char* key) {
  std::set<std::string> values;
  for (const auto& row : rows) values.insert(row[key].get<std::string>());
  return values;
}

TEST_F(ReportTest, TopPortIs23WithItsPreviousRank) {
  const auto& top = report_->at("top_ports");
  ASSERT_FALSE(top.empty());
  EXPECT_EQ(top[0]["port"], "23/TCP");
  EXPECT_EQ(top[0]["previous_rank"], 1);
}

TEST_F(ReportTest, MiraiShareOfTelnetIsHighAndOf2323Total) {
  for (const auto& row : report_->at("fingerprint_shares")) {
    const double share = row["mirai_share"].get<double>();
    if (row["port"] == "23/TCP") {
      EXPECT_GT(share, 80.0);
    } else if (row["port"] == "2323/TCP") {
      EXPECT_DOUBLE_EQ(share, 100.0);
    } else if (row["port"] == "445/TCP") {
      EXPECT_LT(share, 1.0);
    }
  }
}

TEST_F(ReportTest, ReflectionSourcePortsLead) {
  const std::set<std::string> ports =
      Column(report_->at("source_ports"), "source_port");
  EXPECT_TRUE(ports.count("123/UDP"));
  EXPECT_TRUE(ports.count("53/UDP"));
  EXPECT_EQ(report_->at("source_ports")[0]["source_port"], "123/UDP");
}

TEST_F(ReportTest, BackscatterVictimsAreTheSynAckAndRstNetworks) {
  const auto& victims = report_->at("backscatter_victims");
  // The synack population has 120 networks, the rst one 30; with 100,000
  // frames over a day the half-day sees most of them.
  EXPECT_GT(victims["networks"].get<int>(), 100);
  EXPECT_LE(victims["networks"].get<int>(), 150);
  for (const auto& row : victims["top_networks"]) {
    EXPECT_EQ(row["packets"].get<uint64_t>(),
              row["synack"].get<uint64_t>() + row["rst"].get<uint64_t>());
  }
  // Victims are where the scenario put them: US, DE and JP (countries of
  // the addresses, as the database places them, may add a few others).
  const std::set<std::string> countries =
      Column(victims["countries"], "country");
  EXPECT_TRUE(countries.count("US") && countries.count("DE") &&
              countries.count("JP"));
  EXPECT_EQ(victims["countries"][0]["country"], "US");
  for (const char* scanner_country : {"BR", "VN", "TW", "IR", "ID", "FR"}) {
    EXPECT_FALSE(countries.count(scanner_country)) << scanner_country;
  }
}

// Spikes: the planted ones are found (5000/tcp from Taiwan from 12:00,
// 8545/tcp from France from 14:24, Korea's burst at 16:00-18:00); the
// office-hours populations (445/tcp, 1433/tcp) rise above a night-time
// baseline by design; nothing else stands out.
TEST_F(ReportTest, SpikesAreThePlantedOnes) {
  std::set<std::string> found;
  for (const auto& row : report_->at("spikes")["entries"]) {
    found.insert(row["kind"].get<std::string>() + " " +
                 row["name"].get<std::string>());
  }
  const std::set<std::string> planted = {
      "port 5000/TCP", "country_port TW 5000/TCP",
      "port 8545/TCP", "country_port FR 8545/TCP",
      "country FR",    "country KR"};
  for (const std::string& spike : planted)
    EXPECT_TRUE(found.count(spike)) << spike;
  const std::set<std::string> diurnal = {"port 445/TCP",
                                         "port 1433/TCP",
                                         "country ID",
                                         "country CN",
                                         "country RU",
                                         "country_port ID 445/TCP",
                                         "country_port CN 445/TCP",
                                         "country_port RU 445/TCP",
                                         "country_port CN 1433/TCP",
                                         "country_port RU 1433/TCP"};
  for (const std::string& spike : found) {
    EXPECT_TRUE(planted.count(spike) || diurnal.count(spike))
        << "unplanted spike: " << spike;
  }
  EXPECT_NE(report_->at("spikes")["method"].get<std::string>().find("MAD"),
            std::string::npos);
}

TEST_F(ReportTest, EmergingPortsAreThePlantedOnesOnly) {
  const std::set<std::string> emerging =
      Column(report_->at("emerging_ports"), "port");
  EXPECT_EQ(emerging, (std::set<std::string>{"5000/TCP", "8545/TCP"}));
}

TEST_F(ReportTest, WideScannerIsTheRussianSlash24) {
  const auto& wide = report_->at("wide_scanners");
  ASSERT_FALSE(wide.empty());
  EXPECT_EQ(wide[0]["country"], "RU");
  EXPECT_GT(wide[0]["ports_estimate"].get<int>(), 1000);
}

TEST_F(ReportTest, OutageIsIranOnly) {
  EXPECT_EQ(Column(report_->at("outages"), "country"),
            (std::set<std::string>{"IR"}));
}

TEST_F(ReportTest, SmbScanningPeaksInDaytime) {
  const auto& hours =
      report_->at("series")["ports"]["445/TCP"]["hour_of_day_utc"];
  ASSERT_EQ(hours.size(), 24u);
  size_t peak = 0;
  for (size_t h = 0; h < 24; ++h) {
    if (hours[h].get<uint64_t>() > hours[peak].get<uint64_t>()) peak = h;
  }
  // The report covers 12:00-24:00 UTC; the profile peaks at 13:00.
  EXPECT_GE(peak, 12u);
  EXPECT_LE(peak, 15u);
}

TEST_F(ReportTest, CountriesComeFromTheDatabase) {
  const std::set<std::string> countries =
      Column(report_->at("top_countries"), "country");
  EXPECT_TRUE(countries.count("US"));
  EXPECT_TRUE(countries.count("CN"));
  EXPECT_FALSE(countries.count("??")) << "every generated source has a country";
}

// The demo scenario plants no spike, outage or new port (and has no
// previous period to compare with): the report finds none, but its one
// wide-range scanner (Masscan over every port from the Netherlands).
TEST(DemoReportTest, FindsNothingWhereNothingWasPlanted) {
  char dir[] = "/tmp/darkscope-demo-report-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  GenerateOptions gen;
  gen.scenario = "demo";
  gen.truth_dir = dir;
  ASSERT_TRUE(RunGenerate(gen).ok());
  ReportOptions options;
  options.dirs = {dir};
  options.from = absl::FromUnixSeconds(1795428000);  // 2026-11-23T10:00:00Z
  options.to = *options.from + absl::Minutes(1);
  absl::StatusOr<nlohmann::json> report = BuildReport(options);
  std::system(absl::StrCat("rm -rf ", dir).c_str());
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_GT((*report)["totals"]["packets"].get<uint64_t>(), 0u);
  EXPECT_TRUE((*report)["spikes"]["entries"].empty());
  EXPECT_TRUE((*report)["outages"].empty());
  EXPECT_TRUE((*report)["emerging_ports"].empty());
  ASSERT_EQ((*report)["wide_scanners"].size(), 1u);
  if (!(*report)["enrichment"].empty()) {
    EXPECT_EQ((*report)["wide_scanners"][0]["country"], "NL");
  }
}

}  // namespace
}  // namespace darkscope::testing
