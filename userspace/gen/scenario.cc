// Scenario parsing, the built-in scenarios, and frame generation.
#include "gen/scenario.h"

#include <cmath>
#include <random>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status.h"
#include "packet/packet_builder.h"
#include "snapshot/snapshot_files.h"

namespace darkscope {
namespace {

// Address blocks allocated to organisations in each country (RIR
// delegations), from which sources are drawn so that reports have countries
// to show. Reports look countries up in their own database; these blocks
// only need to be in the right country there: every /24 (every /48 of the
// IPv6 /32s) is, in the @ip-location-db country database setup.sh installs
// (checked 2026-12-03; scenario_test checks it whenever the data is there).
struct CountryBlocks {
  const char* country;
  std::vector<const char*> ipv4;  // CIDR, /8 to /16
  const char* ipv6;               // a /32
};

const std::vector<CountryBlocks>& Countries() {
  static const std::vector<CountryBlocks> countries = {
      {"JP", {"126.0.0.0/11", "133.0.0.0/8"}, "2400:4050::/32"},
      {"CN",
       {"36.96.0.0/11", "218.92.0.0/16", "61.177.0.0/16"},
       "240e:300::/32"},
      {"US",
       {"3.128.0.0/11", "3.192.0.0/11", "23.20.0.0/14"},
       "2600:1f14::/32"},
      {"BR", {"179.128.0.0/11", "187.16.0.0/12"}, "2804:14c::/32"},
      {"VN", {"14.160.0.0/11", "113.160.0.0/11"}, "2402:800::/32"},
      {"RU", {"5.136.0.0/13", "95.24.0.0/13"}, "2a02:2698::/32"},
      {"NL", {"145.96.0.0/11", "77.160.0.0/12"}, "2001:610::/32"},
      {"DE", {"91.0.0.0/10", "79.192.0.0/10"}, "2a01:4f8::/32"},
      {"IN", {"117.192.0.0/10", "59.88.0.0/13"}, "2405:200::/32"},
      {"KR", {"175.192.0.0/10"}, "2406:5900::/32"},
      {"TW", {"36.224.0.0/12", "114.24.0.0/14"}, "2001:b011::/32"},
      {"ID", {"36.64.0.0/11", "39.192.0.0/10"}, "2404:c0::/32"},
      {"FR", {"90.0.0.0/10", "86.192.0.0/11"}, "2a01:cb00::/32"},
      {"IR", {"5.112.0.0/12", "2.176.0.0/12"}, "2a01:5ec0::/32"},
  };
  return countries;
}

const CountryBlocks* FindCountry(absl::string_view code) {
  for (const CountryBlocks& c : Countries()) {
    if (code == c.country) return &c;
  }
  return nullptr;
}

constexpr const char* kDemoScenario =
    R"(# The demo: a short burst of what a telescope sees.
name demo
start 2026-11-23T10:00:00Z
duration 10s
interval 2s
packets 30000
seed 1
darknet 198.18.0.0/15
population mirai       share=40 kind=mirai ports=23:70,2323:20,37215:5,5555:5 sources=BR:30,VN:25,CN:25,IN:20 hosts=240 networks=6
population smb-sql     share=10 kind=syn ports=445:55,1433:45 sources=CN:50,RU:50 hosts=60 networks=3
population zmap        share=8  kind=zmap ports=443:50,80:50 sources=US:100 hosts=120 networks=2
population wide-scan   share=5  kind=masscan ports=1-65535 sources=NL:100 hosts=8 networks=1
population synack      share=7  kind=synack ports=443:70,80:30 sources=US:60,DE:40 hosts=60 networks=3
population rst         share=2  kind=rst ports=80:100 sources=US:100 hosts=20 networks=1
population ntp         share=4  kind=udp-reflection ports=123:100 payload=468 sources=US:50,JP:50 hosts=30 networks=3
population dns         share=4  kind=udp-reflection ports=53:100 payload=120 sources=US:100 hosts=30 networks=3
population unreachable share=5  kind=icmp-unreachable sources=DE:100 hosts=50 networks=2
population echo        share=2  kind=icmp-echo sources=KR:100 hosts=10 networks=1
population ssh-http    share=8  kind=syn ports=22:40,8080:30,80:20,6379:10 sources=CN:100 hosts=60 networks=3
population outside     share=5  kind=non-darknet ports=22:100 sources=DE:100 hosts=30 networks=1
)";

constexpr const char* kTelescopeScenario =
    R"(# A day at a /15 telescope, shaped like the seed reports: Mirai-type
# scanning of 23/2323/37215/5555, ZMap and Masscan sweeps, 445 and 1433
# scanning with an office-hours profile, NTP and DNS reflection, SYN-ACK
# and RST backscatter, ICMP unreachable, one wide-range scanner /24, a port
# (5000/tcp) that appears halfway through, 8545/tcp rising from France,
# 445/tcp from Indonesia in daytime hours, a burst of 123/udp from Korea
# between 16:00 and 18:00, Iranian sources that go silent at 18:00 (an
# outage), VLAN-tagged frames, IPv6, malformed frames and some traffic
# outside the darknet.
name telescope
start 2026-11-23T00:00:00Z
duration 24h
interval 10m
packets 200000
seed 7
darknet 198.18.0.0/15
darknet 2001:db8:d::/48
population mirai       share=30 kind=mirai ports=23:70,2323:20,37215:5,5555:5 sources=BR:25,VN:20,CN:20,IN:20,TW:15 hosts=3000 networks=900
population smb         share=8  kind=syn ports=445:100 sources=ID:60,CN:20,RU:20 hosts=300 networks=60 profile=office
population mssql       share=6  kind=syn ports=1433:100 sources=CN:70,RU:30 hosts=200 networks=40 profile=office
population zmap        share=8  kind=zmap ports=443:40,80:30,8080:20,22:10 sources=US:80,DE:20 hosts=400 networks=8
population masscan     share=3  kind=masscan ports=3389:50,5900:50 sources=NL:100 hosts=20 networks=2
population wide-scan   share=4  kind=masscan ports=1-65535 sources=RU:100 hosts=16 networks=1
population synack      share=7  kind=synack ports=443:60,80:30,25:10 sources=US:50,DE:30,JP:20 hosts=500 networks=120
population rst         share=3  kind=rst ports=80:60,443:40 sources=US:100 hosts=100 networks=30
population ntp         share=5  kind=udp-reflection ports=123:100 payload=468 sources=US:40,JP:30,KR:30 hosts=200 networks=50
population dns         share=5  kind=udp-reflection ports=53:100 payload=120 sources=US:50,CN:50 hosts=200 networks=50
population snmp        share=2  kind=udp-probe ports=161:100 sources=CN:100 hosts=40 networks=4
population unreachable share=4  kind=icmp-unreachable sources=DE:50,US:50 hosts=300 networks=80
population echo        share=2  kind=icmp-echo sources=KR:100 hosts=50 networks=5
population iran        share=4  kind=syn ports=23:50,80:30,8080:20 sources=IR:100 hosts=400 networks=80 until=75
population ntp-burst   share=20 kind=udp-reflection ports=123:100 payload=468 sources=KR:100 hosts=60 networks=12 from=66.67 until=75
population ethereum    share=2  kind=syn ports=8545:100 sources=FR:100 hosts=80 networks=20 from=60
population emerging    share=3  kind=syn ports=5000:100 sources=TW:100 hosts=150 networks=30 from=50
population ipv6        share=2  kind=syn family=6 ports=22:60,23:40 sources=DE:50,JP:50 hosts=60 networks=10
population vlan        share=1  kind=syn vlan=100 ports=23:100 sources=BR:100 hosts=20 networks=4
population malformed   share=1  kind=malformed ports=23:100 sources=CN:100 hosts=20 networks=2
population outside     share=4  kind=non-darknet ports=22:100 sources=DE:100 hosts=40 networks=4
)";

absl::StatusOr<PopulationKind> KindByName(absl::string_view name) {
  static const std::pair<const char*, PopulationKind> kKinds[] = {
      {"mirai", PopulationKind::kMirai},
      {"syn", PopulationKind::kSyn},
      {"zmap", PopulationKind::kZmap},
      {"masscan", PopulationKind::kMasscan},
      {"synack", PopulationKind::kSynAck},
      {"rst", PopulationKind::kRst},
      {"udp-reflection", PopulationKind::kUdpReflection},
      {"udp-probe", PopulationKind::kUdpProbe},
      {"icmp-unreachable", PopulationKind::kIcmpUnreachable},
      {"icmp-echo", PopulationKind::kIcmpEcho},
      {"malformed", PopulationKind::kMalformed},
      {"non-darknet", PopulationKind::kNonDarknet},
  };
  for (const auto& [n, kind] : kKinds) {
    if (name == n) return kind;
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown kind '", name, "'"));
}

absl::StatusOr<std::vector<WeightedPort>> ParsePorts(absl::string_view text) {
  std::vector<WeightedPort> ports;
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> port_weight =
        absl::StrSplit(item, ':');
    std::pair<absl::string_view, absl::string_view> range =
        absl::StrSplit(port_weight.first, '-');
    uint32_t first = 0, last = 0;
    double weight = 1;
    if (!absl::SimpleAtoi(range.first, &first) ||
        (!range.second.empty() && !absl::SimpleAtoi(range.second, &last)) ||
        (!port_weight.second.empty() &&
         !absl::SimpleAtod(port_weight.second, &weight))) {
      return absl::InvalidArgumentError(absl::StrCat("bad port '", item, "'"));
    }
    if (range.second.empty()) last = first;
    if (first > 65535 || last > 65535 || last < first || weight <= 0) {
      return absl::InvalidArgumentError(absl::StrCat("bad port '", item, "'"));
    }
    ports.push_back(
        {static_cast<uint16_t>(first), static_cast<uint16_t>(last), weight});
  }
  return ports;
}

absl::Status SetPopulationField(Population& p, absl::string_view key,
                                absl::string_view value) {
  auto number = [&](auto& out) -> absl::Status {
    if constexpr (std::is_same_v<std::decay_t<decltype(out)>, double>) {
      if (absl::SimpleAtod(value, &out)) return absl::OkStatus();
    } else {
      if (absl::SimpleAtoi(value, &out)) return absl::OkStatus();
    }
    return absl::InvalidArgumentError(
        absl::StrCat("bad number for ", key, ": '", value, "'"));
  };
  if (key == "kind") {
    DS_ASSIGN_OR_RETURN(p.kind, KindByName(value));
  } else if (key == "share") {
    return number(p.share);
  } else if (key == "ports") {
    DS_ASSIGN_OR_RETURN(p.ports, ParsePorts(value));
  } else if (key == "sources") {
    for (absl::string_view item :
         absl::StrSplit(value, ',', absl::SkipEmpty())) {
      std::pair<absl::string_view, absl::string_view> cw =
          absl::StrSplit(item, ':');
      double weight = 1;
      if (FindCountry(cw.first) == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat("unknown country '", cw.first, "'"));
      }
      if (!cw.second.empty() && !absl::SimpleAtod(cw.second, &weight)) {
        return absl::InvalidArgumentError(
            absl::StrCat("bad weight in '", item, "'"));
      }
      p.countries[std::string(cw.first)] = weight;
    }
  } else if (key == "hosts") {
    return number(p.hosts);
  } else if (key == "networks") {
    return number(p.networks);
  } else if (key == "family") {
    DS_RETURN_IF_ERROR(number(p.family));
    if (p.family != 4 && p.family != 6)
      return absl::InvalidArgumentError("family must be 4 or 6");
  } else if (key == "vlan") {
    return number(p.vlan);
  } else if (key == "payload") {
    return number(p.payload);
  } else if (key == "profile") {
    if (value != "flat" && value != "office") {
      return absl::InvalidArgumentError("profile must be flat or office");
    }
    p.office_hours = value == "office";
  } else if (key == "zone") {
    if (!absl::LoadTimeZone(std::string(value), &p.zone)) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown time zone '", value, "'"));
    }
    p.zone_name = std::string(value);
  } else if (key == "from" || key == "until") {
    (key == "from" ? p.from_text : p.until_text) = std::string(value);
  } else {
    return absl::InvalidArgumentError(absl::StrCat("unknown key '", key, "'"));
  }
  return absl::OkStatus();
}

absl::Status ParseLine(Scenario& s, absl::string_view line) {
  std::vector<absl::string_view> words =
      absl::StrSplit(line, ' ', absl::SkipWhitespace());
  const absl::string_view key = words[0];
  auto one_value = [&]() -> absl::StatusOr<absl::string_view> {
    if (words.size() != 2)
      return absl::InvalidArgumentError(absl::StrCat(key, " takes one value"));
    return words[1];
  };
  if (key == "population") {
    if (words.size() < 2)
      return absl::InvalidArgumentError("population needs a name");
    Population p;
    p.name = std::string(words[1]);
    for (size_t i = 2; i < words.size(); ++i) {
      std::pair<absl::string_view, absl::string_view> kv =
          absl::StrSplit(words[i], '=');
      DS_RETURN_IF_ERROR(SetPopulationField(p, kv.first, kv.second));
    }
    if (p.share <= 0)
      return absl::InvalidArgumentError("population needs share > 0");
    if (p.countries.empty()) p.countries["US"] = 1;
    if (p.hosts < 1)
      return absl::InvalidArgumentError("hosts must be at least 1");
    const bool needs_ports = p.kind != PopulationKind::kIcmpUnreachable &&
                             p.kind != PopulationKind::kIcmpEcho;
    if (needs_ports && p.ports.empty())
      return absl::InvalidArgumentError("population needs ports");
    s.populations.push_back(std::move(p));
    return absl::OkStatus();
  }
  DS_ASSIGN_OR_RETURN(absl::string_view value, one_value());
  if (key == "name") {
    s.name = std::string(value);
  } else if (key == "start") {
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, value, &s.start, &error)) {
      return absl::InvalidArgumentError(absl::StrCat("start: ", error));
    }
  } else if (key == "duration" || key == "interval") {
    absl::Duration d;
    if (!absl::ParseDuration(value, &d) || d <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError(
          absl::StrCat(key, ": bad duration '", value, "'"));
    }
    (key == "duration" ? s.duration : s.interval) = d;
  } else if (key == "packets") {
    if (!absl::SimpleAtoi(value, &s.packets))
      return absl::InvalidArgumentError("bad packets");
  } else if (key == "seed") {
    if (!absl::SimpleAtoi(value, &s.seed))
      return absl::InvalidArgumentError("bad seed");
  } else if (key == "time-zone") {
    absl::TimeZone zone;
    if (!absl::LoadTimeZone(std::string(value), &zone)) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown time zone '", value, "'"));
    }
    s.time_zone = std::string(value);
  } else if (key == "darknet") {
    DS_ASSIGN_OR_RETURN(Prefix prefix, ParseDarknetPrefix(value));
    s.darknet.push_back(prefix);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown directive '", key, "'"));
  }
  return absl::OkStatus();
}

// ---- Generation
// --------------------------------------------------------------

class FrameFactory {
 public:
  explicit FrameFactory(const Scenario& s) : s_(s), rng_(s.seed) {
    for (const Population& p : s.populations)
      sources_.push_back(DrawSources(p));
  }

  FrameSpec Make(size_t population) {
    const Population& p = s_.populations[population];
    FrameSpec spec;
    const auto& sources = sources_[population];
    spec.src = sources[Uniform(0, static_cast<int>(sources.size()) - 1)];
    spec.dst = p.kind == PopulationKind::kNonDarknet ? Outside()
                                                     : Darknet(spec.src.family);
    if (p.vlan > 0)
      spec.vlans.emplace_back(0x8100, static_cast<uint16_t>(p.vlan));
    spec.ip_id = static_cast<uint16_t>(Uniform(0, 65535));
    spec.seq = static_cast<uint32_t>(rng_());
    spec.payload = p.payload;
    const uint16_t port = p.ports.empty() ? 0 : Port(p.ports);
    const uint16_t ephemeral = static_cast<uint16_t>(Uniform(32768, 60999));
    spec.transport = Transport::kTcp;
    spec.sport = ephemeral;
    spec.dport = port;
    spec.tcp_flags = kSyn;
    const bool ipv4 = spec.src.family == DS_FAMILY_IPV4;
    switch (p.kind) {
      case PopulationKind::kMirai:
        if (ipv4) spec.seq = HostOrder(spec.dst);
        break;
      case PopulationKind::kSyn:
      case PopulationKind::kNonDarknet:
        break;
      case PopulationKind::kZmap:
        spec.ip_id = 54321;
        break;
      case PopulationKind::kMasscan:
        if (ipv4)
          spec.ip_id = static_cast<uint16_t>(
              (HostOrder(spec.dst) ^ port ^ spec.seq) & 0xffff);
        break;
      case PopulationKind::kSynAck:
      case PopulationKind::kRst:
        spec.tcp_flags =
            p.kind == PopulationKind::kSynAck ? (kSyn | kAck) : (kRst | kAck);
        spec.sport = port;
        spec.dport = ephemeral;
        break;
      case PopulationKind::kUdpReflection:
        spec.transport = Transport::kUdp;
        spec.sport = port;
        spec.dport = ephemeral;
        break;
      case PopulationKind::kUdpProbe:
        spec.transport = Transport::kUdp;
        break;
      case PopulationKind::kIcmpUnreachable:
        spec.transport = ipv4 ? Transport::kIcmp : Transport::kIcmpv6;
        spec.icmp_type = ipv4 ? 3 : 1;
        spec.icmp_code = 3;
        spec.payload = 28;
        break;
      case PopulationKind::kIcmpEcho:
        spec.transport = ipv4 ? Transport::kIcmp : Transport::kIcmpv6;
        spec.icmp_type = ipv4 ? 8 : 128;
        break;
      case PopulationKind::kMalformed:
        spec.transport_bytes = static_cast<size_t>(Uniform(0, 19));
        break;
    }
    return spec;
  }

 private:
  int Uniform(int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng_);
  }
  double Unit() { return std::uniform_real_distribution<double>(0, 1)(rng_); }

  static uint32_t HostOrder(const Prefix& a) {
    return (uint32_t{a.addr[0]} << 24) | (uint32_t{a.addr[1]} << 16) |
           (uint32_t{a.addr[2]} << 8) | a.addr[3];
  }

  uint16_t Port(const std::vector<WeightedPort>& ports) {
    double total = 0;
    for (const WeightedPort& p : ports) total += p.weight;
    double pick = Unit() * total;
    for (const WeightedPort& p : ports) {
      if ((pick -= p.weight) <= 0)
        return static_cast<uint16_t>(Uniform(p.first, p.last));
    }
    return ports.back().first;
  }

  // A random address inside `prefix`.
  Prefix Inside(const Prefix& prefix) {
    Prefix a = prefix;
    const int bits = prefix.family == DS_FAMILY_IPV4 ? 32 : 128;
    for (int bit = prefix.length; bit < bits; ++bit) {
      if (rng_() & 1)
        a.addr[bit / 8] |= static_cast<uint8_t>(0x80 >> (bit % 8));
    }
    a.length = bits;
    return a;
  }

  Prefix Darknet(int family) {
    std::vector<const Prefix*> matching;
    for (const Prefix& p : s_.darknet) {
      if (p.family == family) matching.push_back(&p);
    }
    if (matching.empty())
      return Inside(s_.darknet.front());  // validated: never empty
    return Inside(*matching[Uniform(0, static_cast<int>(matching.size()) - 1)]);
  }

  Prefix Outside() {
    static const Prefix kOutside[] = {*ParseDarknetPrefix("192.0.2.0/24"),
                                      *ParseDarknetPrefix("203.0.113.0/24")};
    return Inside(kOutside[Uniform(0, 1)]);
  }

  std::vector<Prefix> DrawSources(const Population& p) {
    std::vector<std::pair<const CountryBlocks*, double>> weighted;
    double total = 0;
    for (const auto& [code, weight] : p.countries) {
      weighted.emplace_back(FindCountry(code), weight);
      total += weight;
    }
    const int network_count =
        p.networks > 0 ? std::min(p.networks, p.hosts) : p.hosts;
    std::vector<Prefix> networks;
    for (int n = 0; n < network_count; ++n) {
      double pick = Unit() * total;
      const CountryBlocks* country = weighted.back().first;
      for (const auto& [c, w] : weighted) {
        if ((pick -= w) <= 0) {
          country = c;
          break;
        }
      }
      if (p.family == DS_FAMILY_IPV6) {
        Prefix block = *ParseDarknetPrefix(country->ipv6);
        Prefix net = Inside(block);
        for (int i = 6; i < 16; ++i) net.addr[i] = 0;
        net.length = 48;
        networks.push_back(net);
      } else {
        Prefix block = *ParseDarknetPrefix(country->ipv4[Uniform(
            0, static_cast<int>(country->ipv4.size()) - 1)]);
        Prefix net = Inside(block);
        net.addr[3] = 0;
        net.length = 24;
        networks.push_back(net);
      }
    }
    std::vector<Prefix> hosts;
    for (int h = 0; h < p.hosts; ++h) {
      Prefix host = networks[h % networks.size()];
      if (host.family == DS_FAMILY_IPV4) {
        host.addr[3] = static_cast<uint8_t>(Uniform(1, 254));
        host.length = 32;
      } else {
        host = Inside(host);
      }
      hosts.push_back(host);
    }
    return hosts;
  }

  const Scenario& s_;
  std::mt19937_64 rng_;
  std::vector<std::vector<Prefix>> sources_;
};

// Relative activity of an office-hours population at `hour` (of its zone).
double OfficeHours(double hour) {
  return 0.2 + std::max(0.0, std::cos((hour - 13.0) / 24.0 * 2 * M_PI));
}

// The hour of day of `t` in `zone`, with its fraction.
double HourOfDay(absl::Time t, absl::TimeZone zone) {
  const double hour =
      absl::ToDoubleHours(t - absl::UnixEpoch()) + zone.At(t).offset / 3600.0;
  return std::fmod(hour, 24.0);
}

// One from=/until= value as a share of the period: a percentage, or a time
// (RFC 3339, or a civil time without offset in `zone`) inside the period.
absl::StatusOr<double> WindowShare(const std::string& text, const Scenario& s,
                                   absl::TimeZone zone, const char* key) {
  double percent = 0;
  if (absl::SimpleAtod(text, &percent)) {
    if (percent < 0 || percent > 100) {
      return absl::InvalidArgumentError(
          absl::StrCat(key, " must be a percentage or a time"));
    }
    return percent / 100;
  }
  absl::Time t;
  std::string error;
  bool parsed = absl::ParseTime(absl::RFC3339_full, text, &t, &error);
  for (const char* format : {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"}) {
    if (!parsed) parsed = absl::ParseTime(format, text, zone, &t, &error);
  }
  if (!parsed) {
    return absl::InvalidArgumentError(absl::StrCat(
        key, " '", text,
        "' is neither a percentage nor a time (2026-11-23T16:00:00Z, or "
        "2026-11-24T01:00 in the scenario's time-zone)"));
  }
  if (t < s.start || t > s.start + s.duration) {
    return absl::InvalidArgumentError(
        absl::StrCat(key, " ", text, " is outside the scenario's period"));
  }
  return absl::FDivDuration(t - s.start, s.duration);
}

// Gives each population its zone and turns its window into shares, once
// every directive (start, duration, time-zone) is read.
absl::Status ResolveZonesAndWindows(Scenario& s) {
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(s.time_zone, &zone)) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown time zone '", s.time_zone, "'"));
  }
  for (Population& p : s.populations) {
    if (p.zone_name.empty()) p.zone = zone;
    for (auto [text, share, key] :
         {std::tuple{&p.from_text, &p.active_from, "from"},
          std::tuple{&p.until_text, &p.active_until, "until"}}) {
      if (text->empty()) continue;
      absl::StatusOr<double> value = WindowShare(*text, s, zone, key);
      if (!value.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "population ", p.name, ": ", value.status().message()));
      }
      *share = *value;
    }
    if (p.active_until < p.active_from) {
      return absl::InvalidArgumentError(
          absl::StrCat("population ", p.name, ": until is before from"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Scenario> ParseScenario(absl::string_view text) {
  Scenario s;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    if (size_t hash = line.find('#'); hash != absl::string_view::npos)
      line = line.substr(0, hash);
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    if (absl::Status status = ParseLine(s, line); !status.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", line_number, ": ", status.message()));
    }
  }
  if (s.darknet.empty())
    return absl::InvalidArgumentError("scenario needs a darknet line");
  if (s.populations.empty())
    return absl::InvalidArgumentError("scenario needs populations");
  DS_RETURN_IF_ERROR(ResolveZonesAndWindows(s));
  for (const Population& p : s.populations) {
    bool has_family = false;
    for (const Prefix& d : s.darknet) has_family |= d.family == p.family;
    if (!has_family && p.kind != PopulationKind::kNonDarknet) {
      return absl::InvalidArgumentError(absl::StrCat(
          "population ", p.name, ": no darknet prefix of IPv", p.family));
    }
  }
  return s;
}

std::vector<std::string> BuiltInScenarioNames() {
  return {"demo", "telescope"};
}

absl::StatusOr<Scenario> LoadScenario(const std::string& name_or_path) {
  if (name_or_path == "demo") return ParseScenario(kDemoScenario);
  if (name_or_path == "telescope") return ParseScenario(kTelescopeScenario);
  absl::StatusOr<std::vector<uint8_t>> bytes = ReadWholeFile(name_or_path);
  if (!bytes.ok()) {
    return absl::NotFoundError(absl::StrCat(
        "scenario '", name_or_path, "' is neither built in (",
        absl::StrJoin(BuiltInScenarioNames(), ", "), ") nor a readable file"));
  }
  absl::StatusOr<Scenario> scenario = ParseScenario(absl::string_view(
      reinterpret_cast<const char*>(bytes->data()), bytes->size()));
  if (!scenario.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(name_or_path, ": ", scenario.status().message()));
  }
  return scenario;
}

void GenerateScenario(const Scenario& s,
                      const std::function<void(const GeneratedFrame&)>& emit) {
  FrameFactory factory(s);
  std::mt19937_64 picker(s.seed ^ 0x5eed);
  std::vector<double> weights(s.populations.size());
  for (uint64_t i = 0; i < s.packets; ++i) {
    const double progress =
        (static_cast<double>(i) + 0.5) / static_cast<double>(s.packets);
    const absl::Time t = s.start + s.duration * progress;
    double total = 0;
    for (size_t p = 0; p < s.populations.size(); ++p) {
      const Population& pop = s.populations[p];
      const bool active =
          progress >= pop.active_from && progress < pop.active_until;
      weights[p] = active
                       ? pop.share * (pop.office_hours
                                          ? OfficeHours(HourOfDay(t, pop.zone))
                                          : 1.0)
                       : 0;
      total += weights[p];
    }
    if (total <= 0) continue;
    double pick = std::uniform_real_distribution<double>(0, total)(picker);
    size_t chosen = s.populations.size() - 1;
    for (size_t p = 0; p < weights.size(); ++p) {
      if ((pick -= weights[p]) < 0) {
        chosen = p;
        break;
      }
    }
    emit({t, factory.Make(chosen), chosen});
  }
}

}  // namespace darkscope
