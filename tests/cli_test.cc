// The command line's table-driven parser (cli/flags.h) as tables of cases:
// command lines against a test table (values, errors), config file
// settings under the command line, the real table's rows, and the README's
// flag lists, which must be exactly what the table prints.
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/commands.h"
#include "cli/flags.h"
#include "gtest/gtest.h"

namespace darkscope::cli {
namespace {

using T = FlagType;

constexpr FlagSpec kTestFlags[] = {
    {"iface", T::kString, "IF", "", "an interface", kRequired},
    {"prefix", T::kString, "CIDR", "", "a prefix; repeat", kRepeated},
    {"interval", T::kDuration, "DURATION", "60s", "an interval"},
    {"rate", T::kUint32, "N", "0", "a rate"},
    {"bytes", T::kUint64, "B", "16", "a size"},
    {"top", T::kInt, "N", "10", "a count"},
    {"keep-attached", T::kBool, "", "false", "a switch"},
    {"mode", T::kChoice, "native|skb|auto", "auto", "a choice"},
    {"from", T::kTime, "T", "", "a time"},
    {"config", T::kString, "FILE", "", "a config file"},
};
constexpr CommandSpec kTest = {"test", "FILE...", "a command for the tests",
                               kTestFlags};
constexpr CommandSpec kNoOperands = {"plain", "", "takes no operands",
                                     kTestFlags};

// Every flag's value as text, "name=value", in table order.
std::string Describe(const ParsedFlags& f) {
  std::vector<std::string> out = {
      absl::StrCat("iface=", f.String("iface")),
      absl::StrCat("prefix=", absl::StrJoin(f.List("prefix"), ",")),
      absl::StrCat("interval=", absl::FormatDuration(f.Duration("interval"))),
      absl::StrCat("rate=", f.Uint32("rate")),
      absl::StrCat("bytes=", f.Uint64("bytes")),
      absl::StrCat("top=", f.Int("top")),
      absl::StrCat("keep-attached=", f.Bool("keep-attached")),
      absl::StrCat("mode=", f.String("mode")),
      absl::StrCat("from=", f.Time("from") ? absl::FormatTime(*f.Time("from"))
                                           : "unset"),
      absl::StrCat("config=", f.String("config")),
      absl::StrCat("operands=", absl::StrJoin(f.operands(), ",")),
  };
  return absl::StrJoin(out, " ");
}

constexpr const char* kDefaults =
    "iface= prefix= interval=1m rate=0 bytes=16 top=10 keep-attached=0 "
    "mode=auto from=unset "
    "config= operands=";

std::string With(std::vector<std::pair<std::string, std::string>> changes) {
  std::vector<std::string> fields = absl::StrSplit(kDefaults, ' ');
  for (const auto& [name, value] : changes) {
    for (std::string& field : fields) {
      if (absl::StartsWith(field, name + "="))
        field = absl::StrCat(name, "=", value);
    }
  }
  return absl::StrJoin(fields, " ");
}

struct ParseCase {
  const char* what;
  const CommandSpec* command;
  std::vector<const char*> args;
  std::string error;     // a part of the one-line error; empty: parses
  std::string expected;  // Describe() when it parses
};

TEST(ParseCommandLine, Cases) {
  const std::vector<ParseCase> cases = {
      {"nothing: the table's defaults", &kTest, {}, "", kDefaults},
      {"--flag value",
       &kTest,
       {"--iface", "eth1"},
       "",
       With({{"iface", "eth1"}})},
      {"--flag=value", &kTest, {"--iface=eth1"}, "", With({{"iface", "eth1"}})},
      {"-flag value and _ for -",
       &kTest,
       {"-keep_attached", "--iface", "x"},
       "",
       With({{"iface", "x"}, {"keep-attached", "1"}})},
      {"an empty value with =",
       &kTest,
       {"--mode=skb", "--iface="},
       "",
       With({{"mode", "skb"}})},
      {"a value that looks like a flag",
       &kTest,
       {"--iface", "--rate"},
       "",
       With({{"iface", "--rate"}})},
      {"the last of a repeated non-repeated flag wins",
       &kTest,
       {"--rate", "1", "--rate=2"},
       "",
       With({{"rate", "2"}})},
      {"a repeated flag keeps every value in order",
       &kTest,
       {"--prefix", "198.18.0.0/15", "--prefix=2001:db8::/32"},
       "",
       With({{"prefix", "198.18.0.0/15,2001:db8::/32"}})},
      {"a boolean alone is true",
       &kTest,
       {"--keep-attached"},
       "",
       With({{"keep-attached", "1"}})},
      {"a boolean =false",
       &kTest,
       {"--keep-attached=false"},
       "",
       With({{"keep-attached", "0"}})},
      {"a boolean alone takes no operand",
       &kTest,
       {"--keep-attached", "file"},
       "",
       With({{"keep-attached", "1"}, {"operands", "file"}})},
      {"types",
       &kTest,
       {"--interval", "10m", "--bytes", "18446744073709551615", "--top=-3",
        "--from", "2026-11-23T00:00:00Z"},
       "",
       With({{"interval", "10m"},
             {"bytes", "18446744073709551615"},
             {"top", "-3"},
             {"from", "2026-11-23T00:00:00+00:00"}})},
      {"operands around flags, and after --",
       &kTest,
       {"a", "--rate", "3", "b", "--", "--rate"},
       "",
       With({{"rate", "3"}, {"operands", "a,b,--rate"}})},
      {"- is an operand", &kTest, {"-"}, "", With({{"operands", "-"}})},
      {"unknown flag",
       &kTest,
       {"--bogus"},
       "unknown flag '--bogus' (darkscope test --help",
       ""},
      {"unknown flag with a value",
       &kTest,
       {"--bogus=1"},
       "unknown flag '--bogus=1'",
       ""},
      {"missing value", &kTest, {"--iface"}, "--iface needs a value", ""},
      {"bad uint32",
       &kTest,
       {"--rate", "-1"},
       "bad value '-1' for --rate: expected a whole number",
       ""},
      {"uint32 out of range",
       &kTest,
       {"--rate=4294967296"},
       "bad value '4294967296' for --rate",
       ""},
      {"bad uint64",
       &kTest,
       {"--bytes", "12k"},
       "bad value '12k' for --bytes",
       ""},
      {"bad int",
       &kTest,
       {"--top", "ten"},
       "bad value 'ten' for --top: expected an integer",
       ""},
      {"bad duration",
       &kTest,
       {"--interval=60"},
       "bad value '60' for --interval: expected a duration",
       ""},
      {"bad bool",
       &kTest,
       {"--keep-attached=maybe"},
       "bad value 'maybe' for --keep-attached: expected true or false",
       ""},
      {"bad choice",
       &kTest,
       {"--mode", "turbo"},
       "bad value 'turbo' for --mode: expected native, skb or auto",
       ""},
      {"bad time",
       &kTest,
       {"--from", "yesterday"},
       "bad value 'yesterday' for --from: expected an RFC 3339 time",
       ""},
      {"operands to a command without",
       &kNoOperands,
       {"--rate", "1", "stray"},
       "unexpected argument 'stray'",
       ""},
  };
  for (const ParseCase& c : cases) {
    SCOPED_TRACE(c.what);
    absl::StatusOr<ParsedFlags> parsed = ParseCommandLine(*c.command, c.args);
    if (!c.error.empty()) {
      ASSERT_FALSE(parsed.ok());
      EXPECT_TRUE(absl::StrContains(parsed.status().message(), c.error))
          << parsed.status();
      EXPECT_FALSE(absl::StrContains(parsed.status().message(), "\n"));
      continue;
    }
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_FALSE(parsed->help());
    EXPECT_EQ(Describe(*parsed), c.expected);
  }
}

TEST(ParseCommandLine, HelpAnywhereWinsOverErrors) {
  for (std::vector<const char*> args : {std::vector<const char*>{"--help"},
                                        {"-h"},
                                        {"--rate", "1", "--help", "--bogus"},
                                        {"--bogus", "--iface", "-h"}}) {
    absl::StatusOr<ParsedFlags> parsed = ParseCommandLine(kTest, args);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_TRUE(parsed->help());
  }
}

TEST(ParseCommandLine, RequiredAndGiven) {
  absl::StatusOr<ParsedFlags> none = ParseCommandLine(kTest, {});
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->CheckRequired().message(), "--iface is required");
  EXPECT_FALSE(none->Given("rate"));
  absl::StatusOr<ParsedFlags> some =
      ParseCommandLine(kTest, {"--iface", "x", "--rate=0"});
  ASSERT_TRUE(some.ok());
  EXPECT_TRUE(some->CheckRequired().ok());
  EXPECT_TRUE(some->Given("rate"));
  static constexpr FlagSpec kInFlags[] = {
      {"in", T::kString, "DIR", "", "a directory", kRepeated | kRequired}};
  static constexpr CommandSpec kIn = {"in", "", "needs --in", kInFlags};
  absl::StatusOr<ParsedFlags> in = ParseCommandLine(kIn, {});
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(in->CheckRequired().message(), "at least one --in is required");
}

TEST(ParseCommandLine, CheckAllReadNamesAnIgnoredFlag) {
  absl::StatusOr<ParsedFlags> parsed = ParseCommandLine(kTest, {});
  ASSERT_TRUE(parsed.ok());
  Describe(*parsed);
  EXPECT_TRUE(parsed->CheckAllRead().ok());
  absl::StatusOr<ParsedFlags> fresh = ParseCommandLine(kTest, {});
  ASSERT_TRUE(fresh.ok());
  fresh->String("iface");
  EXPECT_TRUE(absl::StrContains(fresh->CheckAllRead().message(), "--prefix"));
}

struct ConfigCase {
  const char* what;
  std::vector<const char*> args;
  std::vector<ConfigSetting> settings;
  std::string error;
  std::string expected;
};

TEST(ApplyConfig, UnderTheCommandLine) {
  const std::vector<ConfigCase> cases = {
      {"keys set what the command line left, - or _",
       {"--rate", "5"},
       {{"iface", "eth1", "f:1"},
        {"keep_attached", "true", "f:2"},
        {"rate", "9", "f:3"}},
       "",
       With({{"iface", "eth1"}, {"keep-attached", "1"}, {"rate", "5"}})},
      {"a repeated key, once per line",
       {},
       {{"prefix", "198.18.0.0/15", "f:1"}, {"prefix", "2001:db8::/32", "f:2"}},
       "",
       With({{"prefix", "198.18.0.0/15,2001:db8::/32"}})},
      {"the command line's repeated flag replaces the file's",
       {"--prefix", "192.0.2.0/24"},
       {{"prefix", "198.18.0.0/15", "f:1"}},
       "",
       With({{"prefix", "192.0.2.0/24"}})},
      {"an empty value", {}, {{"iface", "", "f:1"}}, "", kDefaults},
      {"unknown key",
       {},
       {{"bogus", "1", "f:7"}},
       "f:7: unknown key 'bogus'",
       ""},
      {"the config flag itself",
       {},
       {{"config", "x", "f:2"}},
       "f:2: unknown key 'config'",
       ""},
      {"bad value",
       {},
       {{"rate", "fast", "f:3"}},
       "f:3: bad value 'fast' for --rate",
       ""},
  };
  for (const ConfigCase& c : cases) {
    SCOPED_TRACE(c.what);
    absl::StatusOr<ParsedFlags> parsed = ParseCommandLine(kTest, c.args);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    absl::Status applied = parsed->ApplyConfig(c.settings, "config");
    if (!c.error.empty()) {
      EXPECT_TRUE(absl::StrContains(applied.message(), c.error)) << applied;
      continue;
    }
    ASSERT_TRUE(applied.ok()) << applied;
    EXPECT_EQ(Describe(*parsed), c.expected);
  }
}

// The real table: every command's defaults parse (ParseCommandLine aborts
// on a bad row), names are unique, meanings are one line, and run's config
// keys are run's flags.
TEST(Commands, TableIsWellFormed) {
  for (const CommandSpec& command : Commands()) {
    SCOPED_TRACE(command.name);
    EXPECT_EQ(FindCommand(command.name), &command);
    absl::StatusOr<ParsedFlags> parsed = ParseCommandLine(command, {});
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    for (const FlagSpec& flag : command.flags) {
      EXPECT_EQ(FindFlag(command, flag.name), &flag) << flag.name;
      EXPECT_FALSE(absl::StrContains(flag.meaning, "\n")) << flag.name;
      EXPECT_FALSE(flag.meaning.empty()) << flag.name;
    }
    const std::string help = FormatHelp(command);
    for (const FlagSpec& flag : command.flags) {
      EXPECT_TRUE(absl::StrContains(help, absl::StrCat("  --", flag.name)))
          << flag.name;
    }
  }
  const CommandSpec* run = FindCommand("run");
  ASSERT_NE(run, nullptr);
  ASSERT_NE(FindFlag(*run, kConfigFlag), nullptr);
  absl::StatusOr<ParsedFlags> parsed = ParseCommandLine(*run, {});
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed
                  ->ApplyConfig({{"writer_backlog", "32", "c:1"},
                                 {"xdp-mode", "skb", "c:2"}},
                                kConfigFlag)
                  .ok());
  EXPECT_EQ(parsed->Uint64("writer-backlog"), 32u);
  EXPECT_EQ(parsed->String("xdp-mode"), "skb");
}

std::string ReadReadme() {
  std::ifstream file(DARKSCOPE_README);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

// The README holds each command's help between marker comments:
//   <!-- BEGIN darkscope help CMD -->
//   ```text
//   (FormatHelp)
//   ```
//   <!-- END darkscope help CMD -->
TEST(Readme, FlagListsAreTheTable) {
  const std::string readme = ReadReadme();
  ASSERT_FALSE(readme.empty()) << DARKSCOPE_README;
  for (const CommandSpec& command : Commands()) {
    SCOPED_TRACE(command.name);
    const std::string begin =
        absl::StrCat("<!-- BEGIN darkscope help ", command.name, " -->\n");
    const std::string end =
        absl::StrCat("<!-- END darkscope help ", command.name, " -->\n");
    const std::string expected =
        absl::StrCat("```text\n", FormatHelp(command), "```\n");
    const size_t b = readme.find(begin), e = readme.find(end);
    if (b == readme.npos || e == readme.npos || e < b) {
      ADD_FAILURE() << "README.md lacks the block; it should read:\n"
                    << begin << expected << end;
      continue;
    }
    EXPECT_EQ(readme.substr(b + begin.size(), e - b - begin.size()), expected)
        << "README.md's block differs from the table; it should read:\n"
        << begin << expected << end;
  }
  // And no block for a command the table does not have.
  size_t at = 0;
  int blocks = 0;
  while ((at = readme.find("<!-- BEGIN darkscope help ", at)) != readme.npos)
    ++blocks, ++at;
  EXPECT_EQ(blocks, static_cast<int>(Commands().size()));
}

// The README opens with exactly two commands, which a root shell runs as
// written: no sudo.
TEST(Readme, OpensWithTwoCommandsWithoutSudo) {
  const std::string readme = ReadReadme();
  const size_t open = readme.find("```\n");
  ASSERT_NE(open, readme.npos);
  const size_t close = readme.find("```\n", open + 4);
  ASSERT_NE(close, readme.npos);
  const std::vector<std::string> lines = absl::StrSplit(
      readme.substr(open + 4, close - open - 4), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u) << readme.substr(open, close - open);
  EXPECT_TRUE(absl::StartsWith(lines[0], "./deploy/demo.sh")) << lines[0];
  EXPECT_TRUE(absl::StartsWith(lines[1], "./deploy/test.sh")) << lines[1];
  EXPECT_FALSE(absl::StrContains(readme, "sudo ./deploy/"))
      << "a root shell has no sudo";
}

}  // namespace
}  // namespace darkscope::cli
