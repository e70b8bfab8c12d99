// AddCounts, the merge behind every sum over snapshots: counts add, host
// sets and port sketches merge by OR, keys of either side all appear, in
// order, whatever the overlap.
#include <random>

#include "counts/counts.h"
#include "gtest/gtest.h"

namespace darkscope {
namespace {

ds_net_key Net(uint32_t n) {
  return {DS_FAMILY_IPV4,
          0,
          {uint8_t(n >> 16), uint8_t(n >> 8), uint8_t(n), 0, 0, 0}};
}

// Random counts over keys drawn from [0, key_space).
EpochCounts Random(std::mt19937& rng, int entries, uint32_t key_space) {
  EpochCounts c;
  std::uniform_int_distribution<uint32_t> key(0, key_space - 1);
  for (int i = 0; i < DS_CTR_COUNT; ++i) c.counters[i] = rng() % 100;
  for (int i = 0; i < entries; ++i) {
    c.ports[key(rng)] = {1, 60, 1, 0, 0, rng() % 2, 0, 0, 0};
    c.src_ports[key(rng)] = {2, 120};
    ds_source_stats s = {};
    s.packets = 3;
    s.bytes = 180;
    s.hosts[rng() % 4] = uint64_t{1} << (rng() % 64);
    s.port_sketch[rng() % 8] = uint64_t{1} << (rng() % 64);
    s.synack = rng() % 3;
    s.rst = rng() % 3;
    c.sources[Net(key(rng))] = s;
    ds_dest_stats d = {};
    d.packets = 4;
    d.bytes = 240;
    d.hosts[rng() % 4] = uint64_t{1} << (rng() % 64);
    c.destinations[Net(key(rng))] = d;
    ds_flow_key f = {};
    f.src = Net(key(rng));
    f.proto_slot = DS_SLOT_TCP;
    f.port = static_cast<uint16_t>(rng());
    c.flows[f] = {5, 300, 3, 1, 2};
  }
  return c;
}

// The obvious merge, key by key.
EpochCounts Naive(const EpochCounts& a, const EpochCounts& b) {
  EpochCounts out = a;
  for (int i = 0; i < DS_CTR_COUNT; ++i) out.counters[i] += b.counters[i];
  for (const auto& [k, v] : b.ports) {
    ds_port_stats& o = out.ports[k];
    o.packets += v.packets, o.bytes += v.bytes, o.syn += v.syn,
        o.synack += v.synack;
    o.rst += v.rst, o.mirai += v.mirai, o.zmap += v.zmap,
        o.masscan += v.masscan;
    o.backscatter += v.backscatter;
  }
  for (const auto& [k, v] : b.src_ports) {
    out.src_ports[k].packets += v.packets;
    out.src_ports[k].bytes += v.bytes;
  }
  for (const auto& [k, v] : b.flows) {
    ds_flow_stats& o = out.flows[k];
    o.packets += v.packets, o.bytes += v.bytes, o.mirai += v.mirai,
        o.zmap += v.zmap, o.masscan += v.masscan;
  }
  for (const auto& [k, v] : b.sources) {
    ds_source_stats& o = out.sources[k];
    o.packets += v.packets, o.bytes += v.bytes;
    o.synack += v.synack, o.rst += v.rst;
    for (int w = 0; w < DS_HOST_BITMAP_WORDS; ++w) o.hosts[w] |= v.hosts[w];
    for (int w = 0; w < DS_PORT_SKETCH_WORDS; ++w)
      o.port_sketch[w] |= v.port_sketch[w];
  }
  for (const auto& [k, v] : b.destinations) {
    ds_dest_stats& o = out.destinations[k];
    o.packets += v.packets, o.bytes += v.bytes;
    for (int w = 0; w < DS_HOST_BITMAP_WORDS; ++w) o.hosts[w] |= v.hosts[w];
  }
  return out;
}

struct MergeCase {
  int entries_a, entries_b;
  uint32_t key_space;  // small: heavy overlap; large: mostly disjoint
};

class AddCountsTest : public ::testing::TestWithParam<MergeCase> {};

TEST_P(AddCountsTest, EqualsTheKeyByKeyMerge) {
  std::mt19937 rng(GetParam().key_space);
  const EpochCounts a = Random(rng, GetParam().entries_a, GetParam().key_space);
  const EpochCounts b = Random(rng, GetParam().entries_b, GetParam().key_space);
  EpochCounts merged = a;
  AddCounts(b, merged);
  EXPECT_TRUE(merged == Naive(a, b));
}

INSTANTIATE_TEST_SUITE_P(Cases, AddCountsTest,
                         ::testing::Values(MergeCase{0, 0, 10},
                                           MergeCase{0, 500, 1000},
                                           MergeCase{500, 0, 1000},
                                           MergeCase{500, 500, 50},
                                           MergeCase{2000, 300, 100000},
                                           MergeCase{300, 2000, 1000}));

}  // namespace
}  // namespace darkscope
