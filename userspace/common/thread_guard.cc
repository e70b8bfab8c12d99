// GuardThread (thread_guard.h).
#include "common/thread_guard.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <exception>
#include <new>
#include <string>

namespace darkscope {
namespace {
std::atomic<bool> thread_failed{false};
}  // namespace

const char* CurrentExceptionText() {
  try {
    throw;
  } catch (const std::bad_alloc&) {
    return "out of memory (std::bad_alloc)";
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "an exception of unknown type";
  }
}

void GuardThread(absl::string_view thread, absl::FunctionRef<void()> body) {
  try {
    body();
  } catch (...) {
    const char* what = CurrentExceptionText();
    thread_failed.store(true);
    std::fprintf(stderr, "darkscope: thread '%.*s' stopped: %s; stopping\n",
                 static_cast<int>(thread.size()), thread.data(), what);
    ::kill(::getpid(), SIGTERM);
  }
}

bool ThreadFailed() { return thread_failed.load(); }

}  // namespace darkscope
