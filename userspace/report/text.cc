// `darkscope report` for a terminal: the report's JSON (BuildReport) as
// text tables.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "report/report.h"

namespace darkscope {

using nlohmann::json;

void PrintReportText(const json& r, std::ostream& out) {
  out << "darkscope report " << r["period"]["from"].get<std::string>() << " .. "
      << r["period"]["to"].get<std::string>() << " ("
      << (r["period"].contains("note")
              ? r["period"]["note"].get<std::string>() + "; "
              : "")
      << r["period"]["snapshots"] << " snapshots; previous "
      << r["previous_period"]["from"].get<std::string>() << " .. "
      << r["previous_period"]["to"].get<std::string>() << ")\n";
  out << "packets " << r["totals"]["packets"] << ", sources "
      << r["totals"]["sources"] << ", Mirai " << r["totals"]["mirai"]
      << ", ZMap " << r["totals"]["zmap"] << ", Masscan "
      << r["totals"]["masscan"] << ", backscatter "
      << r["totals"]["backscatter"] << "\n";
  auto table = [&](const char* title, const json& rows, const char* key) {
    out << "\n" << title << "\n";
    for (const auto& row : rows) {
      out << absl::StrFormat("  %2d  %-36s %12d", row["rank"].get<int>(),
                             row[key].get<std::string>(),
                             row["packets"].get<uint64_t>());
      if (row.contains("previous"))
        out << "  (prev " << row["previous"].get<std::string>() << ")";
      out << "\n";
    }
  };
  table("Top destination ports", r["top_ports"], "port");
  table("Top source countries", r["top_countries"], "country");
  table("Top source ASes", r["top_ases"], "as");
  out << "\nFingerprint shares (ALL, Mirai, share, ZMap, Masscan)\n";
  for (const auto& row : r["fingerprint_shares"]) {
    out << absl::StrFormat(
        "  %-12s %12d %12d %6.2f%% %6.2f%% %6.2f%%\n",
        row["port"].get<std::string>(), row["all"].get<uint64_t>(),
        row["mirai"].get<uint64_t>(), row["mirai_share"].get<double>(),
        row["zmap_share"].get<double>(), row["masscan_share"].get<double>());
  }
  table("Traffic by source port (reflection, backscatter)", r["source_ports"],
        "source_port");
  out << "\nSYN-ACK/RST victims (" << r["backscatter_victims"]["networks"]
      << " networks)\n";
  for (const auto& row : r["backscatter_victims"]["top_networks"]) {
    out << absl::StrFormat(
        "  %2d  %-20s %10d  SYN-ACK %d RST %d  %s AS%d %s\n",
        row["rank"].get<int>(), row["network"].get<std::string>(),
        row["packets"].get<uint64_t>(), row["synack"].get<uint64_t>(),
        row["rst"].get<uint64_t>(), row["country"].get<std::string>(),
        row["asn"].get<uint32_t>(), row["as_name"].get<std::string>());
  }
  table("Victims' countries", r["backscatter_victims"]["countries"], "country");
  // Hour-of-day profiles as a line of bars, lowest to highest hour's share.
  auto profile = [&](const char* title, const json& entries,
                     const char* field) {
    static const char* kBars[] = {" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
    out << "\n" << title << " (00h .. 23h)\n";
    for (const auto& [name, s] : entries.items()) {
      if (!s.contains(field)) continue;
      const std::vector<uint64_t> hours = s[field].get<std::vector<uint64_t>>();
      const uint64_t peak = *std::max_element(hours.begin(), hours.end());
      std::string bars;
      for (uint64_t h : hours)
        bars += kBars[peak ? (h * 8 + peak - 1) / peak : 0];
      out << absl::StrFormat("  %-16s %s\n", name, bars);
    }
  };
  profile("Hour of day, UTC, top ports", r["series"]["ports"],
          "hour_of_day_utc");
  profile(("Hour of day, " + r["series"]["local_time_zone"].get<std::string>() +
           ", top countries")
              .c_str(),
          r["series"]["countries"], "hour_of_day_local");
  out << "\nEmerging ports\n";
  for (const auto& row : r["emerging_ports"]) {
    out << "  " << row["port"].get<std::string>() << ": " << row["packets"]
        << " packets, previous " << row["previous_packets"]
        << (row["first_seen"].get<bool>() ? " (first seen)" : "") << "\n";
  }
  out << "\nSpikes (" << r["spikes"]["method"].get<std::string>() << ")\n";
  for (const auto& row : r["spikes"]["entries"]) {
    out << absl::StrFormat(
        "  %-12s %-16s peak %s %8d packets, baseline median %.0f, z %.1f, %d "
        "h%s\n",
        row["kind"].get<std::string>(), row["name"].get<std::string>(),
        row["peak"].get<std::string>(), row["peak_packets"].get<uint64_t>(),
        row["baseline_median"].get<double>(), row["robust_z"].get<double>(),
        row["hours_above"].get<int>(), row["new"].get<bool>() ? " (new)" : "");
  }
  out << "\nWide-range scanners\n";
  for (const auto& row : r["wide_scanners"]) {
    out << "  " << row["source"].get<std::string>() << " ~"
        << row["ports_estimate"] << " ports, " << row["packets"] << " packets, "
        << row["country"].get<std::string>() << " AS" << row["asn"] << " "
        << row["as_name"].get<std::string>() << "\n";
  }
  out << "\nOutages\n";
  for (const auto& row : r["outages"]) {
    out << "  " << row["country"].get<std::string>() << ": median per "
        << r["series"]["step"].get<std::string>() << " "
        << row["baseline_median"] << " -> " << row["recent_median"] << "\n";
  }
  out << "\nPackets per monitored IPv4 address per day (sensor, month, days, "
         "addresses, average, a year before)\n";
  for (const auto& row : r["monthly"]) {
    auto number = [](const json& v) {
      return v.is_null() ? std::string("-")
                         : absl::StrFormat("%.2f", v.get<double>());
    };
    out << absl::StrFormat(
        "  %-16s %s %6.2f %10d %10s %10s\n", row["sensor"].get<std::string>(),
        row["month"].get<std::string>(), row["days"].get<double>(),
        row["addresses"].get<uint64_t>(), number(row["per_address_per_day"]),
        number(row["year_before"]));
  }
  for (const auto& w : r["warnings"])
    out << "warning: " << w.get<std::string>() << "\n";
  out << "sources: ";
  for (const auto& s : r["enrichment"]) out << s.get<std::string>() << "; ";
  out << "\n";
}

}  // namespace darkscope
