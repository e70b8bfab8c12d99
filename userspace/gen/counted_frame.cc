// The table entries a counted frame makes.
#include "gen/counted_frame.h"

#include <linux/bpf.h>

#include <algorithm>

#include "darkscope/sketch.h"

namespace darkscope {
namespace {

uint32_t HostBit(const Prefix& addr) {
  return addr.family == DS_FAMILY_IPV4 ? addr.addr[3]
                                       : ds_ipv6_host_bit(addr.addr.data() + 6);
}

void SetBit(__u64* words, uint32_t bit) {
  words[bit / 64] |= __u64{1} << (bit % 64);
}

bool Marked(const CountedFrame& frame, uint32_t mark) {
  return std::find(frame.marks.begin(), frame.marks.end(), mark) !=
         frame.marks.end();
}

}  // namespace

void AddCountedFrame(const CountedFrame& frame, uint64_t frame_len,
                     EpochCounts& into) {
  static_assert(XDP_DROP == 1, "CountedFrame::action defaults to XDP_DROP");
  auto& counters = into.counters;
  counters[DS_CTR_PACKETS_SEEN] += 1;
  counters[DS_CTR_BYTES_SEEN] += frame_len;
  if (frame.pass_reason) {
    counters[*frame.pass_reason] += 1;
    counters[DS_CTR_ACTION_PASS] += 1;
    return;
  }
  counters[DS_CTR_DARKNET_PACKETS] += 1;
  counters[DS_CTR_DARKNET_BYTES] += frame_len;
  counters[frame.src.family == DS_FAMILY_IPV4 ? DS_CTR_IPV4 : DS_CTR_IPV6] += 1;
  if (frame.vlan) counters[DS_CTR_VLAN_TAGGED] += 1;
  counters[frame.outcome] += 1;
  for (uint32_t mark : frame.marks) counters[mark] += 1;
  counters[frame.action == XDP_DROP ? DS_CTR_ACTION_DROP
                                    : DS_CTR_ACTION_PASS] += 1;

  const ds_net_key src_net = NetKeyOf(frame.src);
  ds_source_stats& source = into.sources[src_net];
  source.packets += 1;
  source.bytes += frame_len;
  SetBit(source.hosts, HostBit(frame.src));
  // Only probes say which ports a source scans (docs/maps.md).
  const bool probe =
      frame.outcome == DS_CTR_TCP_SYN ||
      (frame.outcome == DS_CTR_UDP && frame.sport && *frame.sport >= 1024);
  if (probe) SetBit(source.port_sketch, ds_port_sketch_bit(frame.port));
  source.synack += frame.outcome == DS_CTR_TCP_SYNACK;
  source.rst += frame.outcome == DS_CTR_TCP_RST;
  ds_dest_stats& dest = into.destinations[NetKeyOf(frame.dst)];
  dest.packets += 1;
  dest.bytes += frame_len;
  SetBit(dest.hosts, HostBit(frame.dst));

  if (!frame.slot) return;
  ds_port_stats& port = into.ports[ds_port_index(*frame.slot, frame.port)];
  port.packets += 1;
  port.bytes += frame_len;
  port.syn += frame.outcome == DS_CTR_TCP_SYN;
  port.synack += frame.outcome == DS_CTR_TCP_SYNACK;
  port.rst += frame.outcome == DS_CTR_TCP_RST;
  port.mirai += Marked(frame, DS_CTR_MIRAI);
  port.zmap += Marked(frame, DS_CTR_ZMAP);
  port.masscan += Marked(frame, DS_CTR_MASSCAN);
  port.backscatter += Marked(frame, DS_CTR_BACKSCATTER);
  ds_flow_key flow = {};
  flow.src = src_net;
  flow.proto_slot = *frame.slot;
  flow.port = frame.port;
  ds_flow_stats& flow_counts = into.flows[flow];
  flow_counts.packets += 1;
  flow_counts.bytes += frame_len;
  flow_counts.mirai += Marked(frame, DS_CTR_MIRAI);
  flow_counts.zmap += Marked(frame, DS_CTR_ZMAP);
  flow_counts.masscan += Marked(frame, DS_CTR_MASSCAN);
  if (frame.sport) {
    ds_traffic& src_port =
        into.src_ports[uint32_t{*frame.slot} * 65536 + *frame.sport];
    src_port.packets += 1;
    src_port.bytes += frame_len;
  }
}

}  // namespace darkscope
