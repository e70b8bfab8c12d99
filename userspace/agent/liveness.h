// Whether the agent still sees what it counts, checked at every interval
// boundary (agent.cc): is our xdp_count_darknet still the program attached
// to the interface, and in which mode (someone may have run `ip link set
// dev IF xdp off`, or put another program there); and how many frames the
// NIC itself dropped before XDP saw them (rx_dropped, rx_missed_errors,
// rx_fifo_errors from /sys/class/net/IF/statistics).
//
// A blind interval is written marked incomplete with `xdp_program_detached`
// = 1 in its agent table, counted (`blind_intervals`), logged, and turns
// /healthz to 503 until a check finds the program attached again. After a
// blind interval's cut the agent attaches the program again, but only when
// the interface has no XDP program at all: one put there by someone else is
// never replaced.
#ifndef DARKSCOPE_AGENT_LIVENESS_H_
#define DARKSCOPE_AGENT_LIVENESS_H_

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "loader/data_plane.h"
#include "metrics/agent_figures.h"

namespace darkscope {

// The NIC counters read, in this order, as "nic_<name>" in the agent table.
inline constexpr std::array<const char*, 3> kNicDropCounters = {
    "rx_dropped", "rx_missed_errors", "rx_fifo_errors"};

// The interface's drop counters now (sysfs, in the agent's network
// namespace); nullopt for a counter the interface does not have.
std::array<std::optional<uint64_t>, kNicDropCounters.size()> ReadNicDrops(
    const std::string& iface);

class LivenessWatch {
 public:
  LivenessWatch(DataPlane& plane, std::string iface, XdpMode mode);

  // At a boundary, before the cut: checks the attachment and reads the NIC
  // counters, adds the interval's figures to `agent_counters`. False when
  // the program was found not attached (the snapshot is then incomplete).
  bool CheckInterval(std::map<std::string, uint64_t>& agent_counters);
  // After a blind interval's cut: attaches the program again if that is
  // safe. Logs what it did.
  void Recover();
  const Liveness& figures() const { return figures_; }

 private:
  DataPlane& plane_;
  const std::string iface_;
  const XdpMode mode_;
  std::array<std::optional<uint64_t>, kNicDropCounters.size()> nic_last_;
  Liveness figures_;
};

}  // namespace darkscope

#endif  // DARKSCOPE_AGENT_LIVENESS_H_
