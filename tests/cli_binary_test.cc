// The darkscope binary's command line, run as a user would: a table of
// command lines with the exit status each must give (0 success, 1 a
// runtime failure, 2 a usage error) and what its stdout or its one-line
// stderr must say; then the defaults (report over the whole input, gen and
// replay creating their directories, no stub pcap when gen fails). Runs
// unprivileged: nothing here attaches or loads a program.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "cli/commands.h"
#include "cli/flags.h"
#include "cli/version.h"
#include "gtest/gtest.h"

namespace darkscope::cli {
namespace {

namespace fs = std::filesystem;

struct Outcome {
  int status = -1;
  std::string out, err;
};

std::string Slurp(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

std::string Quote(const std::string& arg) {
  return absl::StrCat("'", absl::StrReplaceAll(arg, {{"'", "'\\''"}}), "'");
}

// The binary under test: this build's, or DARKSCOPE_CLI_TEST_BINARY's (to
// run the table against another build, an older one say).
std::string Binary() {
  const char* other = std::getenv("DARKSCOPE_CLI_TEST_BINARY");
  return other != nullptr ? other : DARKSCOPE_BINARY;
}

// Runs the binary with `args`, stdout and stderr captured apart.
Outcome Darkscope(const std::vector<std::string>& args,
                  const std::string& scratch) {
  std::vector<std::string> words = {Quote(Binary())};
  for (const std::string& a : args) words.push_back(Quote(a));
  const std::string out = scratch + "/stdout", err = scratch + "/stderr";
  const std::string command = absl::StrCat(absl::StrJoin(words, " "), " >", out,
                                           " 2>", err, " </dev/null");
  const int raw = std::system(command.c_str());
  Outcome o;
  o.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  o.out = Slurp(out);
  o.err = Slurp(err);
  return o;
}

class CliBinary : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char dir[] = "/tmp/darkscope-cli-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    root_ = dir;
    // A small ground truth to read back, written into a directory gen
    // creates (parents too).
    truth_ = root_ + "/made/by/gen";
    Outcome gen = Darkscope(
        {"gen", "--scenario", "demo", "--packets", "3000", "--truth", truth_},
        root_);
    ASSERT_EQ(gen.status, 0) << gen.err;
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }
  static std::string root_, truth_;
};
std::string CliBinary::root_, CliBinary::truth_;

struct Case {
  std::vector<std::string> args;
  int status;
  std::string out;  // a part of stdout ("" for any)
  std::string err;  // a part of stderr, one line; "" for empty stderr
};

void Check(const Case& c, const std::string& scratch) {
  SCOPED_TRACE(absl::StrCat("darkscope ", absl::StrJoin(c.args, " ")));
  const Outcome o = Darkscope(c.args, scratch);
  EXPECT_EQ(o.status, c.status) << o.err;
  EXPECT_TRUE(absl::StrContains(o.out, c.out)) << o.out;
  if (c.err.empty()) {
    EXPECT_EQ(o.err, "");
  } else {
    EXPECT_TRUE(absl::StrContains(o.err, c.err)) << o.err;
    if (c.status != 0 && !c.args.empty()) {
      EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1)
          << "one line: " << o.err;
    }
  }
}

TEST_F(CliBinary, ExitStatusesAndMessages) {
  const std::string t = truth_;
  const std::string none = root_ + "/does-not-exist";
  // Roll-ups go beside the snapshots: a copy, so that the other tests read
  // the ground truth alone.
  const std::string rolled = root_ + "/rolled";
  fs::copy(truth_, rolled, fs::copy_options::recursive);
  const std::string run_base[] = {"--iface",       "lo",    "--prefix",
                                  "198.18.0.0/15", "--out", root_};
  auto run = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {"run"};
    args.insert(args.end(), std::begin(run_base), std::end(run_base));
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };
  std::vector<Case> cases = {
      // The usage, help and version.
      {{}, 2, "", "usage: darkscope COMMAND"},
      {{"--help"}, 0, "usage: darkscope COMMAND", ""},
      {{"-h"}, 0, "usage: darkscope COMMAND", ""},
      {{"help"}, 0, "  report    report a period", ""},
      {{"help", "report"}, 0, "  --time-zone TZ  (string, default UTC)", ""},
      {{"help", "bogus"}, 2, "", "darkscope help: unknown command 'bogus'"},
      {{"--version"}, 0, absl::StrCat("BPF object layout ", AbiLayout()), ""},
      {{"version"}, 0, "\ngit revision ", ""},
      {{"bogus"}, 2, "", "darkscope: unknown command 'bogus'"},
      // Usage errors: 2, naming the flag.
      {{"report", "--bogus"},
       2,
       "",
       "darkscope report: unknown flag '--bogus'"},
      {{"report", "--in"}, 2, "", "--in needs a value"},
      {{"report"}, 2, "", "at least one --in is required"},
      {{"report", "--in", t, "--top", "x"}, 2, "", "bad value 'x' for --top"},
      {{"report", "--in", t, "--format", "pdf"},
       2,
       "",
       "bad value 'pdf' for --format: expected text, json, html or csv"},
      {{"report", "--in", t, "--from", "2026-11-24T00:00:00Z", "--to",
        "2026-11-23T00:00:00Z"},
       2,
       "",
       "--to must be after --from"},
      {{"report", "--in", t, "--previous", "last week"},
       2,
       "",
       "bad value 'last week' for --previous"},
      {{"report", "--in", t, "--time-zone", "Mars/Olympus"},
       2,
       "",
       "bad value 'Mars/Olympus' for --time-zone"},
      {{"report", "--in", t, "--country", "Japan"},
       2,
       "",
       "bad value 'Japan' for --country: expected a two-letter country code"},
      {{"report", "--in", t, "--port", "23/sctp"},
       2,
       "",
       "bad value '23/sctp' for --port"},
      // Fingerprints under a source filter come from the flows' counts.
      {{"report", "--in", t, "--fingerprint", "mirai", "--country", "JP"},
       0,
       "Fingerprint shares per port",
       ""},
      {{"report", "--in", t, "--source-port", "53/udp", "--country", "JP"},
       2,
       "",
       "--source-port combines only with --sensor"},
      {{"report", "--in", t, "--exclude-known"},
       2,
       "",
       "--exclude-known needs --known-scanners FILE"},
      {{"report", "--in", t, "--lang", "fr"},
       2,
       "",
       "bad value 'fr' for --lang: expected en or ja"},
      {{"report", "--in", t, "--known-scanners", "/nonexistent/known.txt"},
       1,
       "",
       "known networks: open /nonexistent/known.txt: No such file"},
      {{"cat"}, 2, "", "no snapshot file or directory given"},
      {{"cat", "--table", "nope", t}, 2, "", "bad value 'nope' for --table"},
      {{"cat", "--format", "xml", t},
       2,
       "",
       "bad value 'xml' for --format: expected jsonl or csv"},
      {{"gen"}, 2, "", "nothing to do: give --pcap, --truth or --send"},
      {{"gen", "--packets", "-5", "--truth", t},
       2,
       "",
       "bad value '-5' for --packets"},
      {{"rollup"}, 2, "", "at least one --in is required"},
      {{"rollup", "stray"}, 2, "", "unexpected argument 'stray'"},
      // Runtime failures: 1, naming the file.
      {{"report", "--in", none}, 1, "", absl::StrCat("no snapshots in ", none)},
      {{"report", "--in", t, "--out", none + "/r.txt"}, 1, "", none + "/r.txt"},
      {{"cat", none}, 1, "", none},
      {{"gen", "--scenario", none + ".scn", "--truth", root_ + "/unused"},
       1,
       "",
       none + ".scn"},
      // Success.
      {{"cat", "--format=csv", "--table", "summary", t}, 0, "table,", ""},
      {{"report", "--in", t, "--top", "3"}, 0, "(the whole input; ", ""},
      {{"rollup", "--in", rolled}, 0, "roll-ups written", ""},
  };
  for (const CommandSpec& command : Commands()) {
    cases.push_back(
        {{std::string(command.name), "--help"}, 0, FormatHelp(command), ""});
    cases.push_back(
        {{"help", std::string(command.name)}, 0, FormatHelp(command), ""});
  }
  if (DARKSCOPE_KERNEL_SIDE_BUILT) {
    cases.push_back({{"detach"}, 2, "", "--iface is required"});
    cases.push_back({{"run", "--iface"}, 2, "", "--iface needs a value"});
    cases.push_back({run({"--sample-rate", "-1"}), 2, "",
                     "bad value '-1' for --sample-rate"});
    cases.push_back(
        {run({"--xdp-mode", "turbo"}), 2, "",
         "bad value 'turbo' for --xdp-mode: expected native, skb or auto"});
    cases.push_back({run({"--keep-attached", "--bpffs="}), 2, "",
                     "--keep-attached needs pins"});
    cases.push_back(
        {run({"--retain-bytes", "lots"}), 2, "", "--retain-bytes 'lots'"});
    cases.push_back({run({"--config", none + ".conf"}), 2, "", none + ".conf"});
    cases.push_back({{"run", "--prefix", "198.18.0.0/15", "--out", root_},
                     2,
                     "",
                     "--iface is required"});
    cases.push_back({{"replay", "--prefix", "198.18.0.0/15", "--out", root_},
                     2,
                     "",
                     "no capture file given"});
    cases.push_back(
        {{"replay", "--prefix", "198.18.0.0/33", "--out", root_, "x.pcap"},
         2,
         "",
         "--prefix: parse prefix '198.18.0.0/33'"});
    // The keyed tables' bounds: the kernel takes no empty table, and 2^24
    // is every IPv4 /24.
    cases.push_back({{"replay", "--prefix", "198.18.0.0/15", "--out", root_,
                      "--max-flows", "0", "x.pcap"},
                     2,
                     "",
                     "--max-flows must be between 1 and 16777214, not 0"});
    // A dense table's record number fits 24 bits less the header and the
    // empty entry (abi.h, DS_INDEX_RECORD_MAX).
    cases.push_back({run({"--max-sources", "16777215"}), 2, "",
                     "--max-sources must be between 1 and 16777214"});
    cases.push_back({run({"--max-destinations", "0"}), 2, "",
                     "--max-destinations must be between 1 and 16777216"});
  } else {
    for (const char* command : {"run", "detach", "replay"}) {
      cases.push_back(
          {{command, "--iface", "lo"}, 2, "", "this build has no kernel side"});
    }
  }
  for (const Case& c : cases) Check(c, root_);
}

#if DARKSCOPE_KERNEL_SIDE_BUILT
// A config file's keys are run's flags; the command line overrides it.
TEST_F(CliBinary, RunConfigFile) {
  const std::string conf = root_ + "/darkscope.conf";
  std::ofstream(conf)
      << "# a comment\niface = ds-no-such-if\nprefix = 198.18.0.0/15\n"
      << "out = " << root_ << "\nwriter_backlog = 8\n";
  const std::vector<Case> cases = {
      {{"run", "--config", conf}, 2, "", "interface 'ds-no-such-if' not found"},
      {{"run", "--config", conf, "--iface", "darkscope-other"},
       2,
       "",
       "interface 'darkscope-other' not found"},
      {{"run", "--config", conf, "--writer-backlog", "0"},
       2,
       "",
       "--writer-backlog must be at least 1"},
  };
  for (const Case& c : cases) Check(c, root_);
  // The bounds are config keys too.
  const std::string bounded = root_ + "/bounded.conf";
  std::ofstream(bounded) << "iface = ds-no-such-if\nprefix = 198.18.0.0/15\n"
                         << "out = " << root_ << "\nmax_flows = 0\n";
  Check({{"run", "--config", bounded},
         2,
         "",
         "--max-flows must be between 1 and 16777214, not 0"},
        root_);
  std::ofstream(conf, std::ios::app) << "bogus = 1\n";
  Check({{"run", "--config", conf},
         2,
         "",
         absl::StrCat(conf, ":6: unknown key 'bogus'")},
        root_);
}
#endif  // DARKSCOPE_KERNEL_SIDE_BUILT

// `report` without --from/--to covers the whole input and says so; with one
// end given, the other is the input's.
TEST_F(CliBinary, ReportDefaultsToTheWholeInput) {
  const Outcome whole =
      Darkscope({"report", "--in", truth_, "--format", "json"}, root_);
  ASSERT_EQ(whole.status, 0) << whole.err;
  EXPECT_TRUE(absl::StrContains(whole.out, "\"note\": \"the whole input\""))
      << whole.out;
  const Outcome text = Darkscope({"report", "--in", truth_}, root_);
  ASSERT_EQ(text.status, 0) << text.err;
  const std::string header = text.out.substr(0, text.out.find('\n'));
  EXPECT_TRUE(absl::StrContains(header, "(the whole input; ")) << header;
  // The span's ends, as the header names them, give the same report.
  const std::vector<std::string> words = absl::StrSplit(header, ' ');
  ASSERT_GE(words.size(), 5u) << header;
  const Outcome explicit_period = Darkscope(
      {"report", "--in", truth_, "--from", words[2], "--to", words[4]}, root_);
  ASSERT_EQ(explicit_period.status, 0) << explicit_period.err;
  EXPECT_EQ(explicit_period.out.substr(explicit_period.out.find('\n')),
            text.out.substr(text.out.find('\n')));
  const Outcome from_only =
      Darkscope({"report", "--in", truth_, "--from", words[2]}, root_);
  ASSERT_EQ(from_only.status, 0) << from_only.err;
  EXPECT_TRUE(absl::StrContains(from_only.out,
                                "to the end of the input's last snapshot"));
}

// gen creates --truth with its parents; when it fails it leaves no pcap.
TEST_F(CliBinary, GenDirectoriesAndNoStubPcap) {
  EXPECT_TRUE(fs::is_directory(truth_));
  EXPECT_FALSE(fs::is_empty(truth_));
  const std::string pcap = root_ + "/stub.pcap";
  struct Failing {
    const char* what;
    std::vector<std::string> args;
    std::string err;
  };
  const std::vector<Failing> failing = {
      {"--truth cannot be created",
       {"gen", "--pcap", pcap, "--truth", "/proc/darkscope-cli-test/truth"},
       "create directory /proc/darkscope-cli-test/truth"},
      {"--truth is a file",
       {"gen", "--pcap", pcap, "--truth", root_ + "/stdout"},
       root_ + "/stdout"},
      {"--send on no such interface",
       {"gen", "--pcap", pcap, "--send", "darkscope-no-if"},
       "darkscope-no-if"},
  };
  for (const Failing& f : failing) {
    SCOPED_TRACE(f.what);
    const Outcome o = Darkscope(f.args, root_);
    EXPECT_EQ(o.status, 1) << o.err;
    EXPECT_TRUE(absl::StrContains(o.err, f.err)) << o.err;
    EXPECT_FALSE(fs::exists(pcap)) << "a stub pcap was left behind";
  }
  const Outcome ok =
      Darkscope({"gen", "--packets", "100", "--pcap", pcap}, root_);
  ASSERT_EQ(ok.status, 0) << ok.err;
  EXPECT_GT(fs::file_size(pcap), 24u);
}

}  // namespace
}  // namespace darkscope::cli
