// Fuzzing the config file parser and the byte-size values it feeds: any
// text parses or fails with a short, printable error (nothing of the input
// echoed raw).
#include <cstdio>
#include <cstdlib>

#include "absl/strings/string_view.h"
#include "config/config_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<std::vector<darkscope::ConfigEntry>> entries =
      darkscope::ParseConfig(text, "fuzz.conf");
  if (!entries.ok()) {
    for (char c : entries.status().message()) {
      if (c < 0x20 || c == 0x7f) {
        std::fprintf(stderr, "control byte 0x%02x in a config error\n", c);
        std::abort();
      }
    }
    return 0;
  }
  for (const darkscope::ConfigEntry& entry : *entries) {
    (void)darkscope::ParseByteSize(entry.value);
  }
  return 0;
}
