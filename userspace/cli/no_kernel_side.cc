// The kernel side's bodies in a build without it (DARKSCOPE_KERNEL_SIDE
// OFF): none. main.cc then answers run, detach and replay with one line
// saying so.
#include "cli/command_bodies.h"

namespace darkscope::cli {

absl::Span<const CommandBody> KernelCommandBodies() { return {}; }

}  // namespace darkscope::cli
