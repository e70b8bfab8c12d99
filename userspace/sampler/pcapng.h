// PcapngBuffer: one pcapng file (the format of the IETF draft
// draft-ietf-opsawg-pcapng, read by tshark, Wireshark and libpcap) built in
// memory, so that the sampler can hand it whole to the io_uring writer:
// a section header block, one interface description block (link type,
// snap length, interface name, nanosecond timestamps), then one enhanced
// packet block per frame. libpcap cannot write to a buffer, hence this.
//
// The file grows in chunks of 1 MiB, never moved once written (a single
// growing buffer spent most of the sampler's time in realloc copies); the
// writer writes the chunks one after the other.
#ifndef DARKSCOPE_SAMPLER_PCAPNG_H_
#define DARKSCOPE_SAMPLER_PCAPNG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/types/span.h"

namespace darkscope {

// LINKTYPE_ETHERNET in the tcpdump.org link-type registry.
inline constexpr uint16_t kLinkTypeEthernet = 1;

class PcapngBuffer {
 public:
  // Starts a file with its section header and the interface's description.
  PcapngBuffer(uint16_t link_type, uint32_t snaplen,
               const std::string& interface);

  // Bytes an enhanced packet block of `frame_len` bytes takes.
  static size_t BlockSize(size_t frame_len);

  // Appends `frame` (at most snaplen bytes: the caller checks) captured at
  // `time_ns` nanoseconds since the Unix epoch.
  void Append(uint64_t time_ns, absl::Span<const uint8_t> frame);

  uint64_t frames() const { return frames_; }
  uint64_t size() const { return size_; }
  // The file's bytes, in order, in chunks; the buffer is empty after.
  std::vector<std::vector<uint8_t>> TakeChunks();
  // The file's bytes in one piece (tests).
  std::vector<uint8_t> Flatten() const;

 private:
  void Put(const void* data, size_t len);
  void Put16(uint16_t value);
  void Put32(uint32_t value);

  std::vector<std::vector<uint8_t>> chunks_;
  uint64_t size_ = 0;
  uint64_t frames_ = 0;
};

}  // namespace darkscope

#endif  // DARKSCOPE_SAMPLER_PCAPNG_H_
