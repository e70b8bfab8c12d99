// The report's analyses on snapshots of known counts, written directly
// (no privileges): four days of hourly snapshots from two sensors, with an
// Iranian outage of 12 hours in the middle, an hour-by-hour Japanese
// population, one sensor's coverage gap and an hour neither sensor saw.
// Checks the time zone of times and days, the dates given without offset,
// the outage anywhere in the period, the coverage gaps (partial steps keep
// their packets, steps nobody observed are null), and the series as CSV.
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "common/port_index.h"
#include "common/prefix.h"
#include "gtest/gtest.h"
#include "report/html.h"
#include "report/report.h"
#include "rfc3339.h"
#include "snapshot/snapshot.h"
#include "snapshot/snapshot_files.h"

namespace darkscope::testing {
namespace {

namespace fs = std::filesystem;

constexpr int kHours = 96;  // 2026-11-20T00:00Z .. 2026-11-24T00:00Z
constexpr int kOutageFirst = 40, kOutageHours = 12;  // Iran silent
// Sensor osaka: hours 60-62 missing, hour 70 half observed; hour 85
// missing in both sensors.
constexpr int kMissingFirst = 60, kMissingHours = 3, kHalfHour = 70,
              kNobody = 85;

void AddSource(Snapshot& s, const char* address, uint16_t port,
               uint64_t packets) {
  if (packets == 0) return;
  const ds_net_key net = NetKeyOf(*ParseAddress(address));
  s.counts.sources[net].packets += packets;
  ds_flow_key flow = {};
  flow.src = net;
  flow.proto_slot = DS_SLOT_TCP;
  flow.port = port;
  s.counts.flows[flow].packets += packets;
  s.counts.ports[ds_port_index(DS_SLOT_TCP, port)].packets += packets;
  s.counts.counters[DS_CTR_DARKNET_PACKETS] += packets;
  s.counts.counters[DS_CTR_IPV4] += packets;
}

void WriteSensor(const std::string& dir, const std::string& sensor,
                 bool with_gap) {
  fs::create_directories(dir);
  for (int h = 0; h < kHours; ++h) {
    if (with_gap && h >= kMissingFirst && h < kMissingFirst + kMissingHours)
      continue;
    if (h == kNobody) continue;
    Snapshot s;
    s.sensor = sensor;
    s.interval_start = At("2026-11-20T00:00:00Z") + absl::Hours(h);
    s.interval_seconds = with_gap && h == kHalfHour ? 1800 : 3600;
    s.complete = true;
    s.darknet.push_back(*ParseDarknetPrefix("198.18.0.0/24"));
    AddSource(s, "126.0.0.1", 23, 100);  // JP, every hour
    const bool silent = h >= kOutageFirst && h < kOutageFirst + kOutageHours;
    AddSource(s, "5.112.0.1", 80, silent ? 0 : 200);  // IR
    const std::vector<uint8_t> bytes = EncodeSnapshot(s);
    std::ofstream(dir + "/" + SnapshotFileName(s.interval_start),
                  std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }
}

class ReportAnalysesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char dir[] = "/tmp/darkscope-analyses-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = new std::string(dir);
    WriteSensor(*dir_ + "/tokyo", "tokyo", false);
    WriteSensor(*dir_ + "/osaka", "osaka", true);
    ReportOptions options;
    options.dirs = {*dir_ + "/tokyo", *dir_ + "/osaka"};
    options.local_time_zone = "Asia/Tokyo";
    options.top = 1;  // only 80/TCP and IR rank
    options.series = {"port:23/tcp", "country:JP", "pair:JP:23/TCP",
                      "country:FR",  "asn:17676",  "asn:AS64500"};
    absl::TimeZone tokyo;
    ASSERT_TRUE(absl::LoadTimeZone("Asia/Tokyo", &tokyo));
    // 2026-11-20 09:00 .. 2026-11-24 09:00 JST: the data's 4 UTC days.
    options.from = *ParseReportTime("2026-11-20T09:00", tokyo);
    options.to = *ParseReportTime("2026-11-24T09:00:00+09:00", tokyo);
    absl::StatusOr<nlohmann::json> report = BuildReport(options);
    ASSERT_TRUE(report.ok()) << report.status();
    report_ = new nlohmann::json(std::move(*report));
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
    delete report_;
  }
  void SetUp() override {
    ASSERT_NE(report_, nullptr);
    if (report_->at("enrichment").empty()) {
      GTEST_SKIP() << "enrichment data not installed (deploy/setup.sh)";
    }
  }
  static std::string* dir_;
  static nlohmann::json* report_;
};
std::string* ReportAnalysesTest::dir_ = nullptr;
nlohmann::json* ReportAnalysesTest::report_ = nullptr;

TEST(ParseReportTimeTest, DatesAndTimesWithoutOffsetAreInTheZone) {
  absl::TimeZone tokyo;
  ASSERT_TRUE(absl::LoadTimeZone("Asia/Tokyo", &tokyo));
  const struct {
    const char* text;
    const char* want;  // RFC 3339, UTC; empty: an error
  } cases[] = {
      {"2026-10-01", "2026-09-30T15:00:00Z"},
      {"2026-10-01T09:30", "2026-10-01T00:30:00Z"},
      {"2026-10-01T09:30:15", "2026-10-01T00:30:15Z"},
      {"2026-10-01 09:30", "2026-10-01T00:30:00Z"},
      {"2026-10-01T00:00:00Z", "2026-10-01T00:00:00Z"},
      {"2026-10-01T00:00:00+02:00", "2026-09-30T22:00:00Z"},
      {"yesterday", ""},
      {"2026-13-01", ""},
  };
  for (const auto& c : cases) {
    absl::StatusOr<absl::Time> t = ParseReportTime(c.text, tokyo);
    if (*c.want == '\0') {
      EXPECT_FALSE(t.ok()) << c.text;
      continue;
    }
    ASSERT_TRUE(t.ok()) << c.text << ": " << t.status();
    EXPECT_EQ(*t, At(c.want)) << c.text;
  }
}

TEST_F(ReportAnalysesTest, TimesAndDaysFollowTheZone) {
  const nlohmann::json& r = *report_;
  EXPECT_EQ(r["period"]["from"], "2026-11-20T09:00:00+09:00");
  EXPECT_EQ(r["period"]["to"], "2026-11-24T09:00:00+09:00");
  EXPECT_EQ(r["period"]["time_zone"], "Asia/Tokyo");
  const nlohmann::json& jp = r["series"]["named"]["JP"];
  // Two sensors x 100 packets an hour, in JST days: the period starts at
  // 09:00 on the 20th and ends at 09:00 on the 24th. osaka missed 3 hours
  // (21:00-23:59 on the 22nd) and half of one (its file still holds 100);
  // neither saw 22:00 on the 23rd.
  const nlohmann::json want_days = {{"2026-11-20", 15 * 200},
                                    {"2026-11-21", 24 * 200},
                                    {"2026-11-22", 24 * 200 - 3 * 100},
                                    {"2026-11-23", 23 * 200},
                                    {"2026-11-24", 9 * 200}};
  EXPECT_EQ(jp["daily"], want_days);
  ASSERT_FALSE(jp["hourly"].empty());
  EXPECT_EQ(jp["hourly"][0][0], "2026-11-20T09:00:00+09:00");
}

TEST_F(ReportAnalysesTest, OutageInTheMiddleOfThePeriod) {
  const nlohmann::json& outages = report_->at("outages");
  ASSERT_EQ(outages.size(), 1u) << outages.dump();
  EXPECT_EQ(outages[0]["country"], "IR");
  // Hour 40 UTC of the 20th is the 21st, 16:00Z = 22nd, 01:00 JST.
  EXPECT_EQ(outages[0]["from"], "2026-11-22T01:00:00+09:00");
  EXPECT_EQ(outages[0]["to"], "2026-11-22T13:00:00+09:00");
  EXPECT_EQ(outages[0]["steps"], kOutageHours);
  EXPECT_EQ(outages[0]["packets"], 0);
}

TEST_F(ReportAnalysesTest, CoverageGapsArePartialOrNull) {
  const nlohmann::json& coverage = report_->at("coverage");
  ASSERT_EQ(coverage.size(), 2u);
  EXPECT_EQ(coverage[0]["sensor"], "osaka");
  EXPECT_EQ(coverage[1]["sensor"], "tokyo");
  const nlohmann::json nobody = {{"from", "2026-11-23T22:00:00+09:00"},
                                 {"to", "2026-11-23T23:00:00+09:00"},
                                 {"kind", "missing"},
                                 {"observed_seconds", 0},
                                 {"expected_seconds", 3600}};
  EXPECT_EQ(coverage[1]["gaps"], nlohmann::json::array({nobody}));
  const nlohmann::json want = {
      {{"from", "2026-11-22T21:00:00+09:00"},
       {"to", "2026-11-23T00:00:00+09:00"},
       {"kind", "missing"},
       {"observed_seconds", 0},
       {"expected_seconds", 3 * 3600}},
      {{"from", "2026-11-23T07:00:00+09:00"},
       {"to", "2026-11-23T08:00:00+09:00"},
       {"kind", "incomplete"},
       {"observed_seconds", 1800},
       {"expected_seconds", 3600}},
      nobody,
  };
  EXPECT_EQ(coverage[0]["gaps"], want);
  EXPECT_EQ(coverage[0]["observed_seconds"],
            (kHours - kMissingHours - 1) * 3600 - 1800);
  EXPECT_EQ(coverage[1]["observed_seconds"], (kHours - 1) * 3600);
  // The series: a step one sensor missed (or half observed) keeps the
  // packets seen and is listed as partial; the step no sensor observed is
  // null, never 0 (0 is a count).
  const nlohmann::json& series = report_->at("series");
  const nlohmann::json& steps = series["countries"]["IR"]["steps"];
  ASSERT_EQ(steps.size(), static_cast<size_t>(kHours));
  std::vector<std::string> want_partial;
  for (int h = 0; h < kHours; ++h) {
    const bool osaka_missing =
        h >= kMissingFirst && h < kMissingFirst + kMissingHours;
    const bool silent = h >= kOutageFirst && h < kOutageFirst + kOutageHours;
    if (osaka_missing || h == kHalfHour)
      want_partial.push_back(steps[h][0].get<std::string>());
    if (h == kNobody) {
      EXPECT_TRUE(steps[h][1].is_null()) << h;
    } else {
      EXPECT_EQ(steps[h][1], silent ? 0 : osaka_missing ? 200 : 400) << h;
    }
  }
  EXPECT_EQ(series["partial_steps"], nlohmann::json(want_partial));
  EXPECT_EQ(series["missing_steps"],
            nlohmann::json::array({"2026-11-23T22:00:00+09:00"}));
}

TEST_F(ReportAnalysesTest, NamedSeriesWhateverTheirRank) {
  const nlohmann::json& r = *report_;
  EXPECT_EQ(r["top_ports"].size(), 1u);
  EXPECT_FALSE(r["series"]["ports"].contains("23/TCP"));
  const nlohmann::json& named = r["series"]["named"];
  const struct {
    const char* label;
    const char* kind;
    uint64_t packets;  // in the period
  } cases[] = {
      {"23/TCP", "port", (2 * kHours - kMissingHours - 2) * 100},
      {"JP", "country", (2 * kHours - kMissingHours - 2) * 100},
      {"JP 23/TCP", "country_port", (2 * kHours - kMissingHours - 2) * 100},
      {"FR", "country", 0},  // never seen: zeros, null where nobody looked
      {"AS17676", "as", (2 * kHours - kMissingHours - 2) * 100},  // SoftBank
      {"AS64500", "as", 0},
  };
  for (const auto& c : cases) {
    ASSERT_TRUE(named.contains(c.label)) << c.label;
    const nlohmann::json& entry = named[c.label];
    EXPECT_EQ(entry["kind"], c.kind) << c.label;
    uint64_t total = 0;
    int nulls = 0;
    for (const auto& step : entry["steps"]) {
      if (step[1].is_null()) {
        ++nulls;
      } else {
        total += step[1].get<uint64_t>();
      }
    }
    // Every packet is in a step; only the hour nobody observed is null.
    EXPECT_EQ(total, c.packets) << c.label;
    EXPECT_EQ(nulls, 1) << c.label;
  }
}

// --lang ja: the same JSON keys, names in Japanese; the text report's
// headings and previous ranks in Japanese, and each sensor's top ports.
TEST_F(ReportAnalysesTest, JapaneseNamesAndHeadings) {
  ReportOptions options;
  options.dirs = {*dir_ + "/tokyo", *dir_ + "/osaka"};
  options.local_time_zone = "Asia/Tokyo";
  options.language = "ja";
  absl::StatusOr<nlohmann::json> r = BuildReport(options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)["language"], "ja");
  std::map<std::string, std::string> names, services;
  for (const auto& row : (*r)["top_countries"])
    names[row["country"]] = row["country_name"];
  for (const auto& row : (*r)["top_ports"])
    services[row["port"]] = row["service"];
  EXPECT_EQ(names, (std::map<std::string, std::string>{
                       {"IR", "イラン・イスラム共和国"}, {"JP", "日本"}}));
  EXPECT_EQ(services, (std::map<std::string, std::string>{{"23/TCP", "telnet"},
                                                          {"80/TCP", "http"}}));
  std::ostringstream text;
  PrintReportText(*r, text);
  for (const char* want :
       {"宛先ポート別パケット数 TOP (順位 | ポート | サービス | パケット数 | "
        "前回順位)",
        "送信元地域別パケット数 TOP", "日本",
        "センサー別 宛先ポート TOP: osaka", "センサー別 宛先ポート TOP: tokyo",
        "観測なし", "欠測"}) {
    EXPECT_NE(text.str().find(want), std::string::npos) << want;
  }
  // The page too: its language, headings, dates on the time axes (the
  // zone's midnights), and the partly observed steps marked on the curves.
  const std::string html = RenderReportHtml(*r);
  for (const char* want :
       {"<html lang=\"ja\">", "<h2>宛先ポート別パケット数 TOP</h2>",
        "<td>イラン・イスラム共和国</td>", ">11-22</text>", "class=\"partial\"",
        "<td>欠測</td>"}) {
    EXPECT_NE(html.find(want), std::string::npos) << want;
  }
  // The English report keeps English headings and names.
  options.language = "en";
  absl::StatusOr<nlohmann::json> en = BuildReport(options);
  ASSERT_TRUE(en.ok());
  std::ostringstream en_text;
  PrintReportText(*en, en_text);
  EXPECT_NE(en_text.str().find("Top destination ports (rank | port | service "
                               "| packets | previous rank)"),
            std::string::npos);
  EXPECT_NE(en_text.str().find("Iran"), std::string::npos);
  options.language = "fr";
  EXPECT_FALSE(BuildReport(options).ok());
}

TEST(ParseSeriesNameTest, KindsAndErrors) {
  const struct {
    const char* text;
    const char* label;  // empty: an error
  } cases[] = {
      {"port:23/tcp", "23/TCP"},
      {"port:icmp", "ICMP"},
      {"source_port:123/udp", "123/UDP"},
      {"country:jp", "JP"},
      {"pair:JP:445/tcp", "JP 445/TCP"},
      {"port:70000/tcp", ""},
      {"port:23/sctp", ""},
      {"country:JPN", ""},
      {"asn:64500", "AS64500"},
      {"asn:AS17676", "AS17676"},
      {"asn:0", ""},
      {"asn:SoftBank", ""},
      {"pair:JP", ""},
  };
  for (const auto& c : cases) {
    absl::StatusOr<SeriesName> name = ParseSeriesName(c.text);
    if (*c.label == '\0') {
      EXPECT_FALSE(name.ok()) << c.text;
      continue;
    }
    ASSERT_TRUE(name.ok()) << c.text << ": " << name.status();
    EXPECT_EQ(name->label, c.label);
  }
}

TEST_F(ReportAnalysesTest, SeriesAsCsv) {
  std::ostringstream csv;
  PrintReportCsv(*report_, csv);
  const std::vector<std::string> lines =
      absl::StrSplit(csv.str(), '\n', absl::SkipEmpty());
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines[0], "time,kind,key,packets,coverage");
  int ir = 0, ir_missing = 0, ir_partial = 0;
  for (const std::string& line : lines) {
    if (line.find(",country,IR,") == std::string::npos) continue;
    ++ir;
    ir_missing += absl::EndsWith(line, ",,missing");
    ir_partial += absl::EndsWith(line, ",partial");
  }
  EXPECT_EQ(ir, kHours);
  EXPECT_EQ(ir_missing, 1);
  EXPECT_EQ(ir_partial, kMissingHours + 1);
  EXPECT_NE(csv.str().find("2026-11-20T09:00:00+09:00,port,23/TCP,200,full\n"),
            std::string::npos);
}

}  // namespace
}  // namespace darkscope::testing
