/* llt/chan: set-up and the blocking slow paths of the SPSC channel.
 *
 * A side that cannot proceed first spins, polling the ring itself (so a
 * spinning receiver costs the sender nothing: the sender's notify sees no
 * waiter and makes no write), for the channel's budget measured with the
 * clock; then it parks with the event-count protocol of <llt/park.h>:
 * announce (prepare_wait), try the ring once more, then sleep
 * (commit_wait) or leave (cancel_wait).  The other side's notify after
 * every successful operation pairs with that announcement, so a wake-up
 * cannot be lost; close sets its latch and notifies both parks, which
 * pairs with the latch checks made between announce and sleep. */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <llt/chan.h>
#include <llt/clock.h>
#include <llt/cpu.h>

#define CHAN_MAGIC UINT32_C(0x6c6c7463) /* "lltc" */

/* The fence protocol's constants; see "fence protocol" below. */
enum {
	FENCE_ASYM_RUN = 1024,      /* symmetric -> asymmetric at this run */
	FENCE_SYM_RUN = 256,        /* asymmetric -> symmetric below this run */
	FENCE_PROBE_GAP_MIN = 64,   /* symmetric waits between probes */
	FENCE_PROBE_GAP_MAX = 4096,
};

size_t llt_chan_memsize(size_t capacity, size_t elem_size)
{
	size_t ring = llt_ring_memsize(capacity, elem_size);
	if (ring == 0)
		return 0;
	return offsetof(struct llt_chan, ring) + ring;
}

int llt_chan_init(struct llt_chan *c, size_t capacity, size_t elem_size, const struct llt_chan_attr *attr)
{
	if (!c || ((uintptr_t)c % LLT_PAD_SIZE) != 0 || llt_chan_memsize(capacity, elem_size) == 0)
		return -EINVAL;
	struct llt_chan_attr a = {LLT_CHAN_SPIN_DEFAULT_NS, 0, 0};
	if (attr)
		a = *attr;
	if ((a.flags & ~(LLT_CHAN_SHARED | LLT_CHAN_SPIN_FIXED)) != 0 || a.reserved != 0 || a.spin_ns > UINT64_C(1000000000) * 3600)
		return -EINVAL;
	/* Everything is checked: from here nothing fails. */
	memset(c, 0, offsetof(struct llt_chan, ring));
	/* A private channel's parks may be asymmetric: a side about to sleep
	 * pays a membarrier(2) (10-25 us of CPU here, before it sleeps), and
	 * in exchange every send and receive notifies with a load and no
	 * fence (see llt_park_prepare_wait(3)).  The fence was the channel's
	 * main cost while both sides are busy: a full fence right after the
	 * store that publishes an element waits until the other core has
	 * given up the element's line, a cross-core transfer per message.
	 * Each side chooses per wait whether its park is asymmetric (see
	 * "fence protocol" below); a fresh channel starts asymmetric. */
	unsigned pflags = (a.flags & LLT_CHAN_SHARED) ? LLT_PARK_SHARED : LLT_PARK_ASYMMETRIC;
	if (llt_park_init(&c->not_empty, pflags) != 0 || llt_park_init(&c->not_full, pflags) != 0 ||
	    llt_ring_init(&c->ring, capacity, elem_size) != 0)
		return -EINVAL; /* not reached: arguments were checked above */
	c->flags = a.flags;
	c->spin_ns = a.spin_ns;
	c->tx.spin_ns = c->rx.spin_ns = a.spin_ns;
	c->tx.probe_in = c->rx.probe_in = 1;
	c->tx.probe_gap = c->rx.probe_gap = 1;
	c->tx.fence_adapt = (c->not_full.flags & LLT_PARK_IMPL_ASYM) != 0;
	c->rx.fence_adapt = (c->not_empty.flags & LLT_PARK_IMPL_ASYM) != 0;
	c->tx.fence_probe_gap = c->rx.fence_probe_gap = FENCE_PROBE_GAP_MIN;
	c->tx.fence_probe_in = c->rx.fence_probe_in = FENCE_PROBE_GAP_MIN;
	c->magic = CHAN_MAGIC;
	return 0;
}

int llt_chan_destroy(struct llt_chan *c)
{
	if (!c || c->magic != CHAN_MAGIC)
		return -EINVAL;
	struct llt_park_stats a, b;
	llt_park_stats(&c->not_empty, &a);
	llt_park_stats(&c->not_full, &b);
	if (a.waiters || b.waiters)
		return -EBUSY;
	llt_park_destroy(&c->not_empty);
	llt_park_destroy(&c->not_full);
	llt_ring_destroy(&c->ring);
	c->magic = 0;
	return 0;
}

int llt_chan_create(size_t capacity, size_t elem_size, const struct llt_chan_attr *attr, struct llt_chan **out)
{
	if (!out)
		return -EINVAL;
	size_t size = llt_chan_memsize(capacity, elem_size);
	if (size == 0)
		return -EINVAL;
	if (attr && (attr->flags & LLT_CHAN_SHARED))
		return -EINVAL; /* shared channels live in memory the caller maps */
	void *mem = NULL;
	size = (size + LLT_PAD_SIZE - 1) / LLT_PAD_SIZE * LLT_PAD_SIZE;
	if (posix_memalign(&mem, LLT_PAD_SIZE, size) != 0)
		return -ENOMEM;
	int r = llt_chan_init(mem, capacity, elem_size, attr);
	if (r != 0) {
		free(mem);
		return r;
	}
	*out = mem;
	return 0;
}

void llt_chan_free(struct llt_chan *c)
{
	if (!c)
		return;
	llt_chan_destroy(c);
	free(c);
}

int llt_chan_close(struct llt_chan *c)
{
	if (!c)
		return -EINVAL;
	/* Release: pairs with the acquire in llt_chan_is_closed(), so whoever
	 * sees the latch sees what this thread sent before closing. */
	if (__atomic_exchange_n(&c->closed, 1, __ATOMIC_RELEASE) != 0)
		return -EPIPE;
	llt_park_notify_all(&c->not_empty);
	llt_park_notify_all(&c->not_full);
	return 0;
}

void llt_chan_stats(const struct llt_chan *c, struct llt_chan_stats *st)
{
	if (!c || !st)
		return;
	struct llt_park_stats ne, nf;
	llt_park_stats(&c->not_empty, &ne);
	llt_park_stats(&c->not_full, &nf);
	st->sent = __atomic_load_n(&c->tx.ops, __ATOMIC_RELAXED);
	st->received = __atomic_load_n(&c->rx.ops, __ATOMIC_RELAXED);
	st->full = __atomic_load_n(&c->tx.misses, __ATOMIC_RELAXED);
	st->empty = __atomic_load_n(&c->rx.misses, __ATOMIC_RELAXED);
	st->sender_parks = nf.parks;
	st->receiver_parks = ne.parks;
	st->sender_wakes = nf.wakes;
	st->receiver_wakes = ne.wakes;
}

/* ------------------------------------------------------------ slow paths */

static uint64_t monotonic_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Absolute CLOCK_MONOTONIC deadline (the park's clock) for a timeout. */
static uint64_t deadline_of(uint64_t timeout_ns)
{
	if (timeout_ns == LLT_CHAN_IMPL_FOREVER)
		return UINT64_MAX;
	uint64_t now = monotonic_ns();
	return timeout_ns > UINT64_MAX - now ? UINT64_MAX : now + timeout_ns;
}

/* One attempt of a side: 1 done, 0 not now, -EPIPE closed. */
typedef int (*attempt_fn)(struct llt_chan *c, void *elem);

static int attempt_send(struct llt_chan *c, void *elem)
{
	if (llt_chan_impl_closed_relaxed(c))
		return -EPIPE;
	if (!llt_ring_push(&c->ring, elem))
		return 0;
	llt_chan_impl_sent(c, 1);
	return 1;
}

static int attempt_recv(struct llt_chan *c, void *elem)
{
	if (llt_ring_pop(&c->ring, elem)) {
		llt_chan_impl_received(c, 1);
		return 1;
	}
	if (!llt_chan_is_closed(c))
		return 0;
	/* Closed: drain what was sent before the close, then report it. */
	if (llt_ring_pop(&c->ring, elem)) {
		llt_chan_impl_received(c, 1);
		return 1;
	}
	return -EPIPE;
}

/* The adaptive spin budget.
 *
 * Spinning before parking is the ski-rental problem: spinning as long as
 * a park and wake-up cost, then parking, is never worse than twice the
 * best choice made with hindsight (Karlin, Manasse, McGeoch, Owicki,
 * "Competitive randomized algorithms for non-uniform problems", SODA
 * 1990; measured for locks by Karlin, Li, Manasse, Owicki, "Empirical
 * studies of competitive spinning for a shared-memory multiprocessor",
 * SOSP 1991).  That fixed budget (the channel's ceiling, 20 us by
 * default) is what a side spins with no history; but when messages come
 * every 50 us, every wait spins 20 us in vain, and the receiver burnt
 * 48% of a CPU here against 16% for blocking queues.  The adaptive
 * strategies of the second paper choose the budget from the waits just
 * seen; so does glibc's adaptive mutex (PTHREAD_MUTEX_ADAPTIVE_NP, nptl/
 * pthread_mutex_lock.c: a running average of the spins that succeeded,
 * capped at twice the last one plus a little).  Here, per side:
 *  - a wait that ends while spinning, after t ns: budget = max(budget,
 *    2 t), at most the ceiling: waits of this length will not park;
 *  - a wait that spun its budget and parked: budget /= 2 (a parked wait's
 *    length says little, since it includes the wake-up latency);
 *  - below the ceiling, every probe_gap-th wait spins the whole ceiling,
 *    to notice that waits became short again; a probe that parks doubles
 *    the gap (up to 256 waits); one that succeeds resets the gap to 1
 *    and the budget to the ceiling, the state of a fresh channel.
 * With a message every 50 us the budget falls to 0 in a dozen waits and a
 * probe costs 20 us per 256 waits (0.2% of a CPU); with dense traffic the
 * budget stays at the ceiling and no side parks. */
enum { PROBE_GAP_MAX = 256 };

static uint64_t spin_budget(const struct llt_chan *c, struct llt_chan_impl_side *sd, bool *probe)
{
	*probe = false;
	if (c->flags & LLT_CHAN_SPIN_FIXED)
		return c->spin_ns;
	if (sd->spin_ns < c->spin_ns && --sd->probe_in == 0) {
		*probe = true;
		return c->spin_ns;
	}
	return sd->spin_ns;
}

/* The wait ended while spinning, after t ns. */
static void spin_won(const struct llt_chan *c, struct llt_chan_impl_side *sd, bool probe,
		     uint64_t t)
{
	if (c->flags & LLT_CHAN_SPIN_FIXED)
		return;
	uint64_t want = 2 * t < c->spin_ns ? 2 * t : c->spin_ns;
	if (probe)
		want = c->spin_ns;   /* waits are short again: start afresh */
	if (sd->spin_ns < want)
		/* Relaxed: only this side uses the budget; others may read it
		 * for diagnostics (the tests do). */
		__atomic_store_n(&sd->spin_ns, want, __ATOMIC_RELAXED);
	if (probe || sd->spin_ns == c->spin_ns)
		sd->probe_gap = 1;
	if (probe)
		sd->probe_in = sd->probe_gap;
}

/* The wait spun its budget in vain and parked. */
static void spin_lost(const struct llt_chan *c, struct llt_chan_impl_side *sd, bool probe)
{
	if (c->flags & LLT_CHAN_SPIN_FIXED)
		return;
	__atomic_store_n(&sd->spin_ns, sd->spin_ns / 2, __ATOMIC_RELAXED);  /* as in spin_won() */
	if (probe) {
		if (sd->probe_gap < PROBE_GAP_MAX)
			sd->probe_gap *= 2;
		sd->probe_in = sd->probe_gap;
	} else if (sd->probe_in == 0) {
		sd->probe_in = sd->probe_gap;
	}
}

/* The fence protocol, chosen per wait.
 *
 * A side's park pairs the waiter's announcement with the other side's
 * notify in a store-buffering (Dekker) pair, which needs a full fence on
 * both sides (symmetric), or a membarrier(2) on the waiter's side and a
 * compiler barrier on the notifier's (asymmetric, LLT_PARK_IMPL_ASYM; see
 * <llt/bits/park_impl.h> for why that pair is sound).  Costs here: a
 * membarrier takes 10-25 us of the waiter's CPU (and an IPI on the other
 * one); the notifier's full fence, right after the store that publishes
 * an element, costs ~25 ns per notify while both sides stream (it waits
 * for the element's line to leave the other core: 189-212 against 32-50
 * M msgs/s in bench_chan), a few ns when the other side is idle.  So the
 * asymmetric protocol pays off only when a side parks about once per
 * thousand notifies or less; when the receiver parks for every message
 * (a message every 50 us), membarrier made it burn 50% of a CPU against
 * 14% fenced, and wake 30% later.
 *
 * Each park of this channel has exactly one waiter thread (the receiver
 * waits on not_empty, the sender on not_full; close() only notifies), so
 * the waiter may switch its park's protocol between its own waits:
 *  - asymmetric -> symmetric: it clears LLT_PARK_IMPL_ASYM in flags (the
 *    notifier loads flags in every notify) and its next prepare_wait
 *    still calls membarrier, as an asymmetric wait would; later waits
 *    use the plain fence.  Proof for a later symmetric wait W (increment
 *    I, fence, re-check R) and a notify N (publication S, compiler
 *    barrier, load f of flags, fence if f says symmetric, load L of the
 *    word).  If f says symmetric, N fences: the classic pair.  Otherwise
 *    f read a value older than the clearing store F (W sleeps for ever
 *    in a lost wake-up, so the waiter stores nothing after it).  The
 *    switching wait's membarrier made N's CPU execute a full barrier B
 *    at some point of N's instruction stream, after F was visible (the
 *    call starts with a full barrier and F precedes it); f after B would
 *    see F, so f is before B, and so is S, which the compiler barrier
 *    in llt_park_impl_notify() keeps before f.  B makes S visible before
 *    membarrier returns, before R: R sees S, and W does not sleep on it.
 *    So one membarrier at the switch suffices.  (Without that compiler
 *    barrier a compiler could load f above S, and S could then come
 *    after B with N skipping the fence: a lost wake-up.)  The spin model
 *    tests/chan_fence.pml checks this on a store buffer, with the
 *    waiter switching at any wait, and finds the lost wake-up when the
 *    switching wait only fences or when f is loaded before S.  With more than
 *    one waiter, another waiter's fence-only wait could race with the
 *    switch, so this is private to the channel, never offered by
 *    llt/park to the MPMC channel or the scheduler.
 *  - symmetric -> asymmetric: it sets the bit; every asymmetric wait
 *    calls membarrier, which is sound whatever the notifier did.
 * The decision needs the notifies since the side's previous park, and
 * the items it moved since then (its own ops counter) bound them from
 * above (one notify per single-element operation, fewer with bulk): a
 * run of at least FENCE_ASYM_RUN items goes asymmetric, and an
 * asymmetric side stays so while its runs reach FENCE_SYM_RUN (the
 * hysteresis keeps a run length near the break-even from flapping).
 * A symmetric side whose runs are short because its waits are cheap
 * (with a spin budget of 0 and streaming traffic, a symmetric receiver
 * parks every few items, while a membarrier slows it enough that the
 * ring fills and the runs grow to thousands) would never see a long
 * run: every FENCE_PROBE_GAP_MIN-th symmetric wait is asymmetric, a
 * probe; a probe followed by a short run doubles the gap (at most
 * FENCE_PROBE_GAP_MAX waits, i.e. one membarrier per 200 ms with a
 * message every 50 us), one followed by a long run resets it.  A
 * process-shared channel, or one where membarrier is unavailable
 * (LLT_MEMBARRIER=0, ThreadSanitizer builds), stays symmetric.
 *
 * Called once per blocking call, before its first prepare_wait; returns
 * true when that prepare_wait must be followed by a membarrier (the
 * switching wait above). */
static bool fence_choose(struct llt_chan_impl_side *sd, struct llt_park *park)
{
	if (!sd->fence_adapt)
		return false;
	/* Relaxed: own counter, written by this thread only. */
	uint64_t ops = __atomic_load_n(&sd->ops, __ATOMIC_RELAXED);
	uint64_t run = ops - sd->fence_mark;
	sd->fence_mark = ops;
	/* Relaxed: this thread is the only writer after init. */
	uint32_t f = __atomic_load_n(&park->flags, __ATOMIC_RELAXED);
	bool asym = (f & LLT_PARK_IMPL_ASYM) != 0, want;
	if (asym) {
		want = run >= FENCE_SYM_RUN;
		if (sd->fence_probing) {
			sd->fence_probing = 0;
			if (want)
				sd->fence_probe_gap = FENCE_PROBE_GAP_MIN;
			else if (sd->fence_probe_gap < FENCE_PROBE_GAP_MAX)
				sd->fence_probe_gap *= 2;
			sd->fence_probe_in = sd->fence_probe_gap;
		}
	} else if (run >= FENCE_ASYM_RUN) {
		want = true;
	} else if (--sd->fence_probe_in == 0) {
		want = true;
		sd->fence_probing = 1;
		sd->fence_probe_in = sd->fence_probe_gap;
	} else {
		want = false;
	}
	if (want == asym)
		return false;
	/* Relaxed: notifiers load flags relaxed; the membarrier of this or
	 * the next wait orders the store (see above). */
	__atomic_store_n(&park->flags, want ? f | LLT_PARK_IMPL_ASYM : f & ~LLT_PARK_IMPL_ASYM,
			 __ATOMIC_RELAXED);
	/* Relaxed: a counter for the tests. */
	__atomic_store_n(&sd->fence_switches, sd->fence_switches + 1, __ATOMIC_RELAXED);
	return !want;
}

/* Spin for the side's budget (and at most until the deadline), then park
 * on `park` until an attempt succeeds, the channel closes or time is up. */
static int wait_side(struct llt_chan *c, struct llt_park *park, attempt_fn attempt, void *elem,
		     uint64_t timeout_ns)
{
	int r = attempt(c, elem);
	if (r != 0)
		return r < 0 ? r : 0;
	struct llt_chan_impl_side *sd = park == &c->not_full ? &c->tx : &c->rx;
	/* One miss per call that had to wait, however long it spins. */
	llt_chan_impl_count(&sd->misses, 1);
	uint64_t deadline = deadline_of(timeout_ns);
	bool probe;
	uint64_t budget = spin_budget(c, sd, &probe);
	uint64_t spin = budget < timeout_ns ? budget : timeout_ns;
	if (spin) {
		uint64_t t0 = llt_clock_now(), span = llt_clock_from_ns(spin), t;
		do {
			llt_cpu_relax();
			r = attempt(c, elem);
			t = llt_clock_now() - t0;
			if (r != 0) {
				spin_won(c, sd, probe, llt_clock_to_ns(t));
				return r < 0 ? r : 0;
			}
		} while (t < span);
	}
	if (spin == budget)   /* not cut short by the timeout */
		spin_lost(c, sd, probe);
	else if (probe)
		sd->probe_in = 1;  /* the probe did not happen: next wait */
	bool heavy = fence_choose(sd, park);
	for (;;) {
		uint32_t key = llt_park_prepare_wait(park);
		if (heavy) {
			/* The switch to the symmetric protocol: this wait still
			 * pays the membarrier (see "fence protocol"). */
			llt_park_impl_heavy_fence(park);
			heavy = false;
		}
		/* After the announcement: either this attempt sees the other
		 * side's progress (or the close), or that side's notify sees
		 * us waiting and bumps the epoch, so commit_wait returns. */
		r = attempt(c, elem);
		if (r != 0) {
			llt_park_cancel_wait(park);
			return r < 0 ? r : 0;
		}
		if (timeout_ns == 0) {
			llt_park_cancel_wait(park);
			return -ETIMEDOUT;
		}
		int w = deadline == UINT64_MAX ? llt_park_commit_wait(park, key, 0)
					       : llt_park_commit_wait_until(park, key, 0, deadline);
		r = attempt(c, elem);
		if (w == -ETIMEDOUT)
			return r > 0 ? 0 : r < 0 ? r : -ETIMEDOUT;
		/* Woken: look before announcing again, which would cost an
		 * RMW on the park's line, and a membarrier when asymmetric. */
		if (r != 0)
			return r < 0 ? r : 0;
	}
}

int llt_chan_impl_send_wait(struct llt_chan *c, const void *elem, uint64_t timeout_ns)
{
	return wait_side(c, &c->not_full, attempt_send, (void *)(uintptr_t)elem, timeout_ns);
}

int llt_chan_impl_recv_wait(struct llt_chan *c, void *elem, uint64_t timeout_ns)
{
	return wait_side(c, &c->not_empty, attempt_recv, elem, timeout_ns);
}

int llt_chan_send_timed(struct llt_chan *c, const void *elem, uint64_t timeout_ns)
{
	if (timeout_ns == LLT_CHAN_IMPL_FOREVER)
		timeout_ns--; /* a real deadline, however far */
	return wait_side(c, &c->not_full, attempt_send, (void *)(uintptr_t)elem, timeout_ns);
}

int llt_chan_recv_timed(struct llt_chan *c, void *elem, uint64_t timeout_ns)
{
	if (timeout_ns == LLT_CHAN_IMPL_FOREVER)
		timeout_ns--;
	return wait_side(c, &c->not_empty, attempt_recv, elem, timeout_ns);
}

/* Bulk: block until at least one element moves, then move what fits. */
struct bulk {
	const void *src;
	void *dst;
	size_t n, done;
};

static int attempt_send_bulk(struct llt_chan *c, void *p)
{
	struct bulk *b = p;
	if (llt_chan_impl_closed_relaxed(c))
		return -EPIPE;
	b->done = llt_ring_push_bulk(&c->ring, b->src, b->n);
	if (b->done)
		llt_chan_impl_sent(c, b->done);
	return b->done > 0;
}

static int attempt_recv_bulk(struct llt_chan *c, void *p)
{
	struct bulk *b = p;
	b->done = llt_ring_pop_bulk(&c->ring, b->dst, b->n);
	if (!b->done && llt_chan_is_closed(c)) {
		b->done = llt_ring_pop_bulk(&c->ring, b->dst, b->n);
		if (!b->done)
			return -EPIPE;
	}
	if (b->done)
		llt_chan_impl_received(c, b->done);
	return b->done > 0;
}

ssize_t llt_chan_send_bulk(struct llt_chan *c, const void *elems, size_t n)
{
	if (n == 0)
		return llt_chan_impl_closed_relaxed(c) ? -EPIPE : 0;
	struct bulk b = {elems, NULL, n, 0};
	int r = wait_side(c, &c->not_full, attempt_send_bulk, &b, LLT_CHAN_IMPL_FOREVER);
	return r < 0 ? r : (ssize_t)b.done;
}

ssize_t llt_chan_recv_bulk(struct llt_chan *c, void *elems, size_t n)
{
	if (n == 0)
		return 0;
	struct bulk b = {NULL, elems, n, 0};
	int r = wait_side(c, &c->not_empty, attempt_recv_bulk, &b, LLT_CHAN_IMPL_FOREVER);
	return r < 0 ? r : (ssize_t)b.done;
}
