// Restricting a report's counts (filter.h).
#include "report/filter.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/port_index.h"
#include "report/period.h"

namespace darkscope {

using nlohmann::json;

namespace {

constexpr const char* kNoSourcePorts =
    "source ports are counted on their own, not per source network or "
    "destination port";
constexpr const char* kNoFingerprintsPerSource =
    "fingerprints are counted per destination port and per flow (source "
    "network x port); the per-source tables are not rebuilt from them";

}  // namespace

uint32_t FingerprintCounter(const std::string& name) {
  if (name == "mirai") return DS_CTR_MIRAI;
  if (name == "zmap") return DS_CTR_ZMAP;
  if (name == "masscan") return DS_CTR_MASSCAN;
  return 0;
}

json ReportFilter::Describe() const {
  json out = json::object();
  if (!countries.empty()) out["country"] = countries;
  if (!asns.empty()) out["asn"] = asns;
  auto port_labels = [](const std::set<uint32_t>& indices, bool source) {
    json labels = json::array();
    for (uint32_t i : indices) {
      if (source) {
        labels.push_back(PortLabel(static_cast<uint8_t>(i / 65536), i % 65536));
      } else {
        const SlotPort sp = SlotPortOfIndex(i);
        labels.push_back(PortLabel(sp.slot, sp.port));
      }
    }
    return labels;
  };
  if (!ports.empty()) out["port"] = port_labels(ports, false);
  if (!source_ports.empty())
    out["source_port"] = port_labels(source_ports, true);
  if (!sensors.empty()) out["sensor"] = sensors;
  if (fingerprint == DS_CTR_MIRAI) out["fingerprint"] = "mirai";
  if (fingerprint == DS_CTR_ZMAP) out["fingerprint"] = "zmap";
  if (fingerprint == DS_CTR_MASSCAN) out["fingerprint"] = "masscan";
  if (family != 0) out["family"] = family == DS_FAMILY_IPV4 ? "ipv4" : "ipv6";
  if (exclude != nullptr) out["exclude_known"] = exclude->size();
  return out;
}

std::map<std::string, std::string> ReportFilter::Unavailable() const {
  std::map<std::string, std::string> out;
  if (!source_ports.empty()) {
    for (const char* section :
         {"top_ports", "top_countries", "top_ases", "top_country_ports",
          "top_as_ports", "fingerprint_shares", "backscatter_victims",
          "emerging_ports", "wide_scanners", "outages", "sensors", "monthly",
          "top_sources"}) {
      out[section] = kNoSourcePorts;
    }
    return out;
  }
  if (fingerprint != 0) {
    for (const char* section :
         {"top_countries", "top_ases", "top_country_ports", "top_as_ports",
          "backscatter_victims", "wide_scanners", "outages", "top_sources"}) {
      out[section] = kNoFingerprintsPerSource;
    }
    out["source_ports"] = kNoSourcePorts;
    return out;
  }
  if (by_source()) out["source_ports"] = kNoSourcePorts;
  if (!ports.empty()) {
    out["source_ports"] = kNoSourcePorts;
    out["backscatter_victims"] =
        "SYN-ACK and RST are counted per source network, not per destination "
        "port";
  }
  return out;
}

absl::Status AddFilterValues(const std::string& flag, const std::string& list,
                             ReportFilter& filter) {
  for (absl::string_view item : absl::StrSplit(list, ',', absl::SkipEmpty())) {
    const std::string value(absl::StripAsciiWhitespace(item));
    auto bad = [&](absl::string_view why) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad value '", value, "' for --", flag, ": ", why));
    };
    if (flag == "country") {
      if (value == "??") {
        filter.countries.insert(value);
        continue;
      }
      absl::StatusOr<SeriesName> name = ParseSeriesName("country:" + value);
      if (!name.ok()) return bad("expected a two-letter country code or ??");
      filter.countries.insert(name->label);
    } else if (flag == "asn") {
      uint32_t asn = 0;
      if (!absl::SimpleAtoi(
              absl::StripPrefix(absl::AsciiStrToUpper(value), "AS"), &asn)) {
        return bad("expected an AS number (64500 or AS64500)");
      }
      filter.asns.insert(asn);
    } else if (flag == "port" || flag == "source-port") {
      const bool source = flag == "source-port";
      absl::StatusOr<SeriesName> name =
          ParseSeriesName((source ? "source_port:" : "port:") + value);
      if (!name.ok()) return bad("expected PORT/PROTO (23/tcp) or icmp");
      (source ? filter.source_ports : filter.ports)
          .insert(static_cast<uint32_t>(name->key));
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("no report filter --", flag));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckFilter(const ReportFilter& filter) {
  if (!filter.source_ports.empty() &&
      (filter.by_source() || !filter.ports.empty() || filter.fingerprint)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "report filter: --source-port combines only with --sensor: ",
        kNoSourcePorts));
  }
  return absl::OkStatus();
}

bool FilterPass::KeepsSource(const ds_net_key& net) {
  if (!filter_.by_source()) return true;
  auto [it, inserted] = kept_sources_.try_emplace(net, false);
  if (!inserted) return it->second;
  bool keep = filter_.family == 0 || net.family == filter_.family;
  if (keep && filter_.exclude != nullptr)
    keep = filter_.exclude->NameOf(net) == nullptr;
  if (keep && (!filter_.countries.empty() || !filter_.asns.empty())) {
    const Origin& o = origins_.Of(net);
    if (!filter_.countries.empty())
      keep = filter_.countries.count(o.country.empty() ? "??" : o.country);
    if (keep && !filter_.asns.empty()) keep = filter_.asns.count(o.asn);
  }
  it->second = keep;
  return keep;
}

bool FilterPass::Flow(const ds_flow_key& key, const ds_flow_stats& flow) {
  if (!filter_.restricts_counts()) return true;
  if (!filter_.ports.empty() && !filter_.ports.count(FoldedPortIndex(
                                    ds_port_index(key.proto_slot, key.port))))
    return false;
  if (!KeepsSource(key.src)) return false;
  ds_flow_stats& port = flow_ports_[ds_port_index(key.proto_slot, key.port)];
  port.packets += flow.packets, port.bytes += flow.bytes;
  port.mirai += flow.mirai, port.zmap += flow.zmap,
      port.masscan += flow.masscan;
  ds_traffic& source = flow_sources_[key.src];
  source.packets += flow.packets, source.bytes += flow.bytes;
  (key.src.family == DS_FAMILY_IPV4 ? flow_ipv4_ : flow_ipv6_) += flow.packets;
  return true;
}

void FilterPass::Apply(EpochCounts& c) {
  if (!filter_.restricts_counts()) return;
  c.destinations.clear();
  c.flows.clear();
  if (!filter_.source_ports.empty()) {
    for (auto it = c.src_ports.begin(); it != c.src_ports.end();) {
      if (!filter_.source_ports.count(
              SourcePortKey(it->first / 65536, it->first % 65536))) {
        it = c.src_ports.erase(it);
        continue;
      }
      ++it;
    }
    c.ports.clear();
    c.sources.clear();
  } else if (filter_.fingerprint != 0 && filter_.by_source()) {
    // The kept sources' fingerprinted packets of each port, from the flows.
    c.src_ports.clear();
    c.sources.clear();
    c.ports.clear();
    for (const auto& [index, f] : flow_ports_) {
      const uint64_t n = filter_.fingerprint == DS_CTR_MIRAI  ? f.mirai
                         : filter_.fingerprint == DS_CTR_ZMAP ? f.zmap
                                                              : f.masscan;
      if (n != 0) c.ports[index] = FingerprintPortStats(filter_.fingerprint, n);
    }
  } else if (filter_.fingerprint != 0) {
    // Only the fingerprinted packets of each port (all IPv4: the
    // fingerprints are IPv4 header fields).
    c.src_ports.clear();
    c.sources.clear();
    for (auto it = c.ports.begin(); it != c.ports.end();) {
      ds_port_stats& s = it->second;
      const uint64_t n = filter_.fingerprint == DS_CTR_MIRAI  ? s.mirai
                         : filter_.fingerprint == DS_CTR_ZMAP ? s.zmap
                                                              : s.masscan;
      if (n == 0 || (!filter_.ports.empty() &&
                     !filter_.ports.count(FoldedPortIndex(it->first)))) {
        it = c.ports.erase(it);
        continue;
      }
      s = FingerprintPortStats(filter_.fingerprint, n);
      ++it;
    }
  } else {
    c.src_ports.clear();
    if (filter_.by_source()) {
      // Ports from the kept flows: packets, bytes and fingerprints (the
      // rest of a port's stats is not per source).
      c.ports.clear();
      for (const auto& [index, f] : flow_ports_) {
        ds_port_stats& s = c.ports[index];
        s.packets = f.packets, s.bytes = f.bytes;
        s.mirai = f.mirai, s.zmap = f.zmap, s.masscan = f.masscan;
      }
    } else {
      for (auto it = c.ports.begin(); it != c.ports.end();) {
        if (!filter_.ports.count(FoldedPortIndex(it->first))) {
          it = c.ports.erase(it);
          continue;
        }
        ++it;
      }
    }
    for (auto it = c.sources.begin(); it != c.sources.end();) {
      if (!KeepsSource(it->first)) {
        it = c.sources.erase(it);
        continue;
      }
      if (!filter_.ports.empty()) {
        // Only the packets to the ports; SYN-ACK and RST are not per port.
        auto flows = flow_sources_.find(it->first);
        if (flows == flow_sources_.end()) {
          it = c.sources.erase(it);
          continue;
        }
        it->second.packets = flows->second.packets;
        it->second.bytes = flows->second.bytes;
        it->second.synack = it->second.rst = 0;
      }
      ++it;
    }
  }
  RestrictCounters(filter_, flow_ipv4_, flow_ipv6_, c);
  flow_ports_.clear();
  flow_sources_.clear();
  flow_ipv4_ = flow_ipv6_ = 0;
}

ds_port_stats FingerprintPortStats(uint32_t fingerprint, uint64_t n) {
  ds_port_stats kept = {};
  kept.packets = kept.syn = n;  // every fingerprint is a TCP SYN here
  if (fingerprint == DS_CTR_MIRAI) kept.mirai = n;
  if (fingerprint == DS_CTR_ZMAP) kept.zmap = n;
  if (fingerprint == DS_CTR_MASSCAN) kept.masscan = n;
  return kept;
}

void RestrictCounters(const ReportFilter& filter, uint64_t flow_ipv4,
                      uint64_t flow_ipv6, EpochCounts& c) {
  if (!filter.restricts_counts()) return;
  std::array<uint64_t, DS_CTR_COUNT> counters = {};
  if (!filter.source_ports.empty()) {
    for (const auto& [index, t] : c.src_ports) {
      counters[DS_CTR_DARKNET_PACKETS] += t.packets;
      counters[DS_CTR_DARKNET_BYTES] += t.bytes;
    }
  } else if (filter.fingerprint != 0) {
    for (const auto& [index, s] : c.ports) {
      counters[DS_CTR_DARKNET_PACKETS] += s.packets;
      counters[DS_CTR_IPV4] += s.packets;
      counters[filter.fingerprint] += s.packets;
    }
  } else {
    // The ports' fingerprints (from the flows under source filters); the
    // rest of their counts only when the ports are the data plane's.
    for (const auto& [index, s] : c.ports) {
      counters[DS_CTR_MIRAI] += s.mirai;
      counters[DS_CTR_ZMAP] += s.zmap;
      counters[DS_CTR_MASSCAN] += s.masscan;
      if (filter.by_source()) continue;
      counters[DS_CTR_TCP_SYN] += s.syn;
      counters[DS_CTR_TCP_SYNACK] += s.synack;
      counters[DS_CTR_TCP_RST] += s.rst;
      counters[DS_CTR_BACKSCATTER] += s.backscatter;
    }
    if (filter.ports.empty()) {
      // Sources filtered only: the sources table holds every packet.
      for (const auto& [net, s] : c.sources) {
        counters[DS_CTR_DARKNET_PACKETS] += s.packets;
        counters[DS_CTR_DARKNET_BYTES] += s.bytes;
        counters[net.family == DS_FAMILY_IPV4 ? DS_CTR_IPV4 : DS_CTR_IPV6] +=
            s.packets;
      }
    } else {
      for (const auto& [index, s] : c.ports) {
        counters[DS_CTR_DARKNET_PACKETS] += s.packets;
        counters[DS_CTR_DARKNET_BYTES] += s.bytes;
      }
      counters[DS_CTR_IPV4] = flow_ipv4;
      counters[DS_CTR_IPV6] = flow_ipv6;
    }
  }
  // What the filter cannot touch: the data plane's health and overflows.
  for (uint32_t kept : {DS_CTR_OVERFLOW_SOURCES, DS_CTR_OVERFLOW_FLOWS,
                        DS_CTR_OVERFLOW_DESTINATIONS}) {
    counters[kept] = c.counters[kept];
  }
  c.counters = counters;
}

}  // namespace darkscope
