// Rendering the report's JSON as a self-contained HTML page with SVG charts.
#include "report/html.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "report/labels.h"

namespace darkscope {
namespace {

using nlohmann::json;

// Series colours, distinct for the colour-blind (Okabe-Ito).
constexpr const char* kPalette[] = {"#0072B2", "#E69F00", "#009E73", "#D55E00",
                                    "#CC79A7", "#56B4E9", "#F0E442", "#000000"};
constexpr const char* kBarColor = "#0072B2";

std::string Escape(const std::string& text) {
  return absl::StrReplaceAll(text, {{"&", "&amp;"},
                                    {"<", "&lt;"},
                                    {">", "&gt;"},
                                    {"\"", "&quot;"},
                                    {"'", "&#39;"}});
}

std::string Text(const json& value) {
  if (value.is_string()) return Escape(value.get<std::string>());
  if (value.is_null()) return "";
  if (value.is_number_float())
    return absl::StrFormat("%.2f", value.get<double>());
  return Escape(value.dump());
}

// 1234567 -> "1,234,567".
std::string Grouped(uint64_t n) {
  std::string digits = absl::StrCat(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

struct Bar {
  std::string label;
  double value = 0;
  std::string note;  // printed after the value
};

// Horizontal bars, largest first as given.
std::string BarChart(const std::vector<Bar>& bars, const char* color) {
  if (bars.empty()) return "<p class=\"none\">nothing in this period</p>";
  constexpr int kLabel = 170, kBars = 430, kRow = 22;
  double peak = 0;
  for (const Bar& b : bars) peak = std::max(peak, b.value);
  const int height = kRow * static_cast<int>(bars.size()) + 4;
  std::string svg = absl::StrFormat(
      "<svg class=\"chart bars\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d "
      "%d\" "
      "role=\"img\">",
      kLabel + kBars + 190, height, kLabel + kBars + 190, height);
  for (size_t i = 0; i < bars.size(); ++i) {
    const int y = static_cast<int>(i) * kRow + 2;
    const double w = peak > 0 ? std::max(1.0, bars[i].value / peak * kBars) : 1;
    absl::StrAppendFormat(
        &svg,
        "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>"
        "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>"
        "<text x=\"%.1f\" y=\"%d\" class=\"value\">%s %s</text>",
        kLabel - 8, y + 15, Escape(bars[i].label), kLabel, y + 3, w, kRow - 6,
        color, kLabel + w + 6, y + 15,
        Grouped(static_cast<uint64_t>(bars[i].value)), Escape(bars[i].note));
  }
  return svg + "</svg>";
}

struct Series {
  std::string name;
  // Every step; NaN where no sensor observed it (a gap in the line).
  std::vector<std::pair<absl::Time, double>> points;
};

// How a line chart draws its time axis and its steps.
struct ChartAxes {
  absl::TimeZone zone = absl::UTCTimeZone();  // the report's: tick labels
  std::set<absl::Time> partial;  // steps some sensor observed only partly
  int width = 840, height = 220;
  bool legend = true;
  size_t first_color = 0;  // the palette index of the first series
};

// Lines over time, one colour per series, with a legend. Steps nobody
// observed break the line; partly observed steps carry a hollow dot. Ticks
// are the zone's hours or midnights, labelled with dates.
std::string LineChart(const std::vector<Series>& series,
                      const ChartAxes& axes) {
  absl::Time first = absl::InfiniteFuture(), last = absl::InfinitePast();
  double peak = 0;
  for (const Series& s : series) {
    for (const auto& [t, v] : s.points) {
      first = std::min(first, t), last = std::max(last, t);
      if (!std::isnan(v)) peak = std::max(peak, v);
    }
  }
  if (peak == 0 || first >= last)
    return "<p class=\"none\">not enough data for a curve</p>";
  constexpr int kLeft = 70, kTop = 10;
  const int kWidth = axes.width, kHeight = axes.height;
  const double span = absl::ToDoubleSeconds(last - first);
  auto x = [&](absl::Time t) {
    return kLeft + absl::ToDoubleSeconds(t - first) / span * kWidth;
  };
  auto y = [&](double v) { return kTop + kHeight - v / peak * kHeight; };
  const int legend_rows =
      axes.legend ? (static_cast<int>(series.size()) + 3) / 4 : 0;
  const int total_height = kTop + kHeight + 30 + legend_rows * 20;
  std::string svg = absl::StrFormat(
      "<svg class=\"chart lines\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d "
      "%d\" role=\"img\">",
      kLeft + kWidth + 20, total_height, kLeft + kWidth + 20, total_height);
  // Grid: four horizontal lines with their values, time ticks below.
  for (int i = 0; i <= 4; ++i) {
    const double v = peak * i / 4;
    absl::StrAppendFormat(
        &svg,
        "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>"
        "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>",
        kLeft, kLeft + kWidth, y(v), y(v), kLeft - 6, y(v) + 4,
        Grouped(static_cast<uint64_t>(std::llround(v))));
  }
  // Ticks: every 3 hours up to two days (dates at midnight), else the
  // zone's midnights, one a day up to three weeks, one a week beyond;
  // fewer on small charts.
  const int hours_per_tick = span <= 2 * 86400 ? 3 : 0;
  const int days_per_tick = (span <= 21 * 86400 ? 1 : 7) *
                            (kWidth < 600 && hours_per_tick == 0 ? 2 : 1);
  absl::Time tick =
      absl::FromCivil(absl::ToCivilDay(first, axes.zone), axes.zone);
  while (tick <= last) {
    if (tick >= first) {
      const bool midnight =
          absl::ToCivilSecond(tick, axes.zone) ==
          absl::CivilSecond(absl::ToCivilDay(tick, axes.zone));
      absl::StrAppendFormat(
          &svg, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>",
          x(tick), kTop + kHeight + 18,
          absl::FormatTime(midnight ? "%m-%d" : "%H:00", tick, axes.zone));
    }
    if (hours_per_tick > 0) {
      tick += absl::Hours(hours_per_tick * (kWidth < 600 ? 2 : 1));
    } else {
      tick = absl::FromCivil(absl::ToCivilDay(tick, axes.zone) + days_per_tick,
                             axes.zone);
    }
  }
  for (size_t i = 0; i < series.size(); ++i) {
    const char* color = kPalette[(i + axes.first_color) % std::size(kPalette)];
    // One polyline per run of observed steps.
    std::string points, dots;
    auto flush = [&] {
      if (!points.empty()) {
        absl::StrAppendFormat(&svg,
                              "<polyline points=\"%s\" fill=\"none\" "
                              "stroke=\"%s\" stroke-width=\"2\"/>",
                              points, color);
      }
      points.clear();
    };
    for (const auto& [t, v] : series[i].points) {
      if (std::isnan(v)) {
        flush();
        continue;
      }
      absl::StrAppendFormat(&points, "%.1f,%.1f ", x(t), y(v));
      if (axes.partial.count(t)) {
        absl::StrAppendFormat(&dots,
                              "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" "
                              "fill=\"#fff\" stroke=\"%s\" class=\"partial\"/>",
                              x(t), y(v), color);
      }
    }
    flush();
    svg += dots;
    if (!axes.legend) continue;
    const int row = static_cast<int>(i) / 4, column = static_cast<int>(i) % 4;
    const int legend_y = kTop + kHeight + 40 + row * 20;
    absl::StrAppendFormat(
        &svg,
        "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"4\" fill=\"%s\"/>"
        "<text x=\"%d\" y=\"%d\">%s</text>",
        kLeft + column * 210, legend_y - 4, color, kLeft + column * 210 + 20,
        legend_y, Escape(series[i].name));
  }
  return svg + "</svg>";
}

// One small chart per series, each on its own scale: readable when one
// entry dominates the others by orders of magnitude.
std::string SmallMultiples(const std::vector<Series>& series,
                           const ChartAxes& axes) {
  if (series.empty()) return "<p class=\"none\">nothing in this period</p>";
  std::string html = "<div class=\"cols small\">";
  ChartAxes small = axes;
  small.width = 400, small.height = 110, small.legend = false;
  for (size_t i = 0; i < series.size(); ++i) {
    small.first_color = i;  // each entry keeps its rank's colour
    absl::StrAppend(&html, "<div><h4>", Escape(series[i].name), "</h4>",
                    LineChart({series[i]}, small), "</div>");
  }
  return html + "</div>";
}

// Per sensor and month: the average beside the same month a year before,
// as pairs of bars (TSUBAME's figures 3-4).
std::string MonthlyBars(const json& monthly) {
  std::vector<const json*> rows;
  double peak = 0;
  for (const json& row : monthly) {
    if (!row["per_address_per_day"].is_number()) continue;
    rows.push_back(&row);
    peak = std::max(peak, row["per_address_per_day"].get<double>());
    if (row["year_before"].is_number())
      peak = std::max(peak, row["year_before"].get<double>());
  }
  if (rows.empty() || peak <= 0)
    return "<p class=\"none\">no monthly averages</p>";
  constexpr int kLabel = 200, kBars = 430, kRow = 34;
  const int height = kRow * static_cast<int>(rows.size()) + 24;
  std::string svg = absl::StrFormat(
      "<svg class=\"chart monthly\" width=\"%d\" height=\"%d\" viewBox=\"0 0 "
      "%d %d\" role=\"img\">",
      kLabel + kBars + 120, height, kLabel + kBars + 120, height);
  for (size_t i = 0; i < rows.size(); ++i) {
    const json& row = *rows[i];
    const int y = static_cast<int>(i) * kRow + 2;
    absl::StrAppendFormat(
        &svg, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s %s</text>",
        kLabel - 8, y + 18, Escape(row["sensor"].get<std::string>()),
        Escape(row["month"].get<std::string>()));
    const std::pair<const char*, const char*> bars[] = {
        {"per_address_per_day", kBarColor}, {"year_before", "#9aa5b1"}};
    for (size_t b = 0; b < 2; ++b) {
      const json& v = row[bars[b].first];
      if (!v.is_number()) continue;
      const double w = std::max(1.0, v.get<double>() / peak * kBars);
      const int by = y + static_cast<int>(b) * 14;
      absl::StrAppendFormat(
          &svg,
          "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"12\" fill=\"%s\"/>"
          "<text x=\"%.1f\" y=\"%d\" class=\"value\">%.2f</text>",
          kLabel, by, w, bars[b].second, kLabel + w + 6, by + 11,
          v.get<double>());
    }
  }
  absl::StrAppendFormat(
      &svg,
      "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"8\" fill=\"%s\"/>"
      "<text x=\"%d\" y=\"%d\">this year</text>"
      "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"8\" fill=\"#9aa5b1\"/>"
      "<text x=\"%d\" y=\"%d\">a year before</text>",
      kLabel, height - 14, kBarColor, kLabel + 20, height - 6, kLabel + 120,
      height - 14, kLabel + 140, height - 6);
  return svg + "</svg>";
}

// Rows of 24 cells, each row shaded against its own busiest hour.
std::string HourHeatMap(
    const std::vector<std::pair<std::string, std::vector<double>>>& rows) {
  if (rows.empty()) return "<p class=\"none\">nothing in this period</p>";
  constexpr int kLabel = 170, kCell = 28, kRow = 20;
  const int width = kLabel + 24 * kCell + 10,
            height = 22 + kRow * static_cast<int>(rows.size());
  std::string svg = absl::StrFormat(
      "<svg class=\"chart heat\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d "
      "%d\" role=\"img\">",
      width, height, width, height);
  for (int h = 0; h < 24; h += 3) {
    absl::StrAppendFormat(&svg, "<text x=\"%d\" y=\"14\">%02dh</text>",
                          kLabel + h * kCell, h);
  }
  for (size_t r = 0; r < rows.size(); ++r) {
    const int y = 20 + static_cast<int>(r) * kRow;
    const double peak =
        *std::max_element(rows[r].second.begin(), rows[r].second.end());
    absl::StrAppendFormat(
        &svg, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>",
        kLabel - 8, y + 14, Escape(rows[r].first));
    for (int h = 0; h < 24 && h < static_cast<int>(rows[r].second.size());
         ++h) {
      const double share = peak > 0 ? rows[r].second[h] / peak : 0;
      absl::StrAppendFormat(
          &svg,
          "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\" "
          "fill-opacity=\"%.2f\"><title>%02dh: %s</title></rect>",
          kLabel + h * kCell, y, kCell - 2, kRow - 2, kBarColor,
          0.08 + 0.92 * share, h,
          Grouped(static_cast<uint64_t>(rows[r].second[h])));
    }
  }
  return svg + "</svg>";
}

absl::Time ParseRfc3339(const std::string& text) {
  absl::Time t;
  std::string error;
  return absl::ParseTime(absl::RFC3339_full, text, &t, &error)
             ? t
             : absl::UnixEpoch();
}

// Series entries in the rank order of `ranked` (rows with a `key` field).
json InRankOrder(const json& series, const json& ranked, const char* key) {
  json ordered = json::array();
  for (const auto& row : ranked) {
    const std::string name = row[key].get<std::string>();
    if (series.contains(name)) ordered.push_back({name, series[name]});
  }
  return ordered;
}

// Line series of the first `count` ranked entries of a report series
// object: every step, NaN where nobody observed.
std::vector<Series> RankedSeries(const json& series, const json& ranked,
                                 const char* key, size_t count) {
  std::vector<Series> out;
  for (const auto& entry : InRankOrder(series, ranked, key)) {
    if (out.size() >= count) break;
    Series line{entry[0].get<std::string>(), {}};
    for (const auto& point : entry[1]["steps"]) {
      line.points.emplace_back(
          ParseRfc3339(point[0].get<std::string>()),
          point[1].is_null() ? std::nan("") : point[1].get<double>());
    }
    out.push_back(std::move(line));
  }
  return out;
}

std::vector<std::pair<std::string, std::vector<double>>> Profiles(
    const json& series, const json& ranked, const char* key,
    const char* field) {
  std::vector<std::pair<std::string, std::vector<double>>> rows;
  for (const auto& entry : InRankOrder(series, ranked, key)) {
    if (!entry[1].contains(field)) continue;  // no hour-resolution data
    rows.emplace_back(entry[0].get<std::string>(),
                      entry[1][field].get<std::vector<double>>());
  }
  return rows;
}

// A table of `rows` with the given (heading, field) columns.
std::string Table(
    const json& rows,
    const std::vector<std::pair<const char*, const char*>>& columns) {
  if (rows.empty()) return "<p class=\"none\">nothing in this period</p>";
  std::string html = "<table><tr>";
  for (const auto& [heading, field] : columns)
    absl::StrAppend(&html, "<th>", heading, "</th>");
  html += "</tr>";
  for (const auto& row : rows) {
    html += "<tr>";
    for (const auto& [heading, field] : columns) {
      const json& value = row.contains(field) ? row[field] : json(nullptr);
      const bool number = value.is_number();
      absl::StrAppend(&html, number ? "<td class=\"n\">" : "<td>",
                      value.is_number_unsigned()
                          ? Grouped(value.get<uint64_t>())
                          : Text(value),
                      "</td>");
    }
    html += "</tr>";
  }
  return html + "</table>";
}

std::vector<Bar> RankedBars(const json& rows, const char* key) {
  std::vector<Bar> bars;
  for (const auto& row : rows) {
    std::string note;
    if (row.contains("previous"))
      note = absl::StrCat("(prev ", row["previous"].get<std::string>(), ")");
    bars.push_back(
        {row[key].get<std::string>(), row["packets"].get<double>(), note});
  }
  return bars;
}

constexpr const char* kStyle = R"(
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f5f7fa;color:#1f2933}
main{max-width:1120px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:0 0 10px}
.sub{color:#52606d;margin-bottom:18px}
section{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.12);padding:16px 20px;margin:16px 0}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.12);padding:10px 16px;min-width:120px}
.card b{display:block;font-size:20px}
.cols{display:flex;flex-wrap:wrap;gap:24px}
table{border-collapse:collapse;margin:6px 0}th,td{padding:3px 10px;border-bottom:1px solid #e4e7eb;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}th{color:#52606d;font-weight:600}
svg text{font-size:12px;fill:#323f4b}svg .value{fill:#52606d}svg .grid{stroke:#e4e7eb}
.small h4{margin:4px 0;font-size:13px}.filter{color:#b44d12}
.none{color:#7b8794;font-style:italic}.warn{color:#b44d12}
footer{color:#7b8794;font-size:12px;margin-top:24px}
)";

}  // namespace

std::string RenderReportHtml(const json& r) {
  const std::string from = r["period"]["from"].get<std::string>();
  const std::string to = r["period"]["to"].get<std::string>();
  const bool daily = r["series"]["step"] == "day";
  const char* step_name = daily ? "daily" : "hourly";
  ChartAxes axes;
  absl::LoadTimeZone(r["period"].value("time_zone", "UTC"), &axes.zone);
  if (r["series"].contains("partial_steps")) {
    for (const auto& t : r["series"]["partial_steps"])
      axes.partial.insert(ParseRfc3339(t.get<std::string>()));
  }
  auto L = [&](const char* key) { return Escape(Label(r, key)); };
  std::string h = absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"", Escape(r.value("language", "en")),
      "\"><head><meta charset=\"utf-8\">"
      "<title>darkscope report ",
      Escape(from), " .. ", Escape(to), "</title><style>", kStyle,
      "</style></head><body><main>\n<h1>", L("title"),
      "</h1><div class=\"sub\">", Escape(from), " .. ", Escape(to), " (",
      Escape(r["period"].value("time_zone", "UTC")), ")",
      r["period"].contains("note")
          ? absl::StrCat(" (", Text(r["period"]["note"]), ")")
          : "",
      " &middot; ", Text(r["period"]["snapshots"]),
      " snapshots &middot; previous period ",
      Text(r["previous_period"]["from"]), " .. ",
      Text(r["previous_period"]["to"]), "</div>\n");
  if (r.contains("filter") && !r["filter"]["applied"].empty()) {
    absl::StrAppend(&h, "<div class=\"sub filter\">", L("filter"), ": ",
                    Escape(r["filter"]["applied"].dump()));
    for (const auto& [section, why] : r["filter"]["unavailable"].items()) {
      absl::StrAppend(&h, "<br>", Escape(section), ": ", L("unavailable"), " (",
                      Text(why), ")");
    }
    h += "</div>\n";
  }
  h += "<div class=\"cards\">";
  for (const char* field :
       {"packets", "sources", "mirai", "zmap", "masscan", "backscatter"}) {
    const json& value = r["totals"].value(field, json(nullptr));
    absl::StrAppend(
        &h, "<div class=\"card\"><b>",
        value.is_number_unsigned() ? Grouped(value.get<uint64_t>()) : "&ndash;",
        "</b>", field, "</div>");
  }
  h += "</div>\n";

  auto section = [&](const std::string& title, const std::string& body) {
    absl::StrAppend(&h, "<section><h2>", title, "</h2>", body, "</section>\n");
  };
  // The seeds' table: rank | entry | name | packets | previous rank.
  auto ranked_table = [&](const json& rows, const char* key,
                          const char* name_field, const char* name_heading) {
    json shown = json::array();
    for (const json& row : rows) {
      json copy = row;
      copy["previous_shown"] = PreviousRank(r, row);
      shown.push_back(copy);
    }
    const std::string rank = Label(r, "rank"), entry = Label(r, key),
                      name = name_heading ? Label(r, name_heading) : "",
                      packets = Label(r, "packets"),
                      previous = Label(r, "previous");
    std::vector<std::pair<const char*, const char*>> columns = {
        {rank.c_str(), "rank"}, {entry.c_str(), key}};
    if (name_field) columns.emplace_back(name.c_str(), name_field);
    columns.emplace_back(packets.c_str(), "packets");
    columns.emplace_back(previous.c_str(), "previous_shown");
    return Table(shown, columns);
  };
  const json& series = r["series"];
  section(
      L("top_ports"),
      "<div class=\"cols\"><div>" +
          ranked_table(r["top_ports"], "port", "service", "service") +
          "</div><div>" +
          BarChart(RankedBars(r["top_ports"], "port"), kBarColor) +
          "</div></div>" +
          absl::StrCat("<h3>Top 5 ports, ", step_name,
                       " (each on its own scale)</h3>") +
          SmallMultiples(
              RankedSeries(series["ports"], r["top_ports"], "port", 5), axes));
  section(
      L("top_countries"),
      "<div class=\"cols\"><div>" +
          ranked_table(r["top_countries"], "country", "country_name", "name") +
          "</div><div>" +
          BarChart(RankedBars(r["top_countries"], "country"), kBarColor) +
          "</div></div>" +
          absl::StrCat("<h3>Top 5 countries, ", step_name,
                       " (each on its own scale)</h3>") +
          SmallMultiples(RankedSeries(series["countries"], r["top_countries"],
                                      "country", 5),
                         axes));
  section("Top country &times; port pairs",
          BarChart(RankedBars(r["top_country_ports"], "pair"), kBarColor) +
              absl::StrCat("<h3>Top pairs, ", step_name, "</h3>") +
              LineChart(RankedSeries(series["country_ports"],
                                     r["top_country_ports"], "pair", 6),
                        axes));
  section("Hour of day",
          "<h3>Top ports, UTC</h3>" +
              HourHeatMap(Profiles(series["ports"], r["top_ports"], "port",
                                   "hour_of_day_utc")) +
              "<h3>Top countries, " +
              Escape(series["local_time_zone"].get<std::string>()) + "</h3>" +
              HourHeatMap(Profiles(series["countries"], r["top_countries"],
                                   "country", "hour_of_day_local")));
  section(L("top_ases"), ranked_table(r["top_ases"], "as", nullptr, nullptr));
  if (r.contains("top_as_ports")) {
    section(L("top_as_ports"),
            ranked_table(r["top_as_ports"], "as_port", nullptr, nullptr));
  }
  if (r.contains("top_sources")) {
    section(L("top_sources"), Table(r["top_sources"], {{"rank", "rank"},
                                                       {"network", "network"},
                                                       {"packets", "packets"},
                                                       {"country", "country"},
                                                       {"", "country_name"},
                                                       {"AS", "asn"},
                                                       {"AS name", "as_name"},
                                                       {"known as", "known"}}));
  }
  section(L("fingerprint_shares"),
          Table(r["fingerprint_shares"], {{"port", "port"},
                                          {"service", "service"},
                                          {"ALL", "all"},
                                          {"Mirai", "mirai"},
                                          {"Mirai %", "mirai_share"},
                                          {"ZMap %", "zmap_share"},
                                          {"Masscan %", "masscan_share"}}));
  section(
      "Backscatter and reflection",
      "<h3>" + L("source_ports") + "</h3>" +
          ranked_table(r["source_ports"], "source_port", "service", "service") +
          "<h3>SYN-ACK / RST victims by network</h3>" +
          Table(r["backscatter_victims"]["top_networks"],
                {{"network", "network"},
                 {"packets", "packets"},
                 {"SYN-ACK", "synack"},
                 {"RST", "rst"},
                 {"country", "country"},
                 {"AS", "asn"},
                 {"AS name", "as_name"}}) +
          "<h3>Victims' countries</h3>" +
          BarChart(RankedBars(r["backscatter_victims"]["countries"], "country"),
                   kPalette[3]));
  section(
      "Emerging ports and spikes",
      "<h3>Ports first seen or grown tenfold</h3>" +
          Table(r["emerging_ports"], {{"port", "port"},
                                      {"packets", "packets"},
                                      {"previous", "previous_packets"},
                                      {"first seen", "first_seen"}}) +
          "<h3>Hours far above their baseline</h3><p class=\"sub\">" +
          Escape(r["spikes"]["method"].get<std::string>()) + "</p>" +
          Table(r["spikes"]["entries"], {{"kind", "kind"},
                                         {"name", "name"},
                                         {"peak", "peak"},
                                         {"packets", "peak_packets"},
                                         {"baseline median", "baseline_median"},
                                         {"robust z", "robust_z"},
                                         {"steps above", "hours_above"}}));
  section(L("wide_scanners"),
          Table(r["wide_scanners"], {{"source", "source"},
                                     {"ports (est.)", "ports_estimate"},
                                     {"packets", "packets"},
                                     {"country", "country"},
                                     {"AS", "asn"},
                                     {"AS name", "as_name"},
                                     {"known as", "known"}}));
  std::string outages =
      Table(r["outages"], {{"country", "country"},
                           {"", "country_name"},
                           {"from", "from"},
                           {"to", "to"},
                           {"baseline median", "baseline_median"},
                           {"recent median", "recent_median"}});
  std::vector<Series> outage_curves;
  for (const auto& row : r["outages"]) {
    Series s{row["country"].get<std::string>(), {}};
    for (const auto& point : row["series"]) {
      s.points.emplace_back(
          ParseRfc3339(point[0].get<std::string>()),
          point[1].is_null() ? std::nan("") : point[1].get<double>());
    }
    outage_curves.push_back(std::move(s));
  }
  if (!outage_curves.empty()) outages += LineChart(outage_curves, axes);
  section(L("outages"), outages);
  if (r.contains("coverage")) {
    json gaps = json::array();
    for (const auto& sensor : r["coverage"]) {
      for (json gap : sensor["gaps"]) {
        gap["sensor"] = sensor["sensor"];
        gap["kind"] = Label(r, gap["kind"].get<std::string>().c_str());
        gaps.push_back(gap);
      }
    }
    section(L("coverage"), Table(gaps, {{"sensor", "sensor"},
                                        {"", "kind"},
                                        {"from", "from"},
                                        {"to", "to"},
                                        {"observed s", "observed_seconds"},
                                        {"expected s", "expected_seconds"}}));
  }
  std::string sensors = "<div class=\"cols\">";
  for (const auto& sensor : r["sensors"]) {
    absl::StrAppend(
        &sensors, "<div><h3>", Text(sensor["sensor"]), " (",
        Grouped(sensor["packets"].get<uint64_t>()), " packets)</h3>",
        ranked_table(sensor["top_ports"], "port", "service", "service"),
        "</div>");
  }
  sensors += "</div>";
  if (r.contains("monthly")) {
    sensors +=
        "<h3>" + L("monthly") + "</h3>" + MonthlyBars(r["monthly"]) +
        Table(r["monthly"], {{"sensor", "sensor"},
                             {"month", "month"},
                             {"days", "days"},
                             {"addresses", "addresses"},
                             {"per address per day", "per_address_per_day"},
                             {"a year before", "year_before"},
                             {"change %", "year_over_year_change"},
                             {"IPv6 /48s", "ipv6_slash48s"},
                             {"per /48 per day", "per_slash48_per_day"}});
  }
  section(L("sensors"), sensors);
  h += "<footer>";
  for (const auto& w : r["warnings"])
    absl::StrAppend(&h, "<div class=\"warn\">warning: ", Text(w), "</div>");
  h += "<div>Origins: ";
  for (const auto& s : r["enrichment"]) absl::StrAppend(&h, Text(s), "; ");
  h += "country and AS data: ip-location-db (CC BY 4.0), from the RIRs' "
       "delegations "
       "(credit: nro.net); service names: the system's services database; "
       "country names: Debian iso-codes.</div><div>Generated by "
       "darkscope.</div></footer></main></body></html>\n";
  return h;
}

}  // namespace darkscope
