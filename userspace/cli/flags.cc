// The table-driven parser and help text of cli/flags.h.
#include "cli/flags.h"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"

namespace darkscope::cli {
namespace {

std::string Normalized(absl::string_view name) {
  return absl::StrReplaceAll(name, {{"_", "-"}});
}

std::vector<absl::string_view> Choices(const FlagSpec& flag) {
  return absl::StrSplit(flag.value_name, '|');
}

// "expected native, skb or auto".
std::string ExpectedChoices(const FlagSpec& flag) {
  const std::vector<absl::string_view> choices = Choices(flag);
  std::string text = "expected ";
  for (size_t i = 0; i < choices.size(); ++i) {
    if (i > 0) absl::StrAppend(&text, i + 1 == choices.size() ? " or " : ", ");
    absl::StrAppend(&text, choices[i]);
  }
  return text;
}

[[noreturn]] void Misuse(absl::string_view command, absl::string_view name,
                         absl::string_view what) {
  std::fprintf(stderr, "darkscope %s: internal error: flag --%s %s\n",
               std::string(command).c_str(), std::string(name).c_str(),
               std::string(what).c_str());
  std::abort();
}

}  // namespace

absl::string_view TypeName(FlagType type) {
  switch (type) {
    case FlagType::kString:
      return "string";
    case FlagType::kBool:
      return "bool";
    case FlagType::kUint32:
      return "uint32";
    case FlagType::kUint64:
      return "uint64";
    case FlagType::kInt:
      return "int";
    case FlagType::kDuration:
      return "duration";
    case FlagType::kTime:
      return "RFC 3339 time";
    case FlagType::kChoice:
      return "choice";
  }
  return "?";
}

const FlagSpec* FindFlag(const CommandSpec& command, absl::string_view name) {
  const std::string wanted = Normalized(name);
  for (const FlagSpec& flag : command.flags) {
    if (flag.name == wanted) return &flag;
  }
  return nullptr;
}

absl::Status ParsedFlags::Set(size_t index, absl::string_view text,
                              Source source, Value& value) {
  const FlagSpec& flag = command_->flags[index];
  auto bad = [&](absl::string_view expected) {
    return absl::InvalidArgumentError(absl::StrCat(
        "bad value '", text, "' for --", flag.name, ": ", expected));
  };
  switch (flag.type) {
    case FlagType::kString:
      break;
    case FlagType::kBool:
      if (!absl::SimpleAtob(text, &value.boolean))
        return bad("expected true or false");
      break;
    case FlagType::kUint32: {
      uint32_t n = 0;
      if (!absl::SimpleAtoi(text, &n))
        return bad("expected a whole number below 2^32");
      value.unsigned_number = n;
      break;
    }
    case FlagType::kUint64:
      if (!absl::SimpleAtoi(text, &value.unsigned_number)) {
        return bad("expected a whole number below 2^64");
      }
      break;
    case FlagType::kInt: {
      int n = 0;
      if (!absl::SimpleAtoi(text, &n)) return bad("expected an integer");
      value.signed_number = n;
      break;
    }
    case FlagType::kDuration:
      if (!absl::ParseDuration(text, &value.duration)) {
        return bad("expected a duration like 60s, 10m or 1h30m");
      }
      break;
    case FlagType::kTime: {
      if (text.empty()) {
        value.time.reset();
        break;
      }
      absl::Time t;
      std::string error;
      if (!absl::ParseTime(absl::RFC3339_full, text, &t, &error)) {
        return bad("expected an RFC 3339 time like 2026-11-23T00:00:00Z");
      }
      value.time = t;
      break;
    }
    case FlagType::kChoice: {
      bool known = false;
      for (absl::string_view choice : Choices(flag)) known |= text == choice;
      if (!known) return bad(ExpectedChoices(flag));
      break;
    }
  }
  if (flag.repeated() && value.source == source) {
    value.texts.emplace_back(text);
  } else {
    value.texts = {std::string(text)};
  }
  value.source = source;
  return absl::OkStatus();
}

absl::StatusOr<ParsedFlags> ParseCommandLine(
    const CommandSpec& command, absl::Span<const char* const> args) {
  ParsedFlags parsed;
  parsed.command_ = &command;
  parsed.values_.resize(command.flags.size());
  parsed.read_.assign(command.flags.size(), false);
  for (size_t i = 0; i < command.flags.size(); ++i) {
    const FlagSpec& flag = command.flags[i];
    ParsedFlags::Value& value = parsed.values_[i];
    if (flag.default_value.empty() && flag.type != FlagType::kString &&
        flag.type != FlagType::kTime) {
      Misuse(command.name, flag.name, "has no default");
    }
    if (absl::Status s = parsed.Set(i, flag.default_value,
                                    ParsedFlags::Source::kDefault, value);
        !s.ok()) {
      Misuse(command.name, flag.name, s.message());
    }
    if (flag.repeated() && flag.default_value.empty()) value.texts.clear();
  }
  // --help anywhere before --, whatever else is wrong.
  for (absl::string_view arg : args) {
    if (arg == "--") break;
    if (arg == "--help" || arg == "-h" || arg == "-help") {
      parsed.help_ = true;
      return parsed;
    }
  }
  for (size_t i = 0; i < args.size(); ++i) {
    const absl::string_view arg = args[i];
    if (arg == "--") {
      for (++i; i < args.size(); ++i) parsed.operands_.emplace_back(args[i]);
      break;
    }
    if (!absl::StartsWith(arg, "-") || arg == "-") {
      parsed.operands_.emplace_back(arg);
      continue;
    }
    absl::string_view name = arg.substr(absl::StartsWith(arg, "--") ? 2 : 1);
    std::optional<absl::string_view> text;
    if (size_t eq = name.find('='); eq != name.npos) {
      text = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    const FlagSpec* flag = FindFlag(command, name);
    if (flag == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag '", arg, "' (darkscope ", command.name,
                       " --help lists the flags)"));
    }
    if (!text && flag->type == FlagType::kBool) text = "true";
    if (!text) {
      if (i + 1 >= args.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat("--", flag->name, " needs a value"));
      }
      text = args[++i];
    }
    const size_t index = flag - command.flags.data();
    if (absl::Status s =
            parsed.Set(index, *text, ParsedFlags::Source::kCommandLine,
                       parsed.values_[index]);
        !s.ok()) {
      return s;
    }
  }
  if (command.operands.empty() && !parsed.operands_.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("unexpected argument '", parsed.operands_[0], "'"));
  }
  return parsed;
}

absl::Status ParsedFlags::ApplyConfig(absl::Span<const ConfigSetting> settings,
                                      absl::string_view config_flag) {
  for (const ConfigSetting& setting : settings) {
    const FlagSpec* flag = FindFlag(*command_, setting.key);
    if (flag == nullptr || flag->name == config_flag) {
      return absl::InvalidArgumentError(
          absl::StrCat(setting.where, ": unknown key '", setting.key, "'"));
    }
    const size_t index = flag - command_->flags.data();
    Value& value = values_[index];
    if (value.source == Source::kCommandLine)
      continue;  // the command line wins
    if (absl::Status s = Set(index, setting.value, Source::kConfig, value);
        !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(setting.where, ": ", s.message()));
    }
  }
  return absl::OkStatus();
}

absl::Status ParsedFlags::CheckRequired() const {
  for (size_t i = 0; i < command_->flags.size(); ++i) {
    const FlagSpec& flag = command_->flags[i];
    const Value& value = values_[i];
    if (!flag.required()) continue;
    if (flag.repeated() && value.texts.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("at least one --", flag.name, " is required"));
    }
    if (!flag.repeated() &&
        (value.texts.empty() || value.texts.back().empty())) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", flag.name, " is required"));
    }
  }
  return absl::OkStatus();
}

absl::Status ParsedFlags::CheckAllRead() const {
  for (size_t i = 0; i < command_->flags.size(); ++i) {
    if (!read_[i]) {
      return absl::InternalError(
          absl::StrCat("flag --", command_->flags[i].name,
                       " is in the table but the command ignores it"));
    }
  }
  return absl::OkStatus();
}

const ParsedFlags::Value& ParsedFlags::Get(absl::string_view name,
                                           FlagType type) const {
  const FlagSpec* flag = FindFlag(*command_, name);
  if (flag == nullptr)
    Misuse(command_->name, name, "is not in the command's table");
  const bool string_like =
      type == FlagType::kString && flag->type == FlagType::kChoice;
  if (flag->type != type && !string_like) {
    Misuse(command_->name, name, absl::StrCat("is read as ", TypeName(type)));
  }
  const size_t index = flag - command_->flags.data();
  read_[index] = true;
  return values_[index];
}

const std::string& ParsedFlags::String(absl::string_view name) const {
  static const std::string* const kEmpty = new std::string;
  const Value& value = Get(name, FlagType::kString);
  return value.texts.empty() ? *kEmpty : value.texts.back();
}
bool ParsedFlags::Bool(absl::string_view name) const {
  return Get(name, FlagType::kBool).boolean;
}
uint32_t ParsedFlags::Uint32(absl::string_view name) const {
  return static_cast<uint32_t>(Get(name, FlagType::kUint32).unsigned_number);
}
uint64_t ParsedFlags::Uint64(absl::string_view name) const {
  return Get(name, FlagType::kUint64).unsigned_number;
}
int ParsedFlags::Int(absl::string_view name) const {
  return static_cast<int>(Get(name, FlagType::kInt).signed_number);
}
absl::Duration ParsedFlags::Duration(absl::string_view name) const {
  return Get(name, FlagType::kDuration).duration;
}
std::optional<absl::Time> ParsedFlags::Time(absl::string_view name) const {
  return Get(name, FlagType::kTime).time;
}
const std::vector<std::string>& ParsedFlags::List(
    absl::string_view name) const {
  const FlagSpec* flag = FindFlag(*command_, name);
  if (flag != nullptr && !flag->repeated())
    Misuse(command_->name, name, "is not repeated");
  return Get(name, FlagType::kString).texts;
}
bool ParsedFlags::Given(absl::string_view name) const {
  const FlagSpec* flag = FindFlag(*command_, name);
  if (flag == nullptr)
    Misuse(command_->name, name, "is not in the command's table");
  return values_[flag - command_->flags.data()].source != Source::kDefault;
}

std::string FormatHelp(const CommandSpec& command) {
  std::string text =
      absl::StrCat("usage: darkscope ", command.name,
                   command.flags.empty() ? "" : " [FLAGS]",
                   command.operands.empty() ? "" : " ", command.operands, "\n",
                   command.summary, "\n");
  if (command.flags.empty()) return text;
  absl::StrAppend(&text, "\nflags:\n");
  for (const FlagSpec& flag : command.flags) {
    std::vector<std::string> facts = {std::string(TypeName(flag.type))};
    if (flag.repeated()) facts.push_back("repeated");
    if (flag.required()) facts.push_back("required");
    if (!flag.default_value.empty())
      facts.push_back(absl::StrCat("default ", flag.default_value));
    absl::StrAppend(
        &text, "  --", flag.name,
        flag.type == FlagType::kBool ? "" : absl::StrCat(" ", flag.value_name),
        "  (", absl::StrJoin(facts, ", "), ")\n      ", flag.meaning, "\n");
  }
  return text;
}

std::string FormatUsage(absl::Span<const CommandSpec> commands,
                        bool kernel_side_built) {
  std::string text = "usage: darkscope COMMAND [FLAGS] [ARGS]\n\ncommands:\n";
  for (const CommandSpec& command : commands) {
    absl::StrAppend(&text, "  ", command.name,
                    std::string(10 - command.name.size(), ' '), command.summary,
                    command.kernel_side && !kernel_side_built
                        ? " (not in this build: no kernel side)"
                        : "",
                    "\n");
  }
  absl::StrAppend(&text,
                  "  help      this text; `darkscope help COMMAND` (or COMMAND "
                  "--help): its flags\n"
                  "  version   the version, git revision and BPF object layout "
                  "(also --version)\n");
  return text;
}

}  // namespace darkscope::cli
