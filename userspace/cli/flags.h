// The command line of the darkscope binary, driven by one table of flags per
// subcommand (cli/commands.h): the same rows parse the arguments, apply the
// config file's `key = value` entries, check what is required, and print
// `darkscope CMD --help` and the README's flag lists. A row says a flag's
// name, value type, default and one-line meaning; nothing else in the
// binary lists flags.
//
// Parsing accepts --flag=value and --flag value (-flag too, and '_' for
// '-'), a boolean alone (--keep-attached) or with =true/=false, repeated
// occurrences of a repeated flag (--prefix), -- before operands, and
// --help/-h anywhere. Every error is one line naming the flag (or the
// config file and line); the binary exits 2 for them (usage errors).
//
// This room knows nothing of what the flags mean: the binary's command
// bodies read a ParsedFlags into the libraries' option structs.
#ifndef DARKSCOPE_CLI_FLAGS_H_
#define DARKSCOPE_CLI_FLAGS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace darkscope::cli {

enum class FlagType {
  kString,    // any text, the empty string included
  kBool,      // true/false (1/0, yes/no); alone means true
  kUint32,    // 0 .. 2^32-1
  kUint64,    // 0 .. 2^64-1
  kInt,       // a signed int
  kDuration,  // absl's "60s", "1h30m", "0"
  kTime,      // RFC 3339, "2026-11-23T00:00:00Z"; no default: unset
  kChoice,    // one of the words of `value_name`, "native|skb|auto"
};

// "string", "bool", "uint32", ...: the type as help prints it.
absl::string_view TypeName(FlagType type);

// What a flag is besides its value (FlagSpec::traits, or-ed).
enum FlagTrait : unsigned {
  kRepeated = 1,  // every occurrence kept, in order (--prefix, --in)
  kRequired = 2,  // the command refuses to run without it
};

struct FlagSpec {
  absl::string_view name;  // as typed after --, "sample-rate"
  FlagType type;
  absl::string_view value_name;     // "N", "DIR"; for kChoice the choices,
                                    // '|'-separated
  absl::string_view default_value;  // as it would be typed; "" for none
  absl::string_view meaning;        // one line
  unsigned traits = 0;              // FlagTrait bits

  constexpr bool repeated() const { return traits & kRepeated; }
  constexpr bool required() const { return traits & kRequired; }
};

struct CommandSpec {
  absl::string_view name;      // "run"
  absl::string_view operands;  // after the flags, "PATH..."; "" for none
  absl::string_view summary;   // one line
  absl::Span<const FlagSpec> flags;
  bool kernel_side = false;  // needs the XDP program (DARKSCOPE_KERNEL_SIDE)
};

// One `key = value` of a config file; `where` names it ("FILE:LINE").
struct ConfigSetting {
  std::string key;  // a flag name, with '-' or '_'
  std::string value;
  std::string where;
};

// The value of every flag of one command after parsing: the command line's
// over the config file's over the table's default. The getters take a
// name of the command's table and that flag's type; any other name or
// type is a programming error and aborts.
class ParsedFlags {
 public:
  // Whether --help or -h was given (nothing else is checked then).
  bool help() const { return help_; }
  // The arguments that are not flags, in order.
  const std::vector<std::string>& operands() const { return operands_; }

  const std::string& String(absl::string_view name) const;  // kString, kChoice
  bool Bool(absl::string_view name) const;
  uint32_t Uint32(absl::string_view name) const;
  uint64_t Uint64(absl::string_view name) const;
  int Int(absl::string_view name) const;
  absl::Duration Duration(absl::string_view name) const;
  std::optional<absl::Time> Time(absl::string_view name) const;
  // A repeated flag's values (kString): the command line's if it has any,
  // else the config file's, else the default (if not empty).
  const std::vector<std::string>& List(absl::string_view name) const;
  // Whether the command line or the config file set it.
  bool Given(absl::string_view name) const;

  // Sets the flags the command line did not set from a config file's
  // entries; keys are the table's names ('_' for '-' allowed) except the
  // flag that names the config file itself. Errors name `where`.
  absl::Status ApplyConfig(absl::Span<const ConfigSetting> settings,
                           absl::string_view config_flag);
  // InvalidArgument naming the first required flag that has no value.
  absl::Status CheckRequired() const;
  // Internal naming any flag of the table no getter has read: a flag the
  // command forgot to apply. Command bodies call it once they have read
  // their options.
  absl::Status CheckAllRead() const;

 private:
  friend absl::StatusOr<ParsedFlags> ParseCommandLine(
      const CommandSpec&, absl::Span<const char* const>);
  enum class Source { kDefault, kConfig, kCommandLine };
  struct Value {
    Source source = Source::kDefault;
    std::vector<std::string>
        texts;  // the last is the value; all of a repeated flag
    bool boolean = false;
    uint64_t unsigned_number = 0;
    int64_t signed_number = 0;
    absl::Duration duration;
    std::optional<absl::Time> time;
  };
  const Value& Get(absl::string_view name, FlagType type) const;
  // Parses `text` for flags_[index] into `value`; `source` says where from.
  absl::Status Set(size_t index, absl::string_view text, Source source,
                   Value& value);

  const CommandSpec* command_ = nullptr;
  std::vector<Value> values_;  // one per row of command_->flags
  mutable std::vector<bool> read_;
  std::vector<std::string> operands_;
  bool help_ = false;
};

// Parses `args` (what follows the command's name) against `command`'s
// table, defaults filled in. InvalidArgument for an unknown flag, a
// missing or bad value, or operands to a command that takes none.
absl::StatusOr<ParsedFlags> ParseCommandLine(
    const CommandSpec& command, absl::Span<const char* const> args);

// `darkscope CMD --help`: the usage line, the summary and every flag with
// its type, default and meaning. The README holds this text per command.
std::string FormatHelp(const CommandSpec& command);

// The top-level usage: every command with its summary; without
// `kernel_side_built`, the kernel-side commands are marked as not built.
std::string FormatUsage(absl::Span<const CommandSpec> commands,
                        bool kernel_side_built);

// The row of `command` named `name` ('_' for '-' allowed); null if none.
const FlagSpec* FindFlag(const CommandSpec& command, absl::string_view name);

}  // namespace darkscope::cli

#endif  // DARKSCOPE_CLI_FLAGS_H_
