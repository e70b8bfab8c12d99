// `darkscope gen`: a scenario's frames written to a pcap file with their
// timestamps, sent on an interface, or both, and its ground truth written
// as snapshot files (one per interval of the scenario, sensor
// "ground-truth") holding the exact count of every table.
#ifndef DARKSCOPE_GEN_GENERATE_H_
#define DARKSCOPE_GEN_GENERATE_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace darkscope {

struct GenerateOptions {
  std::string scenario = "demo";    // built-in name or file
  std::optional<uint64_t> packets;  // overrides the scenario's
  std::optional<uint64_t> seed;     // overrides the scenario's
  std::string pcap;                 // write frames here ("" for none)
  std::string
      truth_dir;  // write ground truth here, created if missing ("" for none)
  std::string send_interface;  // send frames here ("" for none)
  uint64_t rate = 0;  // frames per second when sending, 0: as fast as possible
  absl::Duration max_time = absl::Seconds(60);  // when sending
};

absl::Status RunGenerate(const GenerateOptions& options);

}  // namespace darkscope

#endif  // DARKSCOPE_GEN_GENERATE_H_
