// The demo mix of darknet traffic.
#include "gen/demo_mix.h"

#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "packet/packet_builder.h"

namespace darkscope {
namespace {

class MixGenerator {
 public:
  explicit MixGenerator(uint64_t seed) : rng_(seed) {}

  std::vector<uint8_t> Next() {
    const int pick = Uniform(0, 99);
    if (pick < 40) return Mirai();
    if (pick < 50) return Scan({"45.95.147.", "45.95.168.", "80.82.77."}, {445, 1433, 22, 3389});
    if (pick < 58) return ZMap();
    if (pick < 63) return WideScan();
    if (pick < 72) return Backscatter();
    if (pick < 80) return Reflection();
    if (pick < 87) return Icmp();
    if (pick < 95) return Scan({"61.177.172.", "218.92.0.", "222.186.30."}, {22, 8080, 80, 6379});
    return NonDarknet();
  }

 private:
  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

  std::string Source(const std::vector<std::string>& networks, int hosts) {
    return absl::StrCat(networks[Uniform(0, static_cast<int>(networks.size()) - 1)],
                        Uniform(1, hosts));
  }
  // A darknet address in 198.18.0.0/15 (host order, and text).
  std::pair<uint32_t, std::string> Destination() {
    uint32_t addr = (198u << 24) | (18u << 16) | static_cast<uint32_t>(Uniform(0, 0x1ffff));
    return {addr, absl::StrCat(addr >> 24, ".", (addr >> 16) & 0xff, ".", (addr >> 8) & 0xff,
                               ".", addr & 0xff)};
  }
  uint16_t EphemeralPort() { return static_cast<uint16_t>(Uniform(32768, 60999)); }

  std::vector<uint8_t> Mirai() {
    static const std::vector<std::string> bots = {"177.10.33.", "103.149.87.", "186.96.145.",
                                                  "117.196.54.", "14.162.146.", "190.109.227."};
    const int p = Uniform(0, 9);
    const uint16_t port = p < 7 ? 23 : p < 9 ? 2323 : (Uniform(0, 1) ? 37215 : 5555);
    auto [dst, dst_text] = Destination();
    return PacketBuilder().Ipv4(Source(bots, 40), dst_text)
        .Ipv4Id(static_cast<uint16_t>(Uniform(0, 65535)))
        .Tcp(EphemeralPort(), port, kSyn, dst).Build().bytes;
  }
  std::vector<uint8_t> Scan(const std::vector<std::string>& networks,
                            const std::vector<uint16_t>& ports) {
    auto [dst, dst_text] = Destination();
    return PacketBuilder().Ipv4(Source(networks, 20), dst_text)
        .Ipv4Id(static_cast<uint16_t>(Uniform(0, 54000)))
        .Tcp(EphemeralPort(), ports[Uniform(0, static_cast<int>(ports.size()) - 1)], kSyn,
             static_cast<uint32_t>(rng_()))
        .Build().bytes;
  }
  std::vector<uint8_t> ZMap() {
    auto [dst, dst_text] = Destination();
    return PacketBuilder().Ipv4(Source({"167.94.138.", "162.142.125."}, 120), dst_text)
        .Ipv4Id(54321).Tcp(EphemeralPort(), Uniform(0, 1) ? 443 : 80, kSyn,
                           static_cast<uint32_t>(rng_()))
        .Build().bytes;
  }
  // Masscan from one /24 across the whole port range.
  std::vector<uint8_t> WideScan() {
    auto [dst, dst_text] = Destination();
    const uint16_t port = static_cast<uint16_t>(Uniform(1, 65535));
    const uint32_t seq = static_cast<uint32_t>(rng_());
    return PacketBuilder().Ipv4(Source({"193.163.125."}, 8), dst_text)
        .Ipv4Id(static_cast<uint16_t>((dst ^ port ^ seq) & 0xffff))
        .Tcp(61000, port, kSyn, seq).Build().bytes;
  }
  std::vector<uint8_t> Backscatter() {
    auto [dst, dst_text] = Destination();
    const bool synack = Uniform(0, 3) != 0;
    return PacketBuilder().Ipv4(Source({"104.21.32.", "172.67.180.", "151.101.1."}, 60), dst_text)
        .Tcp(Uniform(0, 1) ? 443 : 80, EphemeralPort(), synack ? kSyn | kAck : kRst,
             static_cast<uint32_t>(rng_()))
        .Build().bytes;
  }
  std::vector<uint8_t> Reflection() {
    auto [dst, dst_text] = Destination();
    const bool ntp = Uniform(0, 1);
    return PacketBuilder().Ipv4(Source({"91.189.91.", "129.250.35.", "8.8.4."}, 30), dst_text)
        .Udp(ntp ? 123 : 53, EphemeralPort()).Payload(ntp ? 468 : 120).Build().bytes;
  }
  std::vector<uint8_t> Icmp() {
    auto [dst, dst_text] = Destination();
    const bool unreachable = Uniform(0, 2) != 0;
    return PacketBuilder().Ipv4(Source({"62.115.1.", "4.69.200."}, 50), dst_text)
        .Icmp(unreachable ? 3 : 8, unreachable ? 3 : 0).Payload(unreachable ? 28 : 0)
        .Build().bytes;
  }
  std::vector<uint8_t> NonDarknet() {
    const std::string dst = absl::StrCat(Uniform(0, 1) ? "192.0.2." : "203.0.113.", Uniform(1, 254));
    return PacketBuilder().Ipv4(Source({"185.220.101."}, 30), dst)
        .Tcp(EphemeralPort(), 22, kSyn, 1).Build().bytes;
  }

  std::mt19937_64 rng_;
};

}  // namespace

std::vector<std::vector<uint8_t>> DemoFrames(uint64_t seed, size_t count) {
  MixGenerator generator(seed);
  std::vector<std::vector<uint8_t>> frames;
  frames.reserve(count);
  for (size_t i = 0; i < count; ++i) frames.push_back(generator.Next());
  return frames;
}

}  // namespace darkscope
