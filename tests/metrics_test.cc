// The monitoring endpoints without a kernel: the exposition format's
// escaping, numbers and histograms (table-driven), the figures the agent
// publishes, the health rule, the HTTP server on 127.0.0.1, and promtool's
// verdict on the whole /metrics output.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/counter_names.h"
#include "gtest/gtest.h"
#include "http/http_server.h"
#include "http_get.h"
#include "metrics/agent_figures.h"
#include "metrics/exposition.h"

namespace darkscope::testing {
namespace {

TEST(Exposition, Escaping) {
  struct Case {
    std::string in, label, help;
  };
  const Case cases[] = {
      {"plain", "plain", "plain"},
      {"a\"b", "a\\\"b", "a\"b"},
      {"back\\slash", "back\\\\slash", "back\\\\slash"},
      {"line\nbreak", "line\\nbreak", "line\\nbreak"},
      {"", "", ""},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(EscapeLabelValue(c.in), c.label) << c.in;
    EXPECT_EQ(EscapeHelp(c.in), c.help) << c.in;
  }
}

TEST(Exposition, Values) {
  struct Case {
    double value;
    std::string text;
  };
  const Case cases[] = {
      {0, "0"},
      {42, "42"},
      {0.25, "0.25"},
      {1e21, "1e+21"},
      {-3.5, "-3.5"},
      {1.0 / 0.0, "+Inf"},
      {-1.0 / 0.0, "-Inf"},
      {0.0 / 0.0, "NaN"},
      {9007199254740992.0, "9007199254740992"},
  };
  for (const Case& c : cases) EXPECT_EQ(FormatSampleValue(c.value), c.text);
}

TEST(Exposition, Families) {
  struct Case {
    std::string what;
    MetricFamily family;
    std::string text;  // empty: an error is expected
  };
  Histogram h({0.1, 1});
  h.Observe(0.05);
  h.Observe(0.1);  // on a bound: counted in that bucket (le)
  h.Observe(3);
  const Case cases[] = {
      {"counter without labels",
       {"x_total", "Things.", MetricType::kCounter, {{{}, 3, {}}}},
       "# HELP x_total Things.\n# TYPE x_total counter\nx_total 3\n"},
      {"gauge with escaped labels",
       {"g",
        "A \\ b",
        MetricType::kGauge,
        {{{{"a", "q\"x"}, {"b", "1"}}, 0.5, {}}}},
       "# HELP g A \\\\ b\n# TYPE g gauge\ng{a=\"q\\\"x\",b=\"1\"} 0.5\n"},
      {"histogram",
       {"d_seconds",
        "D.",
        MetricType::kHistogram,
        {{{{"k", "v"}}, 0, h.value()}}},
       "# HELP d_seconds D.\n# TYPE d_seconds histogram\n"
       "d_seconds_bucket{k=\"v\",le=\"0.1\"} 2\n"
       "d_seconds_bucket{k=\"v\",le=\"1\"} 2\n"
       "d_seconds_bucket{k=\"v\",le=\"+Inf\"} 3\n"
       "d_seconds_sum{k=\"v\"} 3.15\n"
       "d_seconds_count{k=\"v\"} 3\n"},
      {"family without samples",
       {"empty", "None yet.", MetricType::kGauge, {}},
       "# HELP empty None yet.\n# TYPE empty gauge\n"},
      {"bad metric name", {"1x", "h", MetricType::kGauge, {}}, ""},
      {"reserved metric name", {"__x", "h", MetricType::kGauge, {}}, ""},
      {"bad label name",
       {"x", "h", MetricType::kGauge, {{{{"a-b", "v"}}, 1, {}}}},
       ""},
      {"le on a histogram",
       {"x", "h", MetricType::kHistogram, {{{{"le", "v"}}, 0, h.value()}}},
       ""},
      {"histogram counts do not match bounds",
       {"x",
        "h",
        MetricType::kHistogram,
        {{{}, 0, HistogramValue{{1, 2}, {1}, 0, 1}}}},
       ""},
      {"histogram bounds not increasing",
       {"x",
        "h",
        MetricType::kHistogram,
        {{{}, 0, HistogramValue{{2, 2}, {1, 0, 0}, 0, 1}}}},
       ""},
  };
  for (const Case& c : cases) {
    absl::StatusOr<std::string> text = RenderExposition({c.family});
    if (c.text.empty()) {
      EXPECT_FALSE(text.ok()) << c.what;
      if (!text.ok()) {
        EXPECT_TRUE(absl::StrContains(text.status().message(), c.family.name));
      }
    } else {
      ASSERT_TRUE(text.ok()) << c.what << ": " << text.status();
      EXPECT_EQ(*text, c.text) << c.what;
    }
  }
}

// A snapshot with a little of everything.
Snapshot SampleSnapshot(absl::Time start) {
  Snapshot s;
  s.sensor = "test \"sensor\"";
  s.interval_start = start;
  s.interval_seconds = 60;
  s.complete = true;
  s.counts.counters[DS_CTR_DARKNET_PACKETS] = 600;
  s.counts.counters[DS_CTR_DARKNET_BYTES] = 36000;
  s.counts.counters[DS_CTR_TCP_SYN] = 500;
  s.counts.counters[DS_CTR_UDP] = 100;
  s.counts.counters[DS_CTR_MIRAI] = 7;
  s.counts.counters[DS_CTR_MALFORMED_TCP] = 1;
  for (uint32_t port = 1; port <= 30; ++port) {
    ds_port_stats stats = {};
    stats.packets = port * 10;
    stats.bytes = port * 600;
    s.counts.ports[ds_port_index(DS_SLOT_TCP, port)] = stats;
  }
  ds_source_stats source = {};
  source.packets = 600;
  source.bytes = 36000;
  ds_net_key net = {};
  net.family = DS_FAMILY_IPV4;
  net.prefix[0] = 185;
  net.prefix[1] = 220;
  net.prefix[2] = 101;
  s.counts.sources[net] = source;
  s.agent_counters = {{"drain_microseconds", 1200}, {"writer_queue_depth", 0}};
  return s;
}

FigureBoard::View SampleView(absl::Time now) {
  const absl::Time start = now - absl::Minutes(3);
  DrainTally drain("test \"sensor\"", start, absl::Seconds(60), 10, 16);
  drain.Add(SampleSnapshot(start), absl::Milliseconds(3), false, 0, 0);
  auto figures = drain.Add(SampleSnapshot(start + absl::Minutes(1)),
                           absl::Milliseconds(40), false, 1, 2);
  WriterTally writer;
  writer.Add(SampleSnapshot(start), absl::OkStatus(), absl::Milliseconds(8),
             now - absl::Seconds(61));
  auto written =
      writer.Add(SampleSnapshot(start + absl::Minutes(1)), absl::OkStatus(),
                 absl::Milliseconds(9), now - absl::Seconds(1));
  return {figures, written};
}

TEST(AgentFigures, TalliesAndTopN) {
  const FigureBoard::View view = SampleView(absl::Now());
  EXPECT_EQ(view.drain->intervals, 2u);
  EXPECT_EQ(view.drain->counters[DS_CTR_TCP_SYN], 1000u);
  EXPECT_EQ(view.drain->slot_packets[DS_SLOT_TCP], 2u * 10 * (30 * 31 / 2));
  ASSERT_EQ(view.drain->last.top_ports.size(), 10u);
  EXPECT_EQ(view.drain->last.top_ports[0].port, 30u);
  EXPECT_EQ(view.drain->last.top_ports[9].port, 21u);
  EXPECT_EQ(view.drain->drain_seconds.count, 2u);
  EXPECT_EQ(view.writer->written, 2u);

  nlohmann::json latest = LatestIntervalJson(view);
  EXPECT_EQ(latest["top_ports"].size(), 10u);
  EXPECT_EQ(latest["top_ports"][0]["port"], 30);
  EXPECT_EQ(latest["top_sources"][0]["net"], "185.220.101.0/24");
  EXPECT_EQ(latest["summary"]["packets"], 600);
  EXPECT_EQ(latest["complete"], true);
  EXPECT_TRUE(LatestIntervalJson({}).is_null());
}

TEST(AgentFigures, Health) {
  const absl::Time now = absl::FromUnixSeconds(1764000000);
  auto drain = [&](absl::Duration since_start) {
    DrainTally tally("s", now - since_start, absl::Seconds(60), 10, 16);
    return tally.Current();
  };
  auto writer = [&](absl::Duration since_write) {
    WriterTally tally;
    return tally.Add(SampleSnapshot(now - since_write - absl::Seconds(60)),
                     absl::OkStatus(), absl::Milliseconds(5),
                     now - since_write);
  };
  struct Case {
    std::string what;
    FigureBoard::View view;
    bool ok;
    std::string starts;
  };
  const Case cases[] = {
      {"nothing published", {}, false, "not started"},
      {"just started", {drain(absl::Seconds(30)), nullptr}, true, "starting"},
      {"started long ago, nothing written",
       {drain(absl::Minutes(5)), nullptr},
       false,
       "late"},
      {"written a second ago",
       {drain(absl::Minutes(5)), writer(absl::Seconds(1))},
       true,
       "ok"},
      {"written 129 s ago (2 x 60 s + 10 s allowed)",
       {drain(absl::Minutes(5)), writer(absl::Seconds(129))},
       true,
       "ok"},
      {"written 131 s ago",
       {drain(absl::Minutes(5)), writer(absl::Seconds(131))},
       false,
       "late"},
  };
  for (const Case& c : cases) {
    const Health health = CheckHealth(c.view, now);
    EXPECT_EQ(health.ok, c.ok) << c.what << ": " << health.text;
    EXPECT_TRUE(absl::StartsWith(health.text, c.starts))
        << c.what << ": " << health.text;
  }
}

// promtool's exit status on `text`, its complaints in `complaints`.
int Promtool(const std::string& text, std::string& complaints) {
  char path[] = "/tmp/darkscope-metrics-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) return -1;
  close(fd);
  std::ofstream(path) << text;
  const std::string command =
      absl::StrCat("promtool check metrics < ", path, " 2>&1");
  FILE* pipe = popen(command.c_str(), "r");
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0)
    complaints.append(buffer, n);
  const int status = pclose(pipe);
  std::remove(path);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(AgentFigures, PromtoolAcceptsTheMetrics) {
  for (const FigureBoard::View& view :
       {FigureBoard::View{}, SampleView(absl::Now())}) {
    absl::StatusOr<std::string> text =
        RenderExposition(MetricFamilies(view, "0.1.0"));
    ASSERT_TRUE(text.ok()) << text.status();
    std::string complaints;
    EXPECT_EQ(Promtool(*text, complaints), 0) << complaints << "\n" << *text;
    EXPECT_EQ(complaints, "") << *text;
  }
}

// One family of an exposition text: its type, the label names its samples
// use (le excepted), and its samples as "labels" -> value.
struct ParsedFamily {
  std::string type;
  std::set<std::string> labels;
  std::map<std::string, double> samples;  // "{a=\"x\"}" or "" -> value
};

std::map<std::string, ParsedFamily> ParseExposition(const std::string& text) {
  std::map<std::string, ParsedFamily> families;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::ConsumePrefix(&line, "# TYPE ")) {
      std::vector<std::string> parts = absl::StrSplit(line, ' ');
      families[parts[0]].type = parts.at(1);
      continue;
    }
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    const size_t brace = line.find('{');
    std::string name(line.substr(0, std::min(brace, space)));
    const std::string labels(brace < space ? line.substr(brace, space - brace)
                                           : "");
    if (!families.count(name)) {
      for (const char* suffix : {"_bucket", "_sum", "_count"}) {
        if (absl::EndsWith(name, suffix) &&
            families.count(name.substr(0, name.size() - strlen(suffix)))) {
          name = name.substr(0, name.size() - strlen(suffix));
          break;
        }
      }
    }
    ParsedFamily& family = families[name];
    for (absl::string_view pair :
         absl::StrSplit(absl::StripPrefix(absl::StripSuffix(labels, "}"), "{"),
                        ',', absl::SkipEmpty())) {
      const std::string label(pair.substr(0, pair.find('=')));
      if (label != "le") family.labels.insert(label);
    }
    double value = 0;
    EXPECT_TRUE(absl::SimpleAtod(line.substr(space + 1), &value)) << line;
    family.samples[labels] = value;
  }
  return families;
}

double Sum(const ParsedFamily& family) {
  double sum = 0;
  for (const auto& [labels, value] : family.samples) sum += value;
  return sum;
}

// A view with every figure set: counters that obey the ABI's identities,
// the NIC's drops and the sampler's figures.
FigureBoard::View FullView() {
  const absl::Time start = absl::FromUnixSeconds(1764000000);
  Snapshot s = SampleSnapshot(start);
  auto& c = s.counts.counters;
  c = {};
  c[DS_CTR_NON_IP] = 10;
  c[DS_CTR_NON_DARKNET] = 20;
  c[DS_CTR_DARKNET_PACKETS] = 600;
  c[DS_CTR_MALFORMED_ETH] = 4;
  c[DS_CTR_VLAN_TOO_DEEP] = 6;
  c[DS_CTR_PACKETS_SEEN] = 640;
  c[DS_CTR_ACTION_PASS] = 40;
  c[DS_CTR_ACTION_DROP] = 597;
  c[DS_CTR_ACTION_REDIRECT] = 3;
  c[DS_CTR_IPV4] = 550;
  c[DS_CTR_IPV6] = 50;
  c[DS_CTR_TCP_SYN] = 500;
  c[DS_CTR_UDP] = 95;
  c[DS_CTR_MALFORMED_TCP] = 5;
  c[DS_CTR_SAMPLE_BY_RATE] = 4;
  c[DS_CTR_SAMPLE_BY_FIRST] = 1;
  c[DS_CTR_SAMPLE_REDIRECTED] = 3;
  c[DS_CTR_SAMPLE_RATE_LIMITED] = 2;
  s.agent_counters["sample_frames_written"] = 3;
  s.agent_counters["sample_files_written"] = 2;
  Liveness live;
  live.mode = "native";
  live.nic_drops = {{"rx_dropped", 1}, {"rx_missed_errors", 2}};
  DrainTally drain("full", start, absl::Seconds(60), 10, 16);
  drain.Add(s, absl::Milliseconds(3), false, 0, 0, live);
  s.interval_start += absl::Minutes(1);
  s.agent_counters["sample_files_written"] = 4;
  auto figures = drain.Add(s, absl::Milliseconds(5), false, 0, 0, live);
  WriterTally writer;
  return {figures, writer.Add(s, absl::OkStatus(), absl::Milliseconds(8),
                              start + absl::Minutes(2))};
}

std::map<std::string, ParsedFamily> Parsed(const FigureBoard::View& view) {
  absl::StatusOr<std::string> text =
      RenderExposition(MetricFamilies(view, "0.1.0"));
  EXPECT_TRUE(text.ok()) << text.status();
  return ParseExposition(text.ok() ? *text : "");
}

// Where a metric has a label its samples are the parts of one whole: the
// sums are the totals the ABI's identities give (two intervals of FullView).
TEST(AgentFigures, SumsOverLabelsAreWholes) {
  std::map<std::string, ParsedFamily> m = Parsed(FullView());
  struct Case {
    std::string what;
    double got, want;
  };
  const Case cases[] = {
      {"frames by outcome = frames seen", Sum(m["darkscope_frames_total"]),
       2 * 640},
      {"verdicts = frames seen", Sum(m["darkscope_frame_verdicts_total"]),
       2 * 640},
      {"families = darknet packets", Sum(m["darkscope_darknet_packets_total"]),
       m["darkscope_frames_total"].samples["{outcome=\"darknet\"}"]},
      {"classes + unclassified = darknet packets",
       Sum(m["darkscope_packets_total"]) +
           Sum(m["darkscope_unclassified_packets_total"]),
       2 * 600},
      {"unparsed reasons = unparsed outcome",
       Sum(m["darkscope_unparsed_frames_total"]),
       m["darkscope_frames_total"].samples["{outcome=\"unparsed\"}"]},
      {"picked = their outcomes", Sum(m["darkscope_sample_picked_total"]),
       Sum(m["darkscope_sample_pick_outcomes_total"])},
      {"per-interval sampler figure summed",
       Sum(m["darkscope_sample_frames_written_total"]), 2 * 3},
      {"cumulative sampler figure as last recorded",
       Sum(m["darkscope_sample_files_written_total"]), 4},
      {"NIC drops", Sum(m["darkscope_nic_rx_drops_total"]), 3},
      {"last drain in seconds", Sum(m["darkscope_last_interval_drain_seconds"]),
       0.005},
      {"attached", Sum(m["darkscope_xdp_program_attached"]), 1},
      {"one attach mode", Sum(m["darkscope_xdp_attach_mode"]), 1},
  };
  for (const Case& c : cases) EXPECT_DOUBLE_EQ(c.got, c.want) << c.what;
}

// Every data plane counter reaches /metrics (PACKETS_SEEN as the sum of
// darkscope_frames_total): a counter set alone to 7 shows in a counter.
TEST(AgentFigures, EveryCounterIsExposed) {
  for (int i = 0; i < DS_CTR_COUNT; ++i) {
    if (i == DS_CTR_PACKETS_SEEN) continue;
    Snapshot s;
    s.interval_start = absl::FromUnixSeconds(1764000000);
    s.counts.counters[i] = 7;
    DrainTally drain("s", s.interval_start, absl::Seconds(60), 10, 16);
    std::map<std::string, ParsedFamily> m =
        Parsed({drain.Add(s, absl::Milliseconds(1), false, 0, 0), nullptr});
    int found = 0;
    for (const auto& [name, family] : m) {
      if (family.type != "counter") continue;
      for (const auto& [labels, value] : family.samples)
        if (value == 7) ++found;
    }
    EXPECT_GE(found, 1) << kCounterNames[i] << " is in no metric";
  }
}

// Top ports carry no rank and only ports with 1% of the interval's
// packets: intervals whose small ports differ make the same series.
TEST(AgentFigures, TopPortSeriesAreBounded) {
  const absl::Time start = absl::FromUnixSeconds(1764000000);
  DrainTally drain("s", start, absl::Seconds(60), 10, 16);
  std::set<std::string> series;
  for (int interval = 0; interval < 5; ++interval) {
    Snapshot s;
    s.interval_start = start + absl::Minutes(interval);
    ds_port_stats big = {};
    big.packets = 1000;
    s.counts.ports[ds_port_index(DS_SLOT_TCP, 23)] = big;
    for (uint32_t i = 0; i < 20; ++i) {
      ds_port_stats small = {};
      small.packets = 2;
      s.counts.ports[ds_port_index(DS_SLOT_UDP, 1000 + 20 * interval + i)] =
          small;
    }
    s.counts.counters[DS_CTR_DARKNET_PACKETS] = 1040;
    std::map<std::string, ParsedFamily> m =
        Parsed({drain.Add(s, absl::Milliseconds(1), false, 0, 0), nullptr});
    const ParsedFamily& top = m["darkscope_last_interval_top_port_packets"];
    EXPECT_EQ(top.labels, (std::set<std::string>{"proto", "port"}));
    for (const auto& [labels, value] : top.samples) series.insert(labels);
    EXPECT_EQ(m["darkscope_watched_port_packets_total"]
                  .samples["{proto=\"tcp\",port=\"23\"}"],
              1000.0 * (interval + 1));
  }
  EXPECT_EQ(series, (std::set<std::string>{"{proto=\"tcp\",port=\"23\"}"}));
}

// The metrics table of docs/operations.md: metric -> type, label names.
std::map<std::string, std::pair<std::string, std::set<std::string>>>
DocumentedMetrics() {
  std::ifstream in(DARKSCOPE_OPERATIONS_DOC);
  std::string line;
  bool inside = false;
  std::map<std::string, std::pair<std::string, std::set<std::string>>> out;
  while (std::getline(in, line)) {
    if (line == "<!-- BEGIN metrics -->") inside = true;
    if (line == "<!-- END metrics -->") break;
    if (!inside || !absl::StartsWith(line, "| `")) continue;
    std::vector<std::string> cells = absl::StrSplit(line, '|');
    const std::string name(absl::StripAsciiWhitespace(cells.at(1)));
    std::set<std::string> labels;
    // Label names are the backticked words of the third cell.
    std::vector<std::string> quoted = absl::StrSplit(cells.at(3), '`');
    for (size_t i = 1; i < quoted.size(); i += 2) labels.insert(quoted[i]);
    out[std::string(absl::StripPrefix(absl::StripSuffix(name, "`"), "`"))] = {
        std::string(absl::StripAsciiWhitespace(cells.at(2))), labels};
  }
  return out;
}

TEST(AgentFigures, OperationsDocListsEveryMetric) {
  auto documented = DocumentedMetrics();
  ASSERT_GT(documented.size(), 30u) << DARKSCOPE_OPERATIONS_DOC;
  std::map<std::string, std::pair<std::string, std::set<std::string>>> exposed;
  for (const auto& [name, family] : Parsed(FullView()))
    exposed[name] = {family.type, family.labels};
  for (const auto& [name, entry] : exposed) {
    auto it = documented.find(name);
    if (it == documented.end()) {
      ADD_FAILURE() << name << " is exposed but not in docs/operations.md";
      continue;
    }
    EXPECT_EQ(it->second.first, entry.first) << name << ": type";
    EXPECT_EQ(it->second.second, entry.second) << name << ": labels";
  }
  for (const auto& [name, entry] : documented) {
    EXPECT_TRUE(exposed.count(name)) << name << " is documented, not exposed";
  }
}

// The dashboard and the alert rules (and the rules' test series) use only
// metrics the agent exposes, with label names those metrics have, so
// that neither can drift from the exposition.
TEST(AgentFigures, DashboardAndRulesUseExposedMetrics) {
  const std::map<std::string, ParsedFamily> exposed = Parsed(FullView());
  const std::string files[] = {
      "grafana/darkscope.json",
      "prometheus/darkscope-alerts.yml",
      "prometheus/darkscope-alerts_test.yml",
  };
  const std::regex use(R"((darkscope_[a-z0-9_]+)(\{([^}]*)\})?)");
  const std::regex label(R"(([a-z_]+)\s*(=~|!=|!~|=))");
  for (const std::string& file : files) {
    std::ifstream in(absl::StrCat(DARKSCOPE_DEPLOY_DIR, "/", file));
    ASSERT_TRUE(in.good()) << file;
    const std::string text((std::istreambuf_iterator<char>(in)),
                           std::istreambuf_iterator<char>());
    int uses = 0;
    for (std::sregex_iterator it(text.begin(), text.end(), use), end; it != end;
         ++it, ++uses) {
      std::string name = (*it)[1];
      if (!exposed.count(name)) {
        for (const char* suffix : {"_bucket", "_sum", "_count"}) {
          const std::string base = name.substr(
              0, name.size() - std::min(name.size(), strlen(suffix)));
          if (absl::EndsWith(name, suffix) && exposed.count(base) &&
              exposed.at(base).type == "histogram") {
            name = base;
          }
        }
      }
      auto family = exposed.find(name);
      if (family == exposed.end()) {
        ADD_FAILURE() << file << " uses " << name << ", not exposed";
        continue;
      }
      const std::string selector = (*it)[3];
      for (std::sregex_iterator l(selector.begin(), selector.end(), label);
           l != std::sregex_iterator(); ++l) {
        const std::string label_name = (*l)[1];
        if (label_name == "job" || label_name == "instance" ||
            label_name == "le")
          continue;
        EXPECT_TRUE(family->second.labels.count(label_name))
            << file << ": " << name << " has no label " << label_name;
      }
    }
    EXPECT_GT(uses, 10) << file;
  }
}

TEST(HttpServer, ServesRoutesOnLoopback) {
  FigureBoard board;
  const FigureBoard::View sample = SampleView(absl::Now());
  board.Publish(sample.drain);
  board.Publish(sample.writer);
  absl::StatusOr<std::unique_ptr<HttpServer>> server = HttpServer::Start(
      "127.0.0.1:0", {{"/metrics",
                       [&] {
                         return HttpResponse{200, kExpositionContentType,
                                             *RenderExposition(MetricFamilies(
                                                 board.Read(), "0.1.0"))};
                       }},
                      {"/healthz", [] {
                         return HttpResponse{503, "text/plain", "late\n"};
                       }}});
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_GT((*server)->port(), 0);

  absl::StatusOr<HttpReply> metrics = HttpGet((*server)->port(), "/metrics");
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_EQ(metrics->status, 200);
  EXPECT_TRUE(absl::StrContains(metrics->headers, "text/plain; version=0.0.4"));
  std::string complaints;
  EXPECT_EQ(Promtool(metrics->body, complaints), 0) << complaints;
  EXPECT_TRUE(absl::StrContains(
      metrics->body, "darkscope_packets_total{class=\"tcp_syn\"} 1000"));

  absl::StatusOr<HttpReply> health = HttpGet((*server)->port(), "/healthz");
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->status, 503);
  absl::StatusOr<HttpReply> missing = HttpGet((*server)->port(), "/metrics/x");
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, 404);

  // The address is in the error when it cannot be listened on.
  absl::StatusOr<std::unique_ptr<HttpServer>> taken =
      HttpServer::Start(absl::StrCat("127.0.0.1:", (*server)->port()), {});
  ASSERT_FALSE(taken.ok());
  EXPECT_TRUE(absl::StrContains(taken.status().message(), "127.0.0.1:"))
      << taken.status();
}

// A connection to 127.0.0.1:`port` that sends `head` and then holds on.
int HoldConnection(int port, absl::string_view head) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) !=
          0 ||
      send(fd, head.data(), head.size(), MSG_NOSIGNAL) !=
          static_cast<ssize_t>(head.size())) {
    close(fd);
    return -1;
  }
  return fd;
}

// Clients that connect and send nothing, and slowloris clients that send a
// request head a byte at a time, each reconnecting as soon as the server
// drops it: /healthz and /metrics are still answered, every probe.
TEST(HttpServer, AnswersWhileIdleAndSlowClientsHoldConnections) {
  absl::StatusOr<std::unique_ptr<HttpServer>> server = HttpServer::Start(
      "127.0.0.1:0",
      {{"/metrics",
        [] {
          return HttpResponse{200, kExpositionContentType, "m 1\n"};
        }},
       {"/healthz", [] {
          return HttpResponse{200, "text/plain", "ok\n"};
        }}});
  ASSERT_TRUE(server.ok()) << server.status();
  const int port = (*server)->port();
  struct Holder {
    const char* head;  // sent on connect; slow holders then send a byte a round
    bool slow;
    int fd = -1;
  };
  std::vector<Holder> holders;
  for (int i = 0; i < 20; ++i) holders.push_back({"", false});
  for (int i = 0; i < 50; ++i)
    holders.push_back({"GET /healthz HTTP/1.1\r\n", true});
  for (Holder& h : holders) h.fd = HoldConnection(port, h.head);
  std::atomic<bool> probing_done = false;
  // At most 600 rounds of 100 ms, whatever happens to the probes.
  std::thread attacker([&] {
    for (int round = 0; round < 600 && !probing_done; ++round) {
      for (Holder& h : holders) {
        char byte;
        const bool dropped =
            h.fd < 0 || recv(h.fd, &byte, 1, MSG_DONTWAIT) == 0 ||
            (h.slow && send(h.fd, "X", 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 &&
             errno != EAGAIN);
        if (!dropped) continue;
        if (h.fd >= 0) close(h.fd);
        h.fd = HoldConnection(port, h.head);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // all accepted
  struct Probe {
    const char* path;
    int status;
  };
  const Probe probes[] = {{"/healthz", 200}, {"/metrics", 200},
                          {"/healthz", 200}, {"/metrics", 200},
                          {"/healthz", 200}, {"/metrics", 200}};
  int answered = 0;
  for (const Probe& probe : probes) {
    absl::StatusOr<HttpReply> reply =
        HttpGet(port, probe.path, /*timeout_seconds=*/10);
    EXPECT_TRUE(reply.ok()) << probe.path << ": " << reply.status();
    if (reply.ok() && reply->status == probe.status) ++answered;
  }
  probing_done = true;
  attacker.join();
  for (Holder& h : holders) {
    if (h.fd >= 0) close(h.fd);
  }
  EXPECT_EQ(answered, 6) << "of 6 probes, behind " << holders.size()
                         << " held connections";
}

}  // namespace
}  // namespace darkscope::testing
