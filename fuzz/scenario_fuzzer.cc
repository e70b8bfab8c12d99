// Fuzzing the scenario format (`darkscope gen --scenario FILE`): any text
// parses or fails with a message, never a crash.
#include "absl/strings/string_view.h"
#include "gen/scenario.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)darkscope::ParseScenario(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
