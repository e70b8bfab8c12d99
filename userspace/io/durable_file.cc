// Durable whole-file writes through io_uring, and the plain baseline.
#include "io/durable_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status.h"

namespace darkscope {
namespace {

constexpr unsigned kRingEntries = 8;

// A temporary file is always created, never reused: O_EXCL fails on any
// name already there (a symbolic link included, which it never follows),
// O_NOFOLLOW says the same for the reader of the code.
constexpr int kTempFlags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;

std::string TempName(absl::string_view name) {
  return absl::StrCat(".", name, ".tmp");
}

// Opens `directory` and refuses it when anyone but its owner may write
// there: whoever can add a name to the directory can plant a link under a
// name the writer is about to use.
absl::StatusOr<UniqueFd> OpenOutputDirectory(const std::string& directory) {
  UniqueFd dir_fd(
      ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd.valid()) return ErrnoError(errno, "open directory", directory);
  struct stat st;
  if (::fstat(dir_fd.get(), &st) != 0)
    return ErrnoError(errno, "fstat", directory);
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "output directory %s: writable by %s (mode %04o); refusing it, since "
        "another user could plant links there (chmod go-w %s)",
        directory, (st.st_mode & S_IWOTH) != 0 ? "others" : "its group",
        st.st_mode & 07777, directory));
  }
  return dir_fd;
}

}  // namespace

absl::StatusOr<std::unique_ptr<UringFileWriter>> UringFileWriter::Create(
    const std::string& directory, int directory_sync_every) {
  DS_ASSIGN_OR_RETURN(UniqueFd dir_fd, OpenOutputDirectory(directory));
  std::unique_ptr<UringFileWriter> writer(
      new UringFileWriter(directory, std::move(dir_fd)));
  writer->directory_sync_every_ = std::max(1, directory_sync_every);
  if (int err = io_uring_queue_init(kRingEntries, &writer->ring_, 0); err < 0) {
    return ErrnoError(err, "io_uring_queue_init", directory);
  }
  writer->ring_ready_ = true;
  return writer;
}

UringFileWriter::~UringFileWriter() {
  if (ring_ready_) io_uring_queue_exit(&ring_);
}

absl::Status UringFileWriter::SubmitAndWait(int count,
                                            const char* const* operations,
                                            absl::string_view object) {
  int submitted = io_uring_submit(&ring_);
  if (submitted < 0) return ErrnoError(submitted, "io_uring_submit", object);
  absl::Status first_error = absl::OkStatus();
  for (int i = 0; i < count; ++i) {
    io_uring_cqe* cqe = nullptr;
    int err = io_uring_wait_cqe(&ring_, &cqe);
    if (err < 0) return ErrnoError(err, "io_uring_wait_cqe", object);
    int step = static_cast<int>(io_uring_cqe_get_data64(cqe));
    int res = cqe->res;
    io_uring_cqe_seen(&ring_, cqe);
    // Steps after a failed one in a chain complete with -ECANCELED; the
    // chain completes in order, so the first error is the cause.
    if (res < 0 && first_error.ok()) {
      first_error = ErrnoError(res, operations[step], object);
    }
  }
  return first_error;
}

absl::StatusOr<UniqueFd> UringFileWriter::CreateTemp(
    const std::string& temp, const std::string& temp_path) {
  // A name left there (a crash between create and rename, or a link
  // planted by someone) is removed (unlinkat removes a link, never its
  // target) and the create tried once more; losing that race again is an
  // error, not a reason to open what is there.
  for (int attempt = 0;; ++attempt) {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    io_uring_prep_openat(sqe, dir_fd_.get(), temp.c_str(), kTempFlags, 0644);
    io_uring_sqe_set_data64(sqe, 0);
    int submitted = io_uring_submit(&ring_);
    if (submitted < 0)
      return ErrnoError(submitted, "io_uring_submit", temp_path);
    io_uring_cqe* cqe = nullptr;
    if (int err = io_uring_wait_cqe(&ring_, &cqe); err < 0) {
      return ErrnoError(err, "io_uring_wait_cqe", temp_path);
    }
    int fd = cqe->res;
    io_uring_cqe_seen(&ring_, cqe);
    if (fd >= 0) return UniqueFd(fd);
    if (fd != -EEXIST || attempt > 0)
      return ErrnoError(fd, "io_uring openat", temp_path);
    if (::unlinkat(dir_fd_.get(), temp.c_str(), 0) != 0 && errno != ENOENT) {
      return ErrnoError(errno, "unlink stale temporary file", temp_path);
    }
  }
}

absl::Status UringFileWriter::Write(absl::string_view name,
                                    absl::Span<const uint8_t> bytes) {
  const absl::Span<const uint8_t> pieces[] = {bytes};
  return Write(name, pieces);
}

absl::Status UringFileWriter::Write(
    absl::string_view name,
    absl::Span<const absl::Span<const uint8_t>> pieces) {
  const std::string temp = TempName(name);
  const std::string final_name(name);
  const std::string temp_path = absl::StrCat(directory_, "/", temp);

  // 1. Create the temporary file.
  DS_ASSIGN_OR_RETURN(UniqueFd file, CreateTemp(temp, temp_path));
  io_uring_sqe* sqe = nullptr;
  io_uring_cqe* cqe = nullptr;

  // 2. Write it whole, piece by piece (a regular file may take a write in
  // several parts).
  uint64_t offset = 0;
  for (const absl::Span<const uint8_t> bytes : pieces) {
    size_t written = 0;
    while (written < bytes.size()) {
      sqe = io_uring_get_sqe(&ring_);
      io_uring_prep_write(sqe, file.get(), bytes.data() + written,
                          static_cast<unsigned>(bytes.size() - written),
                          offset + written);
      io_uring_sqe_set_data64(sqe, 0);
      if (int err = io_uring_submit(&ring_); err < 0) {
        ::unlinkat(dir_fd_.get(), temp.c_str(), 0);
        return ErrnoError(err, "io_uring_submit", temp_path);
      }
      if (int err = io_uring_wait_cqe(&ring_, &cqe); err < 0) {
        ::unlinkat(dir_fd_.get(), temp.c_str(), 0);
        return ErrnoError(err, "io_uring_wait_cqe", temp_path);
      }
      int res = cqe->res;
      io_uring_cqe_seen(&ring_, cqe);
      if (res <= 0) {
        ::unlinkat(dir_fd_.get(), temp.c_str(), 0);
        return ErrnoError(res == 0 ? EIO : res, "io_uring write", temp_path);
      }
      written += static_cast<size_t>(res);
    }
    offset += written;
  }

  // 3. fdatasync -> rename -> fsync(directory), one linked chain (the last
  // step only once per directory_sync_every_ files). The file stays open
  // (the UniqueFd closes it) so that a failed step leaks nothing.
  static const char* const kChain[] = {
      "io_uring fdatasync", "io_uring renameat", "io_uring fsync directory"};
  const bool sync_directory = ++unsynced_files_ >= directory_sync_every_;
  sqe = io_uring_get_sqe(&ring_);
  io_uring_prep_fsync(sqe, file.get(), IORING_FSYNC_DATASYNC);
  io_uring_sqe_set_data64(sqe, 0);
  sqe->flags |= IOSQE_IO_LINK;
  sqe = io_uring_get_sqe(&ring_);
  io_uring_prep_renameat(sqe, dir_fd_.get(), temp.c_str(), dir_fd_.get(),
                         final_name.c_str(), 0);
  io_uring_sqe_set_data64(sqe, 1);
  if (sync_directory) {
    sqe->flags |= IOSQE_IO_LINK;
    sqe = io_uring_get_sqe(&ring_);
    io_uring_prep_fsync(sqe, dir_fd_.get(), 0);
    io_uring_sqe_set_data64(sqe, 2);
  }
  absl::Status status =
      SubmitAndWait(sync_directory ? 3 : 2, kChain,
                    absl::StrCat(directory_, "/", final_name));
  if (!status.ok()) {
    ::unlinkat(dir_fd_.get(), temp.c_str(), 0);
    return status;
  }
  if (sync_directory) unsynced_files_ = 0;
  return status;
}

absl::Status UringFileWriter::SyncDirectory() {
  if (unsynced_files_ == 0) return absl::OkStatus();
  if (::fsync(dir_fd_.get()) != 0)
    return ErrnoError(errno, "fsync directory", directory_);
  unsynced_files_ = 0;
  return absl::OkStatus();
}

absl::Status WritePlainFile(const std::string& directory,
                            absl::string_view name,
                            absl::Span<const uint8_t> bytes) {
  const std::string temp = TempName(name);
  const std::string final_name(name);
  const std::string temp_path = absl::StrCat(directory, "/", temp);
  const std::string final_path = absl::StrCat(directory, "/", name);
  DS_ASSIGN_OR_RETURN(UniqueFd dir, OpenOutputDirectory(directory));
  UniqueFd file(::openat(dir.get(), temp.c_str(), kTempFlags, 0644));
  if (!file.valid() && errno == EEXIST &&
      ::unlinkat(dir.get(), temp.c_str(), 0) == 0) {
    file.Reset(::openat(dir.get(), temp.c_str(), kTempFlags, 0644));
  }
  if (!file.valid()) return ErrnoError(errno, "open", temp_path);
  size_t written = 0;
  while (written < bytes.size()) {
    ssize_t n =
        ::write(file.get(), bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = n < 0 ? errno : EIO;
      ::unlinkat(dir.get(), temp.c_str(), 0);
      return ErrnoError(err, "write", temp_path);
    }
    written += static_cast<size_t>(n);
  }
  if (::fdatasync(file.get()) != 0)
    return ErrnoError(errno, "fdatasync", temp_path);
  file.Reset();
  if (::renameat(dir.get(), temp.c_str(), dir.get(), final_name.c_str()) != 0) {
    return ErrnoError(errno, "rename", final_path);
  }
  if (::fsync(dir.get()) != 0)
    return ErrnoError(errno, "fsync directory", directory);
  return absl::OkStatus();
}

}  // namespace darkscope
