// `darkscope report` for a terminal: the report's JSON (BuildReport) as
// text tables.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "report/labels.h"
#include "report/report.h"

namespace darkscope {

using nlohmann::json;

namespace {

// `text` padded with spaces to `width` terminal columns: East Asian wide
// characters (CJK, kana, full-width forms) take two.
std::string PadRight(const std::string& text, int width) {
  int columns = 0;
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = text[i];
    const int length = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
    uint32_t code = length == 1 ? c : c & (0x7f >> length);
    for (int k = 1; k < length && i + k < text.size(); ++k)
      code = code << 6 | (static_cast<unsigned char>(text[i + k]) & 0x3f);
    const bool wide = (code >= 0x1100 && code <= 0x115f) ||
                      (code >= 0x2e80 && code <= 0xa4cf) ||
                      (code >= 0xac00 && code <= 0xd7a3) ||
                      (code >= 0xf900 && code <= 0xfaff) ||
                      (code >= 0xfe30 && code <= 0xfe4f) ||
                      (code >= 0xff00 && code <= 0xff60) ||
                      (code >= 0xffe0 && code <= 0xffe6);
    columns += wide ? 2 : 1;
    i += length;
  }
  return columns >= width ? text : text + std::string(width - columns, ' ');
}

}  // namespace

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
  if (r.contains("filter") && !r["filter"]["applied"].empty()) {
    out << Label(r, "filter") << ": " << r["filter"]["applied"].dump() << "\n";
    for (const auto& [section, why] : r["filter"]["unavailable"].items()) {
      out << "  " << section << ": " << Label(r, "unavailable") << " ("
          << why.get<std::string>() << ")\n";
    }
  }
  // The seeds' tables: rank | entry | name (service, country) | packets |
  // previous rank.
  auto table = [&](const std::string& title, const json& rows, const char* key,
                   const char* name_field, const char* name_heading) {
    out << "\n"
        << title << " (" << Label(r, "rank") << " | " << Label(r, key)
        << (name_field ? " | " + Label(r, name_heading) : "") << " | "
        << Label(r, "packets") << " | " << Label(r, "previous") << ")\n";
    for (const auto& row : rows) {
      out << absl::StrFormat("  %2d  %-28s", row["rank"].get<int>(),
                             row[key].get<std::string>());
      if (name_field != nullptr) {
        out << " "
            << PadRight(row.contains(name_field) && row[name_field].is_string()
                            ? row[name_field].get<std::string>()
                            : std::string(),
                        20);
      }
      out << absl::StrFormat(" %12d", row["packets"].get<uint64_t>());
      if (row.contains("previous")) out << "  " << PreviousRank(r, row);
      out << "\n";
    }
  };
  table(Label(r, "top_ports"), r["top_ports"], "port", "service", "service");
  table(Label(r, "top_countries"), r["top_countries"], "country",
        "country_name", "name");
  table(Label(r, "top_ases"), r["top_ases"], "as", nullptr, nullptr);
  if (r.contains("top_as_ports"))
    table(Label(r, "top_as_ports"), r["top_as_ports"], "as_port", nullptr,
          nullptr);
  // Per sensor, as TSUBAME prints its sensors side by side.
  for (const auto& sensor : r["sensors"]) {
    table(absl::StrCat(Label(r, "sensors"), ": ",
                       sensor["sensor"].get<std::string>()),
          sensor["top_ports"], "port", "service", "service");
  }
  if (r.contains("top_sources")) {
    out << "\n" << Label(r, "top_sources") << "\n";
    for (const auto& row : r["top_sources"]) {
      out << absl::StrFormat(
          "  %2d  %-20s %12d  %s %s AS%d %s", row["rank"].get<int>(),
          row["network"].get<std::string>(), row["packets"].get<uint64_t>(),
          row["country"].get<std::string>(), row.value("country_name", ""),
          row["asn"].get<uint32_t>(), row["as_name"].get<std::string>());
      if (row["known"].is_string())
        out << "  [" << row["known"].get<std::string>() << "]";
      out << "\n";
    }
  }
  if (r.contains("known_scanners") && !r["known_scanners"]["by_name"].empty()) {
    out << "\n" << Label(r, "known_scanners") << "\n";
    for (const auto& row : r["known_scanners"]["by_name"]) {
      out << absl::StrFormat(
          "  %-32s %6d %12d\n", row["name"].get<std::string>(),
          row["networks"].get<uint64_t>(), row["packets"].get<uint64_t>());
    }
  }
  out << "\n"
      << Label(r, "fingerprint_shares")
      << " (ALL, Mirai, share, ZMap, Masscan)\n";
  for (const auto& row : r["fingerprint_shares"]) {
    out << absl::StrFormat(
        "  %-12s %12d %12d %6.2f%% %6.2f%% %6.2f%%\n",
        row["port"].get<std::string>(), row["all"].get<uint64_t>(),
        row["mirai"].get<uint64_t>(), row["mirai_share"].get<double>(),
        row["zmap_share"].get<double>(), row["masscan_share"].get<double>());
  }
  table(Label(r, "source_ports"), r["source_ports"], "source_port", "service",
        "service");
  out << "\n"
      << Label(r, "victims") << " (" << r["backscatter_victims"]["networks"]
      << ")\n";
  for (const auto& row : r["backscatter_victims"]["top_networks"]) {
    out << absl::StrFormat(
        "  %2d  %-20s %10d  SYN-ACK %d RST %d  %s AS%d %s\n",
        row["rank"].get<int>(), row["network"].get<std::string>(),
        row["packets"].get<uint64_t>(), row["synack"].get<uint64_t>(),
        row["rst"].get<uint64_t>(), row["country"].get<std::string>(),
        row["asn"].get<uint32_t>(), row["as_name"].get<std::string>());
  }
  table(Label(r, "victim_countries"), r["backscatter_victims"]["countries"],
        "country", "country_name", "name");
  // Hour-of-day profiles as a line of bars, lowest to highest hour's share.
  auto profile = [&](const std::string& title, const json& entries,
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
  profile(Label(r, "hour_of_day_ports") + ", UTC", r["series"]["ports"],
          "hour_of_day_utc");
  profile(Label(r, "hour_of_day_countries") + ", " +
              r["series"]["local_time_zone"].get<std::string>(),
          r["series"]["countries"], "hour_of_day_local");
  out << "\n" << Label(r, "emerging_ports") << "\n";
  for (const auto& row : r["emerging_ports"]) {
    out << "  " << row["port"].get<std::string>() << ": " << row["packets"]
        << " packets, previous " << row["previous_packets"]
        << (row["first_seen"].get<bool>() ? " (first seen)" : "") << "\n";
  }
  out << "\n"
      << Label(r, "spikes") << " (" << r["spikes"]["method"].get<std::string>()
      << ")\n";
  for (const auto& row : r["spikes"]["entries"]) {
    out << absl::StrFormat(
        "  %-12s %-16s peak %s %8d packets, baseline median %.0f, z %.1f, %d "
        "h%s\n",
        row["kind"].get<std::string>(), row["name"].get<std::string>(),
        row["peak"].get<std::string>(), row["peak_packets"].get<uint64_t>(),
        row["baseline_median"].get<double>(), row["robust_z"].get<double>(),
        row["hours_above"].get<int>(), row["new"].get<bool>() ? " (new)" : "");
  }
  out << "\n" << Label(r, "wide_scanners") << "\n";
  for (const auto& row : r["wide_scanners"]) {
    out << "  " << row["source"].get<std::string>() << " ~"
        << row["ports_estimate"] << " ports, " << row["packets"] << " packets, "
        << row["country"].get<std::string>() << " AS" << row["asn"] << " "
        << row["as_name"].get<std::string>() << "\n";
  }
  out << "\n" << Label(r, "outages") << "\n";
  for (const auto& row : r["outages"]) {
    out << "  " << row["country"].get<std::string>() << " "
        << row.value("country_name", "") << " "
        << row["from"].get<std::string>() << " .. "
        << row["to"].get<std::string>() << ": median per "
        << r["series"]["step"].get<std::string>() << " "
        << row["baseline_median"] << " -> " << row["recent_median"] << "\n";
  }
  out << "\n" << Label(r, "coverage") << "\n";
  for (const auto& sensor : r["coverage"]) {
    out << "  " << sensor["sensor"].get<std::string>() << ": "
        << sensor["observed_seconds"] << "/" << sensor["period_seconds"]
        << " s\n";
    for (const auto& gap : sensor["gaps"]) {
      out << "    " << Label(r, gap["kind"].get<std::string>()) << " "
          << gap["from"].get<std::string>() << " .. "
          << gap["to"].get<std::string>() << "\n";
    }
  }
  out << "\n" << Label(r, "monthly") << "\n";
  for (const auto& row : r["monthly"]) {
    auto number = [](const json& v) {
      return v.is_null() ? std::string("-")
                         : absl::StrFormat("%.2f", v.get<double>());
    };
    out << absl::StrFormat(
        "  %-16s %s %6.2f %10d %10s %10s", row["sensor"].get<std::string>(),
        row["month"].get<std::string>(), row["days"].get<double>(),
        row["addresses"].get<uint64_t>(), number(row["per_address_per_day"]),
        number(row["year_before"]));
    if (row.value("ipv6_slash48s", uint64_t{0}) > 0) {
      out << absl::StrFormat("   IPv6 /48s %d: %s (%s)",
                             row["ipv6_slash48s"].get<uint64_t>(),
                             number(row["per_slash48_per_day"]),
                             number(row["year_before_per_slash48"]));
    }
    out << "\n";
  }
  for (const auto& w : r["warnings"])
    out << Label(r, "warning") << ": " << w.get<std::string>() << "\n";
  out << "sources: ";
  for (const auto& s : r["enrichment"]) out << s.get<std::string>() << "; ";
  out << "\n";
}

}  // namespace darkscope
