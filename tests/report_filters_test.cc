// The report's filters on generated traffic whose truth is known: a
// scenario plants one population per thing a filter must find (Mirai-type
// scanning from Japan and from Brazil, other SYNs to 23/TCP from Japan and
// China beside Japan's Mirai, 22/TCP from China, Japan and IPv6
// Germany, ZMap, DNS reflection, a research scanner's /24, Iranian sources
// silent for 12 hours in the middle), generated as two sensors (osaka
// misses six hours). The generator says which population each frame is
// from; every case's expected packets are sums of those counts, so each
// filter is checked against what was planted, not against another reading
// of the same tables.
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/prefix.h"
#include "gen/generate.h"
#include "gen/scenario.h"
#include "gtest/gtest.h"
#include "report/report.h"
#include "snapshot/snapshot.h"
#include "snapshot/snapshot_files.h"

namespace darkscope::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kScenario = R"(
name filters
start 2026-11-20T00:00:00Z
duration 96h
interval 1h
packets 30000
seed 11
darknet 198.18.0.0/15
darknet 2001:db8:d::/48
population jp-mirai share=20 kind=mirai ports=23:100 sources=JP:100 hosts=200 networks=40
population br-mirai share=15 kind=mirai ports=2323:100 sources=BR:100 hosts=200 networks=40
population jp-telnet share=6 kind=syn ports=23:100 sources=JP:100 hosts=60 networks=10
population cn-telnet share=9 kind=syn ports=23:100 sources=CN:100 hosts=60 networks=10
population cn-ssh   share=15 kind=syn ports=22:100 sources=CN:100 hosts=100 networks=20
population jp-ssh   share=10 kind=syn ports=22:100 sources=JP:100 hosts=100 networks=20
population us-zmap  share=8  kind=zmap ports=443:100 sources=US:100 hosts=50 networks=5
population dns      share=5  kind=udp-reflection ports=53:100 sources=US:100 hosts=50 networks=10
population v6       share=5  kind=syn family=6 ports=22:100 sources=DE:100 hosts=20 networks=4
population research share=10 kind=syn ports=80:100 sources=NL:100 hosts=20 networks=1
population iran-a   share=6  kind=syn ports=8080:100 sources=IR:100 hosts=50 networks=10 until=2026-11-21T12:00:00Z
population iran-b   share=6  kind=syn ports=8080:100 sources=IR:100 hosts=50 networks=10 from=2026-11-22T00:00:00Z
)";

// osaka's snapshots of these hours are removed: a coverage gap.
constexpr int kGapFirstHour = 70, kGapHours = 6;

class ReportFiltersTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char dir[] = "/tmp/darkscope-filters-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    root_ = dir;
    const std::string scenario = root_ + "/filters.scenario";
    std::ofstream(scenario) << kScenario;
    absl::StatusOr<Scenario> s = LoadScenario(scenario);
    ASSERT_TRUE(s.ok()) << s.status();
    const absl::Time gap_from = s->start + absl::Hours(kGapFirstHour),
                     gap_to = gap_from + absl::Hours(kGapHours);
    // The truth: frames per population, in both sensors (osaka without
    // its gap), and the research scanner's /24.
    GenerateScenario(*s, [&](const GeneratedFrame& f) {
      const std::string& name = s->populations[f.population].name;
      const bool in_gap = f.time >= gap_from && f.time < gap_to;
      frames_[name] += in_gap ? 1 : 2;
      tokyo_frames_[name] += 1;
      if (name == "research") research_ = NetKeyToString(NetKeyOf(f.spec.src));
    });
    for (const char* sensor : {"tokyo", "osaka"}) {
      const std::string out = root_ + "/" + sensor;
      GenerateOptions gen;
      gen.scenario = scenario;
      gen.truth_dir = out;
      const absl::Status generated = RunGenerate(gen);
      ASSERT_TRUE(generated.ok()) << generated;
      Rename(out, sensor, std::string(sensor) == "osaka", gap_from, gap_to);
      dirs_.push_back(out);
    }
    std::ofstream(root_ + "/known.txt") << "# research scanners\n"
                                        << research_ << " Example Research\n"
                                        << "192.0.2.7/32 a single host\n";
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }

  // Names every snapshot of `dir` after its sensor, and with `gap` removes
  // those starting in [gap_from, gap_to).
  static void Rename(const std::string& dir, const std::string& sensor,
                     bool gap, absl::Time gap_from, absl::Time gap_to) {
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (entry.path().extension() != ".dsnap") continue;
      absl::StatusOr<std::vector<uint8_t>> bytes =
          ReadWholeFile(entry.path().string());
      ASSERT_TRUE(bytes.ok()) << bytes.status();
      absl::StatusOr<Snapshot> s = DecodeSnapshot(*bytes);
      ASSERT_TRUE(s.ok()) << s.status();
      if (gap && s->interval_start >= gap_from && s->interval_start < gap_to) {
        fs::remove(entry.path());
        continue;
      }
      s->sensor = sensor;
      const std::vector<uint8_t> out = EncodeSnapshot(*s);
      std::ofstream(entry.path(), std::ios::binary)
          .write(reinterpret_cast<const char*>(out.data()), out.size());
    }
  }

  void SetUp() override {
    json probe = Report({});
    if (probe["enrichment"].empty())
      GTEST_SKIP() << "enrichment data not installed (deploy/setup.sh)";
  }

  static json Report(const ReportOptions& extra) {
    ReportOptions options = extra;
    options.dirs = dirs_;
    options.top = 50;
    absl::StatusOr<json> report = BuildReport(options);
    EXPECT_TRUE(report.ok()) << report.status();
    return report.ok() ? *report : json();
  }

  // Frames of these populations (both sensors, or tokyo only).
  static uint64_t Frames(std::initializer_list<const char*> names,
                         bool tokyo_only = false) {
    uint64_t n = 0;
    for (const char* name : names)
      n += (tokyo_only ? tokyo_frames_ : frames_)[name];
    return n;
  }

  static std::string root_, research_;
  static std::vector<std::string> dirs_;
  static std::map<std::string, uint64_t> frames_, tokyo_frames_;
};
std::string ReportFiltersTest::root_, ReportFiltersTest::research_;
std::vector<std::string> ReportFiltersTest::dirs_;
std::map<std::string, uint64_t> ReportFiltersTest::frames_,
    ReportFiltersTest::tokyo_frames_;

// A ranked table as name -> packets.
std::map<std::string, uint64_t> Table(const json& rows, const char* key) {
  std::map<std::string, uint64_t> out;
  for (const json& row : rows) out[row[key]] = row["packets"];
  return out;
}

const std::vector<const char*> kAll = {
    "jp-mirai", "br-mirai", "jp-telnet", "cn-telnet", "cn-ssh", "jp-ssh",
    "us-zmap",  "dns",      "v6",        "research",  "iran-a", "iran-b"};

TEST_F(ReportFiltersTest, EverySectionFollowsTheFilter) {
  uint64_t all = 0;
  for (const char* name : kAll) all += frames_[name];
  struct Case {
    const char* name;
    ReportFilter filter;
    uint64_t packets;  // totals.packets
    // Tables (section, key column) that must equal these packets exactly.
    std::vector<
        std::tuple<const char*, const char*, std::map<std::string, uint64_t>>>
        tables;
    std::vector<const char*> unavailable;  // sections left empty
  };
  ReportFilter jp, jp_ssh, ssh, mirai, v6, dns, tokyo;
  ASSERT_TRUE(AddFilterValues("country", "jp", jp).ok());
  ASSERT_TRUE(AddFilterValues("country", "JP", jp_ssh).ok());
  ASSERT_TRUE(AddFilterValues("port", "22/tcp", jp_ssh).ok());
  ASSERT_TRUE(AddFilterValues("port", "22/tcp", ssh).ok());
  ASSERT_TRUE(AddFilterValues("source-port", "53/udp", dns).ok());
  mirai.fingerprint = FingerprintCounter("mirai");
  v6.family = DS_FAMILY_IPV6;
  tokyo.sensors = {"tokyo"};
  const uint64_t jm = Frames({"jp-mirai"}), bm = Frames({"br-mirai"}),
                 js = Frames({"jp-ssh"}), cs = Frames({"cn-ssh"}),
                 jt = Frames({"jp-telnet"}), six = Frames({"v6"});
  const Case cases[] = {
      {"no filter", {}, all, {}, {}},
      {"Japan",
       jp,
       jm + jt + js,
       {{"top_ports", "port", {{"23/TCP", jm + jt}, {"22/TCP", js}}},
        {"top_countries", "country", {{"JP", jm + jt + js}}}},
       {"source_ports"}},
      {"22/TCP from Japan (seed 004)",
       jp_ssh,
       js,
       {{"top_ports", "port", {{"22/TCP", js}}},
        {"top_countries", "country", {{"JP", js}}}},
       {"source_ports", "backscatter_victims"}},
      {"22/TCP",
       ssh,
       cs + js + six,
       {{"top_countries", "country", {{"CN", cs}, {"JP", js}, {"DE", six}}}},
       {"source_ports"}},
      {"Mirai-type (seed 002)",
       mirai,
       jm + bm,
       {{"top_ports", "port", {{"23/TCP", jm}, {"2323/TCP", bm}}}},
       {"top_countries", "top_ases", "wide_scanners"}},
      {"IPv6",
       v6,
       six,
       {{"top_ports", "port", {{"22/TCP", six}}},
        {"top_countries", "country", {{"DE", six}}}},
       {"source_ports"}},
      {"source port 53/UDP",
       dns,
       Frames({"dns"}),
       {{"source_ports", "source_port", {{"53/UDP", Frames({"dns"})}}}},
       {"top_ports", "top_countries"}},
      {"sensor tokyo",
       tokyo,
       [&] {
         uint64_t n = 0;
         for (const char* name : kAll) n += tokyo_frames_[name];
         return n;
       }(),
       {},
       {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ReportOptions options;
    options.filter = c.filter;
    const json r = Report(options);
    EXPECT_EQ(r["totals"]["packets"], c.packets);
    EXPECT_EQ(r["filter"]["applied"], c.filter.Describe());
    for (const auto& [section, key, want] : c.tables) {
      EXPECT_EQ(Table(r[section], key), want) << section;
    }
    for (const char* section : c.unavailable) {
      EXPECT_TRUE(r["filter"]["unavailable"].contains(section)) << section;
      const json& s = r[section];
      EXPECT_TRUE(s.is_array() ? s.empty() : s["top_networks"].empty())
          << section;
    }
    // The series follow: every top port's steps sum to its packets.
    for (const json& row : r["top_ports"]) {
      uint64_t sum = 0;
      for (const json& step : r["series"]["ports"][row["port"]]["steps"])
        if (!step[1].is_null()) sum += step[1].get<uint64_t>();
      EXPECT_EQ(sum, row["packets"]) << row["port"];
    }
  }
}

// Seed 002's Table 1 for packets from Japan only: the Mirai-type share of
// each port among the packets the sources of the filter sent, counted per
// flow by the data plane. 23/TCP gets Mirai from Japan and other SYNs from
// Japan and China, so the Japanese share differs from the all-countries one.
TEST_F(ReportFiltersTest, FingerprintSharesUnderSourceFilters) {
  const uint64_t jm = Frames({"jp-mirai"}), jt = Frames({"jp-telnet"}),
                 ct = Frames({"cn-telnet"}), bm = Frames({"br-mirai"});
  struct Case {
    const char* name;
    std::vector<std::pair<const char*, const char*>> flags;
    const char* fingerprint;  // --fingerprint, or ""
    bool exclude_known;
    uint64_t packets, mirai;  // totals (packets 0: not checked)
    // Rows of fingerprint_shares: port -> (all, mirai).
    std::map<std::string, std::pair<uint64_t, uint64_t>> shares;
  };
  const Case cases[] = {
      {"all countries",
       {},
       "",
       false,
       0,
       jm + bm,
       {{"23/TCP", {jm + jt + ct, jm}}, {"2323/TCP", {bm, bm}}}},
      {"Japan (seed 002, Table 1)",
       {{"country", "JP"}},
       "",
       false,
       0,
       jm,
       {{"23/TCP", {jm + jt, jm}}, {"22/TCP", {Frames({"jp-ssh"}), 0}}}},
      {"China", {{"country", "CN"}}, "", false, 0, 0, {{"23/TCP", {ct, 0}}}},
      {"China's 23/TCP",
       {{"country", "CN"}, {"port", "23/tcp"}},
       "",
       false,
       ct,
       0,
       {{"23/TCP", {ct, 0}}}},
      {"Mirai from Japan (seed 002, Figures 1-2)",
       {{"country", "JP"}},
       "mirai",
       false,
       jm,
       jm,
       {{"23/TCP", {jm, jm}}}},
      {"Mirai from Japan and China",
       {{"country", "JP,CN"}},
       "mirai",
       false,
       jm,
       jm,
       {{"23/TCP", {jm, jm}}}},
      {"without the known scanners",
       {},
       "",
       true,
       0,
       jm + bm,
       {{"23/TCP", {jm + jt + ct, jm}}}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ReportOptions options;
    for (const auto& [flag, values] : c.flags)
      ASSERT_TRUE(AddFilterValues(flag, values, options.filter).ok());
    options.filter.fingerprint = FingerprintCounter(c.fingerprint);
    if (c.exclude_known) {
      options.known_scanners = root_ + "/known.txt";
      options.exclude_known = true;
    }
    const json r = Report(options);
    ASSERT_FALSE(r.is_null());
    EXPECT_FALSE(r["filter"]["unavailable"].contains("fingerprint_shares"));
    if (c.packets != 0) {
      EXPECT_EQ(r["totals"]["packets"], c.packets);
    }
    EXPECT_EQ(r["totals"]["mirai"], c.mirai);
    std::map<std::string, std::pair<uint64_t, uint64_t>> got;
    for (const json& row : r["fingerprint_shares"]) {
      const std::string port = row["port"];
      if (!c.shares.count(port)) continue;
      got[port] = {row["all"], row["mirai"]};
      const double want = 100.0 * c.shares.at(port).second /
                          static_cast<double>(c.shares.at(port).first);
      EXPECT_NEAR(row["mirai_share"].get<double>(), want, 1e-9) << port;
    }
    EXPECT_EQ(got, c.shares);
  }
}

// Files written before the flows counted fingerprints still read; under a
// source filter the report says their fingerprints are missing.
TEST_F(ReportFiltersTest, OldFlowsWithoutFingerprintsAreNamed) {
  const std::string old_dir = root_ + "/old-tokyo";
  fs::create_directories(old_dir);
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dirs_[0])) {
    if (entry.path().extension() != ".dsnap") continue;
    absl::StatusOr<std::vector<uint8_t>> bytes =
        ReadWholeFile(entry.path().string());
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    absl::StatusOr<Snapshot> s = DecodeSnapshot(*bytes);
    ASSERT_TRUE(s.ok()) << s.status();
    s->flow_fingerprints = false;  // the flows table as version 1 wrote it
    const std::vector<uint8_t> out = EncodeSnapshot(*s);
    std::ofstream(old_dir + "/" + entry.path().filename().string(),
                  std::ios::binary)
        .write(reinterpret_cast<const char*>(out.data()), out.size());
    ++files;
  }
  ReportOptions options;
  options.dirs = {old_dir};
  ASSERT_TRUE(AddFilterValues("country", "JP", options.filter).ok());
  absl::StatusOr<json> r = BuildReport(options);
  ASSERT_TRUE(r.ok()) << r.status();
  bool warned = false;
  for (const json& w : (*r)["warnings"]) {
    warned |= absl::StrContains(
        w.get<std::string>(),
        absl::StrCat(files,
                     " files were written before the flows counted "
                     "fingerprints"));
  }
  EXPECT_TRUE(warned) << (*r)["warnings"].dump();
  EXPECT_EQ((*r)["totals"]["packets"],
            Frames({"jp-mirai", "jp-telnet", "jp-ssh"}, true));
  // Unfiltered, the ports' own counts: nothing is missing, no warning.
  options.filter = {};
  r = BuildReport(options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)["totals"]["mirai"], Frames({"jp-mirai", "br-mirai"}, true));
  for (const json& w : (*r)["warnings"])
    EXPECT_FALSE(absl::StrContains(w.get<std::string>(), "flows counted"));
  fs::remove_all(old_dir);
}

TEST_F(ReportFiltersTest, AsByPortTableHoldsOnlyTheFilteredPort) {
  ReportOptions options;
  ASSERT_TRUE(AddFilterValues("country", "JP", options.filter).ok());
  ASSERT_TRUE(AddFilterValues("port", "22/tcp", options.filter).ok());
  const json r = Report(options);
  uint64_t sum = 0;
  ASSERT_FALSE(r["top_as_ports"].empty());
  for (const json& row : r["top_as_ports"]) {
    EXPECT_TRUE(absl::EndsWith(row["as_port"].get<std::string>(), " 22/TCP"))
        << row["as_port"];
    EXPECT_EQ(row["port"], "22/TCP");
    // Unknown ASes (ranges the AS data lacks) are AS 0, "unknown".
    EXPECT_EQ(row["asn"] == 0,
              absl::StartsWith(row["as_port"].get<std::string>(), "unknown "))
        << row["as_port"];
    sum += row["packets"].get<uint64_t>();
  }
  EXPECT_EQ(sum, Frames({"jp-ssh"}));
  // Unfiltered, 22/TCP comes from Japanese, Chinese and German ASes.
  const json everything = Report({});
  uint64_t ssh = 0;
  for (const json& row : everything["top_as_ports"]) {
    if (absl::EndsWith(row["as_port"].get<std::string>(), " 22/TCP"))
      ssh += row["packets"].get<uint64_t>();
  }
  EXPECT_EQ(ssh, Frames({"jp-ssh", "cn-ssh", "v6"}));
}

TEST_F(ReportFiltersTest, KnownScannersAreLabelledAndExcluded) {
  ReportOptions options;
  options.known_scanners = root_ + "/known.txt";
  const json labelled = Report(options);
  bool found = false;
  for (const json& row : labelled["top_sources"]) {
    const bool research = row["network"] == research_;
    EXPECT_EQ(row["known"], research ? json("Example Research") : json())
        << row["network"];
    found |= research;
  }
  EXPECT_TRUE(found) << research_ << " among the top sources";
  EXPECT_EQ(labelled["known_scanners"]["by_name"],
            json::array({{{"name", "Example Research"},
                          {"networks", 1},
                          {"packets", Frames({"research"})}}}));
  // The /32 entry is narrower than the /24s the data plane counts.
  bool warned = false;
  for (const json& w : labelled["warnings"])
    warned |= absl::StrContains(w.get<std::string>(), "narrower than a /24");
  EXPECT_TRUE(warned);

  options.exclude_known = true;
  const json excluded = Report(options);
  uint64_t all = 0;
  for (const char* name : kAll) all += frames_[name];
  EXPECT_EQ(excluded["totals"]["packets"], all - Frames({"research"}));
  EXPECT_FALSE(Table(excluded["top_ports"], "port").count("80/TCP"));
  EXPECT_FALSE(Table(excluded["top_countries"], "country").count("NL"));
  EXPECT_TRUE(excluded["known_scanners"]["by_name"].empty());
}

TEST_F(ReportFiltersTest, OutageAndGapPlantedByTheGenerator) {
  const json r = Report({});
  ASSERT_EQ(r["outages"].size(), 1u) << r["outages"].dump();
  EXPECT_EQ(r["outages"][0]["country"], "IR");
  EXPECT_EQ(r["outages"][0]["from"], "2026-11-21T12:00:00Z");
  EXPECT_EQ(r["outages"][0]["to"], "2026-11-22T00:00:00Z");
  // osaka's six missing hours: a gap in its coverage, partial steps.
  ASSERT_EQ(r["coverage"].size(), 2u);
  EXPECT_EQ(r["coverage"][0]["sensor"], "osaka");
  EXPECT_EQ(r["coverage"][0]["gaps"],
            json::array({{{"from", "2026-11-22T22:00:00Z"},
                          {"to", "2026-11-23T04:00:00Z"},
                          {"kind", "missing"},
                          {"observed_seconds", 0},
                          {"expected_seconds", kGapHours * 3600}}}));
  EXPECT_EQ(r["series"]["partial_steps"].size(),
            static_cast<size_t>(kGapHours));
  // The Iranian outage under an Iran-only filter too.
  ReportOptions iran;
  ASSERT_TRUE(AddFilterValues("country", "IR", iran.filter).ok());
  const json only_iran = Report(iran);
  ASSERT_EQ(only_iran["outages"].size(), 1u);
  EXPECT_EQ(only_iran["outages"][0]["from"], "2026-11-21T12:00:00Z");
}

TEST(ReportFilterCheckTest, RefusesWhatNoTableAnswers) {
  const struct {
    const char* name;
    const char* flag;
    const char* values;
    bool fingerprint;
    const char* error;  // part of the message; "" when accepted
  } cases[] = {
      {"Mirai by country", "country", "JP", true, ""},
      {"Mirai by port", "port", "23/tcp", true, ""},
      {"a country alone", "country", "JP", false, ""},
      {"bad country", "country", "Japan", false, "two-letter"},
      {"bad AS", "asn", "ASX", false, "AS number"},
      {"AS with prefix", "asn", "AS64500,64501", false, ""},
      {"bad port", "port", "23/sctp", false, "PORT/PROTO"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    ReportFilter f;
    absl::Status s = AddFilterValues(c.flag, c.values, f);
    if (s.ok()) {
      if (c.fingerprint) f.fingerprint = FingerprintCounter("mirai");
      s = CheckFilter(f);
    }
    if (*c.error == '\0') {
      EXPECT_TRUE(s.ok()) << s;
    } else {
      EXPECT_TRUE(absl::StrContains(s.message(), c.error)) << s;
    }
  }
  ReportFilter source_port_and_country;
  ASSERT_TRUE(
      AddFilterValues("source-port", "53/udp", source_port_and_country).ok());
  ASSERT_TRUE(AddFilterValues("country", "JP", source_port_and_country).ok());
  EXPECT_TRUE(absl::StrContains(CheckFilter(source_port_and_country).message(),
                                "combines only with --sensor"));
}

}  // namespace
}  // namespace darkscope::testing
