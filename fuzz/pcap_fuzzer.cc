// Fuzzing the capture reader (replay's and the tests' path in): the input
// is a pcap or pcapng file, read from a memfd through PcapReader, every
// frame taken until the end or the first error.
#include <sys/mman.h>
#include <unistd.h>

#include <string>

#include "capture/pcap_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const int fd = memfd_create("capture", MFD_CLOEXEC);
  if (fd < 0) return 0;
  size_t written = 0;
  while (written < size) {
    const ssize_t n = write(fd, data + written, size - written);
    if (n <= 0) break;
    written += static_cast<size_t>(n);
  }
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  absl::StatusOr<std::unique_ptr<darkscope::PcapReader>> reader =
      darkscope::PcapReader::Open(path);
  if (reader.ok()) {
    absl::Time time;
    absl::Span<const uint8_t> frame;
    // Bounded: a record takes at least 16 bytes of the input.
    for (size_t records = 0; records <= size; ++records) {
      absl::StatusOr<bool> more = (*reader)->Next(time, frame);
      if (!more.ok() || !*more) break;
      volatile uint8_t sink = 0;
      for (uint8_t b : frame) sink ^= b;  // every byte handed out is readable
    }
  }
  close(fd);
  return 0;
}
