// Capabilities of `darkscope run`: what loading and attaching need, checked
// before touching the kernel, and what the agent keeps afterwards.
//
// Measured on this project's test kernel (docs/operations.md, "Least
// privilege"): loading the program and creating its maps needs CAP_BPF,
// attaching through libxdp needs CAP_NET_ADMIN (netlink) and, for libxdp's
// dispatcher (a BPF_PROG_TYPE_EXT program), CAP_PERFMON; libxdp's pins in
// /sys/fs/bpf need CAP_DAC_OVERRIDE when the agent is not uid 0. After
// attaching, the drain still creates maps (recycling hash tables) and, on
// kernels before 6.5 (Debian 12's 6.1), every bpf() command needs CAP_BPF;
// detaching at exit needs CAP_NET_ADMIN. Mounting bpffs when it is missing
// (pinning) needs CAP_SYS_ADMIN, before the drop. AF_XDP sampling needs
// CAP_NET_RAW to create its sockets (socket(AF_XDP) checks it), which the
// agent does before the drop; binding, mapping and reading them later do
// not, so CAP_NET_RAW is checked when sampling and never kept. Everything
// else is dropped, from the bounding set too, and a seccomp filter limits
// the agent to the system calls it makes (LockDownAfterAttach).
#ifndef DARKSCOPE_AGENT_PRIVILEGES_H_
#define DARKSCOPE_AGENT_PRIVILEGES_H_

#include <string>

#include "absl/status/status.h"

namespace darkscope {

// An error naming the capabilities that loading and attaching need (and,
// with `sampling`, creating AF_XDP sockets: CAP_NET_RAW) and this process
// lacks in its effective set.
absl::Status CheckAttachCapabilities(bool sampling);

// Keeps only CAP_BPF, CAP_NET_ADMIN and CAP_SYS_ADMIN (effective and
// permitted), clears
// the inheritable and ambient sets. Call before any thread starts: each
// thread has its own capability sets and inherits its creator's.
absl::Status DropCapabilitiesAfterAttach();

// Makes the drop durable, after DropCapabilitiesAfterAttach's checks and
// before any thread starts: removes every capability but the kept ones
// from the bounding set (so that nothing the agent might execute regains
// them; needs CAP_SETPCAP, which root has: under darkscope.service the
// unit's bounding set is already that small, and what cannot be dropped
// is named in a warning), sets no_new_privs, and installs a seccomp
// filter (libseccomp) that allows only the system calls the agent makes
// (measured with strace over live runs with HTTP, sampling, retention and
// a full output directory: docs/operations.md) and fails every other with
// EPERM: no execve, ptrace, mount, setns, unshare, module or key calls;
// threads only (clone with CLONE_THREAD; clone3 answers ENOSYS so that the
// C library falls back to clone). Call it in place of
// DropCapabilitiesAfterAttach.
absl::Status LockDownAfterAttach();

// Creates and removes a file in `directory`: after the drop, root without
// CAP_DAC_OVERRIDE may no longer write where it could before. The error
// names the directory and the uid.
absl::Status CheckDirectoryWritable(const std::string& directory);

}  // namespace darkscope

#endif  // DARKSCOPE_AGENT_PRIVILEGES_H_
