// The agent's interval check of its program's attachment and the NIC's drops.
#include "agent/liveness.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/unique_fd.h"

namespace darkscope {

std::array<std::optional<uint64_t>, kNicDropCounters.size()> ReadNicDrops(
    const std::string& iface) {
  std::array<std::optional<uint64_t>, kNicDropCounters.size()> values;
  for (size_t i = 0; i < kNicDropCounters.size(); ++i) {
    const std::string path = absl::StrCat("/sys/class/net/", iface,
                                          "/statistics/", kNicDropCounters[i]);
    UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) continue;
    char text[32] = {};
    const ssize_t n = read(fd.get(), text, sizeof(text) - 1);
    uint64_t value = 0;
    if (n > 0 &&
        absl::SimpleAtoi(absl::StripAsciiWhitespace(absl::string_view(text, n)),
                         &value)) {
      values[i] = value;
    }
  }
  return values;
}

LivenessWatch::LivenessWatch(DataPlane& plane, std::string iface, XdpMode mode)
    : plane_(plane),
      iface_(std::move(iface)),
      mode_(mode),
      nic_last_(ReadNicDrops(iface_)) {
  figures_.mode = plane_.attach_mode_name();
  for (size_t i = 0; i < kNicDropCounters.size(); ++i) {
    if (nic_last_[i]) figures_.nic_drops[kNicDropCounters[i]] = 0;
  }
}

bool LivenessWatch::CheckInterval(
    std::map<std::string, uint64_t>& agent_counters) {
  const auto nic = ReadNicDrops(iface_);
  for (size_t i = 0; i < kNicDropCounters.size(); ++i) {
    if (!nic[i]) continue;
    // A counter that went back (the driver reset it) counts from zero.
    const uint64_t delta = nic_last_[i] && *nic[i] >= *nic_last_[i]
                               ? *nic[i] - *nic_last_[i]
                               : *nic[i];
    agent_counters[absl::StrCat("nic_", kNicDropCounters[i])] = delta;
    figures_.nic_drops[kNicDropCounters[i]] += delta;
    nic_last_[i] = nic[i];
  }
  absl::StatusOr<DataPlane::Attachment> now = plane_.CheckAttachment();
  const bool was_attached = figures_.attached;
  if (now.ok() && now->attached) {
    figures_.attached = true;
    figures_.mode = now->mode;
    figures_.problem.clear();
  } else {
    figures_.attached = false;
    figures_.mode.clear();
    figures_.problem =
        !now.ok() ? absl::StrCat("cannot check the attachment: ",
                                 now.status().message())
        : now->instead.empty()
            ? absl::StrCat("xdp_count_darknet is no longer attached to ",
                           iface_, " (detached from outside), nothing is")
            : absl::StrCat("xdp_count_darknet is no longer attached to ",
                           iface_, ": ", now->instead, " is");
    ++figures_.blind_intervals;
    std::fprintf(
        stderr,
        "darkscope: blind: %s; this interval's snapshot is marked incomplete "
        "(%llu blind intervals since start)\n",
        figures_.problem.c_str(),
        static_cast<unsigned long long>(figures_.blind_intervals));
  }
  if (figures_.attached && !was_attached) {
    std::fprintf(
        stderr,
        "darkscope: xdp_count_darknet is attached to %s again (%s mode)\n",
        iface_.c_str(), figures_.mode.c_str());
  }
  agent_counters["xdp_program_detached"] = figures_.attached ? 0 : 1;
  agent_counters["blind_intervals"] = figures_.blind_intervals;
  agent_counters["xdp_reattached"] = figures_.reattached;
  return figures_.attached;
}

void LivenessWatch::Recover() {
  if (figures_.attached) return;
  if (absl::Status s = plane_.Reattach(mode_); !s.ok()) {
    std::fprintf(stderr, "darkscope: not attaching again: %s\n",
                 std::string(s.message()).c_str());
    return;
  }
  ++figures_.reattached;
  std::fprintf(stderr,
               "darkscope: attached xdp_count_darknet to %s again (%s mode); "
               "counting from this "
               "interval on\n",
               iface_.c_str(), plane_.attach_mode_name());
}

}  // namespace darkscope
