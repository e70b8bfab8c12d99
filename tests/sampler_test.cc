// The sample path's pure logic: pcapng files as libpcap reads them back
// (frames byte for byte, nanosecond timestamps), descriptors checked
// against the UMEM (a bad one is refused, never read), queue lists and
// file names.
#include "sampler/sampler.h"

#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "capture/pcap_file.h"
#include "gtest/gtest.h"
#include "packet/packet_builder.h"
#include "sampler/pcapng.h"
#include "sampler/xsk_queue.h"

namespace darkscope::testing {
namespace {

std::string WriteTemp(const std::vector<uint8_t>& bytes) {
  char path[] = "/tmp/darkscope-pcapng-XXXXXX";
  int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(write(fd, bytes.data(), bytes.size()),
            static_cast<ssize_t>(bytes.size()));
  close(fd);
  return path;
}

TEST(Pcapng, LibpcapReadsBackEveryFrameAndNanosecond) {
  std::vector<std::vector<uint8_t>> frames = {
      PacketBuilder()
          .Ipv4("185.220.101.7", "198.18.5.9")
          .Tcp(40000, 23, kSyn)
          .Build()
          .bytes,
      PacketBuilder()
          .Ipv4("8.8.8.8", "198.18.9.10")
          .Udp(53, 44124)
          .Payload(81)
          .Build()
          .bytes,
      PacketBuilder()
          .Ipv6("2a01:4f8::7", "2001:db8:d::9")
          .Udp(1, 2)
          .Payload(1401)
          .Build()
          .bytes,
      std::vector<uint8_t>(15, 0xab),  // a runt: any length 1..snaplen is kept
  };
  PcapngBuffer file(kLinkTypeEthernet, 3840, "dsveth0");
  EXPECT_EQ(file.frames(), 0u);
  const uint64_t t0 = 1'795'000'000'123'456'789ull;
  for (size_t i = 0; i < frames.size(); ++i) file.Append(t0 + i, frames[i]);
  EXPECT_EQ(file.frames(), frames.size());
  const std::vector<uint8_t> bytes = file.Flatten();
  EXPECT_EQ(bytes.size(), file.size());
  const std::string path = WriteTemp(bytes);

  absl::StatusOr<std::unique_ptr<PcapReader>> reader = PcapReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status();
  for (size_t i = 0; i < frames.size(); ++i) {
    absl::Time time;
    absl::Span<const uint8_t> frame;
    absl::StatusOr<bool> more = (*reader)->Next(time, frame);
    ASSERT_TRUE(more.ok() && *more) << i;
    EXPECT_EQ(std::vector<uint8_t>(frame.begin(), frame.end()), frames[i]) << i;
    EXPECT_EQ(absl::ToUnixNanos(time), static_cast<int64_t>(t0 + i)) << i;
  }
  absl::Time time;
  absl::Span<const uint8_t> frame;
  EXPECT_FALSE(*(*reader)->Next(time, frame));
  EXPECT_EQ((*reader)->truncated_frames(), 0u);
  unlink(path.c_str());
}

TEST(Pcapng, BlockSizeIsPaddedToFourBytes) {
  struct Case {
    size_t frame, block;
  } cases[] = {{1, 36}, {4, 36}, {5, 40}, {60, 92}, {1514, 1548}};
  for (const Case& c : cases)
    EXPECT_EQ(PcapngBuffer::BlockSize(c.frame), c.block) << c.frame;
  PcapngBuffer file(kLinkTypeEthernet, 3840, "x");
  const size_t before = file.size();
  file.Append(1, std::vector<uint8_t>(5, 1));
  EXPECT_EQ(file.size() - before, PcapngBuffer::BlockSize(5));
}

// Blocks never straddle chunks, and the chunks, written in order, are the
// file: thousands of frames across many chunks read back whole.
TEST(Pcapng, ChunksWrittenInOrderAreTheFile) {
  PcapngBuffer file(kLinkTypeEthernet, 3840, "dsveth0");
  std::vector<uint8_t> frame(1499);
  for (uint32_t i = 0; i < 3000; ++i) {
    frame[0] = static_cast<uint8_t>(i);
    file.Append(i, frame);
  }
  const uint64_t size = file.size();
  std::vector<std::vector<uint8_t>> chunks = file.TakeChunks();
  EXPECT_GT(chunks.size(), 3u);
  std::vector<uint8_t> bytes;
  for (const auto& chunk : chunks)
    bytes.insert(bytes.end(), chunk.begin(), chunk.end());
  EXPECT_EQ(bytes.size(), size);
  const std::string path = WriteTemp(bytes);
  absl::StatusOr<std::unique_ptr<PcapReader>> reader = PcapReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status();
  absl::Time time;
  absl::Span<const uint8_t> read;
  for (uint32_t i = 0; i < 3000; ++i) {
    absl::StatusOr<bool> more = (*reader)->Next(time, read);
    ASSERT_TRUE(more.ok() && *more) << i;
    ASSERT_EQ(read.size(), 1499u);
    EXPECT_EQ(read[0], static_cast<uint8_t>(i));
  }
  unlink(path.c_str());
}

// Descriptors from the rx ring are the kernel's, but a bug or a hostile
// driver must not make the agent read outside its UMEM.
TEST(UmemFrame, RefusesDescriptorsOutsideTheUmemOrOverTheSnapLength) {
  std::vector<uint8_t> umem(4 * 4096);
  for (size_t i = 0; i < umem.size(); ++i) umem[i] = static_cast<uint8_t>(i);
  struct Case {
    const char* name;
    uint64_t addr;
    uint32_t len;
    bool ok;
  } cases[] = {
      {"first_frame", 256, 60, true},
      {"last_byte", 4 * 4096 - 1, 1, true},
      {"whole_snaplen", 3 * 4096 + 256, 3840, true},
      {"empty", 256, 0, false},
      {"over_snaplen", 256, 3841, false},
      {"starts_past_end", 4 * 4096, 1, false},
      {"runs_past_end", 4 * 4096 - 10, 11, false},
      {"address_wraps", UINT64_MAX - 5, 60, false},
  };
  for (const Case& c : cases) {
    std::optional<absl::Span<const uint8_t>> frame =
        UmemFrame(umem, c.addr, c.len, 3840);
    EXPECT_EQ(frame.has_value(), c.ok) << c.name;
    if (frame.has_value()) {
      EXPECT_EQ(frame->data(), umem.data() + c.addr) << c.name;
      EXPECT_EQ(frame->size(), c.len) << c.name;
    }
  }
}

TEST(ParseIndexList, NumbersAndRanges) {
  struct Case {
    const char* text;
    std::vector<uint32_t> want;  // empty: an error
  } cases[] = {
      {"0", {0}},       {"0,2-3", {0, 2, 3}},
      {"1-1", {1}},     {"3-1", {}},
      {"", {}},         {"a", {}},
      {"-2", {}},       {"0,999", {}},
      {"0,,1", {0, 1}},
  };
  for (const Case& c : cases) {
    absl::StatusOr<std::vector<uint32_t>> got = ParseIndexList(c.text);
    if (c.want.empty()) {
      EXPECT_FALSE(got.ok()) << c.text;
    } else {
      ASSERT_TRUE(got.ok()) << c.text << ": " << got.status();
      EXPECT_EQ(*got, c.want) << c.text;
    }
  }
}

TEST(ValidateSamplerOptions, RefusesWhatCannotBind) {
  struct Case {
    const char* name;
    void (*change)(SamplerOptions&);
    bool ok;
  } cases[] = {
      {"defaults", [](SamplerOptions&) {}, true},
      {"queues_and_cpus",
       [](SamplerOptions& o) {
         o.queues = {0, 1}, o.cpus = {1, 1};
       },
       true},
      // Checked again once the interface's queues are known.
      {"cpus_without_queues",
       [](SamplerOptions& o) {
         o.cpus = {0, 1, 0, 1};
       },
       true},
      {"ring_not_power_of_two", [](SamplerOptions& o) { o.ring_size = 1000; },
       false},
      {"umem_not_power_of_two", [](SamplerOptions& o) { o.umem_frames = 3000; },
       false},
      {"empty_umem", [](SamplerOptions& o) { o.umem_frames = 0; }, false},
      {"batch_zero", [](SamplerOptions& o) { o.batch = 0; }, false},
      {"queue_beyond_xskmap", [](SamplerOptions& o) { o.queues = {256}; },
       false},
      {"cpus_for_other_queue_count",
       [](SamplerOptions& o) {
         o.queues = {0}, o.cpus = {0, 1};
       },
       false},
  };
  for (const Case& c : cases) {
    SamplerOptions options;
    c.change(options);
    EXPECT_EQ(ValidateSamplerOptions(options).ok(), c.ok) << c.name;
  }
}

TEST(SampleFileName, IntervalStartAndQueue) {
  EXPECT_EQ(SampleFileName(absl::FromUnixSeconds(1795000000), 3),
            "20261118T110640Z.q3.pcapng");
}

}  // namespace
}  // namespace darkscope::testing
