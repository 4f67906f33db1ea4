#pragma once
/// Process-wide allocator setting for programs that fit GPs.
///
/// glibc serves blocks above 128 KiB (and, adaptively, up to 32 MiB) with mmap and returns them
/// to the kernel on free, so every n x n temporary of a hyperparameter fit (720 KiB at n = 300)
/// is page-faulted in afresh: perf showed half of the fit time in page faults. Keeping blocks up
/// to 64 MiB in the heap, and not trimming it below 256 MiB, removes that cost (2.4x at n = 300).
#include <malloc.h>

namespace ionscreen::drivers {

inline void keep_large_blocks_in_heap() {
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
}

}  // namespace ionscreen::drivers
