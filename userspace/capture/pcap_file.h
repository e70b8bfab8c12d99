// Capture files through libpcap: PcapReader takes pcap and pcapng files
// (libpcap reads both) of Ethernet frames with their timestamps;
// PcapWriter writes pcap files with nanosecond timestamps.
#ifndef DARKSCOPE_CAPTURE_PCAP_FILE_H_
#define DARKSCOPE_CAPTURE_PCAP_FILE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

// libpcap's handles, declared here so that users of this header do not get
// <pcap/bpf.h>, which clashes with <linux/bpf.h>.
struct pcap;
struct pcap_dumper;

namespace darkscope {

class PcapReader {
 public:
  // Fails with a message naming the file if it cannot be opened, is not a
  // capture file, or its link type is not Ethernet.
  static absl::StatusOr<std::unique_ptr<PcapReader>> Open(
      const std::string& path);
  ~PcapReader();

  // The next frame; false at the end of the file. A corrupt record is an
  // error naming the file and the record number.
  absl::StatusOr<bool> Next(absl::Time& time, absl::Span<const uint8_t>& frame);
  // Frames shorter on disk than on the wire (a snap length): counted.
  uint64_t truncated_frames() const { return truncated_; }
  uint64_t records() const { return records_; }

 private:
  PcapReader(std::string path, ::pcap* pcap)
      : path_(std::move(path)), pcap_(pcap) {}
  std::string path_;
  ::pcap* pcap_;
  uint64_t records_ = 0, truncated_ = 0;
};

class PcapWriter {
 public:
  static absl::StatusOr<std::unique_ptr<PcapWriter>> Create(
      const std::string& path);
  ~PcapWriter();
  void Write(absl::Time time, absl::Span<const uint8_t> frame);
  // Flushes and closes; the error names the file.
  absl::Status Close();

 private:
  PcapWriter(std::string path, ::pcap* pcap, ::pcap_dumper* dumper)
      : path_(std::move(path)), pcap_(pcap), dumper_(dumper) {}
  std::string path_;
  ::pcap* pcap_;
  ::pcap_dumper* dumper_;
};

}  // namespace darkscope

#endif  // DARKSCOPE_CAPTURE_PCAP_FILE_H_
