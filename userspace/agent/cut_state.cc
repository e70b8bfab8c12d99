// Reading and writing the cut record (cut_state.h).
#include "agent/cut_state.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status.h"
#include "common/unique_fd.h"
#include "io/durable_file.h"

namespace darkscope {
namespace {
// A record is a few short lines; anything larger is not one.
constexpr size_t kMaxCutStateBytes = 512;
}  // namespace

absl::Status WriteCutState(const std::string& out_dir, const CutState& state) {
  const std::string text = absl::StrCat(
      "darkscope-cut 1\nepoch ", state.epoch, "\nstart ",
      absl::ToUnixSeconds(state.interval_start), "\ninterval ",
      state.interval_seconds, "\ncomplete ", state.complete ? 1 : 0, "\n");
  return WritePlainFile(
      out_dir, kCutStateName,
      absl::Span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()),
                                text.size()));
}

void RemoveCutState(const std::string& out_dir) {
  ::unlink(absl::StrCat(out_dir, "/", kCutStateName).c_str());
}

absl::StatusOr<std::optional<CutState>> ReadCutState(
    const std::string& out_dir) {
  const std::string path = absl::StrCat(out_dir, "/", kCutStateName);
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return std::optional<CutState>();
    return ErrnoError(errno, "open", path);
  }
  char buffer[kMaxCutStateBytes + 1];
  size_t size = 0;
  for (;;) {
    ssize_t n = ::read(fd.get(), buffer + size, sizeof(buffer) - size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError(errno, "read", path);
    if (n == 0) break;
    size += static_cast<size_t>(n);
    if (size > kMaxCutStateBytes) {
      return absl::DataLossError(
          absl::StrCat(path, ": not a cut record (over ", kMaxCutStateBytes,
                       " bytes)"));
    }
  }
  CutState state;
  int64_t start = 0;
  int fields = 0;
  bool header = false;
  for (absl::string_view line :
       absl::StrSplit(absl::string_view(buffer, size), '\n',
                      absl::SkipEmpty())) {
    std::vector<absl::string_view> kv = absl::StrSplit(line, ' ');
    uint32_t value = 0;
    if (kv.size() != 2) return absl::DataLossError(path + ": malformed line");
    if (kv[0] == "darkscope-cut") {
      header = kv[1] == "1";
    } else if (kv[0] == "start" && absl::SimpleAtoi(kv[1], &start)) {
      ++fields;
    } else if (!absl::SimpleAtoi(kv[1], &value)) {
      return absl::DataLossError(path + ": malformed value");
    } else if (kv[0] == "epoch" && value <= 1) {
      state.epoch = value, ++fields;
    } else if (kv[0] == "interval") {
      state.interval_seconds = value, ++fields;
    } else if (kv[0] == "complete" && value <= 1) {
      state.complete = value == 1, ++fields;
    } else {
      return absl::DataLossError(path + ": unknown or bad field");
    }
  }
  if (!header || fields != 4) {
    return absl::DataLossError(path + ": not a version 1 cut record");
  }
  state.interval_start = absl::FromUnixSeconds(start);
  return std::optional<CutState>(state);
}

}  // namespace darkscope
