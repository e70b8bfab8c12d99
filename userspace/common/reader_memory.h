// How a process that reads snapshot after snapshot (reports, roll-ups)
// asks glibc to keep freed memory for the next file.
//
// Decoding a daily roll-up allocates tens of megabytes of columns and tree
// nodes and frees them after merging. By default glibc returns large
// blocks to the kernel at free, and the next file pays a page fault for
// every 4 KiB it touches again; on the 2-CPU test machine that costs more
// than the decoding itself (bench/RESULTS.md, "Reports over a quarter").
#ifndef DARKSCOPE_COMMON_READER_MEMORY_H_
#define DARKSCOPE_COMMON_READER_MEMORY_H_

#include <malloc.h>

namespace darkscope {

// Blocks up to 32 MiB (glibc's largest mmap threshold) come from the heap,
// and the heap is not trimmed below 1 GiB of free memory. Process-wide:
// call it from a command's entry point, not from a library.
inline void KeepFreedMemoryForReuse() {
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

}  // namespace darkscope

#endif  // DARKSCOPE_COMMON_READER_MEMORY_H_
