// Estimators for the data plane's bit sets.
#include "sketch/distinct_counts.h"

#include <bit>
#include <cmath>

namespace darkscope {
namespace {

constexpr int kBuckets = DS_PORT_SKETCH_BUCKETS;
constexpr int kBucketBits = DS_PORT_SKETCH_BITS;
// Flajolet and Martin's correction constant for PCSA.
constexpr double kPcsaPhi = 0.77351;
// There are only 65,536 ports.
constexpr double kMaxPorts = 65536.0;

uint32_t Bucket(const __u64 (&sketch)[DS_PORT_SKETCH_WORDS], int b) {
  int bit = b * kBucketBits;
  return static_cast<uint32_t>((sketch[bit / 64] >> (bit % 64)) &
                               ((1u << kBucketBits) - 1));
}

}  // namespace

uint32_t CountIpv4Hosts(const __u64 (&hosts)[DS_HOST_BITMAP_WORDS]) {
  uint32_t count = 0;
  for (__u64 word : hosts) count += std::popcount(word);
  return count;
}

double EstimateIpv6Hosts(const __u64 (&hosts)[DS_HOST_BITMAP_WORDS]) {
  constexpr double kBits = 64.0 * DS_HOST_BITMAP_WORDS;
  double zeros = kBits - CountIpv4Hosts(hosts);
  if (zeros < 1) zeros = 1;  // saturated: the largest count it can tell
  return kBits * std::log(kBits / zeros);
}

double EstimateDistinctPorts(const __u64 (&sketch)[DS_PORT_SKETCH_WORDS]) {
  int empty_buckets = 0;
  double rank_sum = 0;
  for (int b = 0; b < kBuckets; ++b) {
    uint32_t bits = Bucket(sketch, b);
    if (bits == 0) ++empty_buckets;
    // R: the position of the lowest zero bit.
    rank_sum += std::countr_one(bits);
  }
  if (empty_buckets == kBuckets) return 0;
  double pcsa = kBuckets / kPcsaPhi * std::exp2(rank_sum / kBuckets);
  // PCSA overestimates small counts; while buckets are still empty, the
  // share of empty ones tells better (linear counting over buckets).
  if (empty_buckets > 0 && pcsa < 2.5 * kBuckets) {
    pcsa = kBuckets * std::log(static_cast<double>(kBuckets) / empty_buckets);
  }
  return std::min(pcsa, kMaxPorts);
}

}  // namespace darkscope
