// Parsing the config file.
#include "config/config_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status.h"

namespace darkscope {

absl::StatusOr<std::vector<ConfigEntry>> ParseConfig(absl::string_view text,
                                                     absl::string_view path) {
  std::vector<ConfigEntry> entries;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    const size_t eq = line.find('=');
    const absl::string_view key =
        absl::StripAsciiWhitespace(line.substr(0, eq == line.npos ? line.size() : eq));
    bool valid = eq != line.npos && !key.empty();
    for (char c : key) valid &= absl::ascii_isalnum(c) || c == '-' || c == '_';
    if (!valid) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", number, ": expected 'key = value', got '", line, "'"));
    }
    ConfigEntry entry;
    entry.key = std::string(key);
    for (char& c : entry.key) c = c == '-' ? '_' : c;
    entry.value = std::string(absl::StripAsciiWhitespace(line.substr(eq + 1)));
    entry.line = number;
    entries.push_back(std::move(entry));
  }
  return entries;
}

absl::StatusOr<std::vector<ConfigEntry>> ReadConfigFile(const std::string& path) {
  std::ifstream file(path);
  if (!file) return ErrnoError(errno, "open config file", path);
  std::stringstream text;
  text << file.rdbuf();
  if (file.bad()) return ErrnoError(errno, "read config file", path);
  return ParseConfig(text.str(), path);
}

absl::StatusOr<uint64_t> ParseByteSize(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  int shift = 0;
  if (!text.empty()) {
    switch (absl::ascii_toupper(text.back())) {
      case 'K': shift = 10; break;
      case 'M': shift = 20; break;
      case 'G': shift = 30; break;
      case 'T': shift = 40; break;
      default: break;
    }
  }
  if (shift > 0) text.remove_suffix(1);
  uint64_t number = 0;
  if (!absl::SimpleAtoi(text, &number) ||
      number > (std::numeric_limits<uint64_t>::max() >> shift)) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", text, "': expected a byte count like 500M or 50G"));
  }
  return number << shift;
}

}  // namespace darkscope
