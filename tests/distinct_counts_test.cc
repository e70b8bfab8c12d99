// The distinct-count estimators against the bits the data plane sets
// (include/darkscope/sketch.h): exact for IPv4 hosts, and for ports and
// IPv6 hosts an error measured over random sets and held to the bounds
// docs/maps.md states.
#include "sketch/distinct_counts.h"

#include <cmath>
#include <cstdio>
#include <random>
#include <set>
#include <vector>

#include "darkscope/sketch.h"
#include "gtest/gtest.h"

namespace darkscope {
namespace {

void SetBit(__u64* words, uint32_t bit) {
  words[bit / 64] |= uint64_t{1} << (bit % 64);
}

TEST(CountIpv4Hosts, IsExact) {
  for (int hosts : {0, 1, 2, 17, 128, 255, 256}) {
    __u64 set[DS_HOST_BITMAP_WORDS] = {};
    for (int h = 0; h < hosts; ++h) SetBit(set, h);
    EXPECT_EQ(CountIpv4Hosts(set), static_cast<uint32_t>(hosts));
  }
}

struct ErrorCase {
  int distinct;     // true count
  double max_bias;  // |mean relative error|
  double max_rms;   // root mean square relative error
};

// Relative errors of the port estimate over `trials` random port sets.
std::vector<double> PortErrors(int distinct, int trials, std::mt19937& rng) {
  std::vector<double> errors;
  std::uniform_int_distribution<int> port(0, 65535);
  for (int t = 0; t < trials; ++t) {
    std::set<uint16_t> ports;
    while (static_cast<int>(ports.size()) < distinct) ports.insert(port(rng));
    __u64 sketch[DS_PORT_SKETCH_WORDS] = {};
    for (uint16_t p : ports) SetBit(sketch, ds_port_sketch_bit(p));
    errors.push_back(EstimateDistinctPorts(sketch) / distinct - 1);
  }
  return errors;
}

class PortSketchErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(PortSketchErrorTest, StaysWithinStatedError) {
  const ErrorCase& c = GetParam();
  std::mt19937 rng(12345 + c.distinct);
  // Fewer trials for large sets: each costs as many hashes as ports.
  const int trials = c.distinct > 5000 ? 40 : 300;
  std::vector<double> errors = PortErrors(c.distinct, trials, rng);
  double sum = 0, squares = 0;
  for (double e : errors) {
    sum += e;
    squares += e * e;
  }
  double bias = sum / errors.size(), rms = std::sqrt(squares / errors.size());
  std::printf("ports distinct=%d bias=%+.3f rms=%.3f\n", c.distinct, bias, rms);
  EXPECT_LE(std::abs(bias), c.max_bias);
  EXPECT_LE(rms, c.max_rms);
}

INSTANTIATE_TEST_SUITE_P(
    Counts, PortSketchErrorTest,
    ::testing::Values(ErrorCase{1, 0.02, 0.02}, ErrorCase{2, 0.05, 0.10},
                      ErrorCase{5, 0.10, 0.15}, ErrorCase{10, 0.10, 0.20},
                      ErrorCase{30, 0.10, 0.25}, ErrorCase{100, 0.10, 0.25},
                      ErrorCase{1000, 0.10, 0.25}, ErrorCase{10000, 0.10, 0.25},
                      ErrorCase{65536, 0.10, 0.25}),
    [](const auto& info) {
      return "distinct_" + std::to_string(info.param.distinct);
    });

TEST(PortSketch, EmptyIsZeroAndOnePortIsOne) {
  __u64 sketch[DS_PORT_SKETCH_WORDS] = {};
  EXPECT_EQ(EstimateDistinctPorts(sketch), 0);
  SetBit(sketch, ds_port_sketch_bit(23));
  EXPECT_NEAR(EstimateDistinctPorts(sketch), 1.0, 0.02);
}

TEST(Ipv6HostEstimate, WithinTenPercentUpToTwoHundredHosts) {
  std::mt19937 rng(7);
  for (int hosts : {1, 10, 50, 100, 200}) {
    double squares = 0;
    const int trials = 200;
    for (int t = 0; t < trials; ++t) {
      __u64 set[DS_HOST_BITMAP_WORDS] = {};
      for (int h = 0; h < hosts; ++h) {
        __u8 low80[10];
        for (__u8& byte : low80) byte = static_cast<__u8>(rng());
        SetBit(set, ds_ipv6_host_bit(low80));
      }
      double e = EstimateIpv6Hosts(set) / hosts - 1;
      squares += e * e;
    }
    double rms = std::sqrt(squares / trials);
    std::printf("ipv6 hosts=%d rms=%.3f\n", hosts, rms);
    EXPECT_LE(rms, 0.10) << hosts << " hosts";
  }
}

}  // namespace
}  // namespace darkscope
