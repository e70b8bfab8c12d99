// Scenario frames to pcap, interface and ground truth.
#include "gen/generate.h"

#include <linux/bpf.h>

#include <algorithm>
#include <cstdio>
#include <memory>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "capture/pcap_file.h"
#include "common/directories.h"
#include "common/status.h"
#include "gen/packet_socket.h"
#include "gen/scenario.h"
#include "snapshot/interval_writer.h"

namespace darkscope {

absl::Status RunGenerate(const GenerateOptions& options) {
  DS_ASSIGN_OR_RETURN(Scenario scenario, LoadScenario(options.scenario));
  if (options.packets) scenario.packets = *options.packets;
  if (options.seed) scenario.seed = *options.seed;
  if (options.pcap.empty() && options.truth_dir.empty() &&
      options.send_interface.empty()) {
    return absl::InvalidArgumentError(
        "nothing to do: give --pcap, --truth or --send");
  }

  std::unique_ptr<UringFileWriter> truth_files;
  std::unique_ptr<IntervalWriter> truth;
  if (!options.truth_dir.empty()) {
    DS_RETURN_IF_ERROR(MakeDirectories(options.truth_dir));
    DS_ASSIGN_OR_RETURN(truth_files,
                        UringFileWriter::Create(options.truth_dir));
    truth = std::make_unique<IntervalWriter>("ground-truth", scenario.darknet,
                                             scenario.interval, *truth_files);
  }
  std::unique_ptr<PacketSocket> socket;
  if (!options.send_interface.empty()) {
    DS_ASSIGN_OR_RETURN(socket, PacketSocket::Open(options.send_interface));
  }
  // The pcap last, and removed if anything fails: no partial capture is
  // left behind to be mistaken for the scenario's.
  std::unique_ptr<PcapWriter> pcap;
  if (!options.pcap.empty()) {
    DS_ASSIGN_OR_RETURN(pcap, PcapWriter::Create(options.pcap));
  }
  absl::Cleanup remove_pcap = [&] {
    if (pcap) {
      pcap.reset();
      std::remove(options.pcap.c_str());
    }
  };

  std::optional<absl::Time> interval_start;
  EpochCounts interval_counts;
  absl::Status status = absl::OkStatus();
  uint64_t generated = 0, sent = 0;
  // Frames to send are built first, so that sending runs at the rate the
  // interface takes rather than the rate frames are built.
  std::vector<std::vector<uint8_t>> to_send;
  GenerateScenario(scenario, [&](const GeneratedFrame& g) {
    if (!status.ok()) return;
    std::vector<uint8_t> frame = BuildFrame(g.spec);
    ++generated;
    if (pcap) pcap->Write(g.time, frame);
    if (truth) {
      const absl::Time start = truth->IntervalStart(g.time);
      if (interval_start && start != *interval_start) {
        status = truth->Add(*interval_start, std::move(interval_counts));
        interval_counts = EpochCounts();
      }
      interval_start = start;
      AddCountedFrame(CountFrameSpec(g.spec, scenario.darknet, XDP_DROP),
                      frame.size(), interval_counts);
    }
    if (socket) to_send.push_back(std::move(frame));
  });
  DS_RETURN_IF_ERROR(status);

  // Sending, in batches; paced in batches of 64 when a rate is given.
  const absl::Time began = absl::Now();
  const absl::Time deadline = began + options.max_time;
  constexpr size_t kPacing = 64;
  while (socket && sent < to_send.size()) {
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("sent ", sent, " of ", to_send.size(),
                       " frames before --max-time; the ground truth would not "
                       "match what was sent"));
    }
    size_t count = to_send.size() - sent;
    if (options.rate > 0) {
      count = std::min(count, kPacing);
      const absl::Time due = began + absl::Seconds(1) * sent / options.rate;
      if (due > absl::Now()) absl::SleepFor(due - absl::Now());
    } else {
      count =
          std::min<size_t>(count, 4096);  // check the deadline between batches
    }
    DS_RETURN_IF_ERROR(socket->SendBatch(
        absl::Span<const std::vector<uint8_t>>(to_send).subspan(sent, count)));
    sent += count;
  }
  if (truth && interval_start) {
    DS_RETURN_IF_ERROR(truth->Add(*interval_start, std::move(interval_counts)));
    DS_RETURN_IF_ERROR(truth->Finish());
  }
  if (pcap) DS_RETURN_IF_ERROR(pcap->Close());
  std::move(remove_pcap).Cancel();
  const double seconds = absl::ToDoubleSeconds(absl::Now() - began);
  std::printf("darkscope gen: scenario %s, %llu frames", scenario.name.c_str(),
              static_cast<unsigned long long>(generated));
  if (pcap) std::printf("; pcap %s", options.pcap.c_str());
  if (truth)
    std::printf("; ground truth %s (%d intervals)", options.truth_dir.c_str(),
                truth->written());
  if (socket) {
    std::printf("; sent %llu on %s in %.2f s (%.0f frames/s)",
                static_cast<unsigned long long>(sent),
                options.send_interface.c_str(), seconds,
                seconds > 0 ? sent / seconds : 0.0);
  }
  std::printf("\n");
  return absl::OkStatus();
}

}  // namespace darkscope
