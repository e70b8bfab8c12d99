// pcapng blocks, in the host's byte order (the section header's byte-order
// magic tells readers which).
#include "sampler/pcapng.h"

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

}  // namespace

size_t PcapngBuffer::BlockSize(size_t frame_len) {
  // type, total length, interface, timestamp (2), captured and original
  // lengths, data, total length again.
  return 32 + Pad4(frame_len);
}

void PcapngBuffer::Put16(uint16_t value) {
  const size_t at = bytes_.size();
  bytes_.resize(at + 2);
  std::memcpy(bytes_.data() + at, &value, 2);
}

void PcapngBuffer::Put32(uint32_t value) {
  const size_t at = bytes_.size();
  bytes_.resize(at + 4);
  std::memcpy(bytes_.data() + at, &value, 4);
}

PcapngBuffer::PcapngBuffer(uint16_t link_type, uint32_t snaplen,
                           const std::string& interface) {
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
  size_t at = bytes_.size();
  bytes_.resize(at + Pad4(name_len), 0);
  std::memcpy(bytes_.data() + at, interface.data(), name_len);
  Put16(kIfTsresol);
  Put16(1);
  bytes_.insert(bytes_.end(), {kNanoseconds, 0, 0, 0});  // value, padding
  Put16(kOptEndOfOpt);
  Put16(0);
  Put32(idb_len);
}

void PcapngBuffer::Append(uint64_t time_ns, absl::Span<const uint8_t> frame) {
  const uint32_t block_len = static_cast<uint32_t>(BlockSize(frame.size()));
  const uint32_t len = static_cast<uint32_t>(frame.size());
  const size_t start = bytes_.size();
  bytes_.resize(start + block_len, 0);
  uint8_t* p = bytes_.data() + start;
  const uint32_t header[7] = {kEnhancedPacketBlock,
                              block_len,
                              0,  // interface 0
                              static_cast<uint32_t>(time_ns >> 32),
                              static_cast<uint32_t>(time_ns),
                              len,
                              len};
  std::memcpy(p, header, sizeof(header));
  if (len > 0) std::memcpy(p + sizeof(header), frame.data(), len);
  std::memcpy(p + block_len - 4, &block_len, 4);
  ++frames_;
}

}  // namespace darkscope
