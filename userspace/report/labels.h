// The words a rendered report prints, in the report's language
// (report["language"], --lang): headings, column names and the previous
// rank's phrases, in English and Japanese. The JSON keys never change;
// only text and HTML read these.
#ifndef DARKSCOPE_REPORT_LABELS_H_
#define DARKSCOPE_REPORT_LABELS_H_

#include <string>

#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace darkscope {

// The label `key` ("top_ports", "rank", ...) in the report's language;
// the key itself when it has none.
std::string Label(const nlohmann::json& report, absl::string_view key);

// A row's previous rank as the seeds print it: "3", "out of top 10",
// "not seen" (ja: "3位", "圏外", "観測なし").
std::string PreviousRank(const nlohmann::json& report,
                         const nlohmann::json& row);

}  // namespace darkscope

#endif  // DARKSCOPE_REPORT_LABELS_H_
