// The daemon's operations logic without a kernel: which old files
// retention deletes (table-driven), applying it to a directory, and the
// config file's format and errors.
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "agent/retention.h"
#include "config/config_file.h"
#include "gtest/gtest.h"

namespace darkscope::testing {
namespace {

absl::Time At(const char* stamp) {
  return *DarkscopeFileStamp(std::string(stamp) + ".dsnap");
}

TEST(Retention, FileStamps) {
  struct Case {
    std::string name;
    bool ours;
  };
  const Case cases[] = {
      {"20261124T100000Z.dsnap", true},
      {"20261124T100000Z.q0.pcapng", true},
      {"20261124T100000Z.q15.pcapng", true},
      {"20261124T100000Z.pcapng", false},
      {"20261124T100000Z.q.pcapng", false},
      {"20261124T100000Z.q1.dsnap", false},
      {"20261124T100000Z.dsnap.tmp", false},
      {".20261124T100000Z.dsnap", false},
      {"20261124X100000Z.dsnap", false},
      {"20261324T100000Z.dsnap", false},
      {"notes.txt", false},
      {"2026112T100000Z.dsnap", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(DarkscopeFileStamp(c.name).has_value(), c.ours) << c.name;
  }
  EXPECT_EQ(At("20261124T100000Z"), absl::FromUnixSeconds(1795514400));
}

TEST(Retention, Plan) {
  const absl::Time now = At("20261124T120000Z");
  // Three intervals, each with a snapshot (100 bytes) and samples (1000).
  const std::vector<RetainedFile> files = {
      {"20261124T110000Z.q0.pcapng", At("20261124T110000Z"), 1000},
      {"20261124T100000Z.dsnap", At("20261124T100000Z"), 100},
      {"20261124T100000Z.q0.pcapng", At("20261124T100000Z"), 1000},
      {"20261124T110000Z.dsnap", At("20261124T110000Z"), 100},
      {"20261124T115900Z.dsnap", At("20261124T115900Z"), 100},
      {"20261124T115900Z.q0.pcapng", At("20261124T115900Z"), 1000},
  };
  struct Case {
    std::string what;
    RetentionPolicy policy;
    std::vector<std::string> deleted;  // in order
  };
  const Case cases[] = {
      {"off", {}, {}},
      {"age keeps everything younger", {absl::Hours(3), 0}, {}},
      {"age 90 min drops the 10:00 files",
       {absl::Minutes(90), 0},
       {"20261124T100000Z.dsnap", "20261124T100000Z.q0.pcapng"}},
      {"age 30 min drops 10:00 and 11:00",
       {absl::Minutes(30), 0},
       {"20261124T100000Z.dsnap", "20261124T100000Z.q0.pcapng",
        "20261124T110000Z.dsnap", "20261124T110000Z.q0.pcapng"}},
      {"age 0.5 s keeps the newest stamp anyway",
       {absl::Milliseconds(500), 0},
       {"20261124T100000Z.dsnap", "20261124T100000Z.q0.pcapng",
        "20261124T110000Z.dsnap", "20261124T110000Z.q0.pcapng"}},
      {"size within limit", {absl::ZeroDuration(), 3300}, {}},
      {"size drops oldest until it fits",
       {absl::ZeroDuration(), 3250},
       {"20261124T100000Z.dsnap"}},
      {"size 2200 needs two files gone",
       {absl::ZeroDuration(), 2200},
       {"20261124T100000Z.dsnap", "20261124T100000Z.q0.pcapng"}},
      {"size 1 keeps the newest stamp",
       {absl::ZeroDuration(), 1},
       {"20261124T100000Z.dsnap", "20261124T100000Z.q0.pcapng",
        "20261124T110000Z.dsnap", "20261124T110000Z.q0.pcapng"}},
      {"age and size: either limit deletes",
       {absl::Minutes(90), 1200},
       {"20261124T100000Z.dsnap", "20261124T100000Z.q0.pcapng",
        "20261124T110000Z.dsnap", "20261124T110000Z.q0.pcapng"}},
  };
  for (const Case& c : cases) {
    std::vector<std::string> deleted;
    for (const RetainedFile& f : PlanRetention(files, c.policy, now))
      deleted.push_back(f.name);
    EXPECT_EQ(deleted, c.deleted) << c.what;
  }
}

TEST(Retention, AppliesToOwnFilesOnly) {
  char dir_template[] = "/tmp/darkscope-retention-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::string dir = dir_template;
  for (const char* name : {"20261124T100000Z.dsnap", "20261124T110000Z.dsnap",
                           "20261124T100000Z.dsnap.tmp", "keep.txt"}) {
    std::ofstream(dir + "/" + name) << std::string(100, 'x');
  }
  absl::StatusOr<RetentionResult> result =
      ApplyRetention(dir, {absl::Minutes(30), 0}, At("20261124T120000Z"));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->files, 1u);
  EXPECT_EQ(result->bytes, 100u);
  EXPECT_NE(access((dir + "/20261124T100000Z.dsnap").c_str(), F_OK), 0);
  for (const char* kept :
       {"20261124T110000Z.dsnap", "20261124T100000Z.dsnap.tmp", "keep.txt"}) {
    EXPECT_EQ(access((dir + "/" + kept).c_str(), F_OK), 0) << kept;
  }
  absl::StatusOr<RetentionResult> missing =
      ApplyRetention(dir + "/nope", {absl::Minutes(30), 0}, absl::Now());
  EXPECT_FALSE(missing.ok());
  EXPECT_TRUE(absl::StrContains(missing.status().message(), dir + "/nope"));
  EXPECT_EQ(std::system(("rm -rf " + dir).c_str()), 0);
}

TEST(ConfigFile, Parses) {
  struct Case {
    std::string what, text;
    std::vector<ConfigEntry> entries;
    std::string error;  // a substring; empty: no error
  };
  const Case cases[] = {
      {"empty", "", {}, ""},
      {"comments and blanks", "# c\n\n   # indented\n", {}, ""},
      {"keys with - and _, spaces trimmed",
       "iface = eth1\n  retain-age=30d  \nprefix = "
       "198.18.0.0/15\nprefix=2001:db8::/32\n",
       {{"iface", "eth1", 1},
        {"retain_age", "30d", 2},
        {"prefix", "198.18.0.0/15", 3},
        {"prefix", "2001:db8::/32", 4}},
       ""},
      {"empty value", "http =\n", {{"http", "", 1}}, ""},
      {"value with =", "sensor = a=b\n", {{"sensor", "a=b", 1}}, ""},
      {"no =", "iface eth1\n", {}, "darkscope.conf:1: expected 'key = value'"},
      {"no key", "# ok\n = 3\n", {}, "darkscope.conf:2:"},
      {"bad key", "if ace = 3\n", {}, "darkscope.conf:1:"},
      {"a key given twice (a second `http =` turned HTTP off)",
       "http = 127.0.0.1:9464\n# later\nhttp =\n",
       {},
       "darkscope.conf:3: 'http' is given again (first at line 1)"},
      {"the same key spelled with - and _",
       "retain-age = 1d\nretain_age = 2d\n",
       {},
       "darkscope.conf:2: 'retain_age' is given again"},
      {"CRLF line ends",
       "iface = eth1\r\nsensor = a\r\n",
       {{"iface", "eth1", 1}, {"sensor", "a", 2}},
       ""},
      {"UTF-8 text",
       "sensor = T\xc5\x8dky\xc5\x8d \xe6\x9d\xb1\n",
       {{"sensor", "T\xc5\x8dky\xc5\x8d \xe6\x9d\xb1", 1}},
       ""},
      {"a terminal escape",
       "iface = eth1\x1b]0;owned\x07\n",
       {},
       "darkscope.conf:1: byte 0x1b at column 13 is not text"},
      {"a NUL byte",
       std::string("iface = eth1\0x\n", 16),
       {},
       "byte 0x00 at column 13"},
      {"binary after good lines",
       "iface = eth1\n\x7f\x45LF\x02\x01\n",
       {},
       "darkscope.conf:2: byte 0x7f at column 1"},
      {"not UTF-8", "sensor = \xff\xfe\n", {}, "byte 0xff at column 10"},
      {"an overlong UTF-8 form",
       "sensor = \xc0\xaf\n",
       {},
       "byte 0xc0 at column 10"},
      {"a cut UTF-8 sequence",
       "sensor = \xe6\x9d\n",
       {},
       "byte 0xe6 at column 10"},
      {"a line too long",
       "sensor = " + std::string(5000, 'a') + "\n",
       {},
       "darkscope.conf:1: line of 5009 bytes; at most 4096"},
      {"a bad line quoted escaped and cut",
       "\xc3\xa9" + std::string(200, 'x') + "\n",
       {},
       "got '\\xc3\\xa9xxx"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<std::vector<ConfigEntry>> entries =
        ParseConfig(c.text, "darkscope.conf");
    if (c.error.empty()) {
      ASSERT_TRUE(entries.ok()) << c.what << ": " << entries.status();
      EXPECT_EQ(*entries, c.entries) << c.what;
    } else {
      ASSERT_FALSE(entries.ok()) << c.what;
      EXPECT_TRUE(absl::StrContains(entries.status().message(), c.error))
          << c.what << ": " << entries.status();
      // Whatever the file holds, the message is plain printable ASCII and
      // short.
      const absl::string_view message = entries.status().message();
      EXPECT_LT(message.size(), 300u) << c.what;
      for (char ch : message) {
        EXPECT_TRUE(ch >= 0x20 && ch < 0x7f)
            << c.what << ": byte " << int(ch) << " in error";
      }
    }
  }
  EXPECT_FALSE(ReadConfigFile("/nonexistent/darkscope.conf").ok());
}

// A file that is not a config file is refused before it is read whole.
TEST(ConfigFile, RefusesWhatIsNotAConfigFile) {
  struct Case {
    std::string path, error;
  };
  const Case cases[] = {
      {"/dev/zero", "/dev/zero: more than 1048576 bytes"},
      {"/nonexistent/darkscope.conf",
       "open config file /nonexistent/darkscope.conf"},
      {"/", "read config file /: Is a directory"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<std::vector<ConfigEntry>> entries = ReadConfigFile(c.path);
    ASSERT_FALSE(entries.ok()) << c.path;
    EXPECT_TRUE(absl::StrContains(entries.status().message(), c.error))
        << c.path << ": " << entries.status();
  }
}

TEST(ConfigFile, ByteSizes) {
  struct Case {
    std::string text;
    uint64_t bytes;
    bool ok;
  };
  const Case cases[] = {{"0", 0, true},
                        {"1234", 1234, true},
                        {"4K", 4096, true},
                        {"500M", 500ull << 20, true},
                        {"50g", 50ull << 30, true},
                        {"2T", 2ull << 40, true},
                        {"", 0, false},
                        {"G", 0, false},
                        {"1.5G", 0, false},
                        {"-1", 0, false},
                        {"99999999999T", 0, false}};
  for (const Case& c : cases) {
    absl::StatusOr<uint64_t> bytes = ParseByteSize(c.text);
    EXPECT_EQ(bytes.ok(), c.ok) << c.text;
    if (bytes.ok()) {
      EXPECT_EQ(*bytes, c.bytes) << c.text;
    }
  }
}

}  // namespace
}  // namespace darkscope::testing
