// The table of darkscope's subcommands and their flags: the one place a
// flag is declared (name, type, default, meaning). Parsing, --help, the
// top-level usage, the config file's keys (those of `run`) and the
// README's flag lists (tests/cli_test.cc compares them) all come from it.
#ifndef DARKSCOPE_CLI_COMMANDS_H_
#define DARKSCOPE_CLI_COMMANDS_H_

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "cli/flags.h"

namespace darkscope::cli {

// Every subcommand, in the order the usage lists them.
absl::Span<const CommandSpec> Commands();

// The subcommand named `name`; null if none.
const CommandSpec* FindCommand(absl::string_view name);

// The flag of `run` that names its config file, whose keys are run's
// other flags.
inline constexpr absl::string_view kConfigFlag = "config";

}  // namespace darkscope::cli

#endif  // DARKSCOPE_CLI_COMMANDS_H_
