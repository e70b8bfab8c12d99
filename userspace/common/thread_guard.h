// GuardThread: the boundary of every thread a darkscope process starts.
// An exception that reaches it (std::bad_alloc above all) would otherwise
// call std::terminate and abort the process with no word of why; here it is
// logged in one line naming the thread, the process is asked to stop
// (SIGTERM to itself: the agent's loop ends its interval, marked
// incomplete, writes what it holds and detaches) and ThreadFailed() turns
// the agent's exit status into 1.
#ifndef DARKSCOPE_COMMON_THREAD_GUARD_H_
#define DARKSCOPE_COMMON_THREAD_GUARD_H_

#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"

namespace darkscope {

// Runs `body`; an exception out of it is logged, SIGTERM is raised and
// ThreadFailed() becomes true.
void GuardThread(absl::string_view thread, absl::FunctionRef<void()> body);

// True once a guarded thread ended with an exception.
bool ThreadFailed();

// The one-line description of the exception being handled (in a catch
// block): "out of memory (std::bad_alloc)", or what() of others.
const char* CurrentExceptionText();

}  // namespace darkscope

#endif  // DARKSCOPE_COMMON_THREAD_GUARD_H_
