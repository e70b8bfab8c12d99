// Replaying captures through the data plane.
#include "replay/replay.h"

#include <cstdio>
#include <optional>

#include "absl/strings/str_cat.h"
#include "capture/pcap_file.h"
#include "common/directories.h"
#include "common/prefix.h"
#include "common/status.h"
#include "drain/epoch_tables.h"
#include "snapshot/interval_writer.h"

namespace darkscope {

absl::Status RunReplay(const ReplayOptions& options) {
  if (options.files.empty())
    return absl::InvalidArgumentError("no capture file given");
  DS_RETURN_IF_ERROR(CheckPrefixesDisjoint(options.data_plane.prefixes));
  DS_RETURN_IF_ERROR(MakeDirectories(options.out_dir));
  // Offline: one directory sync per batch of files, and at the end.
  constexpr int kFilesPerDirectorySync = 64;
  DS_ASSIGN_OR_RETURN(
      std::unique_ptr<UringFileWriter> files,
      UringFileWriter::Create(options.out_dir, kFilesPerDirectorySync));
  DS_ASSIGN_OR_RETURN(std::unique_ptr<DataPlane> plane,
                      DataPlane::Load(options.data_plane));
  // Nothing runs the program but this loop's test runs: the epoch's maps
  // are read and cleared in place, without the kernel's wait per swap.
  IntervalCutter cutter(*plane, CutMode::kQuiescent);
  DS_RETURN_IF_ERROR(cutter.Start());
  IntervalWriter writer(options.sensor, options.data_plane.prefixes,
                        options.interval, *files);

  // Frames the kernel would not run (over 73,152 bytes: the first buffer
  // and 17 page-sized fragments of a multi-buffer test run; docs/maps.md),
  // and frames older than the interval being replayed (counted in it).
  std::map<std::string, uint64_t> health = {{"replay_frames_refused", 0},
                                            {"replay_frames_out_of_order", 0},
                                            {"replay_frames_truncated", 0}};
  std::optional<absl::Time> current;
  uint64_t frames = 0;
  absl::Time last_progress = absl::Now();
  for (const std::string& path : options.files) {
    DS_ASSIGN_OR_RETURN(std::unique_ptr<PcapReader> reader,
                        PcapReader::Open(path));
    absl::Time time;
    absl::Span<const uint8_t> frame;
    for (;;) {
      DS_ASSIGN_OR_RETURN(bool more, reader->Next(time, frame));
      if (!more) break;
      const absl::Time start = writer.IntervalStart(time);
      if (current && start > *current) {
        DS_ASSIGN_OR_RETURN(EpochCounts counts, cutter.Cut());
        DS_RETURN_IF_ERROR(writer.Add(*current, std::move(counts), health));
        current = start;
      } else if (current && start < *current) {
        ++health["replay_frames_out_of_order"];
      } else if (!current) {
        current = start;
      }
      if (absl::StatusOr<TestRunResult> run = plane->TestRun(frame);
          !run.ok()) {
        if (health["replay_frames_refused"]++ == 0) {
          std::fprintf(stderr,
                       "darkscope replay: %s: frame of %zu bytes refused: %s "
                       "(counted)\n",
                       path.c_str(), frame.size(),
                       std::string(run.status().message()).c_str());
        }
      }
      ++frames;
      if (options.progress && absl::Now() - last_progress > absl::Seconds(1)) {
        last_progress = absl::Now();
        std::fprintf(
            stderr, "\rdarkscope replay: %s: %llu frames, at %s", path.c_str(),
            static_cast<unsigned long long>(frames),
            absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", time, absl::UTCTimeZone())
                .c_str());
      }
    }
    health["replay_frames_truncated"] += reader->truncated_frames();
  }
  if (current) {
    DS_ASSIGN_OR_RETURN(EpochCounts counts, cutter.Cut());
    DS_RETURN_IF_ERROR(writer.Add(*current, std::move(counts), health));
  }
  DS_RETURN_IF_ERROR(writer.Finish());
  DS_RETURN_IF_ERROR(files->SyncDirectory());
  if (options.progress) std::fprintf(stderr, "\n");
  std::printf(
      "darkscope replay: %llu frames from %zu files into %d snapshots in %s\n",
      static_cast<unsigned long long>(frames), options.files.size(),
      writer.written(), options.out_dir.c_str());
  return absl::OkStatus();
}

}  // namespace darkscope
