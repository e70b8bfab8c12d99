// bench/xdp_cost: the XDP program's cost per frame, measured with
// BPF_PROG_TEST_RUN side by side with a bare XDP_DROP program in the same
// run, for the frames that matter most (a Mirai SYN, a UDP reflection
// answer, a frame outside the darknet).
//
// For each frame the two programs are run in alternating rounds of
// --repeat runs each; the kernel's mean per run of each round is one
// sample, and the table gives the median over --rounds samples and the
// ratio of the medians. Instruction counts come from the kernel's program
// info (translated instructions, and instructions the verifier processed).
// Output is a Markdown table for bench/RESULTS.md.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_format.h"
#include "loader/data_plane.h"
#include "median.h"
#include "packet/packet_builder.h"
#include "xdp_drop.skel.h"

ABSL_FLAG(uint32_t, repeat, 1000000, "runs of each program per round");
ABSL_FLAG(int, rounds, 15, "alternating rounds per frame");

namespace darkscope {
namespace {

struct BenchFrame {
  std::string name;
  Frame frame;
};

std::vector<BenchFrame> Frames() {
  const uint32_t dark = 0xc6120509;  // 198.18.5.9
  return {
      {"Mirai SYN to 23/tcp", PacketBuilder()
                                  .Ipv4("185.220.101.7", "198.18.5.9")
                                  .Tcp(40000, 23, kSyn, dark)
                                  .Build()},
      {"UDP reflection from 123/udp", PacketBuilder()
                                          .Ipv4("162.159.200.1", "198.18.5.9")
                                          .Udp(123, 44123)
                                          .Payload(468)
                                          .Build()},
      {"non-darknet TCP SYN", PacketBuilder()
                                  .Ipv4("185.220.101.7", "192.0.2.1")
                                  .Tcp(40000, 22, kSyn)
                                  .Build()},
  };
}

struct ProgramSize {
  uint32_t xlated = 0;    // instructions after the verifier's rewrites
  uint32_t verified = 0;  // instructions the verifier processed
};

ProgramSize SizeOf(int fd) {
  bpf_prog_info info = {};
  uint32_t length = sizeof(info);
  ProgramSize size;
  if (bpf_obj_get_info_by_fd(fd, &info, &length) == 0) {
    size.xlated = info.xlated_prog_len / 8;
    size.verified = info.verified_insns;
  }
  return size;
}

absl::StatusOr<std::unique_ptr<DataPlane>> LoadPlane(HashLayout layout) {
  DataPlaneOptions options;
  options.prefixes = {*ParseDarknetPrefix("198.18.0.0/15")};
  options.hash_layout = layout;
  return DataPlane::Load(options);
}

int Run() {
  absl::StatusOr<std::unique_ptr<DataPlane>> plane =
      LoadPlane(HashLayout::kShared);
  absl::StatusOr<std::unique_ptr<DataPlane>> per_cpu =
      LoadPlane(HashLayout::kPerCpu);
  if (!plane.ok() || !per_cpu.ok()) {
    std::fprintf(stderr, "xdp_cost: %s %s\n", plane.status().ToString().c_str(),
                 per_cpu.status().ToString().c_str());
    return 2;
  }
  xdp_drop_bpf* drop = xdp_drop_bpf__open_and_load();
  if (drop == nullptr) {
    std::fprintf(stderr, "xdp_cost: xdp_drop_bpf__open_and_load failed\n");
    return 2;
  }
  const int darkscope_fd = (*plane)->program_fd();
  const int per_cpu_fd = (*per_cpu)->program_fd();
  const int drop_fd = bpf_program__fd(drop->progs.xdp_drop_all);
  const uint32_t repeat = absl::GetFlag(FLAGS_repeat);
  const int rounds = absl::GetFlag(FLAGS_rounds);

  ProgramSize ds_size = SizeOf(darkscope_fd), drop_size = SizeOf(drop_fd);
  std::printf(
      "xdp_count_darknet: %u translated instructions, %u verified; "
      "xdp_drop_all: %u translated\n\n",
      ds_size.xlated, ds_size.verified, drop_size.xlated);
  std::printf(
      "| frame | bytes | xdp_drop_all ns | darkscope shared hashes ns | ratio "
      "| darkscope per-CPU hashes ns | ratio "
      "|\n|---|---|---|---|---|---|---|\n");
  for (const BenchFrame& bench : Frames()) {
    // Alternate the three programs round by round, so that the machine's
    // drift affects them alike.
    const std::pair<int, const char*> programs[] = {
        {drop_fd, "xdp_drop_all"},
        {darkscope_fd, "xdp_count_darknet (shared)"},
        {per_cpu_fd, "xdp_count_darknet (per-CPU)"}};
    std::vector<double> ns[3];
    for (int round = 0; round < rounds; ++round) {
      for (int p = 0; p < 3; ++p) {
        auto run = TestRunXdp(programs[p].first, programs[p].second,
                              bench.frame.bytes, repeat);
        if (!run.ok()) {
          std::fprintf(stderr, "xdp_cost: %s\n",
                       run.status().ToString().c_str());
          return 2;
        }
        ns[p].push_back(run->duration_ns);
      }
    }
    double drop = std::max(Median(ns[0]), 1.0);
    double shared = Median(ns[1]), percpu = Median(ns[2]);
    std::printf("| %s | %zu | %.0f | %.0f | %.1f | %.0f | %.1f |\n",
                bench.name.c_str(), bench.frame.bytes.size(), drop, shared,
                shared / drop, percpu, percpu / drop);
  }
  xdp_drop_bpf__destroy(drop);
  return 0;
}

}  // namespace
}  // namespace darkscope

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return darkscope::Run();
}
