// The daemon's config file (/etc/darkscope/darkscope.conf): one
// `key = value` per line, keys are `darkscope run`'s flag names (with - or
// _), blank lines and lines starting with # are ignored, a repeatable flag
// (prefix) is given once per line, an empty value sets the empty string
// (`http =` turns the HTTP server off). Flags on the command line override
// the file. Errors name the file and the line.
//
// Refused, each with FILE:LINE: a key given twice (unless repeatable), a
// line that is not UTF-8 text (control bytes, binary; the byte is named,
// never echoed), a line over kMaxConfigLine bytes; and a file over
// kMaxConfigBytes (`--config /dev/zero`). Errors quote at most 80 bytes of
// a line, escaped. The values' own bounds are checked where the options
// are validated (agent/agent.h, ValidateAgentOptions).
#ifndef DARKSCOPE_CONFIG_CONFIG_FILE_H_
#define DARKSCOPE_CONFIG_CONFIG_FILE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace darkscope {

struct ConfigEntry {
  std::string key;    // flag name, '-' spelled '_'
  std::string value;  // trimmed
  int line = 0;
  friend bool operator==(const ConfigEntry&, const ConfigEntry&) = default;
};

inline constexpr size_t kMaxConfigBytes = 1 << 20;
inline constexpr size_t kMaxConfigLine = 4096;

// Keys that may be given on several lines, one value each.
inline constexpr absl::string_view kRepeatableKeys[] = {"prefix"};

// Parses `text`; `path` only names the file in errors.
absl::StatusOr<std::vector<ConfigEntry>> ParseConfig(
    absl::string_view text, absl::string_view path,
    absl::Span<const absl::string_view> repeatable = kRepeatableKeys);
absl::StatusOr<std::vector<ConfigEntry>> ReadConfigFile(
    const std::string& path);

// "50G" -> 50 * 2^30: a byte count with an optional K, M, G or T suffix
// (powers of 1024).
absl::StatusOr<uint64_t> ParseByteSize(absl::string_view text);

}  // namespace darkscope

#endif  // DARKSCOPE_CONFIG_CONFIG_FILE_H_
