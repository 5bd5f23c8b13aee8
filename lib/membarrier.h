/* Private to lib/: the heavy side of the asymmetric fences of llt/park,
 * llt/sched and the llt/hist recorder, built on membarrier(2)'s
 * MEMBARRIER_CMD_PRIVATE_EXPEDITED.  Never installed.
 *
 * The technique: a store-buffering (Dekker) pair whose frequent side
 * keeps only a compiler barrier and whose rare side calls membarrier,
 * which makes every CPU currently running a thread of this process
 * execute a full barrier (an IPI; a CPU not running it has passed a
 * context switch, a full barrier, since).  A compiler barrier paired with
 * that call orders like two seq_cst fences.  Sources: membarrier(2) ("the
 * fast path can use compiler barriers instead of memory barriers, with
 * the slow path calling membarrier"), folly's
 * asymmetricLightBarrier/asymmetricHeavyBarrier
 * (folly/synchronization/AsymmetricThreadFence.h), C++ proposal P1202
 * ("Asymmetric fences"), and liburcu's urcu-memb flavour.
 *
 * The cost, the places that pay it and the switches that turn it off
 * (LLT_MEMBARRIER=0 for all of them) are documented once, in llt(7),
 * section ENVIRONMENT. */
#ifndef LLT_MEMBARRIER_H
#define LLT_MEMBARRIER_H

#include <stdbool.h>

#if defined(__GNUC__)
#  define LLT_MEMBARRIER_HIDDEN __attribute__((visibility("hidden")))
#else
#  define LLT_MEMBARRIER_HIDDEN
#endif

/* True when a module may use its asymmetric protocol: configure found
 * membarrier (HAVE_MEMBARRIER), the library is not built with
 * ThreadSanitizer (which does not know what membarrier orders, so it
 * would report the asymmetric protocols' plain accesses as races), the
 * environment does not hold LLT_MEMBARRIER=0 (read once, with
 * secure_getenv), the kernel offers MEMBARRIER_CMD_PRIVATE_EXPEDITED and
 * this process could register for it.  Decided once per process and
 * thread-safe (pthread_once); the first call may take milliseconds (the
 * registration waits for an RCU grace period when the process already
 * has threads), later calls are one load.  Modules call it at set-up,
 * never on a hot path, and remember the answer; a module with its own
 * environment switch checks that before calling this. */
LLT_MEMBARRIER_HIDDEN bool llt_membarrier_available(void);

/* The heavy fence: membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED).  Call it
 * only after llt_membarrier_available() returned true.  Once registered
 * the call cannot fail on Linux (its errors are for unsupported or
 * unregistered commands); should it fail anyway (a fork child on a kernel
 * that did not carry the registration over, a seccomp filter installed
 * later), it registers again and retries, then falls back to
 * MEMBARRIER_CMD_GLOBAL (no registration; waits for an RCU grace period,
 * milliseconds), and as a last resort flags the failure with LLT_ASSERT
 * and issues a local full fence, which orders this side only. */
LLT_MEMBARRIER_HIDDEN void llt_membarrier_heavy(void);

#endif
