// The agent's file side without a kernel program: the snapshot writer
// writes durably through io_uring and counts what it could not write (a
// failing disk, a full queue) instead of crashing; `darkscope cat` prints
// the good files of a directory in time order and names the bad ones with
// their offset.
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <new>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "agent/snapshot_writer.h"
#include "cat/cat.h"
#include "common/thread_guard.h"
#include "gtest/gtest.h"
#include "io/durable_file.h"
#include "snapshot/snapshot.h"

namespace darkscope {
namespace {

// A directory of the test's own under /tmp, removed with its files at exit.
std::string TempDir() {
  char dir[] = "/tmp/darkscope-io-XXXXXX";
  EXPECT_NE(mkdtemp(dir), nullptr);
  static std::vector<std::string>* made = [] {
    auto* dirs = new std::vector<std::string>;
    std::atexit([] {
      for (const std::string& d : *made) std::system(("rm -rf " + d).c_str());
    });
    return dirs;
  }();
  made->push_back(dir);
  return dir;
}

Snapshot At(int64_t unix_seconds, uint64_t packets) {
  Snapshot s;
  s.sensor = "unit";
  s.interval_start = absl::FromUnixSeconds(unix_seconds);
  s.interval_seconds = 60;
  s.complete = true;
  s.counts.counters[DS_CTR_DARKNET_PACKETS] = packets;
  s.counts.ports[ds_port_index(DS_SLOT_TCP, 23)] = {
      packets, packets * 60, packets, 0, 0, 0, 0, 0, 0};
  return s;
}

TEST(UringFileWriter, WritesWholeFileUnderItsName) {
  const std::string dir = TempDir();
  auto writer = UringFileWriter::Create(dir);
  ASSERT_TRUE(writer.ok()) << writer.status();
  std::vector<uint8_t> bytes(3 << 20, 0x5a);  // several MB: more than one write
  ASSERT_TRUE((*writer)->Write("a.dsnap", bytes).ok());
  auto back = ReadWholeFile(dir + "/a.dsnap");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, bytes);
  EXPECT_NE(::access((dir + "/.a.dsnap.tmp").c_str(), F_OK), 0)
      << "temporary file left";
}

TEST(UringFileWriter, FailureNamesOperationAndFile) {
  const std::string dir = TempDir();
  auto writer = UringFileWriter::Create(dir);
  ASSERT_TRUE(writer.ok());
  ASSERT_EQ(::rmdir(dir.c_str()), 0);  // the disk "goes away"
  absl::Status status =
      (*writer)->Write("b.dsnap", std::vector<uint8_t>(10, 1));
  EXPECT_FALSE(status.ok());
  EXPECT_TRUE(absl::StrContains(status.message(), "openat")) << status;
  EXPECT_TRUE(absl::StrContains(status.message(), dir)) << status;
}

std::string FileText(const std::string& path) {
  auto bytes = ReadWholeFile(path);
  return bytes.ok() ? std::string(bytes->begin(), bytes->end()) : "";
}

// Whoever may add a name to the output directory may plant a symbolic link
// under the name the (root) writer is about to use: the writer never opens
// an existing name and never follows a link there, so the target of the
// link is untouched and the file written is a regular file of its own.
TEST(UringFileWriter, NeverFollowsALinkPlantedInTheDirectory) {
  struct Case {
    const char* what;
    const char* planted;  // the link's name in the output directory
    bool plain;           // through WritePlainFile instead of io_uring
  };
  const Case cases[] = {
      {"link at the temporary name", ".a.dsnap.tmp", false},
      {"link at the final name", "a.dsnap", false},
      {"link at the temporary name, plain writer", ".a.dsnap.tmp", true},
      {"link at the final name, plain writer", "a.dsnap", true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const std::string dir = TempDir();
    const std::string victim = TempDir() + "/victim";
    {
      FILE* f = std::fopen(victim.c_str(), "w");
      ASSERT_NE(f, nullptr);
      std::fputs("precious", f);
      std::fclose(f);
    }
    ASSERT_EQ(::symlink(victim.c_str(), (dir + "/" + c.planted).c_str()), 0);
    const std::vector<uint8_t> bytes = {'n', 'e', 'w'};
    absl::Status status;
    if (c.plain) {
      status = WritePlainFile(dir, "a.dsnap", bytes);
    } else {
      auto writer = UringFileWriter::Create(dir);
      ASSERT_TRUE(writer.ok()) << writer.status();
      status = (*writer)->Write("a.dsnap", bytes);
    }
    EXPECT_TRUE(status.ok()) << status;
    EXPECT_EQ(FileText(victim), "precious") << "the link's target was written";
    struct stat st;
    ASSERT_EQ(::lstat((dir + "/a.dsnap").c_str(), &st), 0);
    EXPECT_TRUE(S_ISREG(st.st_mode))
        << "the file written is not a regular file";
    EXPECT_EQ(FileText(dir + "/a.dsnap"), "new");
    EXPECT_NE(::access((dir + "/.a.dsnap.tmp").c_str(), F_OK), 0)
        << "temporary name left";
  }
}

// An output directory that others (or its group) may write is refused with
// its name and mode; one only its owner may write is taken.
TEST(UringFileWriter, RefusesADirectoryOthersCanWrite) {
  struct Case {
    mode_t mode;
    bool taken;
  };
  const Case cases[] = {
      {0700, true},   {0755, true},  {0750, true},  {0777, false},
      {01777, false}, {0775, false}, {0757, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::StrFormat("mode %04o", c.mode));
    const std::string dir = TempDir();
    ASSERT_EQ(::chmod(dir.c_str(), c.mode), 0);
    auto writer = UringFileWriter::Create(dir);
    absl::Status plain =
        WritePlainFile(dir, "p.dsnap", std::vector<uint8_t>{1});
    EXPECT_EQ(writer.ok(), c.taken) << writer.status();
    EXPECT_EQ(plain.ok(), c.taken) << plain;
    if (c.taken) continue;
    EXPECT_TRUE(absl::StrContains(writer.status().message(), dir))
        << writer.status();
    EXPECT_TRUE(absl::StrContains(writer.status().message(), "writable by"))
        << writer.status();
    EXPECT_NE(::access((dir + "/p.dsnap").c_str(), F_OK), 0);
  }
}

// Out of memory on the writer thread (here in the observer, the
// monitoring's tally, which allocates) is logged, and the writer goes on:
// both snapshots are on disk. Before the guard, std::terminate.
TEST(SnapshotWriter, OutOfMemoryInTheObserverDoesNotStopTheWriter) {
  const std::string dir = TempDir();
  auto files = UringFileWriter::Create(dir);
  ASSERT_TRUE(files.ok());
  int calls = 0;
  {
    SnapshotWriter writer(std::move(*files), 4,
                          [&](const Snapshot*, const absl::Status&,
                              absl::Duration, const SnapshotWriterStats&) {
                            if (calls++ == 0) throw std::bad_alloc();
                          });
    ASSERT_TRUE(writer.Enqueue(At(1795428000, 1)));
    ASSERT_TRUE(writer.Enqueue(At(1795428060, 2)));
    EXPECT_TRUE(writer.WaitWritten(absl::FromUnixSeconds(1795428060),
                                   absl::Seconds(10)));
    EXPECT_EQ(writer.stats().written, 2u);
  }
  EXPECT_EQ(calls, 2);
  EXPECT_FALSE(ThreadFailed());
  for (const char* name : {"20261123T100000Z.dsnap", "20261123T100100Z.dsnap"})
    EXPECT_EQ(::access((dir + "/" + name).c_str(), F_OK), 0) << name;
}

// An exception at a thread's boundary, one case per kind: logged in one
// line naming the thread, SIGTERM raised (the agent's loop stops there),
// ThreadFailed() true (its exit status 1). Before the guard, std::terminate.
TEST(GuardThread, AnExceptionStopsTheProcessCleanly) {
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &term, nullptr), 0);
  struct Case {
    const char* name;
    std::function<void()> body;
    const char* logged;
  };
  const std::vector<Case> cases = {
      {"bad_alloc", [] { throw std::bad_alloc(); }, "out of memory"},
      {"runtime_error", [] { throw std::runtime_error("disk on fire"); },
       "disk on fire"},
      {"unknown", [] { throw 7; }, "unknown type"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ::testing::internal::CaptureStderr();
    std::thread thread([&] { GuardThread(c.name, c.body); });
    thread.join();
    const std::string logged = ::testing::internal::GetCapturedStderr();
    EXPECT_TRUE(absl::StrContains(logged, c.logged)) << logged;
    EXPECT_TRUE(absl::StrContains(logged, c.name)) << logged;
    EXPECT_EQ(std::count(logged.begin(), logged.end(), '\n'), 1) << logged;
    timespec none = {0, 0};
    EXPECT_EQ(sigtimedwait(&term, nullptr, &none), SIGTERM);
    EXPECT_TRUE(ThreadFailed());
  }
  ASSERT_EQ(pthread_sigmask(SIG_UNBLOCK, &term, nullptr), 0);
}

// A directory that refuses writes: the snapshots are kept and retried,
// each failed attempt counted; at shutdown each gets one last attempt and
// what still fails is counted as lost. Never a crash.
TEST(SnapshotWriter, KeepsAndRetriesFailedWritesThenCountsTheLost) {
  const std::string dir = TempDir();
  auto files = UringFileWriter::Create(dir);
  ASSERT_TRUE(files.ok());
  ASSERT_EQ(::rmdir(dir.c_str()), 0);
  SnapshotWriterStats during, last_seen;
  absl::Mutex mutex;
  {
    SnapshotWriter writer(
        std::move(*files), 4,
        [&](const Snapshot*, const absl::Status&, absl::Duration,
            const SnapshotWriterStats& stats) {
          absl::MutexLock lock(&mutex);
          last_seen = stats;
        },
        absl::Milliseconds(5));
    EXPECT_TRUE(writer.Enqueue(At(1795428000, 1)));
    EXPECT_TRUE(writer.Enqueue(At(1795428060, 2)));
    for (int i = 0; i < 400 && writer.stats().write_errors < 4; ++i) {
      absl::SleepFor(absl::Milliseconds(5));
    }
    during = writer.stats();
  }
  EXPECT_GE(during.write_errors, 4u) << "the head of the backlog is retried";
  EXPECT_EQ(during.written, 0u);
  EXPECT_EQ(during.disk_fault, 1u);
  EXPECT_EQ(during.queue_depth, 2u) << "both snapshots held";
  EXPECT_EQ(during.lost, 0u);
  absl::MutexLock lock(&mutex);
  EXPECT_EQ(last_seen.lost, 2u) << "one last attempt each at shutdown";
}

// A sample file that keeps failing while snapshots are written (here: a
// name in a directory that does not exist) never holds the snapshots up: it
// goes behind them, gets kFileAttempts attempts, then is dropped and
// counted; every attempt, the file's included, reaches the observer.
TEST(SnapshotWriter,
     FailingSampleFileGoesBehindSnapshotsAndIsDroppedAfterItsAttempts) {
  const std::string dir = TempDir();
  auto files = UringFileWriter::Create(dir);
  ASSERT_TRUE(files.ok());
  int file_attempts = 0, snapshot_attempts = 0;
  bool fault_seen_after_file = false;
  absl::Mutex mutex;
  SnapshotWriterStats stats;
  {
    SnapshotWriter writer(
        std::move(*files), 8,
        [&](const Snapshot* snapshot, const absl::Status& status,
            absl::Duration, const SnapshotWriterStats& after) {
          absl::MutexLock lock(&mutex);
          ++(snapshot == nullptr ? file_attempts : snapshot_attempts);
          if (snapshot == nullptr && !status.ok() && after.disk_fault == 1) {
            fault_seen_after_file = true;
          }
        },
        absl::Milliseconds(5));
    EXPECT_TRUE(
        writer.EnqueueFile("missing/20261118T110640Z.q0.pcapng", {{1, 2, 3}}));
    for (int i = 0; i < 3; ++i)
      EXPECT_TRUE(writer.Enqueue(At(1795428000 + 60 * i, i + 1)));
    for (int i = 0; i < 400 && (writer.stats().written < 3 ||
                                writer.stats().queue_depth > 0);
         ++i) {
      absl::SleepFor(absl::Milliseconds(5));
    }
    stats = writer.stats();
  }
  EXPECT_EQ(stats.written, 3u) << "the snapshots behind the failing file";
  EXPECT_EQ(stats.files_written, 0u);
  EXPECT_EQ(stats.file_write_errors, static_cast<uint64_t>(kFileAttempts));
  EXPECT_EQ(stats.files_dropped, 1u);
  EXPECT_EQ(stats.queue_depth, 0u);
  EXPECT_EQ(stats.lost, 0u);
  absl::MutexLock lock(&mutex);
  EXPECT_EQ(file_attempts, kFileAttempts) << "each attempt is observed";
  EXPECT_EQ(snapshot_attempts, 3);
  EXPECT_TRUE(fault_seen_after_file);
  auto listed = ListSnapshotFiles({dir});
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 3u);
}

TEST(SnapshotWriter, FullQueueDropsAndCounts) {
  const std::string dir = TempDir();
  auto files = UringFileWriter::Create(dir);
  ASSERT_TRUE(files.ok());
  SnapshotWriter writer(std::move(*files), 0);  // no room at all
  EXPECT_FALSE(writer.Enqueue(At(1795428000, 1)));
  EXPECT_EQ(writer.stats().dropped, 1u);
}

TEST(SnapshotWriter, WritesQueuedSnapshotsBeforeStopping) {
  const std::string dir = TempDir();
  auto files = UringFileWriter::Create(dir);
  ASSERT_TRUE(files.ok());
  {
    SnapshotWriter writer(std::move(*files), 8);
    for (int i = 0; i < 5; ++i)
      EXPECT_TRUE(writer.Enqueue(At(1795428000 + 60 * i, i + 1)));
  }
  auto listed = ListSnapshotFiles({dir});
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 5u);
}

// Sample files arrive in chunks: written in order as one file, counted
// apart from snapshots, and a full queue drops them under their own count.
TEST(SnapshotWriter, WritesFilesInPiecesAndCountsThemApart) {
  const std::string dir = TempDir();
  auto files = UringFileWriter::Create(dir);
  ASSERT_TRUE(files.ok());
  const std::vector<std::vector<uint8_t>> pieces = {
      std::vector<uint8_t>(1 << 20, 1),
      std::vector<uint8_t>(3, 2),
      {},
      std::vector<uint8_t>(70000, 3)};
  std::vector<uint8_t> whole;
  for (const auto& piece : pieces)
    whole.insert(whole.end(), piece.begin(), piece.end());
  SnapshotWriterStats stats;
  {
    SnapshotWriter writer(std::move(*files), 2);
    EXPECT_TRUE(writer.EnqueueFile("20261118T110640Z.q0.pcapng", pieces));
    EXPECT_TRUE(writer.Enqueue(At(1795428000, 1)));
    for (int i = 0;
         i < 200 && writer.stats().files_written + writer.stats().written < 2;
         ++i) {
      absl::SleepFor(absl::Milliseconds(10));
    }
    stats = writer.stats();
  }
  EXPECT_EQ(stats.files_written, 1u);
  EXPECT_EQ(stats.written, 1u);
  auto back = ReadWholeFile(dir + "/20261118T110640Z.q0.pcapng");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, whole);

  auto full = UringFileWriter::Create(dir);
  ASSERT_TRUE(full.ok());
  SnapshotWriter no_room(std::move(*full), 0);
  EXPECT_FALSE(no_room.EnqueueFile("x.pcapng", pieces));
  EXPECT_EQ(no_room.stats().files_dropped, 1u);
  EXPECT_EQ(no_room.stats().dropped, 0u);
}

TEST(Cat, PrintsGoodFilesAndNamesTheCorruptOne) {
  const std::string dir = TempDir();
  auto files = UringFileWriter::Create(dir);
  ASSERT_TRUE(files.ok());
  for (int i = 0; i < 3; ++i) {
    const Snapshot s = At(1795428000 + 60 * i, 10 * (i + 1));
    ASSERT_TRUE(
        (*files)
            ->Write(SnapshotFileName(s.interval_start), EncodeSnapshot(s))
            .ok());
  }
  // Corrupt the middle one.
  const std::string middle =
      dir + "/" + SnapshotFileName(absl::FromUnixSeconds(1795428060));
  auto bytes = ReadWholeFile(middle);
  ASSERT_TRUE(bytes.ok());
  (*bytes)[bytes->size() / 2] ^= 0xff;
  ASSERT_TRUE(
      (*files)
          ->Write(SnapshotFileName(absl::FromUnixSeconds(1795428060)), *bytes)
          .ok());

  auto listed = ListSnapshotFiles({dir});
  ASSERT_TRUE(listed.ok());
  std::ostringstream out, errors;
  CatOptions options;
  options.format = CatFormat::kJsonLines;
  options.table = "ports";
  EXPECT_EQ(CatSnapshots(*listed, options, out, errors), 1);
  EXPECT_EQ(
      out.str(),
      "{\"table\":\"ports\",\"interval_start\":\"2026-11-23T10:00:00Z\","
      "\"sensor\":\"unit\","
      "\"proto\":\"tcp\",\"port\":23,\"packets\":10,\"bytes\":600,\"syn\":10,"
      "\"synack\":0,"
      "\"rst\":0,\"mirai\":0,\"zmap\":0,\"masscan\":0,\"backscatter\":0}\n"
      "{\"table\":\"ports\",\"interval_start\":\"2026-11-23T10:02:00Z\","
      "\"sensor\":\"unit\","
      "\"proto\":\"tcp\",\"port\":23,\"packets\":30,\"bytes\":1800,\"syn\":30,"
      "\"synack\":0,"
      "\"rst\":0,\"mirai\":0,\"zmap\":0,\"masscan\":0,\"backscatter\":0}\n");
  EXPECT_TRUE(absl::StrContains(errors.str(), middle)) << errors.str();
  EXPECT_TRUE(absl::StrContains(errors.str(), "offset")) << errors.str();
}

TEST(Cat, CsvHasOneHeaderPerTable) {
  const std::string dir = TempDir();
  auto files = UringFileWriter::Create(dir);
  ASSERT_TRUE(files.ok());
  const Snapshot s = At(1795428000, 5);
  ASSERT_TRUE((*files)
                  ->Write(SnapshotFileName(s.interval_start), EncodeSnapshot(s))
                  .ok());
  std::ostringstream out, errors;
  CatOptions options;
  options.format = CatFormat::kCsv;
  options.table = "ports";
  auto listed = ListSnapshotFiles({dir});
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(CatSnapshots(*listed, options, out, errors), 0);
  EXPECT_EQ(out.str(),
            "table,interval_start,sensor,proto,port,packets,bytes,syn,synack,"
            "rst,mirai,zmap,"
            "masscan,backscatter\n"
            "ports,2026-11-23T10:00:00Z,unit,tcp,23,5,300,5,0,0,0,0,0,0\n");
}

// What is not a regular file is named and skipped, never read: /dev/zero
// (read on until memory ran out), a directory given as a file.
TEST(Cat, RefusesWhatIsNotARegularFile) {
  const std::string dir = TempDir();
  auto files = UringFileWriter::Create(dir);
  ASSERT_TRUE(files.ok());
  const Snapshot s = At(1795428000, 5);
  const std::string good = dir + "/" + SnapshotFileName(s.interval_start);
  ASSERT_TRUE((*files)
                  ->Write(SnapshotFileName(s.interval_start), EncodeSnapshot(s))
                  .ok());
  ASSERT_EQ(::mkdir((dir + "/sub.dsnap").c_str(), 0700), 0);
  struct Case {
    std::string path, why;
  };
  const Case cases[] = {
      {"/dev/zero", "/dev/zero: a character device, not a regular file"},
      {dir + "/sub.dsnap", "a directory, not a regular file"}};
  std::vector<std::string> paths = {good};
  for (const Case& c : cases) paths.push_back(c.path);
  std::ostringstream out, errors;
  CatOptions options;
  options.table = "ports";
  EXPECT_EQ(CatSnapshots(paths, options, out, errors), 2);
  for (const Case& c : cases) {
    EXPECT_TRUE(absl::StrContains(errors.str(), c.why)) << errors.str();
  }
  EXPECT_TRUE(absl::StrContains(out.str(), "\"packets\":5")) << out.str();
}

}  // namespace
}  // namespace darkscope
