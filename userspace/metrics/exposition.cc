// Rendering the Prometheus text exposition format.
#include "metrics/exposition.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace darkscope {
namespace {

// [a-zA-Z_:][a-zA-Z0-9_:]* for metrics, without ':' for labels.
bool ValidName(absl::string_view name, bool allow_colon) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = absl::ascii_isalpha(c) || c == '_' ||
                    (allow_colon && c == ':') ||
                    (i > 0 && absl::ascii_isdigit(c));
    if (!ok) return false;
  }
  return true;
}

const char* TypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

// {a="x",b="y"} with `extra` (le) last; "" without labels.
std::string LabelText(const Labels& labels,
                      const std::pair<std::string, std::string>* extra) {
  if (labels.empty() && extra == nullptr) return "";
  std::string out = "{";
  bool first = true;
  auto add = [&](const std::pair<std::string, std::string>& label) {
    absl::StrAppend(&out, first ? "" : ",", label.first, "=\"",
                    EscapeLabelValue(label.second), "\"");
    first = false;
  };
  for (const auto& label : labels) add(label);
  if (extra != nullptr) add(*extra);
  return out + "}";
}

absl::Status CheckFamily(const MetricFamily& family) {
  if (!ValidName(family.name, true) || absl::StartsWith(family.name, "__")) {
    return absl::InvalidArgumentError(
        absl::StrCat("metric '", family.name, "': invalid metric name"));
  }
  for (const MetricSample& sample : family.samples) {
    for (const auto& [name, value] : sample.labels) {
      if (!ValidName(name, false) || absl::StartsWith(name, "__") ||
          (family.type == MetricType::kHistogram && name == "le")) {
        return absl::InvalidArgumentError(absl::StrCat(
            "metric '", family.name, "': invalid label name '", name, "'"));
      }
    }
    if (family.type != MetricType::kHistogram) continue;
    const HistogramValue& h = sample.histogram;
    // With <=, is_sorted holds only for strictly increasing bounds.
    if (h.counts.size() != h.bounds.size() + 1 ||
        !std::is_sorted(h.bounds.begin(), h.bounds.end(),
                        std::less_equal<double>())) {
      return absl::InvalidArgumentError(
          absl::StrCat("metric '", family.name,
                       "': histogram bounds must increase and counts "
                       "have one entry more than bounds"));
    }
  }
  return absl::OkStatus();
}

// Backslash and newline always; double quotes only in label values.
std::string Escape(absl::string_view text, bool quotes) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quotes) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string EscapeLabelValue(absl::string_view value) {
  return Escape(value, true);
}

std::string EscapeHelp(absl::string_view help) { return Escape(help, false); }

std::string FormatSampleValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buffer[64];
  auto [end, error] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, end);
}

absl::StatusOr<std::string> RenderExposition(
    absl::Span<const MetricFamily> families) {
  std::string out;
  for (const MetricFamily& family : families) {
    if (absl::Status s = CheckFamily(family); !s.ok()) return s;
    absl::StrAppend(&out, "# HELP ", family.name, " ", EscapeHelp(family.help),
                    "\n", "# TYPE ", family.name, " ", TypeName(family.type),
                    "\n");
    for (const MetricSample& sample : family.samples) {
      if (family.type != MetricType::kHistogram) {
        absl::StrAppend(&out, family.name, LabelText(sample.labels, nullptr),
                        " ", FormatSampleValue(sample.value), "\n");
        continue;
      }
      const HistogramValue& h = sample.histogram;
      uint64_t cumulative = 0;
      for (size_t i = 0; i <= h.bounds.size(); ++i) {
        cumulative += h.counts[i];
        const std::pair<std::string, std::string> le = {
            "le",
            i < h.bounds.size() ? FormatSampleValue(h.bounds[i]) : "+Inf"};
        absl::StrAppend(&out, family.name, "_bucket",
                        LabelText(sample.labels, &le), " ", cumulative, "\n");
      }
      absl::StrAppend(&out, family.name, "_sum",
                      LabelText(sample.labels, nullptr), " ",
                      FormatSampleValue(h.sum), "\n", family.name, "_count",
                      LabelText(sample.labels, nullptr), " ", h.count, "\n");
    }
  }
  return out;
}

Histogram::Histogram(std::vector<double> bounds) {
  value_.bounds = std::move(bounds);
  value_.counts.assign(value_.bounds.size() + 1, 0);
}

void Histogram::Observe(double value) {
  const size_t bucket =
      std::lower_bound(value_.bounds.begin(), value_.bounds.end(), value) -
      value_.bounds.begin();
  ++value_.counts[bucket];
  value_.sum += value;
  ++value_.count;
}

}  // namespace darkscope
