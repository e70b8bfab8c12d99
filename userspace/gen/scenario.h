// Scenarios: darknet traffic as a mix of populations of sources, read from
// a small text format (docs/scenarios.md) or taken from the built-ins, and
// turned into a time-ordered stream of generated frames with their ground
// truth (FrameSpec).
//
// Time: N frames are spread evenly over the scenario's period; each frame
// goes to a population drawn in proportion to its share, weighted by its
// hour-of-day profile (in the population's time zone) and limited to its
// active window (a share of the period, or absolute times). Everything is drawn
// from one seeded generator, so a scenario and a seed always give the same
// frames.
#ifndef DARKSCOPE_GEN_SCENARIO_H_
#define DARKSCOPE_GEN_SCENARIO_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/prefix.h"
#include "gen/frame_spec.h"

namespace darkscope {

enum class PopulationKind {
  kMirai,            // TCP SYN, seq == destination
  kSyn,              // TCP SYN scan
  kZmap,             // TCP SYN, IP id 54321
  kMasscan,          // TCP SYN, IP id = (daddr ^ dport ^ seq) & 0xffff
  kSynAck,           // backscatter: SYN-ACK from a service port
  kRst,              // backscatter: RST from a service port
  kUdpReflection,    // UDP from a service port (sport) to an ephemeral port
  kUdpProbe,         // UDP to a port
  kIcmpUnreachable,  // ICMP/ICMPv6 destination unreachable
  kIcmpEcho,         // ICMP/ICMPv6 echo request
  kMalformed,        // TCP with a short header
  kNonDarknet,       // to 192.0.2.0/24 or 203.0.113.0/24
};

struct WeightedPort {
  uint16_t first, last;  // a port or a range
  double weight;
};

struct Population {
  std::string name;
  PopulationKind kind = PopulationKind::kSyn;
  double share = 0;  // relative, in percent
  std::vector<WeightedPort>
      ports;  // destination (source for backscatter/reflection)
  std::map<std::string, double> countries;  // country code -> weight
  int hosts = 100;                          // distinct source addresses
  int networks = 0;  // distinct source /24s (0: as many as hosts)
  int family = DS_FAMILY_IPV4;
  int vlan = 0;  // a VLAN tag with this VID when > 0
  size_t payload = 0;
  // Hour-of-day profile peaking at 13:00 in `zone` (the scenario's zone
  // unless the population names one).
  bool office_hours = false;
  absl::TimeZone zone = absl::UTCTimeZone();
  std::string zone_name;                     // "" for the scenario's
  double active_from = 0, active_until = 1;  // share of the period
  // from=/until= as written: a percentage, or a time (RFC 3339, or without
  // offset in the scenario's zone), resolved once the period is known.
  std::string from_text, until_text;
};

struct Scenario {
  std::string name;
  absl::Time start = absl::FromUnixSeconds(1795392000);  // 2026-11-23T00:00:00Z
  absl::Duration duration = absl::Hours(1);
  absl::Duration interval = absl::Seconds(60);
  uint64_t packets = 10000;
  uint64_t seed = 1;
  // The zone of office profiles and of times written without an offset
  // (`time-zone` directive).
  std::string time_zone = "UTC";
  std::vector<Prefix> darknet;
  std::vector<Population> populations;
};

// Parses the text format; errors name the line.
absl::StatusOr<Scenario> ParseScenario(absl::string_view text);

// A built-in scenario by name ("demo", "telescope"), or a file path.
absl::StatusOr<Scenario> LoadScenario(const std::string& name_or_path);
std::vector<std::string> BuiltInScenarioNames();

struct GeneratedFrame {
  absl::Time time;
  FrameSpec spec;
  size_t population = 0;  // index into Scenario::populations
};

// Calls `emit` for each of the scenario's frames in time order.
void GenerateScenario(const Scenario& scenario,
                      const std::function<void(const GeneratedFrame&)>& emit);

}  // namespace darkscope

#endif  // DARKSCOPE_GEN_SCENARIO_H_
