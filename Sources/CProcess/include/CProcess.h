#ifndef KCONV_CPROCESS_H
#define KCONV_CPROCESS_H

#include <sys/types.h>

/// Asks the kernel to send `signal` to the calling process when its parent dies, then checks that
/// `parent` is still its parent (it may have died before the request). Returns 1 when the request
/// is in place and the parent alive, 0 when the parent is already gone, -1 when the platform has
/// no such request (Apple platforms) or the kernel refused it.
///
/// In C because `prctl` is variadic, which Swift cannot call.
int kconv_die_with_parent(int signal, pid_t parent);

/// SIGINT and SIGTERM back to their default action (ending the process), unblocked in the calling
/// thread; for a process whose launcher ignored or blocked them.
void kconv_default_signals(void);

/// glibc: blocks up to 32 MiB come from the heap, and up to 256 MiB of freed heap stays with the
/// process (mallopt's M_MMAP_THRESHOLD and M_TRIM_THRESHOLD), so that the arrays of one prediction
/// reuse the memory of the previous one instead of faulting fresh pages in. Elsewhere nothing.
void kconv_keep_freed_memory(void);

#endif
