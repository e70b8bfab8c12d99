// The demo scenario: a seeded, deterministic mix of darknet traffic shaped
// like what telescopes report (Mirai-type scans of 23/2323/37215/5555 with
// seq == destination, ZMap and Masscan sweeps, 445/1433/22/3389 scanning,
// SYN-ACK and RST backscatter, NTP and DNS reflection, ICMP unreachable and
// echo, a wide port scan from one /24, a little non-darknet traffic), with
// destinations in 198.18.0.0/15.
//
// It is the generator's first built-in scenario; the scenario file format,
// pcap output and ground truth come with the generator issue.
#ifndef DARKSCOPE_GEN_DEMO_MIX_H_
#define DARKSCOPE_GEN_DEMO_MIX_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace darkscope {

// `count` frames of the demo mix.
std::vector<std::vector<uint8_t>> DemoFrames(uint64_t seed, size_t count);

}  // namespace darkscope

#endif  // DARKSCOPE_GEN_DEMO_MIX_H_
