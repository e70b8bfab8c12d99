// Parsing the config file.
#include "config/config_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <limits>

#include "absl/algorithm/container.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status.h"
#include "common/unique_fd.h"

namespace darkscope {

namespace {

// How much of a line an error quotes, escaped.
constexpr size_t kQuotedBytes = 80;

// `text` for an error message: control bytes and bytes over 0x7e escaped
// (\x00), at most kQuotedBytes of it.
std::string Quote(absl::string_view text) {
  std::string quoted = absl::CHexEscape(text.substr(0, kQuotedBytes));
  if (text.size() > kQuotedBytes) quoted += "...";
  return quoted;
}

// The first byte of `line` that is not text (a control byte other than a
// tab, DEL, or a byte outside a valid UTF-8 sequence); npos if none.
size_t FirstNonText(absl::string_view line) {
  for (size_t i = 0; i < line.size();) {
    const auto c = static_cast<unsigned char>(line[i]);
    if (c < 0x80) {
      if ((c < 0x20 && c != '\t') || c == 0x7f) return i;
      ++i;
      continue;
    }
    // A UTF-8 sequence: lead byte, then 1 to 3 continuation bytes; no
    // overlong forms, surrogates or code points above U+10FFFF.
    const size_t length = c >= 0xc2 && c <= 0xdf   ? 2
                          : c >= 0xe0 && c <= 0xef ? 3
                          : c >= 0xf0 && c <= 0xf4 ? 4
                                                   : 0;
    if (length == 0 || i + length > line.size()) return i;
    const auto second = static_cast<unsigned char>(line[i + 1]);
    const bool second_ok = c == 0xe0   ? second >= 0xa0 && second <= 0xbf
                           : c == 0xed ? second >= 0x80 && second <= 0x9f
                           : c == 0xf0 ? second >= 0x90 && second <= 0xbf
                           : c == 0xf4 ? second >= 0x80 && second <= 0x8f
                                       : (second & 0xc0) == 0x80;
    if (!second_ok) return i;
    for (size_t k = 2; k < length; ++k) {
      if ((static_cast<unsigned char>(line[i + k]) & 0xc0) != 0x80) return i;
    }
    i += length;
  }
  return absl::string_view::npos;
}

}  // namespace

absl::StatusOr<std::vector<ConfigEntry>> ParseConfig(
    absl::string_view text, absl::string_view path,
    absl::Span<const absl::string_view> repeatable) {
  std::vector<ConfigEntry> entries;
  absl::flat_hash_map<std::string, int> first_line;  // key -> line
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    const std::string where = absl::StrCat(path, ":", number, ": ");
    absl::ConsumeSuffix(&line, "\r");  // a file written on Windows
    if (line.size() > kMaxConfigLine) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, "line of ", line.size(), " bytes; at most ", kMaxConfigLine));
    }
    if (const size_t bad = FirstNonText(line); bad != absl::string_view::npos) {
      // Never echoed: the terminal would take it as its own.
      return absl::InvalidArgumentError(absl::StrFormat(
          "%sbyte 0x%02x at column %d is not text (a config file is UTF-8 "
          "text without control characters)",
          where, static_cast<unsigned char>(line[bad]), bad + 1));
    }
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    const size_t eq = line.find('=');
    const absl::string_view key = absl::StripAsciiWhitespace(
        line.substr(0, eq == line.npos ? line.size() : eq));
    bool valid = eq != line.npos && !key.empty();
    for (char c : key) valid &= absl::ascii_isalnum(c) || c == '-' || c == '_';
    if (!valid) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, "expected 'key = value', got '", Quote(line), "'"));
    }
    ConfigEntry entry;
    entry.key = std::string(key);
    for (char& c : entry.key) c = c == '-' ? '_' : c;
    entry.value = std::string(absl::StripAsciiWhitespace(line.substr(eq + 1)));
    entry.line = number;
    const auto [first, inserted] = first_line.try_emplace(entry.key, number);
    if (!inserted && !absl::c_linear_search(repeatable, entry.key)) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, "'", entry.key, "' is given again (first at line ",
          first->second, "); give each key once"));
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

absl::StatusOr<std::vector<ConfigEntry>> ReadConfigFile(
    const std::string& path) {
  UniqueFd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!file.valid()) return ErrnoError(errno, "open config file", path);
  // Read at most one byte past the bound: a larger file (or /dev/zero) is
  // refused without reading it whole.
  std::string text(kMaxConfigBytes + 1, '\0');
  size_t size = 0;
  while (size < text.size()) {
    const ssize_t n =
        ::read(file.get(), text.data() + size, text.size() - size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError(errno, "read config file", path);
    if (n == 0) break;
    size += static_cast<size_t>(n);
  }
  if (size > kMaxConfigBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": more than ", kMaxConfigBytes, " bytes; not a config file"));
  }
  text.resize(size);
  return ParseConfig(text, path);
}

absl::StatusOr<uint64_t> ParseByteSize(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  int shift = 0;
  if (!text.empty()) {
    switch (absl::ascii_toupper(text.back())) {
      case 'K':
        shift = 10;
        break;
      case 'M':
        shift = 20;
        break;
      case 'G':
        shift = 30;
        break;
      case 'T':
        shift = 40;
        break;
      default:
        break;
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
