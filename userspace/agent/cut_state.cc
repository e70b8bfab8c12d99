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

namespace darkscope {
namespace {
// A record is a few short lines; anything larger is not one.
constexpr size_t kMaxCutStateBytes = 512;
// Every record is padded to this size.
constexpr size_t kCutStateRecordBytes = 128;
}  // namespace

absl::Status WriteCutState(const std::string& out_dir, const CutState& state) {
  std::string text = absl::StrCat(
      "darkscope-cut 1\nepoch ", state.epoch, "\nstart ",
      absl::ToUnixSeconds(state.interval_start), "\ninterval ",
      state.interval_seconds, "\ncomplete ", state.complete ? 1 : 0, "\n");
  // Always the same size, overwritten in place: once the file exists a
  // record needs no new block, so it is kept even on a full disk (a new
  // file renamed over it would fail there, or free space when removed).
  text.resize(kCutStateRecordBytes, '\n');
  const std::string path = absl::StrCat(out_dir, "/", kCutStateName);
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC));
  bool created = false;
  if (!fd.valid() && errno == ENOENT) {
    fd.Reset(::open(path.c_str(),
                    O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    created = true;
  }
  if (!fd.valid()) return ErrnoError(errno, "open", path);
  const ssize_t n = ::pwrite(fd.get(), text.data(), text.size(), 0);
  if (n != static_cast<ssize_t>(text.size()))
    return ErrnoError(n < 0 ? errno : EIO, "write", path);
  if (::fdatasync(fd.get()) != 0) return ErrnoError(errno, "fdatasync", path);
  if (created) {
    UniqueFd dir(::open(out_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir.valid() || ::fsync(dir.get()) != 0)
      return ErrnoError(errno, "fsync directory", out_dir);
  }
  return absl::OkStatus();
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
      return absl::DataLossError(absl::StrCat(path, ": not a cut record (over ",
                                              kMaxCutStateBytes, " bytes)"));
    }
  }
  CutState state;
  int64_t start = 0;
  int fields = 0;
  bool header = false;
  for (absl::string_view line : absl::StrSplit(absl::string_view(buffer, size),
                                               '\n', absl::SkipEmpty())) {
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
