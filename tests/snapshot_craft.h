// Crafting snapshot files the encoder never writes, for the decoder's tests
// and fuzz harnesses: a body of one's own wrapped in a valid header, zstd
// frame and checksum, or a good file with a header field changed and its
// checksum fixed. The layout is docs/snapshot-format.md's: a 40-byte header
// (magic, version, header size, interval start, seconds, complete flag,
// padding, compressed size at 32, raw body size at 36), the zstd frame, a
// CRC-32 of everything before it and "DEND".
#ifndef DARKSCOPE_TESTS_SNAPSHOT_CRAFT_H_
#define DARKSCOPE_TESTS_SNAPSHOT_CRAFT_H_

#include <zlib.h>
#include <zstd.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "absl/types/span.h"
#include "snapshot/snapshot.h"

namespace darkscope::craft {

inline constexpr size_t kHeaderSize = 40;
inline constexpr size_t kTrailerSize = 8;
inline constexpr size_t kCompressedSizeAt = 32;
inline constexpr size_t kRawSizeAt = 36;

inline void SetU32(std::vector<uint8_t>& file, size_t at, uint32_t value) {
  std::memcpy(file.data() + at, &value, 4);
}

inline uint32_t GetU32(const std::vector<uint8_t>& file, size_t at) {
  uint32_t value;
  std::memcpy(&value, file.data() + at, 4);
  return value;
}

// Recomputes the trailer's CRC-32 (files of at least a header and trailer).
inline void FixCrc(std::vector<uint8_t>& file) {
  if (file.size() < kHeaderSize + kTrailerSize) return;
  const size_t at = file.size() - kTrailerSize;
  const uint32_t crc = static_cast<uint32_t>(
      crc32(crc32(0L, Z_NULL, 0), file.data(), static_cast<uInt>(at)));
  SetU32(file, at, crc);
}

// A file whose body is `body` (zstd-compressed), whose header is a good
// one's and declares `raw_size` (the body's size unless given).
inline std::vector<uint8_t> WrapBody(absl::Span<const uint8_t> body,
                                     int64_t raw_size = -1) {
  Snapshot empty;
  empty.interval_start = absl::FromUnixSeconds(1795428000);
  empty.interval_seconds = 60;
  std::vector<uint8_t> file = EncodeSnapshot(empty);
  file.resize(kHeaderSize);
  std::vector<uint8_t> frame(ZSTD_compressBound(body.size()));
  const size_t size =
      ZSTD_compress(frame.data(), frame.size(), body.data(), body.size(), 1);
  frame.resize(ZSTD_isError(size) ? 0 : size);
  file.insert(file.end(), frame.begin(), frame.end());
  SetU32(file, kCompressedSizeAt, static_cast<uint32_t>(frame.size()));
  SetU32(file, kRawSizeAt,
         static_cast<uint32_t>(raw_size < 0 ? body.size() : raw_size));
  file.insert(file.end(), {0, 0, 0, 0, 'D', 'E', 'N', 'D'});
  FixCrc(file);
  return file;
}

// The raw body of a good file (empty if it does not decompress).
inline std::vector<uint8_t> BodyOf(const std::vector<uint8_t>& file) {
  if (file.size() < kHeaderSize + kTrailerSize) return {};
  std::vector<uint8_t> body(GetU32(file, kRawSizeAt));
  const size_t got =
      ZSTD_decompress(body.data(), body.size(), file.data() + kHeaderSize,
                      GetU32(file, kCompressedSizeAt));
  if (ZSTD_isError(got)) return {};
  body.resize(got);
  return body;
}

}  // namespace darkscope::craft

#endif  // DARKSCOPE_TESTS_SNAPSHOT_CRAFT_H_
