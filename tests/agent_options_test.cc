// The run options the agent refuses before it touches the kernel
// (ValidateAgentOptions): each case is one option set wrong on an otherwise
// good set, on the loopback interface, with the one-line error expected.
// Nothing here loads or attaches a program.
#include <stdlib.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "agent/agent.h"
#include "common/prefix.h"
#include "gtest/gtest.h"

namespace darkscope {
namespace {

class AgentOptionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/darkscope-options-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }

  AgentOptions Good() const {
    AgentOptions options;
    options.interface = "lo";
    options.data_plane.prefixes = {*ParseDarknetPrefix("198.18.0.0/15"),
                                   *ParseDarknetPrefix("2001:db8::/32")};
    options.out_dir = dir_;
    options.sensor = "unit";
    return options;
  }

  std::string dir_;
};

std::vector<Prefix> Prefixes(const std::vector<std::string>& texts) {
  std::vector<Prefix> out;
  for (const std::string& t : texts) out.push_back(*ParseDarknetPrefix(t));
  return out;
}

TEST_F(AgentOptionsTest, RefusesBeforeTouchingTheKernel) {
  struct Case {
    std::string what;
    std::function<void(AgentOptions&)> change;
    std::string error;  // a substring; empty: accepted
  };
  const Case cases[] = {
      {"the good set", [](AgentOptions&) {}, ""},
      // Point 6: the host's own addresses, overlaps and duplicates.
      {"0.0.0.0/0 holds the host's addresses",
       [](AgentOptions& o) { o.data_plane.prefixes = Prefixes({"0.0.0.0/0"}); },
       "prefix 0.0.0.0/0 holds"},
      {"::/0 holds the host's addresses",
       [](AgentOptions& o) { o.data_plane.prefixes = Prefixes({"::/0"}); },
       "prefix ::/0 holds ::1, an address of this host (lo)"},
      {"127.0.0.0/8 holds the loopback address",
       [](AgentOptions& o) {
         o.data_plane.prefixes = Prefixes({"127.0.0.0/8"});
       },
       "holds 127.0.0.1, an address of this host (lo)"},
      {"--allow-own-addresses takes them",
       [](AgentOptions& o) {
         o.data_plane.prefixes = Prefixes({"0.0.0.0/0", "::/0"});
         o.allow_own_addresses = true;
       },
       ""},
      {"a prefix given twice",
       [](AgentOptions& o) {
         o.data_plane.prefixes = Prefixes({"198.18.0.0/15", "198.18.0.0/15"});
       },
       "prefix 198.18.0.0/15 is given twice"},
      {"a prefix inside another",
       [](AgentOptions& o) {
         o.data_plane.prefixes = Prefixes({"198.18.0.0/15", "198.19.4.0/24"});
       },
       "prefix 198.19.4.0/24 lies inside prefix 198.18.0.0/15"},
      // Point 7: every string bounded and printable at the flag.
      {"a sensor name of 70,000 bytes",
       [](AgentOptions& o) { o.sensor = std::string(70000, 's'); },
       "--sensor 'ssss"},
      {"a sensor name of 256 bytes",
       [](AgentOptions& o) { o.sensor = std::string(256, 's'); },
       "at most 255 bytes"},
      {"a sensor name of 255 bytes",
       [](AgentOptions& o) { o.sensor = std::string(255, 's'); }, ""},
      {"a UTF-8 sensor name",
       [](AgentOptions& o) { o.sensor = "t\xc5\x8dky\xc5\x8d-1"; }, ""},
      {"a sensor name with a terminal escape",
       [](AgentOptions& o) { o.sensor = "a\x1b[2Jb"; },
       "--sensor 'a\\x1b[2Jb': control characters are not allowed"},
      {"an empty sensor name", [](AgentOptions& o) { o.sensor = ""; },
       "--sensor must not"},
      {"an interface name of 100 bytes",
       [](AgentOptions& o) { o.interface = std::string(100, 'e'); },
       "at most 15 bytes"},
      {"an output path of 8,000 bytes",
       [](AgentOptions& o) { o.out_dir = "/" + std::string(8000, 'd'); },
       "--out '/ddd"},
      {"a bpffs path with a newline",
       [](AgentOptions& o) { o.bpffs = "/sys/fs/bpf\nx"; }, "--bpffs"},
      // Point 9: the HTTP address is checked before the attach.
      {"--http not-an-address",
       [](AgentOptions& o) { o.monitoring.http_address = "not-an-address"; },
       "--http 'not-an-address': expected ADDR:PORT"},
      {"--http a host name",
       [](AgentOptions& o) { o.monitoring.http_address = "localhost:9464"; },
       "literal IPv4 address"},
      {"--http a port out of range",
       [](AgentOptions& o) { o.monitoring.http_address = "127.0.0.1:70000"; },
       "0..65535"},
      {"--http civetweb's TLS suffix",
       [](AgentOptions& o) { o.monitoring.http_address = "127.0.0.1:9464s"; },
       "the port"},
      {"--http two listeners",
       [](AgentOptions& o) {
         o.monitoring.http_address = "127.0.0.1:1,127.0.0.1:2";
       },
       "--http"},
      {"--http an unbracketed IPv6 address",
       [](AgentOptions& o) { o.monitoring.http_address = "::1:9464"; },
       "bracketed IPv6"},
      {"--http [::1]:9464",
       [](AgentOptions& o) { o.monitoring.http_address = "[::1]:9464"; }, ""},
      {"--http off", [](AgentOptions& o) { o.monitoring.http_address = ""; },
       ""},
      // Point 8: numbers within bounds (config file or flag alike).
      {"--writer-backlog 0", [](AgentOptions& o) { o.writer_queue = 0; },
       "must be 1..1024"},
      {"--writer-backlog 10^18",
       [](AgentOptions& o) { o.writer_queue = 1'000'000'000'000'000'000ull; },
       "1..1024"},
      {"--retain-age negative",
       [](AgentOptions& o) {
         o.monitoring.retention.max_age = absl::Seconds(-1);
       },
       "--retain-age"},
      {"--interval 48h", [](AgentOptions& o) { o.interval = absl::Hours(48); },
       "divide a day"},
      {"--sample-umem-frames 2^31",
       [](AgentOptions& o) {
         o.sample_policy.rate = 1;
         o.sampler.umem_frames = 1u << 31;
       },
       "UMEM frames (2147483648, at most 262144)"},
      {"--sample-batch over the ring",
       [](AgentOptions& o) {
         o.sample_policy.rate = 1;
         o.sampler.batch = 4096;
       },
       "batch (4096, at most the ring size)"},
      {"--sample-max-bytes 1 TiB",
       [](AgentOptions& o) {
         o.sample_policy.rate = 1;
         o.sampler.max_bytes = uint64_t{1} << 40;
       },
       "at most 1073741824"},
  };
  for (const Case& c : cases) {
    AgentOptions options = Good();
    c.change(options);
    const absl::Status status = ValidateAgentOptions(options);
    if (c.error.empty()) {
      EXPECT_TRUE(status.ok()) << c.what << ": " << status;
    } else {
      EXPECT_FALSE(status.ok()) << c.what;
      EXPECT_TRUE(absl::StrContains(status.message(), c.error))
          << c.what << ": " << status;
    }
  }
}

}  // namespace
}  // namespace darkscope
