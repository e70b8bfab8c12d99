// The Prometheus text exposition format (version 0.0.4), rendered by us:
// Debian 12 packages no Prometheus client library for C++ (there is no
// libprometheus-cpp-dev), and the format is small enough to own.
//
// A MetricFamily is a name, a help text, a type and its samples; Render()
// writes the HELP and TYPE lines and one line per sample (histograms as
// cumulative _bucket{le=...} lines ending with le="+Inf", then _sum and
// _count), escaping help text and label values as the format requires.
// Names are checked against the format's grammar, so a bad name is an
// error naming the metric, never a scrape that Prometheus rejects.
//
// Histogram is the observing side: fixed upper bounds, counts per bucket,
// sum and count; not thread-safe (one owner observes, copies publish).
#ifndef DARKSCOPE_METRICS_EXPOSITION_H_
#define DARKSCOPE_METRICS_EXPOSITION_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace darkscope {

// The content type of Render()'s output.
inline constexpr const char* kExpositionContentType =
    "text/plain; version=0.0.4; charset=utf-8";

enum class MetricType { kCounter, kGauge, kHistogram };

// A histogram's state: counts[i] observations fell in (bounds[i-1],
// bounds[i]], counts.back() those above the last bound.
struct HistogramValue {
  std::vector<double> bounds;    // strictly increasing upper bounds
  std::vector<uint64_t> counts;  // bounds.size() + 1 entries
  double sum = 0;
  uint64_t count = 0;
};

using Labels = std::vector<std::pair<std::string, std::string>>;

struct MetricSample {
  Labels labels;
  double value = 0;          // counters and gauges
  HistogramValue histogram;  // histograms
};

struct MetricFamily {
  std::string name;  // without _bucket/_sum/_count
  std::string help;
  MetricType type = MetricType::kGauge;
  std::vector<MetricSample> samples;
};

// The exposition text of `families`, in order. Errors name the metric: an
// invalid metric or label name, a histogram whose counts do not match its
// bounds.
absl::StatusOr<std::string> RenderExposition(
    absl::Span<const MetricFamily> families);

// Escapes a label value: backslash, double quote and newline.
std::string EscapeLabelValue(absl::string_view value);
// Escapes a HELP text: backslash and newline.
std::string EscapeHelp(absl::string_view help);
// A sample value as the format spells it: shortest round-trip decimal,
// +Inf, -Inf, NaN.
std::string FormatSampleValue(double value);

class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double value);
  const HistogramValue& value() const { return value_; }

 private:
  HistogramValue value_;
};

}  // namespace darkscope

#endif  // DARKSCOPE_METRICS_EXPOSITION_H_
