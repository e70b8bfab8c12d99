// The snapshot format: a round trip keeps every table and counter, every
// version this build reads decodes, and a small file corrupted at any byte
// or cut at any length is refused with an error naming an offset, never a
// crash or a silently wrong snapshot.
#include "snapshot/snapshot.h"

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/prefix.h"
#include "gtest/gtest.h"

namespace darkscope {
namespace {

Snapshot SmallSnapshot() {
  Snapshot s;
  s.sensor = "tokyo-1";
  s.interval_start = absl::FromUnixSeconds(1795428000);  // on the minute
  s.interval_seconds = 60;
  s.complete = true;
  s.darknet = {*ParseDarknetPrefix("198.18.0.0/15"), *ParseDarknetPrefix("2001:db8:d::/48")};
  for (int i = 0; i < DS_CTR_COUNT; ++i) s.counts.counters[i] = 1000 + i;
  s.counts.ports[ds_port_index(DS_SLOT_TCP, 23)] = {50, 3000, 50, 0, 0, 40, 3, 2, 0};
  s.counts.ports[ds_port_index(DS_SLOT_ICMP, 3)] = {7, 500, 0, 0, 0, 0, 0, 0, 7};
  s.counts.src_ports[1 * 65536 + 123] = {9, 4212};
  ds_net_key src = NetKeyOf(*ParseAddress("185.220.101.7"));
  ds_source_stats source = {};
  source.packets = 57;
  source.bytes = 3500;
  source.hosts[0] = 0x80;
  source.port_sketch[3] = 0xffff0001;
  source.synack = 5;
  source.rst = 2;
  s.counts.sources[src] = source;
  ds_dest_stats dest = {};
  dest.packets = 57;
  dest.bytes = 3500;
  dest.hosts[3] = uint64_t{1} << 63;
  s.counts.destinations[NetKeyOf(*ParseAddress("198.18.5.255"))] = dest;
  s.counts.destinations[NetKeyOf(*ParseAddress("2001:db8:d::1"))] = dest;
  ds_flow_key flow = {};
  flow.src = src;
  flow.proto_slot = DS_SLOT_TCP;
  flow.port = 23;
  s.counts.flows[flow] = {50, 3000};
  s.agent_counters["snapshots_dropped"] = 2;
  s.agent_counters["drain_microseconds"] = 1234;
  return s;
}

TEST(SnapshotFormat, RoundTripKeepsEverything) {
  Snapshot s = SmallSnapshot();
  absl::StatusOr<Snapshot> back = DecodeSnapshot(EncodeSnapshot(s));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(*back == s);
}

TEST(SnapshotFormat, DailyRollupPortHoursRoundTrip) {
  Snapshot s = SmallSnapshot();
  s.interval_seconds = 86400;
  s.port_hours[{ds_port_index(DS_SLOT_TCP, 23), 0}] = 20;
  s.port_hours[{ds_port_index(DS_SLOT_TCP, 23), 23}] = 30;
  s.port_hours[{ds_port_index(DS_SLOT_ICMP, 3), 7}] = 7;
  absl::StatusOr<Snapshot> back = DecodeSnapshot(EncodeSnapshot(s));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(*back == s);
}

// What each part of a partial decode holds, and the flows streamed to a
// visitor instead of kept.
TEST(SnapshotFormat, PartialDecodes) {
  Snapshot s = SmallSnapshot();
  s.port_hours[{ds_port_index(DS_SLOT_TCP, 23), 5}] = 50;
  const std::vector<uint8_t> bytes = EncodeSnapshot(s);
  struct Case {
    uint32_t parts;
    bool summary, ports, networks, flows;
  };
  const Case cases[] = {
      {kSnapshotSummary, true, false, false, false},
      {kSnapshotPorts, false, true, false, false},
      {kSnapshotNetworks, false, false, true, false},
      {kSnapshotFlows, false, false, false, true},
      {kSnapshotAll, true, true, true, true},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Snapshot> back = DecodeSnapshot(bytes, c.parts);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(back->sensor, s.sensor) << c.parts;
    EXPECT_EQ(back->counts.counters == s.counts.counters, c.summary) << c.parts;
    EXPECT_EQ(back->darknet == s.darknet, c.summary) << c.parts;
    EXPECT_EQ(back->counts.ports == s.counts.ports, c.ports) << c.parts;
    EXPECT_EQ(back->port_hours == s.port_hours, c.ports) << c.parts;
    EXPECT_EQ(back->counts.sources == s.counts.sources, c.networks) << c.parts;
    EXPECT_EQ(back->counts.flows == s.counts.flows, c.flows) << c.parts;
  }
  absl::btree_map<ds_flow_key, ds_traffic> visited;
  absl::StatusOr<Snapshot> streamed =
      DecodeSnapshot(bytes, kSnapshotPorts, [&](const ds_flow_key& key, const ds_traffic& t) {
        visited[key] = t;
      });
  ASSERT_TRUE(streamed.ok()) << streamed.status();
  EXPECT_TRUE(visited == s.counts.flows);
  EXPECT_TRUE(streamed->counts.flows.empty());
  EXPECT_TRUE(streamed->counts.ports == s.counts.ports);
}

TEST(SnapshotFormat, EmptySnapshotRoundTrips) {
  Snapshot s;
  s.sensor = "";
  s.interval_start = absl::FromUnixSeconds(0);
  absl::StatusOr<Snapshot> back = DecodeSnapshot(EncodeSnapshot(s));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(*back == s);
}

TEST(SnapshotFormat, EveryReadableVersionDecodes) {
  for (uint32_t version = kOldestReadableSnapshotVersion;
       version <= kSnapshotFormatVersion; ++version) {
    std::vector<uint8_t> bytes = EncodeSnapshot(SmallSnapshot());
    EXPECT_EQ(bytes[8], version) << "this build writes only the newest version";
    EXPECT_TRUE(DecodeSnapshot(bytes).ok()) << "version " << version;
  }
}

TEST(SnapshotFormat, CorruptionAtEveryByteIsDetected) {
  const std::vector<uint8_t> good = EncodeSnapshot(SmallSnapshot());
  for (size_t at = 0; at < good.size(); ++at) {
    for (uint8_t flip : {0x01, 0x80, 0xff}) {
      std::vector<uint8_t> bad = good;
      bad[at] ^= flip;
      absl::StatusOr<Snapshot> decoded = DecodeSnapshot(bad);
      ASSERT_FALSE(decoded.ok()) << "byte " << at << " ^ " << int{flip};
      EXPECT_NE(decoded.status().message().find("offset"), std::string::npos)
          << decoded.status();
    }
  }
}

TEST(SnapshotFormat, TruncationAtEveryLengthIsDetected) {
  const std::vector<uint8_t> good = EncodeSnapshot(SmallSnapshot());
  for (size_t length = 0; length < good.size(); ++length) {
    std::vector<uint8_t> cut(good.begin(), good.begin() + length);
    absl::StatusOr<Snapshot> decoded = DecodeSnapshot(cut);
    ASSERT_FALSE(decoded.ok()) << "length " << length;
    EXPECT_NE(decoded.status().message().find("offset"), std::string::npos)
        << decoded.status();
  }
}

TEST(SnapshotFormat, UnknownVersionIsRefusedByName) {
  std::vector<uint8_t> bytes = EncodeSnapshot(SmallSnapshot());
  bytes[8] = 99;  // the checksum now fails first; both are refusals
  EXPECT_FALSE(DecodeSnapshot(bytes).ok());
}

TEST(SnapshotFileName, SortsInTimeOrder) {
  EXPECT_EQ(SnapshotFileName(absl::FromUnixSeconds(1795428000)),
            "20261123T100000Z.dsnap");
  EXPECT_LT(SnapshotFileName(absl::FromUnixSeconds(1795428000)),
            SnapshotFileName(absl::FromUnixSeconds(1795428060)));
}

}  // namespace
}  // namespace darkscope
