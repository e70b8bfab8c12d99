// The export ledger's file: append, sync, replay on open.
#include "export/ledger.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status.h"

namespace darkscope {

uint64_t ContentHash(const std::vector<uint8_t>& bytes) {
  uint64_t h = 14695981039346656037ull;
  for (uint8_t b : bytes) {
    h ^= b;
    h *= 1099511628211ull;
  }
  return h;
}

absl::StatusOr<ExportLedger> ExportLedger::Open(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (fd.get() < 0) return ErrnoError(errno, "open ledger", path);
  if (flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "lock ledger ", path, ": another darkscope export is using it"));
  }
  std::string text;
  char buffer[65536];
  for (;;) {
    const ssize_t n = read(fd.get(), buffer, sizeof buffer);
    if (n < 0) return ErrnoError(errno, "read ledger", path);
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  ExportLedger ledger(path, std::move(fd));
  // A last line without its newline was cut short: dropped.
  const size_t whole =
      text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1;
  if (whole != text.size() &&
      ftruncate(ledger.fd_.get(), static_cast<off_t>(whole)) != 0) {
    return ErrnoError(errno, "truncate ledger", path);
  }
  for (absl::string_view line : absl::StrSplit(
           absl::string_view(text).substr(0, whole), '\n', absl::SkipEmpty())) {
    ledger.Apply(std::string(line));
  }
  if (lseek(ledger.fd_.get(), 0, SEEK_END) < 0)
    return ErrnoError(errno, "seek ledger", path);
  return ledger;
}

void ExportLedger::Apply(const std::string& line) {
  std::vector<std::string> f = absl::StrSplit(line, '\t');
  uint64_t id = 0;
  if (f[0] == "B" && f.size() == 6 && absl::SimpleAtoi(f[1], &id)) {
    LedgerFile file;
    std::string sensor, path;
    if (!absl::CUnescape(f[2], &file.sensor) ||
        !absl::SimpleAtoi(f[3], &file.interval_start) ||
        !absl::SimpleHexAtoi(f[4], &file.content_hash) ||
        !absl::CUnescape(f[5], &file.path)) {
      return;
    }
    pending_[id].push_back(std::move(file));
    next_batch_ = std::max(next_batch_, id + 1);
  } else if (f[0] == "C" && f.size() == 2 && absl::SimpleAtoi(f[1], &id)) {
    auto it = pending_.find(id);
    if (it == pending_.end()) return;
    for (const LedgerFile& file : it->second) {
      exported_[{file.sensor, file.interval_start}] = file.content_hash;
      paths_done_.insert(file.path);
    }
    pending_.erase(it);
  } else if (f[0] == "X" && f.size() == 2) {
    std::string path;
    if (absl::CUnescape(f[1], &path)) corrupt_.insert(path);
  }
}

const uint64_t* ExportLedger::Exported(const std::string& sensor,
                                       int64_t interval_start) const {
  auto it = exported_.find({sensor, interval_start});
  return it == exported_.end() ? nullptr : &it->second;
}

std::vector<PendingBatch> ExportLedger::Pending() const {
  std::vector<PendingBatch> batches;
  for (const auto& [id, files] : pending_) batches.push_back({id, files});
  return batches;
}

absl::Status ExportLedger::Append(const std::string& lines) {
  for (size_t done = 0; done < lines.size();) {
    const ssize_t n =
        write(fd_.get(), lines.data() + done, lines.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, "write ledger", path_);
    }
    done += static_cast<size_t>(n);
  }
  if (fdatasync(fd_.get()) != 0)
    return ErrnoError(errno, "fdatasync ledger", path_);
  for (absl::string_view line :
       absl::StrSplit(lines, '\n', absl::SkipEmpty())) {
    Apply(std::string(line));
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> ExportLedger::Begin(
    const std::vector<LedgerFile>& files) {
  const uint64_t id = next_batch_;
  std::string lines;
  for (const LedgerFile& f : files) {
    absl::StrAppend(&lines, "B\t", id, "\t", absl::CEscape(f.sensor), "\t",
                    f.interval_start, "\t", absl::Hex(f.content_hash), "\t",
                    absl::CEscape(f.path), "\n");
  }
  DS_RETURN_IF_ERROR(Append(lines));
  return id;
}

absl::Status ExportLedger::Commit(uint64_t id) {
  return Append(absl::StrCat("C\t", id, "\n"));
}

absl::Status ExportLedger::MarkCorrupt(const std::string& path) {
  return Append(absl::StrCat("X\t", absl::CEscape(path), "\n"));
}

}  // namespace darkscope
