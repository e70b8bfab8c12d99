// A snapshot's tables as RowBinary rows, in the schema's column order.
#include "export/row_binary.h"

#include "common/port_index.h"

namespace darkscope {

uint64_t PrefixNumber(const ds_net_key& net) {
  uint64_t n = 0;
  for (uint8_t b : net.prefix) n = n << 8 | b;
  return n;
}

ds_net_key NetOfPrefixNumber(uint8_t family, uint64_t prefix) {
  ds_net_key net = {};
  net.family = family;
  for (int i = 5; i >= 0; --i, prefix >>= 8)
    net.prefix[i] = static_cast<uint8_t>(prefix & 0xff);
  return net;
}

void EncodeTableRows(const std::string& table, const Snapshot& s,
                     uint64_t content_hash, RowBinary& rows) {
  const int64_t at = absl::ToUnixSeconds(s.interval_start);
  auto begin = [&] {
    rows.String(s.sensor);
    rows.DateTime(at);
  };
  if (table == "ports") {
    for (const auto& [index, p] : s.counts.ports) {
      const SlotPort sp = SlotPortOfIndex(index);
      begin();
      rows.UInt8(sp.slot);
      rows.UInt16(sp.port);
      for (uint64_t v : {p.packets, p.bytes, p.syn, p.synack, p.rst, p.mirai,
                         p.zmap, p.masscan, p.backscatter}) {
        rows.UInt64(v);
      }
      rows.EndRow();
    }
  } else if (table == "src_ports") {
    for (const auto& [index, t] : s.counts.src_ports) {
      begin();
      rows.UInt8(static_cast<uint8_t>(index / 65536));
      rows.UInt16(static_cast<uint16_t>(index % 65536));
      rows.UInt64(t.packets);
      rows.UInt64(t.bytes);
      rows.EndRow();
    }
  } else if (table == "sources") {
    for (const auto& [net, v] : s.counts.sources) {
      begin();
      rows.UInt8(net.family);
      rows.UInt64(PrefixNumber(net));
      rows.UInt64(v.packets);
      rows.UInt64(v.bytes);
      rows.ArrayUInt64(v.hosts);
      rows.ArrayUInt64(v.port_sketch);
      rows.UInt64(v.synack);
      rows.UInt64(v.rst);
      rows.EndRow();
    }
  } else if (table == "destinations") {
    for (const auto& [net, v] : s.counts.destinations) {
      begin();
      rows.UInt8(net.family);
      rows.UInt64(PrefixNumber(net));
      rows.UInt64(v.packets);
      rows.UInt64(v.bytes);
      rows.ArrayUInt64(v.hosts);
      rows.EndRow();
    }
  } else if (table == "flows") {
    for (const auto& [key, t] : s.counts.flows) {
      begin();
      rows.UInt8(key.src.family);
      rows.UInt64(PrefixNumber(key.src));
      rows.UInt8(key.proto_slot);
      rows.UInt16(key.port);
      rows.UInt64(t.packets);
      rows.UInt64(t.bytes);
      rows.UInt64(t.mirai);
      rows.UInt64(t.zmap);
      rows.UInt64(t.masscan);
      rows.EndRow();
    }
  } else if (table == "snapshots") {
    begin();
    rows.UInt32(s.interval_seconds);
    rows.UInt8(s.complete ? 1 : 0);
    rows.UInt64(content_hash);
    uint64_t addresses = 0;
    for (const Prefix& p : s.darknet) {
      if (p.family == DS_FAMILY_IPV4)
        addresses += uint64_t{1} << (32 - p.length);
    }
    rows.UInt64(addresses);
    std::vector<std::string> darknet, names;
    std::vector<uint64_t> values;
    for (const Prefix& p : s.darknet) darknet.push_back(p.ToString());
    for (const auto& [name, value] : s.agent_counters) {
      names.push_back(name);
      values.push_back(value);
    }
    rows.ArrayString(darknet);
    rows.ArrayString(names);
    rows.ArrayUInt64(values);
    for (uint64_t c : s.counts.counters) rows.UInt64(c);
    rows.EndRow();
  }
}

}  // namespace darkscope
