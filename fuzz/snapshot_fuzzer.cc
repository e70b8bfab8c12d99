// Fuzzing the snapshot decoder. The first input byte picks what the rest
// is, so that mutations reach every layer:
//   0: a whole file, as it is on disk;
//   1: a whole file whose compressed-size field and checksum are fixed up,
//      so that mutations inside the frame get past the CRC;
//   2: a raw body, wrapped in a good header, zstd frame and checksum, so
//      that mutations reach the table parser directly.
// Every decode (whole, each part, the streamed flows) must return or fail,
// never crash; a file that decodes must encode to one that decodes to the
// same snapshot (decode-encode-decode).
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "snapshot/snapshot.h"
#include "snapshot_craft.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace darkscope;
  if (size == 0) return 0;
  std::vector<uint8_t> file(data + 1, data + size);
  switch (data[0] % 3) {
    case 1:
      if (file.size() >= craft::kHeaderSize + craft::kTrailerSize) {
        craft::SetU32(file, craft::kCompressedSizeAt,
                      static_cast<uint32_t>(file.size() - craft::kHeaderSize -
                                            craft::kTrailerSize));
        craft::FixCrc(file);
      }
      break;
    case 2:
      file = craft::WrapBody(file);
      break;
    default:
      break;
  }
  for (uint32_t parts : {kSnapshotSummary, kSnapshotPorts, kSnapshotNetworks}) {
    (void)DecodeSnapshot(file, parts);
  }
  (void)DecodeSnapshot(file, kSnapshotSummary,
                       [](const ds_flow_key&, const ds_flow_stats&) {});
  absl::StatusOr<Snapshot> first = DecodeSnapshot(file);
  if (!first.ok()) return 0;
  absl::StatusOr<Snapshot> second = DecodeSnapshot(EncodeSnapshot(*first));
  if (!second.ok()) {
    std::fprintf(stderr, "re-encoded snapshot does not decode: %s\n",
                 second.status().ToString().c_str());
    std::abort();
  }
  if (!(*second == *first)) {
    std::fprintf(stderr, "decode-encode-decode changed the snapshot\n");
    std::abort();
  }
  return 0;
}
