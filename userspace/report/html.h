// The report as one self-contained HTML page: the analyses of
// BuildReport's JSON as tables and inline SVG charts (top-N bars, hourly
// series, hour-of-day heat maps, outage curves). No script, no external
// file: it opens offline and mails as one attachment.
#ifndef DARKSCOPE_REPORT_HTML_H_
#define DARKSCOPE_REPORT_HTML_H_

#include <string>

#include "nlohmann/json.hpp"

namespace darkscope {

std::string RenderReportHtml(const nlohmann::json& report);

}  // namespace darkscope

#endif  // DARKSCOPE_REPORT_HTML_H_
