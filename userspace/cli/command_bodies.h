// The bodies of darkscope's subcommands, in two groups: the offline ones
// (cli/offline_commands.cc: cat, gen, report, rollup) and the kernel side
// (cli/kernel_commands.cc: run, detach, replay), which is linked only when
// CMake's DARKSCOPE_KERNEL_SIDE is ON (else cli/no_kernel_side.cc, which
// has none). Each body reads its ParsedFlags into a library's options
// struct and runs it; main.cc parses, prints help and dispatches.
//
// Exit statuses: 0 success, 1 a runtime failure, 2 a usage error (unknown
// flag or command, bad or missing value, conflicting flags). `run` also
// exits 2 when it refuses to start (the interface is missing or held,
// pins of another layout, missing capabilities): restarting cannot help,
// and its systemd unit does not restart on 2.
#ifndef DARKSCOPE_CLI_COMMAND_BODIES_H_
#define DARKSCOPE_CLI_COMMAND_BODIES_H_

#include <cstdio>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "cli/flags.h"

namespace darkscope::cli {

inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// Prints "darkscope COMMAND: MESSAGE" on stderr and returns `status`.
inline int Fail(absl::string_view command, absl::string_view message,
                int status) {
  std::fprintf(stderr, "darkscope %s: %s\n", std::string(command).c_str(),
               std::string(message).c_str());
  return status;
}

struct CommandBody {
  absl::string_view name;  // as in Commands()
  int (*main)(const ParsedFlags& flags);
};

absl::Span<const CommandBody> OfflineCommandBodies();
// Empty in a build without the kernel side.
absl::Span<const CommandBody> KernelCommandBodies();

}  // namespace darkscope::cli

#endif  // DARKSCOPE_CLI_COMMAND_BODIES_H_
