// bench/xdp_mix_cost: the XDP program's cost on a realistic mix with a
// million distinct sources, not one warm frame. A scenario with about
// 550,000 source /24s (Mirai-type, SYN scans, ZMap, a wide scanner,
// backscatter, reflection, ICMP, traffic outside the darknet) is generated,
// and each frame is run once (BPF_PROG_TEST_RUN, repeat 1) through, in
// turn, a bare XDP_DROP program and darkscope with shared and with per-CPU
// hash tables. Every new source, destination and flow is inserted as in a
// real interval. The kernel's time of each run is summed per program and
// per class of frame; the extra cost of darkscope is the difference from
// XDP_DROP measured on the same frames in the same run.
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "common/counter_names.h"
#include "gen/scenario.h"
#include "loader/data_plane.h"
#include "xdp_drop.skel.h"

ABSL_FLAG(uint64_t, frames, 1000000, "frames in the mix");

namespace darkscope {
namespace {

constexpr const char* kMix = R"(
name mix
duration 60s
seed 11
darknet 198.18.0.0/15
population mirai   share=40 kind=mirai ports=23:70,2323:20,37215:5,5555:5 sources=BR:25,VN:20,CN:20,IN:20,TW:15 hosts=1000000 networks=400000
population syn     share=15 kind=syn ports=445:50,1433:30,22:20 sources=CN:40,RU:30,US:30 hosts=200000 networks=100000
population zmap    share=8  kind=zmap ports=443:50,80:50 sources=US:100 hosts=2000 networks=20
population wide    share=4  kind=masscan ports=1-65535 sources=RU:100 hosts=16 networks=1
population synack  share=10 kind=synack ports=443:60,80:40 sources=US:50,DE:50 hosts=100000 networks=50000
population ntp     share=5  kind=udp-reflection ports=123:100 payload=468 sources=US:50,JP:50 hosts=20000 networks=5000
population dns     share=5  kind=udp-reflection ports=53:100 payload=120 sources=US:100 hosts=20000 networks=5000
population unreach share=5  kind=icmp-unreachable sources=DE:100 hosts=20000 networks=5000
population outside share=8  kind=non-darknet ports=22:100 sources=DE:100 hosts=1000 networks=100
)";

struct Totals {
  uint64_t frames = 0;
  double ns[3] = {0, 0, 0};  // XDP_DROP, shared, per-CPU
};

int Run() {
  absl::StatusOr<Scenario> scenario = ParseScenario(kMix);
  if (!scenario.ok()) {
    std::fprintf(stderr, "xdp_mix_cost: %s\n",
                 scenario.status().ToString().c_str());
    return 2;
  }
  scenario->packets = absl::GetFlag(FLAGS_frames);
  std::vector<std::vector<uint8_t>> frames;
  std::vector<std::string> classes;
  GenerateScenario(*scenario, [&](const GeneratedFrame& g) {
    frames.push_back(BuildFrame(g.spec));
    CountedFrame counted = CountFrameSpec(g.spec, scenario->darknet, XDP_DROP);
    classes.push_back(kCounterNames[counted.pass_reason ? *counted.pass_reason
                                                        : counted.outcome]);
  });

  auto load = [&](HashLayout layout) {
    DataPlaneOptions options;
    options.prefixes = scenario->darknet;
    options.hash_layout = layout;
    options.max_sources = 1u << 20;
    options.max_destinations = 1u << 17;
    options.max_flows = 1u << 22;
    return DataPlane::Load(options);
  };
  absl::StatusOr<std::unique_ptr<DataPlane>> shared = load(HashLayout::kShared);
  absl::StatusOr<std::unique_ptr<DataPlane>> per_cpu =
      load(HashLayout::kPerCpu);
  xdp_drop_bpf* drop = xdp_drop_bpf__open_and_load();
  if (!shared.ok() || !per_cpu.ok() || drop == nullptr) {
    std::fprintf(stderr, "xdp_mix_cost: loading failed: %s %s\n",
                 shared.status().ToString().c_str(),
                 per_cpu.status().ToString().c_str());
    return 2;
  }
  const int fds[3] = {bpf_program__fd(drop->progs.xdp_drop_all),
                      (*shared)->program_fd(), (*per_cpu)->program_fd()};
  const char* names[3] = {"xdp_drop_all", "xdp_count_darknet (shared)",
                          "xdp_count_darknet (per-CPU)"};

  // Pass 1 meets every key for the first time (inserts); pass 2 runs the
  // same frames again with every key in place (lookups only), as sources
  // that keep sending within an interval do.
  for (int pass = 1; pass <= 2; ++pass) {
    std::map<std::string, Totals> by_class;
    Totals all;
    for (size_t i = 0; i < frames.size(); ++i) {
      ++by_class[classes[i]].frames;
      ++all.frames;
    }
    // Each program runs the whole mix back to back, as it would on a queue;
    // the three take turns in chunks so that machine drift hits them alike.
    constexpr size_t kChunk = 10000;
    for (size_t begin = 0; begin < frames.size(); begin += kChunk) {
      const size_t end = std::min(frames.size(), begin + kChunk);
      for (int p = 0; p < 3; ++p) {
        for (size_t i = begin; i < end; ++i) {
          absl::StatusOr<TestRunResult> run =
              TestRunXdp(fds[p], names[p], frames[i], 1);
          if (!run.ok()) {
            std::fprintf(stderr, "xdp_mix_cost: %s\n",
                         run.status().ToString().c_str());
            return 2;
          }
          by_class[classes[i]].ns[p] += run->duration_ns;
          all.ns[p] += run->duration_ns;
        }
      }
    }
    std::printf("\nPass %d: %zu frames, one run each, %s\n\n", pass,
                frames.size(),
                pass == 1 ? "fresh maps (every new key inserted)"
                          : "every key already in the maps");
    std::printf(
        "| frames | count | XDP_DROP ns | shared ns | extra | per-CPU ns | "
        "extra |\n"
        "|---|---|---|---|---|---|---|\n");
    auto row = [](const std::string& name, const Totals& t) {
      const double n = static_cast<double>(t.frames);
      const double drop_ns = t.ns[0] / n, shared_ns = t.ns[1] / n,
                   percpu_ns = t.ns[2] / n;
      std::printf("| %s | %llu | %.0f | %.0f | %+.0f | %.0f | %+.0f |\n",
                  name.c_str(), static_cast<unsigned long long>(t.frames),
                  drop_ns, shared_ns, shared_ns - drop_ns, percpu_ns,
                  percpu_ns - drop_ns);
    };
    row("all (mean)", all);
    for (const auto& [name, totals] : by_class) row(name, totals);
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
