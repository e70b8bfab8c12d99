// darkscope: the one binary, with subcommands. Their flags are the table
// in cli/commands.cc (`darkscope help CMD` prints them); this file parses
// against it, prints the usage, help and version, applies run's config
// file, and dispatches to the bodies in cli/*_commands.cc.
#include <cstdio>
#include <new>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "cli/command_bodies.h"
#include "cli/commands.h"
#include "cli/flags.h"
#include "cli/version.h"
#include "config/config_file.h"

namespace darkscope::cli {
namespace {

bool KernelSideBuilt() { return !KernelCommandBodies().empty(); }

const CommandBody* FindBody(absl::string_view name) {
  for (auto bodies : {OfflineCommandBodies(), KernelCommandBodies()}) {
    for (const CommandBody& body : bodies) {
      if (body.name == name) return &body;
    }
  }
  return nullptr;
}

std::string Help(const CommandSpec& command) {
  std::string text = FormatHelp(command);
  if (command.kernel_side && !KernelSideBuilt()) {
    absl::StrAppend(
        &text, "\nnot in this build: it was built without the kernel side\n");
  }
  return text;
}

// Sets the flags the command line left from the config file it names.
absl::Status ApplyConfigFile(ParsedFlags& flags) {
  const std::string path = flags.String(kConfigFlag);
  if (path.empty()) return absl::OkStatus();
  absl::StatusOr<std::vector<ConfigEntry>> entries = ReadConfigFile(path);
  if (!entries.ok()) return entries.status();
  std::vector<ConfigSetting> settings;
  for (const ConfigEntry& entry : *entries) {
    settings.push_back(
        {entry.key, entry.value, absl::StrCat(path, ":", entry.line)});
  }
  return flags.ApplyConfig(settings, kConfigFlag);
}

int Main(int argc, char** argv) {
  const std::string usage = FormatUsage(Commands(), KernelSideBuilt());
  if (argc < 2) {
    std::fputs(usage.c_str(), stderr);
    return kExitUsage;
  }
  const absl::string_view name = argv[1];
  if (name == "help" || name == "--help" || name == "-h") {
    if (name == "help" && argc > 2) {
      const CommandSpec* command = FindCommand(argv[2]);
      if (command == nullptr) {
        return Fail("help", absl::StrCat("unknown command '", argv[2], "'"),
                    kExitUsage);
      }
      std::fputs(Help(*command).c_str(), stdout);
      return 0;
    }
    std::fputs(usage.c_str(), stdout);
    return 0;
  }
  if (name == "version" || name == "--version") {
    std::fputs(VersionText().c_str(), stdout);
    return 0;
  }
  const CommandSpec* command = FindCommand(name);
  if (command == nullptr) {
    std::fprintf(
        stderr, "darkscope: unknown command '%s' (darkscope help lists them)\n",
        argv[1]);
    return kExitUsage;
  }
  absl::StatusOr<ParsedFlags> flags = ParseCommandLine(
      *command, absl::Span<const char* const>(argv + 2, argc - 2));
  if (flags.ok() && flags->help()) {
    std::fputs(Help(*command).c_str(), stdout);
    return 0;
  }
  // Without the kernel side, run, detach and replay say so whatever their
  // flags.
  const CommandBody* body = FindBody(command->name);
  if (body == nullptr && command->kernel_side) {
    return Fail(command->name,
                "this build has no kernel side (configured with "
                "-DDARKSCOPE_KERNEL_SIDE=OFF)",
                kExitUsage);
  }
  if (body == nullptr) {
    return Fail(command->name, "internal error: no body", kExitFailure);
  }
  if (!flags.ok()) {
    return Fail(command->name, flags.status().message(), kExitUsage);
  }
  if (FindFlag(*command, kConfigFlag) != nullptr) {
    if (absl::Status s = ApplyConfigFile(*flags); !s.ok()) {
      return Fail(command->name, s.message(), kExitUsage);
    }
  }
  if (absl::Status s = flags->CheckRequired(); !s.ok()) {
    return Fail(command->name, s.message(), kExitUsage);
  }
  return body->main(*flags);
}

}  // namespace
}  // namespace darkscope::cli

// The last resort for memory: every input's sizes are bounded before they
// are allocated, but an allocation that still fails ends the command with
// one line and status 1, never an abort.
int main(int argc, char** argv) {
  try {
    return darkscope::cli::Main(argc, argv);
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "darkscope %s: out of memory\n",
                 argc >= 2 ? argv[1] : "");
    return 1;
  }
}
