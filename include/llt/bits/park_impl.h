/* Inline bodies for llt/park.h.  Do not include directly. */
#ifndef LLT_PARK_H_INSIDE
#  error "include <llt/park.h>, not <llt/bits/park_impl.h>"
#endif
#ifndef LLT_BITS_PARK_IMPL_H
#define LLT_BITS_PARK_IMPL_H

/* The fields of llt_park.word, low to high:
 *   bits  0-11  waiters:  threads between prepare_wait and the end of
 *                         cancel_wait or commit_wait (at most 4095);
 *   bits 12-23  sleepers: those of them past their spin phase, which a
 *                         notifier must wake with a syscall;
 *   bits 24-31  signals:  wake syscalls issued and not yet answered by a
 *                         sleeper's return from the kernel (saturates at
 *                         255; never more than sleepers);
 *   bits 32-63  epoch:    bumped by every notify that finds a waiter.
 * The epoch is the high half so that its wrap-around falls off the top of
 * the word instead of carrying into the counts; the futex waits on that
 * half.  lib/park.c explains the protocol. */
#define LLT_PARK_IMPL_WAITER   UINT64_C(0x1)
#define LLT_PARK_IMPL_SLEEPER  UINT64_C(0x1000)
#define LLT_PARK_IMPL_SIGNAL   UINT64_C(0x1000000)
#define LLT_PARK_IMPL_EPOCH    (UINT64_C(1) << 32)
#define LLT_PARK_IMPL_MAX_WAITERS 0xfffu
#define LLT_PARK_IMPL_MAX_SIGNALS 0xffu
#define LLT_PARK_IMPL_WAITERS(w)  ((uint32_t)((w) & 0xfffu))
#define LLT_PARK_IMPL_SLEEPERS(w) ((uint32_t)(((w) >> 12) & 0xfffu))
#define LLT_PARK_IMPL_SIGNALS(w)  ((uint32_t)(((w) >> 24) & 0xffu))
#define LLT_PARK_IMPL_KEY(w)      ((uint32_t)((w) >> 32))

/* A full (StoreLoad) fence.  GCC emits `lock or $0,(%rsp)` on x86_64 for
 * it (~4 ns here, a little cheaper than mfence) and `dmb ish` on aarch64.
 * ThreadSanitizer does not model fences and GCC warns about them with
 * -Wtsan; the protocol's happens-before edges all come from acquire and
 * release operations, which it does see, so the warning is silenced. */
#if defined(__SANITIZE_THREAD__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#  define LLT_PARK_IMPL_FENCE() do { \
	_Pragma("GCC diagnostic push") \
	_Pragma("GCC diagnostic ignored \"-Wtsan\"") \
	__atomic_thread_fence(__ATOMIC_SEQ_CST); \
	_Pragma("GCC diagnostic pop") \
	} while (0)
#else
#  define LLT_PARK_IMPL_FENCE() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#endif

/* In park->flags: set by llt_park_init() when LLT_PARK_ASYMMETRIC was
 * asked for and the process could register for membarrier(2)'s
 * MEMBARRIER_CMD_PRIVATE_EXPEDITED.  Then the store-buffering pair below
 * is asymmetric: the waiter's full fence becomes that system call, which
 * runs a full barrier on every CPU that runs a thread of this process
 * (so the notifier's CPU too, wherever it is in its code), and the
 * notifier's fence becomes a compiler barrier.  This is the use
 * membarrier(2) was made for (its manual: "the fast path can use compiler
 * barriers instead of memory barriers, with the slow path calling
 * membarrier"), and folly's asymmetric_thread_fence_light/heavy
 * (folly/synchronization/AsymmetricThreadFence.h, after C++ proposal
 * P1202, "Asymmetric fences"): a light fence paired with a heavy one
 * orders like two seq_cst fences.  The argument, for the notifier's
 * publication store S, its load L of the word, the waiter's increment I
 * and its re-check R: the system call makes the notifier's CPU execute a
 * full barrier B at some point of its instruction stream, after I is
 * visible (the call begins with a full barrier) and before the call
 * returns to R.  If L comes after B, L sees I and the notifier wakes the
 * waiter; otherwise S (before L in program order, which the compiler
 * barrier keeps in the code) is before B too, so B makes S visible
 * before R looks, and R sees the data.  A CPU not running the process at
 * the time has passed a context switch, a full barrier, since its last
 * access. */
#define LLT_PARK_IMPL_ASYM 0x80000000u

/* Announce a wait and return the key to pass to llt_park_commit_wait.
 * The caller must re-check its condition after this call.  The increment
 * and the fence after it form the waiter's half of a store-buffering
 * (Dekker) pair with the fence in llt_park_notify_*: either the
 * notifier's load of the word sees this waiter, or the caller's re-check
 * sees the notifier's data (C11 7.17.4p4; C++ [atomics.fences]). */
LLT_INLINE uint32_t llt_park_prepare_wait(struct llt_park *park)
{
	/* seq_cst RMW: it reads the latest epoch in the word's modification
	 * order, so a notify that bumped the epoch before it is seen. */
	uint64_t w = __atomic_fetch_add(&park->word, LLT_PARK_IMPL_WAITER,
					__ATOMIC_SEQ_CST);
	LLT_ASSERT(LLT_PARK_IMPL_WAITERS(w) < LLT_PARK_IMPL_MAX_WAITERS);
	/* Relaxed: flags is written by llt_park_init() before any use, and
	 * afterwards only by a park's single waiter (the SPSC channel's
	 * per-wait choice of protocol, lib/chan.c), i.e. by this thread. */
	if (__atomic_load_n(&park->flags, __ATOMIC_RELAXED) & LLT_PARK_IMPL_ASYM)
		llt_park_impl_heavy_fence(park);  /* membarrier(2) */
	else
		LLT_PARK_IMPL_FENCE();
	return LLT_PARK_IMPL_KEY(w);
}

/* Withdraw an announcement: the re-check found the condition true. */
LLT_INLINE void llt_park_cancel_wait(struct llt_park *park)
{
	/* Relaxed: it publishes nothing; a notifier that still counts this
	 * waiter only makes a needless epoch bump.  A waiter here is not a
	 * sleeper, so no signal can be owed to it. */
	uint64_t w = __atomic_fetch_sub(&park->word, LLT_PARK_IMPL_WAITER,
					__ATOMIC_RELAXED);
	LLT_ASSERT(LLT_PARK_IMPL_WAITERS(w) > 0);
	(void)w;
}

LLT_INLINE void llt_park_impl_notify(struct llt_park *park, int all)
{
	uint64_t w;

	/* The notifier's half of the store-buffering pair (see
	 * llt_park_prepare_wait): orders the caller's publication before
	 * the load of the waiter count.  With LLT_PARK_IMPL_ASYM, a compiler
	 * barrier: the waiter's membarrier(2) supplies the hardware fence
	 * (see LLT_PARK_IMPL_ASYM above).  flags shares the word's line.
	 * The compiler barrier before the load of flags keeps the caller's
	 * publication before that load in the instruction stream: the SPSC
	 * channel's waiter may clear LLT_PARK_IMPL_ASYM between its waits,
	 * and its proof that a notifier which still reads the old value
	 * needs no fence rests on that order (lib/chan.c, "fence protocol").
	 * Relaxed load: the waiter's membarrier(2) orders it (ibid.). */
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&park->flags, __ATOMIC_RELAXED) & LLT_PARK_IMPL_ASYM)
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
	else
		LLT_PARK_IMPL_FENCE();
	/* Relaxed: the fence above and the fence in prepare_wait order it
	 * against the waiter's increment; the data travels through the
	 * caller's own release/acquire pair and through the release epoch
	 * bump of the slow path. */
	w = __atomic_load_n(&park->word, __ATOMIC_RELAXED);
	if (LLT_LIKELY(LLT_PARK_IMPL_WAITERS(w) == 0))
		return;
	llt_park_impl_wake(park, all);
}

/* Wake one waiter (if any waits): call after publishing what it waits for. */
LLT_INLINE void llt_park_notify_one(struct llt_park *park)
{
	llt_park_impl_notify(park, 0);
}

/* Wake every waiter (if any waits). */
LLT_INLINE void llt_park_notify_all(struct llt_park *park)
{
	llt_park_impl_notify(park, 1);
}

#endif /* LLT_BITS_PARK_IMPL_H */
