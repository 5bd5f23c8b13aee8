/* llt/park.h: an event count, to put a thread to sleep until another
 * thread has published something, without losing the wake-up.
 *
 * A waiter announces itself (llt_park_prepare_wait), re-checks its
 * condition, then either withdraws (llt_park_cancel_wait) or waits
 * (llt_park_commit_wait): it spins with llt_cpu_relax() for a budget given
 * in nanoseconds, then sleeps on a futex (a pthread condition variable
 * where there is no futex).  A notifier publishes its data and calls
 * llt_park_notify_one or llt_park_notify_all, which cost one full fence
 * and one load when nobody waits: no store, no syscall (with
 * LLT_PARK_ASYMMETRIC, one load and no fence: the waiters pay instead).  The design is
 * Dmitry Vyukov's event count (as in folly's EventCount and Taskflow's
 * Notifier), with a count of wake syscalls in flight (as in .NET's
 * LowLevelLifoSemaphore) so that at most one syscall is made per sleep;
 * see llt_park_init(3) and tests/park.pml for the protocol. */
#ifndef LLT_PARK_H
#define LLT_PARK_H

#include <stdbool.h>
#include <stdint.h>
#include <llt/common.h>

LLT_BEGIN_DECLS

/* Flags of llt_park_init(). */
#define LLT_PARK_SHARED 0x1u  /* waiters and notifiers may be in different
				 processes (object in a MAP_SHARED mapping) */
#define LLT_PARK_ASYMMETRIC 0x2u  /* waiters pay a membarrier(2) system call
				 in prepare_wait so that a notify that finds
				 nobody waiting needs no fence; for parks
				 notified far more often than waited on.
				 Ignored with LLT_PARK_SHARED or where the
				 kernel lacks the call. */

/* The object.  Only the llt_park_* functions touch its fields.  It has no
 * pointers, so it works at any address in a shared mapping, and it sits on
 * its own LLT_PAD_SIZE block, so a notifier's load never misses on a line
 * that the surrounding structure writes. */
struct llt_park {
	/* epoch << 32 | signals << 24 | sleepers << 12 | waiters.  The
	 * epoch half is the futex word.  waiters counts the threads between
	 * prepare_wait and the end of cancel_wait or commit_wait; sleepers
	 * those of them past their spin phase, which a notifier must wake
	 * with a syscall; signals the wake syscalls still in flight, which
	 * spare later notifies a syscall (see <llt/bits/park_impl.h>). */
	LLT_PADDED uint64_t word;
	uint32_t flags;         /* LLT_PARK_SHARED, LLT_PARK_IMPL_ASYM */
	uint32_t reserved0;
	uint64_t parks;         /* futex waits (or condvar waits) entered */
	uint64_t wakes;         /* futex wakes (or condvar signals) issued */
	/* Mutex and condition variable where there is no futex. */
	union {
		unsigned char bytes[96];
		uint64_t align_u64;
		void *align_ptr;
	} fallback;
};

/* A snapshot from llt_park_stats(). */
struct llt_park_stats {
	uint64_t parks;         /* times a waiter went to sleep in the kernel */
	uint64_t wakes;         /* wake-up syscalls made by notifiers */
	uint32_t waiters;       /* threads between prepare_wait and the end of their wait */
	uint32_t sleepers;      /* ... of which past their spin phase */
};

LLT_API int llt_park_init(struct llt_park *park, unsigned flags);
LLT_API int llt_park_destroy(struct llt_park *park);
LLT_API int llt_park_commit_wait(struct llt_park *park, uint32_t key,
				 uint64_t spin_ns);
LLT_API int llt_park_commit_wait_until(struct llt_park *park, uint32_t key,
				       uint64_t spin_ns, uint64_t deadline_ns);
LLT_API void llt_park_stats(const struct llt_park *park,
			    struct llt_park_stats *stats);

/* Inline: llt_park_prepare_wait, llt_park_cancel_wait,
 * llt_park_notify_one, llt_park_notify_all. */

/* Private: the slow path of the notify functions. */
LLT_API void llt_park_impl_wake(struct llt_park *park, int all);
/* Private: the waiter's half of the asymmetric fence pair. */
LLT_API void llt_park_impl_heavy_fence(struct llt_park *park);

LLT_END_DECLS

#define LLT_PARK_H_INSIDE
#include <llt/bits/park_impl.h>
#undef LLT_PARK_H_INSIDE

#endif /* LLT_PARK_H */
