// What a report is restricted to: source countries, source ASes, IPv4 or
// IPv6, destination ports, source ports, sensors, a scanner fingerprint,
// known scanners left out. Applied to each snapshot's counts as a period
// loads, so that every section reads the restricted counts.
//
// The tables hold what they can answer: the flows table (source network x
// destination port, with the port's fingerprinted packets) joins sources
// with ports, so source filters rebuild the ports (and their fingerprint
// counts) from it and port filters the sources; source ports are counted on
// their own. A section a filter cannot reach is empty and named in
// Unavailable() with the reason; combinations no table answers are refused
// by CheckFilter.
#ifndef DARKSCOPE_REPORT_FILTER_H_
#define DARKSCOPE_REPORT_FILTER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "counts/counts.h"
#include "enrich/known_networks.h"
#include "enrich/origin.h"
#include "nlohmann/json.hpp"

namespace darkscope {

struct ReportFilter {
  // Each set: any of its entries; the sets together: all of them.
  std::set<std::string> countries;  // ISO codes, "??" for unknown
  std::set<uint32_t> asns;          // 0 for unknown
  std::set<uint32_t> ports;         // folded destination port indices
  std::set<uint32_t> source_ports;  // SourcePortKey()
  std::set<std::string> sensors;    // the snapshots' sensor names
  // DS_CTR_MIRAI, DS_CTR_ZMAP or DS_CTR_MASSCAN: only those packets.
  uint32_t fingerprint = 0;
  int family = 0;  // 0: both; DS_FAMILY_IPV4 or DS_FAMILY_IPV6
  // Networks left out (--exclude-known); nullptr: none.
  std::shared_ptr<const KnownNetworks> exclude;
  // Not a restriction: the ASes whose series the loaders keep (--series
  // asn:N). An AS series of every AS would hold a point per AS and file.
  std::set<uint32_t> series_asns;

  bool by_source() const {
    return !countries.empty() || !asns.empty() || family != 0 ||
           exclude != nullptr;
  }
  // Anything besides sensors.
  bool restricts_counts() const {
    return by_source() || !ports.empty() || !source_ports.empty() ||
           fingerprint != 0;
  }
  bool empty() const { return !restricts_counts() && sensors.empty(); }
  // The filter as the report prints it ({"country": ["JP"], ...}).
  nlohmann::json Describe() const;
  // Report sections (JSON keys) it leaves empty, with the reason.
  std::map<std::string, std::string> Unavailable() const;
};

// Refuses what no table answers: source ports with anything but sensors.
absl::Status CheckFilter(const ReportFilter& filter);

// Adds the comma-separated values of one filter flag ("country" JP,US;
// "asn" 64500,AS64501; "port" 23/tcp,icmp; "source-port" 53/udp) to
// `filter`; the error names the flag and the value.
absl::Status AddFilterValues(const std::string& flag, const std::string& list,
                             ReportFilter& filter);

// "mirai", "zmap", "masscan" -> the counter; 0 for anything else.
uint32_t FingerprintCounter(const std::string& name);

// The counters of `counts` once `filter` has restricted its tables (as
// FilterPass::Apply leaves them): the totals the kept tables hold,
// `flow_ipv4`/`flow_ipv6` the kept flows' packets by family (the IPv4 and
// IPv6 totals under a port filter), the data plane's overflows as they
// were. Sums of restricted tables give the counters of their sums, so a
// source that reads aggregates (export/clickhouse_period.h) calls it once
// per sensor.
void RestrictCounters(const ReportFilter& filter, uint64_t flow_ipv4,
                      uint64_t flow_ipv6, EpochCounts& counts);

// What a port's stats become under --fingerprint: its `n` fingerprinted
// packets, all TCP SYN.
ds_port_stats FingerprintPortStats(uint32_t fingerprint, uint64_t n);

// One loader's application of a filter: for each snapshot, the flows pass
// through Flow() as they decode, then Apply() rewrites the counts.
class FilterPass {
 public:
  FilterPass(const ReportFilter& filter, OriginLookup& origins)
      : filter_(filter), origins_(origins) {}
  // Whether the source network passes the source filters (cached).
  bool KeepsSource(const ds_net_key& net);
  // Whether a flow passes; a kept flow is summed for Apply().
  bool Flow(const ds_flow_key& key, const ds_flow_stats& flow);
  // Rewrites `counts` (decoded with its flows streamed through Flow()) to
  // what the filter keeps, and forgets the flows.
  void Apply(EpochCounts& counts);

 private:
  const ReportFilter& filter_;
  OriginLookup& origins_;
  absl::flat_hash_map<ds_net_key, bool> kept_sources_;
  // The kept flows of the snapshot: by port index, by source, by family.
  absl::flat_hash_map<uint32_t, ds_flow_stats> flow_ports_;
  absl::flat_hash_map<ds_net_key, ds_traffic> flow_sources_;
  uint64_t flow_ipv4_ = 0, flow_ipv6_ = 0;
};

}  // namespace darkscope

#endif  // DARKSCOPE_REPORT_FILTER_H_
