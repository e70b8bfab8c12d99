// The report's words in English and Japanese (labels.h).
#include "report/labels.h"

#include "absl/strings/str_cat.h"

namespace darkscope {
namespace {

struct Words {
  const char* key;
  const char* en;
  const char* ja;
};

constexpr Words kWords[] = {
    {"title", "Darknet report", "ダークネット観測レポート"},
    {"top_ports", "Top destination ports", "宛先ポート別パケット数 TOP"},
    {"top_countries", "Top source countries", "送信元地域別パケット数 TOP"},
    {"top_ases", "Top source ASes", "送信元 AS 別パケット数 TOP"},
    {"top_as_ports", "Source AS x destination port", "送信元 AS x 宛先ポート"},
    {"top_sources", "Top source networks", "送信元ネットワーク TOP"},
    {"sensors", "Top destination ports per sensor",
     "センサー別 宛先ポート TOP"},
    {"fingerprint_shares", "Fingerprint shares per port",
     "ポート別 Mirai 型・ZMap・Masscan パケットの割合"},
    {"source_ports", "Traffic by source port (reflection, backscatter)",
     "送信元ポート別 (リフレクション・バックスキャッタ)"},
    {"victims", "SYN-ACK/RST victims", "SYN-ACK/RST の送信元 (攻撃の被害者)"},
    {"victim_countries", "Victims' countries", "被害者の地域"},
    {"hour_of_day_ports", "Hour of day, top ports", "時間帯別 (宛先ポート)"},
    {"hour_of_day_countries", "Hour of day, top countries",
     "時間帯別 (送信元地域)"},
    {"emerging_ports", "Emerging ports", "新たに増加したポート"},
    {"spikes", "Spikes", "急増"},
    {"wide_scanners", "Wide-range scanners", "広範囲のポートスキャン"},
    {"outages", "Outages", "パケット数の途絶 (アウテージ)"},
    {"coverage", "Sensor coverage", "センサーの観測状況"},
    {"known_scanners", "Known scanners", "既知のスキャナー"},
    {"monthly",
     "Packets per monitored address per day (sensor, month, days, addresses, "
     "average, a year before; IPv6 per /48)",
     "1 アドレスあたり 1 日平均パケット数 (センサー, 月, 日数, アドレス数, "
     "平均, 前年同月; IPv6 は /48 あたり)"},
    {"filter", "Filter", "絞り込み"},
    {"unavailable", "not available under this filter",
     "この絞り込みでは集計できません"},
    {"rank", "rank", "順位"},
    {"port", "port", "ポート"},
    {"service", "service", "サービス"},
    {"packets", "packets", "パケット数"},
    {"previous", "previous rank", "前回順位"},
    {"country", "country", "地域"},
    {"name", "name", "名称"},
    {"as_port", "AS x port", "AS x ポート"},
    {"as", "AS", "AS"},
    {"network", "network", "ネットワーク"},
    {"known", "known as", "既知"},
    {"period", "period", "期間"},
    {"previous_period", "previous", "前回"},
    {"snapshots", "snapshots", "スナップショット"},
    {"sources", "sources", "送信元"},
    {"missing", "missing", "欠測"},
    {"incomplete", "incomplete", "一部欠測"},
    {"warning", "warning", "注意"},
};

}  // namespace

std::string Label(const nlohmann::json& report, absl::string_view key) {
  const bool ja = report.value("language", "en") == "ja";
  for (const Words& w : kWords) {
    if (key == w.key) return ja ? w.ja : w.en;
  }
  return std::string(key);
}

std::string PreviousRank(const nlohmann::json& report,
                         const nlohmann::json& row) {
  const bool ja = report.value("language", "en") == "ja";
  if (!row.contains("previous")) return "";
  const std::string previous = row["previous"].get<std::string>();
  if (row["previous_rank"].is_null()) return ja ? "観測なし" : previous;
  if (previous.rfind("out of top", 0) == 0) return ja ? "圏外" : previous;
  return ja ? absl::StrCat(previous, "位") : previous;
}

}  // namespace darkscope
