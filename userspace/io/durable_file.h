// Writing a whole file so that a reader never sees it torn and a crash
// loses at most the file in flight: write to a temporary name in the same
// directory, fdatasync, close, rename over the final name, fsync the
// directory.
//
// UringFileWriter does it through io_uring (liburing), one ring owned by
// the writer's thread; WritePlainFile does the same with write(2) and
// fsync(2), kept only as the measured baseline (bench/).
#ifndef DARKSCOPE_IO_DURABLE_FILE_H_
#define DARKSCOPE_IO_DURABLE_FILE_H_

#include <liburing.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "common/unique_fd.h"

namespace darkscope {

class UringFileWriter {
 public:
  // `directory` must exist; it is opened once and kept. A directory that
  // its group or others may write is refused: files are created there by
  // name (temporary name, then rename), and nothing there is ever followed
  // as a link.
  // `directory_sync_every` > 1 (offline writers: replay) syncs the
  // directory once per that many files instead of after each, and at
  // SyncDirectory(): each file is still written, fdatasync'ed and renamed
  // before Write returns, but a crash may forget the names of up to that
  // many files (their data is on disk under the temporary names).
  static absl::StatusOr<std::unique_ptr<UringFileWriter>> Create(
      const std::string& directory, int directory_sync_every = 1);
  ~UringFileWriter();
  UringFileWriter(const UringFileWriter&) = delete;
  UringFileWriter& operator=(const UringFileWriter&) = delete;

  // Writes `bytes` as `directory/name`, durably.
  absl::Status Write(absl::string_view name, absl::Span<const uint8_t> bytes);
  // The same for a file given in pieces, written one after the other (a
  // pcapng file grown in chunks, never copied into one buffer).
  absl::Status Write(absl::string_view name,
                     absl::Span<const absl::Span<const uint8_t>> pieces);
  // fsyncs the directory if a file was renamed since the last sync.
  absl::Status SyncDirectory();

 private:
  UringFileWriter(std::string directory, UniqueFd dir_fd)
      : directory_(std::move(directory)), dir_fd_(std::move(dir_fd)) {}
  // Creates `temp` (never opens an existing file or follows a link).
  absl::StatusOr<UniqueFd> CreateTemp(const std::string& temp,
                                      const std::string& temp_path);
  // Submits what is queued and waits for `count` completions; the first
  // failure is returned, naming `operations[i]` for completion i.
  absl::Status SubmitAndWait(int count, const char* const* operations,
                             absl::string_view object);

  std::string directory_;
  UniqueFd dir_fd_;
  int directory_sync_every_ = 1;
  int unsynced_files_ = 0;  // renamed since the last directory sync
  io_uring ring_ = {};
  bool ring_ready_ = false;
};

// The write(2) + fsync(2) baseline of the same sequence, with the same
// refusals.
absl::Status WritePlainFile(const std::string& directory,
                            absl::string_view name,
                            absl::Span<const uint8_t> bytes);

}  // namespace darkscope

#endif  // DARKSCOPE_IO_DURABLE_FILE_H_
