// `darkscope replay`: pcap and pcapng files run through the same XDP
// program with BPF_PROG_TEST_RUN, cut into intervals by the packets'
// timestamps, written as the same snapshots a live run writes. For offline
// archives (hourly captures of a telescope) and for exact tests without a
// network.
#ifndef DARKSCOPE_REPLAY_REPLAY_H_
#define DARKSCOPE_REPLAY_REPLAY_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "loader/data_plane.h"

namespace darkscope {

struct ReplayOptions {
  DataPlaneOptions data_plane;
  absl::Duration interval = absl::Seconds(60);
  std::string out_dir;  // created if missing
  std::string sensor = "replay";
  std::vector<std::string> files;  // replayed in this order
  bool progress = false;           // a progress line on stderr
};

absl::Status RunReplay(const ReplayOptions& options);

}  // namespace darkscope

#endif  // DARKSCOPE_REPLAY_REPLAY_H_
