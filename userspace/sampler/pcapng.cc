// pcapng blocks, in the host's byte order (the section header's byte-order
// magic tells readers which).
#include "sampler/pcapng.h"

#include <algorithm>
#include <cstring>

namespace darkscope {
namespace {

constexpr uint32_t kSectionHeaderBlock = 0x0A0D0D0A;
constexpr uint32_t kInterfaceDescriptionBlock = 1;
constexpr uint32_t kEnhancedPacketBlock = 6;
constexpr uint32_t kByteOrderMagic = 0x1A2B3C4D;
constexpr uint16_t kOptEndOfOpt = 0;
constexpr uint16_t kIfName = 2;
constexpr uint16_t kIfTsresol = 9;
constexpr uint8_t kNanoseconds = 9;  // if_tsresol: 10^-9 s

size_t Pad4(size_t n) { return (n + 3) & ~size_t{3}; }

constexpr size_t kChunkBytes = size_t{1} << 20;

}  // namespace

size_t PcapngBuffer::BlockSize(size_t frame_len) {
  // type, total length, interface, timestamp (2), captured and original
  // lengths, data, total length again.
  return 32 + Pad4(frame_len);
}

void PcapngBuffer::Put(const void* data, size_t len) {
  std::vector<uint8_t>& chunk = chunks_.back();
  const auto* bytes = static_cast<const uint8_t*>(data);
  chunk.insert(chunk.end(), bytes, bytes + len);
  size_ += len;
}

void PcapngBuffer::Put16(uint16_t value) { Put(&value, 2); }
void PcapngBuffer::Put32(uint32_t value) { Put(&value, 4); }

std::vector<std::vector<uint8_t>> PcapngBuffer::TakeChunks() {
  std::vector<std::vector<uint8_t>> chunks = std::move(chunks_);
  chunks_.clear();
  size_ = 0;
  return chunks;
}

std::vector<uint8_t> PcapngBuffer::Flatten() const {
  std::vector<uint8_t> bytes;
  bytes.reserve(size_);
  for (const std::vector<uint8_t>& chunk : chunks_) {
    bytes.insert(bytes.end(), chunk.begin(), chunk.end());
  }
  return bytes;
}

PcapngBuffer::PcapngBuffer(uint16_t link_type, uint32_t snaplen,
                           const std::string& interface) {
  chunks_.emplace_back().reserve(kChunkBytes);
  // Section header: no options; section length unknown (-1).
  Put32(kSectionHeaderBlock);
  Put32(28);
  Put32(kByteOrderMagic);
  Put16(1);  // major version
  Put16(0);  // minor version
  Put32(0xffffffff);
  Put32(0xffffffff);
  Put32(28);

  // Interface description with if_name and if_tsresol.
  const size_t name_len = interface.size();
  const uint32_t idb_len =
      static_cast<uint32_t>(16 + 4 + Pad4(name_len) + 4 + 4 + 4 + 4);
  Put32(kInterfaceDescriptionBlock);
  Put32(idb_len);
  Put16(link_type);
  Put16(0);  // reserved
  Put32(snaplen);
  Put16(kIfName);
  Put16(static_cast<uint16_t>(name_len));
  const uint8_t zeros[4] = {};
  Put(interface.data(), name_len);
  Put(zeros, Pad4(name_len) - name_len);
  Put16(kIfTsresol);
  Put16(1);
  const uint8_t resolution[4] = {kNanoseconds, 0, 0, 0};  // value, padding
  Put(resolution, 4);
  Put16(kOptEndOfOpt);
  Put16(0);
  Put32(idb_len);
}

void PcapngBuffer::Append(uint64_t time_ns, absl::Span<const uint8_t> frame) {
  const uint32_t block_len = static_cast<uint32_t>(BlockSize(frame.size()));
  const uint32_t len = static_cast<uint32_t>(frame.size());
  const uint32_t header[7] = {kEnhancedPacketBlock,
                              block_len,
                              0,  // interface 0
                              static_cast<uint32_t>(time_ns >> 32),
                              static_cast<uint32_t>(time_ns),
                              len,
                              len};
  // A block never straddles chunks; chunks are never moved.
  if (chunks_.empty() ||
      chunks_.back().capacity() - chunks_.back().size() < block_len) {
    chunks_.emplace_back().reserve(std::max<size_t>(kChunkBytes, block_len));
  }
  const uint8_t padding[4] = {};
  Put(header, sizeof(header));
  Put(frame.data(), len);
  Put(padding, block_len - sizeof(header) - 4 - len);
  Put(&block_len, 4);
  ++frames_;
}

}  // namespace darkscope
