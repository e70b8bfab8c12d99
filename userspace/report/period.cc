// Loading a period of snapshots.
#include "report/period.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "cat/cat.h"
#include "common/counter_names.h"
#include "common/port_index.h"
#include "common/status.h"
#include "snapshot/snapshot.h"

namespace darkscope {

std::string PortLabel(uint8_t slot, uint16_t port) {
  if (slot == DS_SLOT_ICMP) return "ICMP";
  return absl::StrCat(port, "/",
                      absl::AsciiStrToUpper(kSlotNames[slot < DS_SLOT_COUNT ? slot : DS_SLOT_OTHER]));
}

absl::StatusOr<PeriodCounts> LoadPeriod(const std::vector<std::string>& dirs, absl::Time from,
                                        absl::Time to, OriginLookup& origins,
                                        std::vector<std::string>& problems) {
  PeriodCounts period;
  period.from = from;
  period.to = to;
  const std::string first = SnapshotFileName(from), last = SnapshotFileName(to);
  for (const std::string& dir : dirs) {
    DS_ASSIGN_OR_RETURN(std::vector<std::string> files, ListSnapshotFiles({dir}));
    for (const std::string& file : files) {
      // Names sort in time order: skip what is outside without reading it.
      const std::string name = file.substr(file.rfind('/') + 1);
      if (name < first || name >= last) continue;
      absl::StatusOr<std::vector<uint8_t>> bytes = ReadWholeFile(file);
      absl::StatusOr<Snapshot> snapshot =
          bytes.ok() ? DecodeSnapshot(*bytes) : absl::StatusOr<Snapshot>(bytes.status());
      if (!snapshot.ok()) {
        problems.push_back(absl::StrCat(file, ": ", snapshot.status().message()));
        continue;
      }
      ++period.snapshots;
      const absl::Time hour =
          absl::UnixEpoch() + absl::Floor(snapshot->interval_start - absl::UnixEpoch(), absl::Hours(1));
      for (const auto& [index, stats] : snapshot->counts.ports) {
        auto [slot, port] = SlotPortOfIndex(index);
        period.port_hours[PortLabel(slot, port)][hour] += stats.packets;
      }
      for (const auto& [index, stats] : snapshot->counts.src_ports) {
        period.source_port_hours[PortLabel(static_cast<uint8_t>(index / 65536), index % 65536)]
                                [hour] += stats.packets;
      }
      for (const auto& [net, stats] : snapshot->counts.sources) {
        const std::string& country = origins.Of(net).country;
        period.country_hours[country.empty() ? "??" : country][hour] += stats.packets;
      }
      for (const auto& [key, stats] : snapshot->counts.flows) {
        const std::string& country = origins.Of(key.src).country;
        period.country_port_hours[absl::StrCat(country.empty() ? "??" : country, " ",
                                               PortLabel(key.proto_slot, key.port))][hour] +=
            stats.packets;
      }
      AddCounts(snapshot->counts, period.by_sensor[snapshot->sensor]);
      AddCounts(snapshot->counts, period.all);
    }
  }
  return period;
}

}  // namespace darkscope
