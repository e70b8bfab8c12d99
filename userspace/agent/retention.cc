// Planning and applying retention in the output directory.
#include "agent/retention.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status.h"

namespace darkscope {

std::optional<absl::Time> DarkscopeFileStamp(absl::string_view name) {
  constexpr size_t kStamp = 16;  // YYYYMMDDTHHMMSSZ
  if (name.size() <= kStamp) return std::nullopt;
  // START.dsnap, or START.qN.pcapng (one sample file per rx queue).
  absl::string_view suffix = name.substr(kStamp);
  if (absl::ConsumePrefix(&suffix, ".q")) {
    const size_t digits = suffix.find_first_not_of("0123456789");
    if (digits == 0 || digits == absl::string_view::npos) return std::nullopt;
    suffix.remove_prefix(digits);
    if (suffix != ".pcapng") return std::nullopt;
  } else if (suffix != ".dsnap") {
    return std::nullopt;
  }
  const absl::string_view stamp = name.substr(0, kStamp);
  for (size_t i = 0; i < kStamp; ++i) {
    const bool ok = i == 8    ? stamp[i] == 'T'
                    : i == 15 ? stamp[i] == 'Z'
                              : absl::ascii_isdigit(stamp[i]);
    if (!ok) return std::nullopt;
  }
  absl::Time t;
  std::string error;
  if (!absl::ParseTime("%E4Y%m%dT%H%M%SZ", stamp, absl::UTCTimeZone(), &t,
                       &error)) {
    return std::nullopt;
  }
  return t;
}

std::vector<RetainedFile> PlanRetention(std::vector<RetainedFile> files,
                                        const RetentionPolicy& policy,
                                        absl::Time now) {
  std::vector<RetainedFile> doomed;
  if (files.empty() || !policy.enabled()) return doomed;
  std::stable_sort(files.begin(), files.end(),
                   [](const RetainedFile& a, const RetainedFile& b) {
                     return a.stamp != b.stamp ? a.stamp < b.stamp
                                               : a.name < b.name;
                   });
  const absl::Time newest = files.back().stamp;
  uint64_t total = 0;
  for (const RetainedFile& f : files) total += f.bytes;
  for (const RetainedFile& f : files) {
    if (f.stamp == newest) break;
    const bool too_old =
        policy.max_age > absl::ZeroDuration() && f.stamp < now - policy.max_age;
    const bool too_big = policy.max_bytes > 0 && total > policy.max_bytes;
    if (!too_old && !too_big) break;
    doomed.push_back(f);
    total -= f.bytes;
  }
  return doomed;
}

absl::StatusOr<RetentionResult> ApplyRetention(const std::string& directory,
                                               const RetentionPolicy& policy,
                                               absl::Time now) {
  RetentionResult result;
  if (!policy.enabled()) return result;
  std::unique_ptr<DIR, int (*)(DIR*)> dir(opendir(directory.c_str()), closedir);
  if (dir == nullptr) return ErrnoError(errno, "opendir", directory);
  std::vector<RetainedFile> files;
  errno = 0;
  while (const dirent* entry = readdir(dir.get())) {
    const std::optional<absl::Time> stamp = DarkscopeFileStamp(entry->d_name);
    if (!stamp) continue;
    struct stat st;
    if (fstatat(dirfd(dir.get()), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) !=
        0) {
      if (errno == ENOENT) continue;  // deleted meanwhile
      return ErrnoError(errno, "stat",
                        absl::StrCat(directory, "/", entry->d_name));
    }
    if (!S_ISREG(st.st_mode)) continue;
    files.push_back({entry->d_name, *stamp, static_cast<uint64_t>(st.st_size)});
  }
  for (const RetainedFile& f : PlanRetention(std::move(files), policy, now)) {
    if (unlinkat(dirfd(dir.get()), f.name.c_str(), 0) != 0 && errno != ENOENT) {
      return ErrnoError(errno, "unlink", absl::StrCat(directory, "/", f.name));
    }
    ++result.files;
    result.bytes += f.bytes;
  }
  return result;
}

}  // namespace darkscope
