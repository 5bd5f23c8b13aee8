/* Inline bodies for llt/mpmc.h.  Do not include directly.
 *
 * The ring is Dmitry Vyukov's bounded MPMC queue ("Bounded MPMC queue",
 * 1024cores.net, 2010): every slot carries a sequence number that says
 * whose turn it is.  A sender at position pos may fill the slot when its
 * sequence is pos, claims it with one CAS of the tail, copies the element
 * in and releases sequence pos + 1; a receiver at pos takes it when the
 * sequence is pos + 1, claims it with one CAS of the head, copies the
 * element out and releases sequence pos + capacity, the next lap's turn.
 *
 * Who touches what, which is what the measurements turned on
 * (tests/bench/bench_mpmc.cc): senders the tail line, receivers the head
 * line, both the slot of their turn, and everyone the read-mostly line
 * (mask, stride, the closed flag).  A receiver that finds the ring empty
 * tests the closed flag there, never the tail: polling the tail stole the
 * sender's CAS line on every empty try and cut 1p1c throughput at
 * capacity 1024 by 3-5x.  Slots lie in position order, 16 bytes apart for
 * 8-byte elements, so four consecutive positions share a 64-byte line: a
 * receiver close behind a sender shares its line, but a line carries four
 * elements per transfer when the two are further apart, and the hardware
 * prefetchers see one sequential stream.  Spreading consecutive positions
 * over different LLT_PAD_SIZE blocks instead (the index remapping of
 * Nikolaev's SCQ, DISC 2019, this queue's earlier layout) measured
 * 0.4-0.5x the sequential layout at 2 producers and 2 consumers with
 * capacity 65536 when the two vCPUs sat far apart, and no better
 * anywhere; one slot per 64-byte line (rigtorp's MPMCQueue) measured the
 * same as 16-byte slots at four times the memory.  LLT_MPMC_PAD_SLOTS still
 * pads every slot to LLT_PAD_SIZE.
 *
 * A lost claim backs off.  When two threads of a side run on different
 * CPUs, each claim moves the tail (or head) line across, and a loser that
 * retries at once takes the line back before the winner's next claim:
 * two producers pinned to the two CPUs of the machine measured moved 27 M
 * items/s into a large ring with no backoff and 170-190 M/s with 32 or
 * more pauses after a failed CAS, as the winner then claims a run of
 * slots while the lines stay in its cache.  The loser pauses 16 times,
 * doubled per loss up to 128 (truncated exponential backoff: Anderson,
 * "The Performance of Spin Lock Alternatives for Shared-Memory
 * Multiprocessors", IEEE TPDS 1990; Herlihy and Shavit, "The Art of
 * Multiprocessor Programming", 7.4), 0.4-3 us where a pause takes 24 ns
 * (the AMD EPYC measured).  At 2 producers and 2 consumers on 2 CPUs,
 * capacity 65536, bench_mpmc went from 48-53 to 69-105 M items/s (try)
 * and 45-46 to 67-87 (blocking).  A failed CAS means another claim
 * succeeded, so the loop stays lock-free.  A thread that finds its
 * position already taken (the sequence is ahead) retries at once: a
 * pause there measured slower.
 *
 * Why CAS and not a ticket (fetch-add) scheme such as rigtorp's
 * MPMCQueue: a fetch-add commits the thread to a slot it may have to wait
 * for, and a ticket cannot be handed back, so a try or timed send could
 * neither fail nor time out, close could not stop a sender that holds
 * one, and a thread preempted with a ticket stalls every thread behind it
 * (threads outnumber CPUs on the machines measured).  With the CAS a
 * thread only takes a slot that is ready.
 *
 * Wake-ups: after each operation the notifier loads the waiter count of
 * the other side's event count (<llt/park.h>) and calls into the kernel
 * only when somebody sleeps.  The store-load ordering that makes this
 * safe (the waiter announces itself, then re-checks the ring; the
 * notifier publishes, then loads the count) is paid by the waiter: on
 * Linux it issues membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) between
 * its announcement and its re-check (an asymmetric Dekker pair, as in
 * folly's asymmetricHeavyBarrier and liburcu's urcu-memb), so the
 * notifier needs only a compiler barrier instead of a full fence per
 * operation.  Shared (cross-process) channels and systems without
 * membarrier keep the fence in the notifier (the `fenced` field). */
#ifndef LLT_MPMC_H_INSIDE
#  error "include <llt/mpmc.h>, not <llt/bits/mpmc_impl.h>"
#endif
#ifndef LLT_BITS_MPMC_IMPL_H
#define LLT_BITS_MPMC_IMPL_H

#include <errno.h>
#include <string.h>

#define LLT_MPMC_IMPL_CLOSED (UINT64_C(1) << 63)
#define LLT_MPMC_IMPL_POS (~LLT_MPMC_IMPL_CLOSED)
/* No deadline, for the blocking forms. */
#define LLT_MPMC_IMPL_FOREVER UINT64_MAX

/* Truncated exponential backoff after a lost claim (see the top of this
 * file): pause instructions, doubled per loss within a call. */
#define LLT_MPMC_IMPL_BACKOFF_MIN 16u
#define LLT_MPMC_IMPL_BACKOFF_MAX 128u

LLT_INLINE void llt_mpmc_impl_backoff(unsigned *bo)
{
	for (unsigned i = 0; i < *bo; i++)
		llt_cpu_relax();
	if (*bo < LLT_MPMC_IMPL_BACKOFF_MAX)
		*bo *= 2;
}

/* The slot of a position: its sequence number, then the element. */
LLT_INLINE unsigned char *llt_mpmc_impl_slot(const struct llt_mpmc *m, uint64_t pos)
{
	return (unsigned char *)(uintptr_t)(m + 1) + (size_t)(pos & m->mask) * m->stride;
}

LLT_INLINE uint64_t *llt_mpmc_impl_seq(unsigned char *slot)
{
	return (uint64_t *)(void *)slot;
}

/* Acquire: pairs with the release store of the flag in llt_mpmc_close(),
 * which comes after the close bit of the tail. */
LLT_INLINE bool llt_mpmc_is_closed(const struct llt_mpmc *m)
{
	return __atomic_load_n(&m->closed, __ATOMIC_ACQUIRE) != 0;
}

LLT_INLINE size_t llt_mpmc_capacity(const struct llt_mpmc *m)
{
	return (size_t)m->mask + 1;
}

/* Claim a slot for a send and copy the element in: 0, -EAGAIN (full, or
 * the slot is still being read by a receiver of the previous lap) or
 * -EPIPE (closed).  esz is a constant for the _u64 forms. */
LLT_INLINE int llt_mpmc_impl_push(struct llt_mpmc *m, const void *elem, size_t esz)
{
	/* Relaxed: a guess at the position; the slot's sequence (acquire)
	 * says whether it is ready, and the CAS whether it is still ours. */
	uint64_t pos = __atomic_load_n(&m->tail, __ATOMIC_RELAXED);
	unsigned char *s;
	unsigned bo = LLT_MPMC_IMPL_BACKOFF_MIN;

	for (;;) {
		if (LLT_UNLIKELY(pos & LLT_MPMC_IMPL_CLOSED))
			return -EPIPE;
		s = llt_mpmc_impl_slot(m, pos);
		/* Acquire: pairs with the release of the receiver that
		 * emptied the slot, so its copy-out happens before ours. */
		uint64_t seq = __atomic_load_n(llt_mpmc_impl_seq(s), __ATOMIC_ACQUIRE);
		int64_t d = (int64_t)(seq - pos);
		if (LLT_LIKELY(d == 0)) {
			/* Relaxed: the slot's data is handed over by its
			 * sequence, not by the tail; the CAS only makes the
			 * claim unique (and fails once close set bit 63). */
			if (LLT_LIKELY(__atomic_compare_exchange_n(&m->tail, &pos, pos + 1, 1,
								   __ATOMIC_RELAXED, __ATOMIC_RELAXED)))
				break;
			llt_mpmc_impl_backoff(&bo);
		} else if (d < 0) {
			return -EAGAIN;
		} else {
			pos = __atomic_load_n(&m->tail, __ATOMIC_RELAXED); /* relaxed: a guess, as above */
		}
	}
	memcpy(s + sizeof(uint64_t), elem, esz);
	/* Release: pairs with the receiver's acquire of the sequence. */
	__atomic_store_n(llt_mpmc_impl_seq(s), pos + 1, __ATOMIC_RELEASE);
	return 0;
}

/* The ring looked empty: -EPIPE if closed and drained, else -EAGAIN. */
LLT_INLINE int llt_mpmc_impl_empty(const struct llt_mpmc *m)
{
	/* Acquire: pairs with the release store of the flag in
	 * llt_mpmc_close(), so the tail's close bit (set before it) is seen
	 * below.  The flag sits on the read-mostly line: a receiver polling
	 * an empty ring reads no line that senders write. */
	if (LLT_LIKELY(__atomic_load_n(&m->closed, __ATOMIC_ACQUIRE) == 0))
		return -EAGAIN;
	/* Acquire: as above.  The tail is frozen once closed, so every
	 * claimed position below it will be published: drained means the
	 * head has reached it. */
	uint64_t t = __atomic_load_n(&m->tail, __ATOMIC_ACQUIRE);
	/* Relaxed: compared with the frozen tail only. */
	if (__atomic_load_n(&m->head, __ATOMIC_RELAXED) >= (t & LLT_MPMC_IMPL_POS))
		return -EPIPE;
	return -EAGAIN;
}

/* Claim an element and copy it out: 0, -EAGAIN or -EPIPE. */
LLT_INLINE int llt_mpmc_impl_pop(struct llt_mpmc *m, void *elem, size_t esz)
{
	/* Relaxed: a guess, checked by the slot's sequence and the CAS. */
	uint64_t pos = __atomic_load_n(&m->head, __ATOMIC_RELAXED);
	unsigned char *s;
	unsigned bo = LLT_MPMC_IMPL_BACKOFF_MIN;

	for (;;) {
		s = llt_mpmc_impl_slot(m, pos);
		/* Acquire: pairs with the sender's release of pos + 1, so the
		 * element's bytes are visible. */
		uint64_t seq = __atomic_load_n(llt_mpmc_impl_seq(s), __ATOMIC_ACQUIRE);
		int64_t d = (int64_t)(seq - (pos + 1));
		if (LLT_LIKELY(d == 0)) {
			/* Relaxed: as in push. */
			if (LLT_LIKELY(__atomic_compare_exchange_n(&m->head, &pos, pos + 1, 1,
								   __ATOMIC_RELAXED, __ATOMIC_RELAXED)))
				break;
			llt_mpmc_impl_backoff(&bo);
		} else if (d < 0) {
			return llt_mpmc_impl_empty(m);
		} else {
			pos = __atomic_load_n(&m->head, __ATOMIC_RELAXED); /* relaxed: a guess */
		}
	}
	memcpy(elem, s + sizeof(uint64_t), esz);
	/* Release: pairs with the next lap's sender's acquire, so our copy-out
	 * happens before its copy-in. */
	__atomic_store_n(llt_mpmc_impl_seq(s), pos + m->mask + 1, __ATOMIC_RELEASE);
	return 0;
}

/* Wake one waiter of park if any: after a send (receivers) or a receive
 * (senders).  No store and no syscall when nobody waits; no fence either
 * unless the channel is `fenced` (see the top of this file). */
LLT_INLINE void llt_mpmc_impl_notify(const struct llt_mpmc *m, struct llt_park *park)
{
	if (LLT_UNLIKELY(m->fenced))
		LLT_PARK_IMPL_FENCE();  /* the notifier's half, as llt_park_notify_one() */
	else
		/* Only the compiler may not move the load above the caller's
		 * publication; the CPU may, and the waiter's membarrier() covers
		 * that (llt_mpmc_impl_send_wait() in lib/mpmc.c). */
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
	/* Relaxed: ordered by the fence or the waiter's membarrier; the data
	 * travels through the slot sequence (release/acquire) and through the
	 * release epoch bump of llt_park_impl_wake(). */
	if (LLT_UNLIKELY(LLT_PARK_IMPL_WAITERS(__atomic_load_n(&park->word, __ATOMIC_RELAXED)) != 0))
		llt_park_impl_wake(park, 0);
}

LLT_INLINE void llt_mpmc_impl_sent(struct llt_mpmc *m)
{
	llt_mpmc_impl_notify(m, &m->not_empty);
}

LLT_INLINE void llt_mpmc_impl_received(struct llt_mpmc *m)
{
	llt_mpmc_impl_notify(m, &m->not_full);
}

/* 0, or -EAGAIN when full, or -EPIPE when closed.  Never blocks. */
LLT_INLINE int llt_mpmc_try_send(struct llt_mpmc *m, const void *elem)
{
	int r = llt_mpmc_impl_push(m, elem, m->elem_size);
	if (LLT_LIKELY(r == 0))
		llt_mpmc_impl_sent(m);
	return r;
}

/* 0, or -EAGAIN when empty, or -EPIPE when closed and drained. */
LLT_INLINE int llt_mpmc_try_recv(struct llt_mpmc *m, void *elem)
{
	int r = llt_mpmc_impl_pop(m, elem, m->elem_size);
	if (LLT_LIKELY(r == 0))
		llt_mpmc_impl_received(m);
	return r;
}

/* Blocks while full: spins for the channel's budget, then parks. */
LLT_INLINE int llt_mpmc_send(struct llt_mpmc *m, const void *elem)
{
	int r = llt_mpmc_impl_push(m, elem, m->elem_size);
	if (LLT_LIKELY(r == 0)) {
		llt_mpmc_impl_sent(m);
		return 0;
	}
	if (r == -EPIPE)
		return r;
	return llt_mpmc_impl_send_wait(m, elem, LLT_MPMC_IMPL_FOREVER);
}

/* Blocks while empty; -EPIPE once closed and drained. */
LLT_INLINE int llt_mpmc_recv(struct llt_mpmc *m, void *elem)
{
	int r = llt_mpmc_impl_pop(m, elem, m->elem_size);
	if (LLT_LIKELY(r == 0)) {
		llt_mpmc_impl_received(m);
		return 0;
	}
	if (r == -EPIPE)
		return r;
	return llt_mpmc_impl_recv_wait(m, elem, LLT_MPMC_IMPL_FOREVER);
}

/* The 8-byte fast path: the element size must be 8. */
LLT_INLINE int llt_mpmc_try_send_u64(struct llt_mpmc *m, uint64_t v)
{
	LLT_ASSERT(m->elem_size == sizeof(uint64_t));
	int r = llt_mpmc_impl_push(m, &v, sizeof(uint64_t));
	if (LLT_LIKELY(r == 0))
		llt_mpmc_impl_sent(m);
	return r;
}

LLT_INLINE int llt_mpmc_try_recv_u64(struct llt_mpmc *m, uint64_t *v)
{
	LLT_ASSERT(m->elem_size == sizeof(uint64_t));
	int r = llt_mpmc_impl_pop(m, v, sizeof(uint64_t));
	if (LLT_LIKELY(r == 0))
		llt_mpmc_impl_received(m);
	return r;
}

LLT_INLINE int llt_mpmc_send_u64(struct llt_mpmc *m, uint64_t v)
{
	LLT_ASSERT(m->elem_size == sizeof(uint64_t));
	int r = llt_mpmc_impl_push(m, &v, sizeof(uint64_t));
	if (LLT_LIKELY(r == 0)) {
		llt_mpmc_impl_sent(m);
		return 0;
	}
	if (r == -EPIPE)
		return r;
	return llt_mpmc_impl_send_wait(m, &v, LLT_MPMC_IMPL_FOREVER);
}

LLT_INLINE int llt_mpmc_recv_u64(struct llt_mpmc *m, uint64_t *v)
{
	LLT_ASSERT(m->elem_size == sizeof(uint64_t));
	/* The fast path fills a local, so that the caller's variable, whose
	 * address only the slow path below passes on, can stay in a
	 * register in the caller's loop (bench_mpmc, blocking forms, two
	 * interleaved runs: 3-12% faster at one receiver, within the noise
	 * at two). */
	uint64_t x;
	int r = llt_mpmc_impl_pop(m, &x, sizeof(uint64_t));
	if (LLT_LIKELY(r == 0)) {
		llt_mpmc_impl_received(m);
		*v = x;
		return 0;
	}
	if (r == -EPIPE)
		return r;
	return llt_mpmc_impl_recv_wait(m, v, LLT_MPMC_IMPL_FOREVER);
}

#endif /* LLT_BITS_MPMC_IMPL_H */
