// The snapshot format: a round trip keeps every table and counter, every
// version this build reads decodes, and a small file corrupted at any byte
// or cut at any length is refused with an error naming an offset, never a
// crash or a silently wrong snapshot.
#include "snapshot/snapshot.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/prefix.h"
#include "gtest/gtest.h"
#include "snapshot_craft.h"

namespace darkscope {
namespace {

Snapshot SmallSnapshot() {
  Snapshot s;
  s.sensor = "tokyo-1";
  s.interval_start = absl::FromUnixSeconds(1795428000);  // on the minute
  s.interval_seconds = 60;
  s.complete = true;
  s.darknet = {*ParseDarknetPrefix("198.18.0.0/15"),
               *ParseDarknetPrefix("2001:db8:d::/48")};
  for (int i = 0; i < DS_CTR_COUNT; ++i) s.counts.counters[i] = 1000 + i;
  s.counts.ports[ds_port_index(DS_SLOT_TCP, 23)] = {50, 3000, 50, 0, 0,
                                                    40, 3,    2,  0};
  s.counts.ports[ds_port_index(DS_SLOT_ICMP, 3)] = {7, 500, 0, 0, 0,
                                                    0, 0,   0, 7};
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
  s.counts.flows[flow] = {50, 3000, 40, 3, 2};
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
  absl::btree_map<ds_flow_key, ds_flow_stats> visited;
  absl::StatusOr<Snapshot> streamed =
      DecodeSnapshot(bytes, kSnapshotPorts,
                     [&](const ds_flow_key& key, const ds_flow_stats& t) {
                       visited[key] = t;
                     });
  ASSERT_TRUE(streamed.ok()) << streamed.status();
  EXPECT_TRUE(visited == s.counts.flows);
  EXPECT_TRUE(streamed->counts.flows.empty());
  EXPECT_TRUE(streamed->counts.ports == s.counts.ports);
}

// A body of one table written by hand, as docs/snapshot-format.md lays it
// out: an empty sensor name, the table count, then the table's name,
// columns (name, kind), rows, and the values column after column.
struct HandColumn {
  std::string name;
  uint8_t kind;  // 1, 2, 4, 8, or 0x48 (a network, 8 bytes)
  std::vector<uint64_t> values;
};
std::vector<uint8_t> OneTableBody(const std::string& table,
                                  const std::vector<HandColumn>& columns) {
  std::vector<uint8_t> body = {0, 0, 1, 0};
  auto put = [&](uint64_t v, size_t width) {
    for (size_t i = 0; i < width; ++i) body.push_back((v >> (8 * i)) & 0xff);
  };
  put(table.size(), 1);
  body.insert(body.end(), table.begin(), table.end());
  put(columns.size(), 2);
  put(columns.empty() ? 0 : columns[0].values.size(), 4);
  for (const HandColumn& c : columns) {
    put(c.name.size(), 1);
    body.insert(body.end(), c.name.begin(), c.name.end());
    put(c.kind, 1);
  }
  for (const HandColumn& c : columns) {
    for (uint64_t v : c.values) put(v, c.kind == 0x48 ? 8 : c.kind);
  }
  return body;
}

// A flows table as files written before the fingerprint columns hold it
// (src_net, proto, port, packets, bytes) reads, with the fingerprints 0 and
// flow_fingerprints false, whole and streamed; re-encoded it stays without
// them (a roll-up of old files does not turn unknown into 0). A table with
// some of the three columns is refused.
TEST(SnapshotFormat, FlowsWithoutFingerprintColumnsRead) {
  uint64_t net;
  const ds_net_key src = NetKeyOf(*ParseAddress("185.220.101.7"));
  std::memcpy(&net, &src, sizeof(net));
  std::vector<HandColumn> old_flows = {{"src_net", 0x48, {net, net}},
                                       {"proto", 1, {DS_SLOT_TCP, DS_SLOT_UDP}},
                                       {"port", 2, {23, 53}},
                                       {"packets", 8, {50, 7}},
                                       {"bytes", 8, {3000, 420}}};
  const std::vector<uint8_t> file =
      craft::WrapBody(OneTableBody("flows", old_flows));
  absl::StatusOr<Snapshot> old = DecodeSnapshot(file);
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_FALSE(old->flow_fingerprints);
  ds_flow_key telnet = {}, dns = {};
  telnet.src = dns.src = src;
  telnet.proto_slot = DS_SLOT_TCP, telnet.port = 23;
  dns.proto_slot = DS_SLOT_UDP, dns.port = 53;
  const absl::btree_map<ds_flow_key, ds_flow_stats> want = {
      {telnet, {50, 3000, 0, 0, 0}}, {dns, {7, 420, 0, 0, 0}}};
  EXPECT_TRUE(old->counts.flows == want);
  absl::btree_map<ds_flow_key, ds_flow_stats> visited;
  absl::StatusOr<Snapshot> streamed =
      DecodeSnapshot(file, kSnapshotFlows,
                     [&](const ds_flow_key& key, const ds_flow_stats& t) {
                       visited[key] = t;
                     });
  ASSERT_TRUE(streamed.ok()) << streamed.status();
  EXPECT_FALSE(streamed->flow_fingerprints);
  EXPECT_TRUE(visited == want);
  absl::StatusOr<Snapshot> again = DecodeSnapshot(EncodeSnapshot(*old));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->flow_fingerprints);
  EXPECT_TRUE(*again == *old);
  // This build's files carry them.
  absl::StatusOr<Snapshot> now =
      DecodeSnapshot(EncodeSnapshot(SmallSnapshot()));
  ASSERT_TRUE(now.ok()) << now.status();
  EXPECT_TRUE(now->flow_fingerprints);

  old_flows.push_back({"mirai", 8, {40, 0}});
  absl::StatusOr<Snapshot> partial =
      DecodeSnapshot(craft::WrapBody(OneTableBody("flows", old_flows)));
  ASSERT_FALSE(partial.ok());
  EXPECT_NE(partial.status().message().find("mirai, zmap, masscan"),
            std::string::npos)
      << partial.status();
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

// Bytes of a raw body: the sensor name, then what `tail` says.
std::vector<uint8_t> Body(std::initializer_list<uint8_t> tail) {
  // Sized at once: GCC 12 at -O3 warns (-Warray-bounds) on an insert after
  // a two-byte initializer.
  std::vector<uint8_t> body(2 + tail.size(), 0);  // an empty sensor name
  std::copy(tail.begin(), tail.end(), body.begin() + 2);
  return body;
}

// Every size a file declares is checked against what the file can hold and
// the documented maxima before anything is allocated: a 4 GiB raw body
// declared by a file of a few hundred bytes is refused at once (it took
// `cat` 16.5 s and 4.2 GB before), and so are counts of tables, columns
// and rows the body cannot hold, and darknet rows that are no prefix.
TEST(SnapshotFormat, RefusesSizesTheFileCannotHold) {
  const std::vector<uint8_t> good = EncodeSnapshot(SmallSnapshot());
  const std::vector<uint8_t> body = craft::BodyOf(good);
  ASSERT_FALSE(body.empty());
  auto with_raw_size = [&](uint32_t raw) {
    std::vector<uint8_t> file = good;
    craft::SetU32(file, craft::kRawSizeAt, raw);
    craft::FixCrc(file);
    return file;
  };
  Snapshot long_prefix = SmallSnapshot();
  long_prefix.darknet[0].length = 40;
  Snapshot alien_family = SmallSnapshot();
  alien_family.darknet[1].family = 7;
  struct Case {
    std::string what;
    std::vector<uint8_t> file;
    std::string error;
  };
  const Case cases[] = {
      {"a 4 GiB raw body", with_raw_size(0xffffffff),
       "raw body size 4294967295 is over the maximum of 2147483648"},
      {"1 GiB from a few hundred bytes", with_raw_size(1u << 30),
       "raw body size 1073741824 is more than a body of"},
      {"one byte more than the frame holds",
       with_raw_size(static_cast<uint32_t>(body.size() + 1)),
       absl::StrCat("body's frame holds ", body.size(),
                    " bytes, the header says ", body.size() + 1)},
      {"a header that says one byte less than the frame",
       craft::WrapBody(body, static_cast<int64_t>(body.size() - 1)),
       absl::StrCat("the header says ", body.size() - 1)},
      {"60,000 tables", craft::WrapBody(Body({0x60, 0xea})),
       "60000 tables; at most 256"},
      {"5,000 columns",
       craft::WrapBody(Body({1, 0, 1, 'x', 0x88, 0x13, 0, 0, 0, 0})),
       "table x has 5000 columns; at most 1024"},
      {"4 billion rows of one u64 column",
       craft::WrapBody(
           Body({1, 0, 1, 'x', 1, 0, 0xff, 0xff, 0xff, 0xff, 1, 'c', 8})),
       "column x.c needs 34359738360 bytes"},
      {"a darknet row of length 40", EncodeSnapshot(long_prefix),
       "family 4 length 40 is not a prefix"},
      {"a darknet row of family 7", EncodeSnapshot(alien_family), "family 7"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Snapshot> decoded = DecodeSnapshot(c.file);
    ASSERT_FALSE(decoded.ok()) << c.what;
    EXPECT_NE(decoded.status().message().find(c.error), std::string::npos)
        << c.what << ": " << decoded.status();
  }
  // The wrapping itself is sound: the good body wrapped decodes.
  EXPECT_TRUE(DecodeSnapshot(craft::WrapBody(body)).ok());
}

// A sensor name too long for its 2-byte length is cut to fit, never written
// with a wrapped length (every snapshot unreadable); the agent refuses such
// a name at the flag long before (agent_options_test).
TEST(SnapshotFormat, OverlongStringsStayReadable) {
  Snapshot s = SmallSnapshot();
  s.sensor = std::string(70000, 's');
  absl::StatusOr<Snapshot> back = DecodeSnapshot(EncodeSnapshot(s));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->sensor, std::string(65535, 's'));
  EXPECT_TRUE(back->counts.ports == s.counts.ports);
}

}  // namespace
}  // namespace darkscope
