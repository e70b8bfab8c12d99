// The generator's ground truth against the data plane: thousands of random
// FrameSpecs (every transport, flags, ICMP types, fingerprints on purpose
// and by chance, VLAN tags, fragments, short transport headers, IPv6,
// frames outside the darknet) are built, run through the program with
// BPF_PROG_TEST_RUN, and must count exactly as CountFrameSpec says. Two
// independent statements of docs/maps.md that must agree.
#include "gen/frame_spec.h"

#include <linux/bpf.h>

#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "drain/epoch_tables.h"
#include "gtest/gtest.h"
#include "loader/data_plane.h"
#include "packet/packet_builder.h"
#include "privileged.h"

namespace darkscope::testing {
namespace {

const std::vector<Prefix>& Darknet() {
  static const std::vector<Prefix> prefixes = {
      *ParseDarknetPrefix("198.18.0.0/15"),
      *ParseDarknetPrefix("2001:db8:d::/48")};
  return prefixes;
}

class RandomSpecs {
 public:
  explicit RandomSpecs(uint64_t seed) : rng_(seed) {}

  FrameSpec Next() {
    FrameSpec spec;
    const int kind = Pick(0, 99);
    if (kind < 2) {
      spec.non_ip = true;
      return spec;
    }
    const bool ipv6 = kind < 15;
    spec.src = Address(ipv6, Pick(0, 5) == 0);
    spec.dst = Address(ipv6, Pick(0, 9) != 0);
    for (int tags = Pick(0, 10) < 8 ? 0 : Pick(1, 3); tags > 0; --tags) {
      spec.vlans.emplace_back(Pick(0, 1) ? 0x8100 : 0x88a8, Pick(1, 4094));
    }
    const int transport = Pick(0, 9);
    spec.transport = transport < 5   ? Transport::kTcp
                     : transport < 7 ? Transport::kUdp
                     : transport < 8 ? Transport::kIcmp
                     : transport < 9 ? Transport::kIcmpv6
                                     : Transport::kOther;
    spec.protocol = static_cast<uint8_t>(Pick(0, 2) ? 47 : Pick(0, 255));
    if (spec.transport == Transport::kOther &&
        (spec.protocol == 6 || spec.protocol == 17 || spec.protocol == 1 ||
         spec.protocol == 58 || spec.protocol == 0 || spec.protocol == 43 ||
         spec.protocol == 44 || spec.protocol == 50 || spec.protocol == 51 ||
         spec.protocol == 60 || spec.protocol == 135)) {
      spec.protocol =
          47;  // not a transport or IPv6 extension the program parses
    }
    spec.sport = static_cast<uint16_t>(Pick(0, 3) == 0 ? (Pick(0, 1) ? 53 : 123)
                                                       : Pick(0, 65535));
    spec.dport =
        static_cast<uint16_t>(Pick(0, 1) ? Pick(0, 1024) : Pick(0, 65535));
    static const uint8_t kFlags[] = {kSyn,        kSyn | kAck, kRst,
                                     kRst | kAck, kAck,        kFin,
                                     kSyn | kFin, kPsh | kAck};
    spec.tcp_flags = kFlags[Pick(0, 7)];
    spec.seq = static_cast<uint32_t>(rng_());
    spec.ip_id = static_cast<uint16_t>(Pick(0, 65535));
    spec.icmp_type =
        static_cast<uint8_t>(Pick(0, 3) ? Pick(0, 14) : Pick(120, 140));
    spec.icmp_code = static_cast<uint8_t>(Pick(0, 3));
    spec.payload = static_cast<size_t>(Pick(0, 3) ? 0 : Pick(1, 200));
    // Fingerprints on purpose, beside the ones random values may hit.
    if (!ipv6 && spec.transport == Transport::kTcp) {
      const uint32_t daddr = (uint32_t{spec.dst.addr[0]} << 24) |
                             (spec.dst.addr[1] << 16) |
                             (spec.dst.addr[2] << 8) | spec.dst.addr[3];
      const int mark = Pick(0, 9);
      if (mark == 0) spec.seq = daddr;
      if (mark == 1) spec.seq = daddr + 1;
      if (mark == 2)
        spec.ip_id =
            static_cast<uint16_t>((daddr ^ spec.dport ^ spec.seq) & 0xffff);
    }
    if (!ipv6 && Pick(0, 9) == 0)
      spec.ip_id = static_cast<uint16_t>(Pick(54320, 54322));
    if (!ipv6 && Pick(0, 19) == 0)
      spec.fragment_offset = static_cast<uint16_t>(Pick(1, 1000));
    if (Pick(0, 19) == 0)
      spec.transport_bytes = static_cast<size_t>(Pick(0, 19));
    return spec;
  }

 private:
  int Pick(int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng_);
  }

  Prefix Address(bool ipv6, bool dark) {
    std::string text;
    if (ipv6) {
      text = dark ? absl::StrCat("2001:db8:d:", absl::Hex(Pick(0, 0xffff)),
                                 "::", absl::Hex(Pick(1, 0xffff)))
                  : absl::StrCat("2a01:4f8:", absl::Hex(Pick(0, 0xffff)),
                                 "::", absl::Hex(Pick(1, 0xffff)));
    } else if (dark) {
      text = absl::StrCat("198.", Pick(18, 19), ".", Pick(0, 255), ".",
                          Pick(0, 255));
    } else {
      text = absl::StrCat(Pick(1, 223), ".", Pick(0, 255), ".", Pick(0, 255),
                          ".", Pick(0, 255));
    }
    return *ParseAddress(text);
  }

  std::mt19937_64 rng_;
};

TEST(FrameSpecTruth, AgreesWithTheProgramOnRandomFrames) {
  DS_REQUIRE_PRIVILEGES();
  DataPlaneOptions options;
  options.prefixes = Darknet();
  options.max_sources = 4096;  // a batch of 100 frames needs few entries
  options.max_destinations = 4096;
  options.max_flows = 4096;
  absl::StatusOr<std::unique_ptr<DataPlane>> plane = DataPlane::Load(options);
  ASSERT_TRUE(plane.ok()) << plane.status();
  IntervalCutter cutter(**plane);
  ASSERT_TRUE(cutter.Start().ok());

  // Frames go in batches (one drain each); a batch that disagrees is run
  // again frame by frame to name the first frame at fault.
  RandomSpecs specs(20261124);
  constexpr int kBatches = 40, kBatchSize = 100;
  auto describe = [](const FrameSpec& spec) {
    return absl::StrCat(
        spec.src.ToString(), " -> ", spec.dst.ToString(), " transport ",
        static_cast<int>(spec.transport), " proto ", spec.protocol, " flags ",
        spec.tcp_flags, " icmp ", spec.icmp_type, " vlans ", spec.vlans.size(),
        " frag ", spec.fragment_offset, " transport_bytes ",
        spec.transport_bytes, " id ", spec.ip_id, " non_ip ", spec.non_ip);
  };
  for (int batch = 0; batch < kBatches; ++batch) {
    std::vector<FrameSpec> batch_specs;
    EpochCounts expected;
    for (int i = 0; i < kBatchSize; ++i) {
      batch_specs.push_back(specs.Next());
      const std::vector<uint8_t> frame = BuildFrame(batch_specs.back());
      AddCountedFrame(CountFrameSpec(batch_specs.back(), Darknet(), XDP_DROP),
                      frame.size(), expected);
      ASSERT_TRUE((*plane)->TestRun(frame).ok());
    }
    absl::StatusOr<EpochCounts> counted = cutter.Cut();
    ASSERT_TRUE(counted.ok()) << counted.status();
    if (*counted == expected) continue;
    for (const FrameSpec& spec : batch_specs) {
      const std::vector<uint8_t> frame = BuildFrame(spec);
      ASSERT_TRUE((*plane)->TestRun(frame).ok());
      EpochCounts one;
      AddCountedFrame(CountFrameSpec(spec, Darknet(), XDP_DROP), frame.size(),
                      one);
      absl::StatusOr<EpochCounts> got = cutter.Cut();
      ASSERT_TRUE(got.ok());
      ASSERT_TRUE(*got == one) << "batch " << batch << ": " << describe(spec);
    }
    FAIL() << "batch " << batch << " disagreed, but no single frame did";
  }
}

}  // namespace
}  // namespace darkscope::testing
