// Durable whole-file writes through io_uring, and the plain baseline.
#include "io/durable_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace darkscope {
namespace {

constexpr unsigned kRingEntries = 8;

std::string TempName(absl::string_view name) {
  return absl::StrCat(".", name, ".tmp");
}

}  // namespace

absl::StatusOr<std::unique_ptr<UringFileWriter>> UringFileWriter::Create(
    const std::string& directory, int directory_sync_every) {
  UniqueFd dir_fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd.valid()) return ErrnoError(errno, "open directory", directory);
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

absl::Status UringFileWriter::Write(absl::string_view name,
                                    absl::Span<const uint8_t> bytes) {
  const absl::Span<const uint8_t> pieces[] = {bytes};
  return Write(name, pieces);
}

absl::Status UringFileWriter::Write(absl::string_view name,
                                    absl::Span<const absl::Span<const uint8_t>> pieces) {
  const std::string temp = TempName(name);
  const std::string final_name(name);
  const std::string temp_path = absl::StrCat(directory_, "/", temp);

  // 1. Open the temporary file.
  static const char* const kOpen[] = {"io_uring openat"};
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  io_uring_prep_openat(sqe, dir_fd_.get(), temp.c_str(),
                       O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  io_uring_sqe_set_data64(sqe, 0);
  int submitted = io_uring_submit(&ring_);
  if (submitted < 0) return ErrnoError(submitted, "io_uring_submit", temp_path);
  io_uring_cqe* cqe = nullptr;
  if (int err = io_uring_wait_cqe(&ring_, &cqe); err < 0) {
    return ErrnoError(err, "io_uring_wait_cqe", temp_path);
  }
  int fd = cqe->res;
  io_uring_cqe_seen(&ring_, cqe);
  if (fd < 0) return ErrnoError(fd, kOpen[0], temp_path);
  UniqueFd file(fd);

  // 2. Write it whole, piece by piece (a regular file may take a write in
  // several parts).
  uint64_t offset = 0;
  for (const absl::Span<const uint8_t> bytes : pieces) {
    size_t written = 0;
    while (written < bytes.size()) {
      sqe = io_uring_get_sqe(&ring_);
      io_uring_prep_write(sqe, file.get(), bytes.data() + written,
                          static_cast<unsigned>(bytes.size() - written), offset + written);
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
  static const char* const kChain[] = {"io_uring fdatasync", "io_uring renameat",
                                       "io_uring fsync directory"};
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
  absl::Status status = SubmitAndWait(sync_directory ? 3 : 2, kChain,
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
  if (::fsync(dir_fd_.get()) != 0) return ErrnoError(errno, "fsync directory", directory_);
  unsynced_files_ = 0;
  return absl::OkStatus();
}

absl::Status WritePlainFile(const std::string& directory, absl::string_view name,
                            absl::Span<const uint8_t> bytes) {
  const std::string temp_path = absl::StrCat(directory, "/", TempName(name));
  const std::string final_path = absl::StrCat(directory, "/", name);
  UniqueFd file(::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!file.valid()) return ErrnoError(errno, "open", temp_path);
  size_t written = 0;
  while (written < bytes.size()) {
    ssize_t n = ::write(file.get(), bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = n < 0 ? errno : EIO;
      ::unlink(temp_path.c_str());
      return ErrnoError(err, "write", temp_path);
    }
    written += static_cast<size_t>(n);
  }
  if (::fdatasync(file.get()) != 0) return ErrnoError(errno, "fdatasync", temp_path);
  file.Reset();
  if (::rename(temp_path.c_str(), final_path.c_str()) != 0) {
    return ErrnoError(errno, "rename", final_path);
  }
  UniqueFd dir(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir.valid() || ::fsync(dir.get()) != 0) {
    return ErrnoError(errno, "fsync directory", directory);
  }
  return absl::OkStatus();
}

}  // namespace darkscope
