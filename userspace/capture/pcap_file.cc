// libpcap reading and writing.
#include "capture/pcap_file.h"

#include <pcap/pcap.h>

#include "absl/strings/str_cat.h"

namespace darkscope {
namespace {

constexpr int kSnapLength = 65535;

}  // namespace

absl::StatusOr<std::unique_ptr<PcapReader>> PcapReader::Open(
    const std::string& path) {
  char error[PCAP_ERRBUF_SIZE] = {};
  pcap_t* pcap = pcap_open_offline_with_tstamp_precision(
      path.c_str(), PCAP_TSTAMP_PRECISION_NANO, error);
  if (pcap == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", error));
  }
  std::unique_ptr<PcapReader> reader(new PcapReader(path, pcap));
  const int link = pcap_datalink(pcap);
  if (link != DLT_EN10MB) {
    const char* name = pcap_datalink_val_to_name(link);
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": link type ", link, " (", name ? name : "unknown",
        ") is not Ethernet; darkscope replays Ethernet captures only"));
  }
  return reader;
}

PcapReader::~PcapReader() { pcap_close(pcap_); }

absl::StatusOr<bool> PcapReader::Next(absl::Time& time,
                                      absl::Span<const uint8_t>& frame) {
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  const int result = pcap_next_ex(pcap_, &header, &data);
  if (result == PCAP_ERROR_BREAK) return false;  // end of file
  if (result != 1) {
    return absl::DataLossError(absl::StrCat(path_, ": record ", records_ + 1,
                                            ": ", pcap_geterr(pcap_)));
  }
  ++records_;
  if (header->caplen < header->len) ++truncated_;
  time = absl::FromUnixSeconds(header->ts.tv_sec) +
         absl::Nanoseconds(header->ts.tv_usec);
  frame = absl::Span<const uint8_t>(data, header->caplen);
  return true;
}

absl::StatusOr<std::unique_ptr<PcapWriter>> PcapWriter::Create(
    const std::string& path) {
  pcap_t* pcap = pcap_open_dead_with_tstamp_precision(
      DLT_EN10MB, kSnapLength, PCAP_TSTAMP_PRECISION_NANO);
  if (pcap == nullptr) return absl::InternalError("pcap_open_dead failed");
  pcap_dumper_t* dumper = pcap_dump_open(pcap, path.c_str());
  if (dumper == nullptr) {
    absl::Status status =
        absl::InvalidArgumentError(absl::StrCat(path, ": ", pcap_geterr(pcap)));
    pcap_close(pcap);
    return status;
  }
  return std::unique_ptr<PcapWriter>(new PcapWriter(path, pcap, dumper));
}

PcapWriter::~PcapWriter() {
  if (dumper_ != nullptr) pcap_dump_close(dumper_);
  pcap_close(pcap_);
}

void PcapWriter::Write(absl::Time time, absl::Span<const uint8_t> frame) {
  pcap_pkthdr header = {};
  const int64_t ns = absl::ToUnixNanos(time);
  header.ts.tv_sec = ns / 1000000000;
  header.ts.tv_usec = ns % 1000000000;  // nanoseconds: the file says so
  header.caplen = header.len = static_cast<bpf_u_int32>(frame.size());
  pcap_dump(reinterpret_cast<u_char*>(dumper_), &header, frame.data());
}

absl::Status PcapWriter::Close() {
  const bool flushed = pcap_dump_flush(dumper_) == 0;
  const bool failed = ferror(pcap_dump_file(dumper_)) != 0;
  pcap_dump_close(dumper_);
  dumper_ = nullptr;
  if (!flushed || failed)
    return absl::DataLossError(absl::StrCat("writing ", path_, " failed"));
  return absl::OkStatus();
}

}  // namespace darkscope
