/* llt/mpmc: set-up, bulk operations and the blocking slow paths of the
 * bounded MPMC channel.
 *
 * The ring is Dmitry Vyukov's bounded MPMC queue (1024cores.net, "Bounded
 * MPMC queue"); see include/llt/bits/mpmc_impl.h for the fast path and
 * why a CAS rather than a ticket.  Blocking follows lib/chan.c: a thread
 * that cannot proceed spins for the channel's budget polling the ring,
 * then uses the event count of <llt/park.h>: announce (prepare_wait), try
 * once more, then sleep (commit_wait) or leave (cancel_wait).  Every
 * successful send notifies one receiver and every receive one sender, so
 * a send wakes at most the receivers it can satisfy, and a bulk send of k
 * elements wakes at most k.
 *
 * One hole is particular to per-slot sequences: a receiver woken by the
 * send of position p can find the head stuck at an earlier position whose
 * sender has claimed but not yet published it, and go back to sleep; the
 * wake-up for p is then spent while p waits.  The earlier sender's own
 * notify wakes a receiver later, which takes that element, but then p
 * would be left for nobody.  So a thread leaving a slow path passes the
 * baton: if others of its side wait and the next slot is ready, it wakes
 * one of them.
 *
 * close() sets bit 63 of the tail with one fetch-or.  A sender's CAS of
 * the tail fails from then on, so the set of claimed positions is frozen
 * at the close, every one of them is published eventually, and receivers
 * drain up to the frozen tail before they report -EPIPE.  It then sets
 * the `closed` flag on the read-mostly line, which is what receivers test
 * when the ring looks empty (they never read the tail otherwise).
 *
 * Notifies cost no fence: a waiter calls membarrier(2) between its
 * announcement and its re-check instead (see <llt/bits/mpmc_impl.h> and
 * wait_side()); shared channels, and kernels without membarrier, keep the
 * fence in the notifier (the `fenced` field). */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sched.h>
#include <unistd.h>

#include <llt/clock.h>
#include <llt/cpu.h>
#include <llt/mpmc.h>

/* LLT_MPMC_NO_MEMBARRIER builds the fenced notifier on Linux too, to test
 * it (tests/check_mpmc_fenced). */
#if defined(HAVE_MEMBARRIER) && !defined(LLT_MPMC_NO_MEMBARRIER)
#  define USE_MEMBARRIER 1
#  include "membarrier.h"
#else
#  define USE_MEMBARRIER 0
#endif

#define MPMC_MAGIC UINT32_C(0x6c6c746d) /* "lltm" */
#define MAX_CAPACITY (UINT64_C(1) << 32)
#define MAX_ELEM ((size_t)1 << 24)
#define CLOSED LLT_MPMC_IMPL_CLOSED
#define POS LLT_MPMC_IMPL_POS

/* ------------------------------------------------------------ barriers */

#if USE_MEMBARRIER
/* Can waiters pay for the notifiers' fences with membarrier(2)?  The
 * shared helper decides once per process (kernel support, registration,
 * LLT_MEMBARRIER=0, ThreadSanitizer builds: see lib/membarrier.h). */
static bool asym_ready(void)
{
	return llt_membarrier_available();
}

/* A full barrier on every CPU that runs a thread of this process, and in
 * this thread; the helper retries and falls back by itself, so this never
 * reports failure (wait_side keeps its sleep-slice path for the fenced
 * build). */
static bool heavy_barrier(void)
{
	llt_membarrier_heavy();
	return true;
}
#else
static bool asym_ready(void)
{
	return false;
}

static bool heavy_barrier(void)
{
	return false;
}
#endif

/* ------------------------------------------------------------ set-up */

struct geometry {
	uint64_t cap;
	size_t stride, total;
	unsigned lo_bits;  /* log2 of cap, for the reserved fields */
};

static unsigned log2u(uint64_t x)
{
	unsigned n = 0;
	while ((UINT64_C(1) << n) < x)
		n++;
	return n;
}

static bool geometry(size_t capacity, size_t elem_size, unsigned flags, struct geometry *g)
{
	if (capacity == 0 || capacity > MAX_CAPACITY || elem_size == 0 || elem_size > MAX_ELEM)
		return false;
	uint64_t cap = 1;
	while (cap < capacity)
		cap <<= 1;
	size_t stride = (sizeof(uint64_t) + elem_size + 7) & ~(size_t)7;
	if (flags & LLT_MPMC_PAD_SLOTS)
		stride = (stride + LLT_PAD_SIZE - 1) / LLT_PAD_SIZE * LLT_PAD_SIZE;
	else if (stride < LLT_PAD_SIZE)
		/* A power of two, so that no slot straddles two cache lines:
		 * its sequence and its element travel in one transfer. */
		stride = (size_t)1 << log2u(stride);
	if (stride > UINT32_MAX || cap > (SIZE_MAX - sizeof(struct llt_mpmc)) / stride)
		return false;
	g->cap = cap;
	g->stride = stride;
	/* Slots lie in position order; the reserved remapping fields get
	 * the identity (see struct llt_mpmc). */
	g->lo_bits = log2u(cap);
	g->total = sizeof(struct llt_mpmc) + (size_t)cap * stride;
	return true;
}

size_t llt_mpmc_memsize(size_t capacity, size_t elem_size, unsigned flags)
{
	struct geometry g;
	if ((flags & ~(LLT_MPMC_SHARED | LLT_MPMC_PAD_SLOTS)) || !geometry(capacity, elem_size, flags, &g))
		return 0;
	return g.total;
}

int llt_mpmc_init(struct llt_mpmc *m, size_t capacity, size_t elem_size, const struct llt_mpmc_attr *attr)
{
	struct llt_mpmc_attr a = {LLT_MPMC_SPIN_DEFAULT_NS, 0, 0};
	struct geometry g;
	if (attr)
		a = *attr;
	if (!m || ((uintptr_t)m % LLT_PAD_SIZE) != 0 || (a.flags & ~(LLT_MPMC_SHARED | LLT_MPMC_PAD_SLOTS)) ||
	    a.reserved != 0 || a.spin_ns > UINT64_C(1000000000) * 3600 ||
	    !geometry(capacity, elem_size, a.flags, &g))
		return -EINVAL;
	/* Everything is checked: from here nothing fails. */
	memset(m, 0, sizeof(*m));
	unsigned pflags = (a.flags & LLT_MPMC_SHARED) ? LLT_PARK_SHARED : 0;
	if (llt_park_init(&m->not_empty, pflags) != 0 || llt_park_init(&m->not_full, pflags) != 0)
		return -EINVAL; /* not reached: the flags were checked above */
	m->mask = g.cap - 1;
	m->lo_mask = g.cap - 1;
	m->lo_bits = g.lo_bits;
	m->hi_bits = 0;
	m->fenced = (a.flags & LLT_MPMC_SHARED) || !asym_ready();
	m->spin_ns = a.spin_ns;
	m->elem_size = (uint32_t)elem_size;
	m->stride = (uint32_t)g.stride;
	m->flags = a.flags;
	/* Slot i is ready for the sender of position i. */
	for (uint64_t i = 0; i < g.cap; i++) {
		unsigned char *s = llt_mpmc_impl_slot(m, i);
		memset(s, 0, g.stride);
		*llt_mpmc_impl_seq(s) = i;
	}
	m->magic = MPMC_MAGIC;
	/* Release: a thread handed the pointer through a relaxed channel
	 * still sees the slots initialised (ordinary hand-over suffices). */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	return 0;
}

int llt_mpmc_destroy(struct llt_mpmc *m)
{
	if (!m || m->magic != MPMC_MAGIC)
		return -EINVAL;
	struct llt_park_stats a, b;
	llt_park_stats(&m->not_empty, &a);
	llt_park_stats(&m->not_full, &b);
	if (a.waiters || b.waiters)
		return -EBUSY;
	llt_park_destroy(&m->not_empty);
	llt_park_destroy(&m->not_full);
	m->magic = 0;
	return 0;
}

int llt_mpmc_create(size_t capacity, size_t elem_size, const struct llt_mpmc_attr *attr, struct llt_mpmc **out)
{
	if (!out)
		return -EINVAL;
	unsigned flags = attr ? attr->flags : 0;
	size_t size = llt_mpmc_memsize(capacity, elem_size, flags);
	if (size == 0)
		return -EINVAL;
	if (flags & LLT_MPMC_SHARED)
		return -EINVAL; /* shared channels live in memory the caller maps */
	void *mem = NULL;
	size = (size + LLT_PAD_SIZE - 1) / LLT_PAD_SIZE * LLT_PAD_SIZE;
	if (posix_memalign(&mem, LLT_PAD_SIZE, size) != 0)
		return -ENOMEM;
	int r = llt_mpmc_init(mem, capacity, elem_size, attr);
	if (r != 0) {
		free(mem);
		return r;
	}
	*out = mem;
	return 0;
}

void llt_mpmc_free(struct llt_mpmc *m)
{
	if (!m)
		return;
	llt_mpmc_destroy(m);
	free(m);
}

int llt_mpmc_close(struct llt_mpmc *m)
{
	if (!m)
		return -EINVAL;
	/* Release: pairs with the receivers' acquire load of the tail in
	 * llt_mpmc_impl_empty().  As an RMW of the tail it is ordered against
	 * every sender's CAS: a claim is either before the close (and will be
	 * published) or fails. */
	uint64_t t = __atomic_fetch_or(&m->tail, CLOSED, __ATOMIC_RELEASE);
	if (t & CLOSED)
		return -EPIPE;
	/* Release: pairs with the acquire loads of the flag in
	 * llt_mpmc_impl_empty() and llt_mpmc_is_closed(), which then see the
	 * close bit of the tail (set above, frozen from then on). */
	__atomic_store_n(&m->closed, 1, __ATOMIC_RELEASE);
	llt_park_notify_all(&m->not_empty);
	llt_park_notify_all(&m->not_full);
	return 0;
}

void llt_mpmc_stats(const struct llt_mpmc *m, struct llt_mpmc_stats *st)
{
	if (!m || !st)
		return;
	struct llt_park_stats ne, nf;
	llt_park_stats(&m->not_empty, &ne);
	llt_park_stats(&m->not_full, &nf);
	/* Relaxed: a snapshot of counters, ordered with nothing. */
	st->sent = __atomic_load_n(&m->tail, __ATOMIC_RELAXED) & POS;
	st->received = __atomic_load_n(&m->head, __ATOMIC_RELAXED);
	st->full = __atomic_load_n(&m->full_waits, __ATOMIC_RELAXED);
	st->empty = __atomic_load_n(&m->empty_waits, __ATOMIC_RELAXED);
	st->sender_parks = nf.parks;
	st->receiver_parks = ne.parks;
	st->sender_wakes = nf.wakes;
	st->receiver_wakes = ne.wakes;
}

/* ------------------------------------------------------------ bulk */

/* Wake up to k waiters of park: all of them (one syscall) when k covers
 * them, else k single wake-ups; nothing when none waits. */
static void notify_k(const struct llt_mpmc *m, struct llt_park *park, size_t k)
{
	/* The notifier's half of the park's store-buffering pair, as in
	 * llt_mpmc_impl_notify(). */
	if (m->fenced)
		LLT_PARK_IMPL_FENCE();
	else
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
	/* Relaxed: ordered by the fence or the waiters' membarrier. */
	uint32_t w = LLT_PARK_IMPL_WAITERS(__atomic_load_n(&park->word, __ATOMIC_RELAXED));
	if (w == 0)
		return;
	if (k >= w) {
		llt_park_impl_wake(park, 1);
		return;
	}
	for (size_t i = 0; i < k; i++)
		llt_park_impl_wake(park, 0);
}

static ssize_t push_bulk(struct llt_mpmc *m, const unsigned char *src, size_t n)
{
	/* Relaxed: a guess, as in llt_mpmc_impl_push(). */
	uint64_t pos = __atomic_load_n(&m->tail, __ATOMIC_RELAXED);
	unsigned bo = LLT_MPMC_IMPL_BACKOFF_MIN;
	size_t k;

	if (n == 0)
		return (pos & CLOSED) ? -EPIPE : 0;
	for (;;) {
		if (pos & CLOSED)
			return -EPIPE;
		/* Acquire: pairs with the release of the receiver that emptied
		 * the slot.  Sequences only grow, and a slot whose sequence is
		 * pos + i can be claimed by nobody while the tail is pos. */
		uint64_t seq = __atomic_load_n(llt_mpmc_impl_seq(llt_mpmc_impl_slot(m, pos)), __ATOMIC_ACQUIRE);
		int64_t d = (int64_t)(seq - pos);
		if (d < 0)
			return 0;
		if (d > 0) {
			pos = __atomic_load_n(&m->tail, __ATOMIC_RELAXED); /* relaxed: a guess */
			continue;
		}
		for (k = 1; k < n && k <= m->mask; k++) {
			/* Acquire: as above. */
			seq = __atomic_load_n(llt_mpmc_impl_seq(llt_mpmc_impl_slot(m, pos + k)), __ATOMIC_ACQUIRE);
			if (seq != pos + k)
				break;
		}
		/* Relaxed: as in llt_mpmc_impl_push(). */
		if (__atomic_compare_exchange_n(&m->tail, &pos, pos + k, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			break;
		llt_mpmc_impl_backoff(&bo);
	}
	for (size_t i = 0; i < k; i++) {
		unsigned char *s = llt_mpmc_impl_slot(m, pos + i);
		memcpy(s + sizeof(uint64_t), src + i * m->elem_size, m->elem_size);
		/* Release: pairs with the receiver's acquire of the sequence. */
		__atomic_store_n(llt_mpmc_impl_seq(s), pos + i + 1, __ATOMIC_RELEASE);
	}
	notify_k(m, &m->not_empty, k);
	return (ssize_t)k;
}

static ssize_t pop_bulk(struct llt_mpmc *m, unsigned char *dst, size_t n)
{
	/* Relaxed: a guess, as in llt_mpmc_impl_pop(). */
	uint64_t pos = __atomic_load_n(&m->head, __ATOMIC_RELAXED);
	unsigned bo = LLT_MPMC_IMPL_BACKOFF_MIN;
	size_t k;

	if (n == 0)
		return 0;
	for (;;) {
		/* Acquire: pairs with the sender's release of the sequence. */
		uint64_t seq = __atomic_load_n(llt_mpmc_impl_seq(llt_mpmc_impl_slot(m, pos)), __ATOMIC_ACQUIRE);
		int64_t d = (int64_t)(seq - (pos + 1));
		if (d < 0) {
			int r = llt_mpmc_impl_empty(m);
			return r == -EPIPE ? r : 0;
		}
		if (d > 0) {
			pos = __atomic_load_n(&m->head, __ATOMIC_RELAXED); /* relaxed: a guess */
			continue;
		}
		for (k = 1; k < n && k <= m->mask; k++) {
			/* Acquire: as above. */
			seq = __atomic_load_n(llt_mpmc_impl_seq(llt_mpmc_impl_slot(m, pos + k)), __ATOMIC_ACQUIRE);
			if (seq != pos + k + 1)
				break;
		}
		/* Relaxed: as in llt_mpmc_impl_pop(). */
		if (__atomic_compare_exchange_n(&m->head, &pos, pos + k, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			break;
		llt_mpmc_impl_backoff(&bo);
	}
	for (size_t i = 0; i < k; i++) {
		unsigned char *s = llt_mpmc_impl_slot(m, pos + i);
		memcpy(dst + i * m->elem_size, s + sizeof(uint64_t), m->elem_size);
		/* Release: pairs with the next lap's sender's acquire. */
		__atomic_store_n(llt_mpmc_impl_seq(s), pos + i + m->mask + 1, __ATOMIC_RELEASE);
	}
	notify_k(m, &m->not_full, k);
	return (ssize_t)k;
}

ssize_t llt_mpmc_try_send_bulk(struct llt_mpmc *m, const void *elems, size_t n)
{
	return push_bulk(m, elems, n);
}

ssize_t llt_mpmc_try_recv_bulk(struct llt_mpmc *m, void *elems, size_t n)
{
	return pop_bulk(m, elems, n);
}

/* ------------------------------------------------------------ slow paths */

static uint64_t monotonic_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* While spinning, yield the CPU this often when the spinners outnumber
 * the CPUs (see wait_side): measured with 4 to 8 threads on 2 CPUs
 * (tests/bench/bench_mpmc.cc), yielding every 2 us instead of spinning
 * 20 us straight took 2p2c and 4p4c at capacity 1024 from 9.3 and 8.3 to
 * 15.5 and 17.2 M items/s and wake syscalls per item from 0.0012-0.0018
 * to 0.0000-0.0003 (shared machine, load 13). */
#define YIELD_NS UINT64_C(2000)

/* CPUs online, read once: the spinning threads yield only when they are
 * at least as many (see wait_side). */
static uint64_t online_cpus(void)
{
	static long n;
	/* Relaxed: every thread computes the same value. */
	long v = __atomic_load_n(&n, __ATOMIC_RELAXED);
	if (v <= 0) {
		v = sysconf(_SC_NPROCESSORS_ONLN);
		if (v < 1)
			v = 1;
		__atomic_store_n(&n, v, __ATOMIC_RELAXED);
	}
	return (uint64_t)v;
}

/* The brief poll at the start of a wait (see wait_side): tries, each
 * after a pause (~1.5 us in all where a pause takes 24 ns), and the
 * least spin budget it runs with. */
#define PRESPIN_TRIES 64u
#define PRESPIN_MIN_NS UINT64_C(2000)

/* The sleep slice when membarrier(2) fails at wait time (see wait_side). */
#define POLL_NS UINT64_C(1000000)

/* Absolute CLOCK_MONOTONIC deadline (the park's clock) for a timeout. */
static uint64_t deadline_of(uint64_t timeout_ns)
{
	if (timeout_ns == LLT_MPMC_IMPL_FOREVER)
		return UINT64_MAX;
	uint64_t now = monotonic_ns();
	return timeout_ns > UINT64_MAX - now ? UINT64_MAX : now + timeout_ns;
}

/* One attempt: 1 done, 0 not now, -EPIPE closed (and, for a receive,
 * drained).  Each notifies the other side on success. */
typedef int (*attempt_fn)(struct llt_mpmc *m, void *arg);

struct bulk {
	void *buf;
	size_t n;
	ssize_t done;
};

static int attempt_send(struct llt_mpmc *m, void *elem)
{
	int r = llt_mpmc_impl_push(m, elem, m->elem_size);
	if (r == 0) {
		llt_mpmc_impl_sent(m);
		return 1;
	}
	return r == -EPIPE ? r : 0;
}

static int attempt_recv(struct llt_mpmc *m, void *elem)
{
	int r = llt_mpmc_impl_pop(m, elem, m->elem_size);
	if (r == 0) {
		llt_mpmc_impl_received(m);
		return 1;
	}
	return r == -EPIPE ? r : 0;
}

static int attempt_send_bulk(struct llt_mpmc *m, void *p)
{
	struct bulk *b = p;
	b->done = push_bulk(m, b->buf, b->n);
	return b->done < 0 ? (int)b->done : b->done > 0;
}

static int attempt_recv_bulk(struct llt_mpmc *m, void *p)
{
	struct bulk *b = p;
	b->done = pop_bulk(m, b->buf, b->n);
	return b->done < 0 ? (int)b->done : b->done > 0;
}

/* Is the next slot of a side ready (an element for receivers, room for
 * senders)?  A hint for passing the baton. */
static bool side_ready(struct llt_mpmc *m, bool recv_side)
{
	/* Relaxed loads: a hint; the woken thread re-checks properly. */
	uint64_t pos = __atomic_load_n(recv_side ? &m->head : &m->tail, __ATOMIC_RELAXED);
	if (!recv_side && (pos & CLOSED))
		return false;
	pos &= POS;
	uint64_t seq = __atomic_load_n(llt_mpmc_impl_seq(llt_mpmc_impl_slot(m, pos)), __ATOMIC_RELAXED);
	return seq == (recv_side ? pos + 1 : pos);
}

/* A thread leaves a slow path: if others of its side wait and there is
 * work for them, wake one, so that a wake-up this thread absorbed is not
 * lost (see the top of this file). */
static void pass_baton(struct llt_mpmc *m, struct llt_park *park, bool recv_side)
{
	/* Orders our claim before the load of the waiter count, against the
	 * waiters' announce-then-look, as in llt_park_notify_one(). */
	LLT_PARK_IMPL_FENCE();
	/* Relaxed: ordered by the fence. */
	if (LLT_PARK_IMPL_WAITERS(__atomic_load_n(&park->word, __ATOMIC_RELAXED)) == 0)
		return;
	if (side_ready(m, recv_side))
		llt_park_impl_wake(park, 0);
}

/* Spin for the budget (and at most until the deadline), yielding every
 * YIELD_NS, then park until an attempt succeeds, the channel closes or
 * time is up. */
static int wait_side(struct llt_mpmc *m, bool recv_side, attempt_fn attempt, void *arg, uint64_t timeout_ns)
{
	struct llt_park *park = recv_side ? &m->not_empty : &m->not_full;
	int r = attempt(m, arg);
	if (r != 0)
		return r < 0 ? r : 0;
	/* Most waits are brief (a sender of the other side is between its
	 * claim and its publication, or a reply is on its way): poll for
	 * those before any of the bookkeeping below, whose clock reads,
	 * shared counters and fence cost more than such a wait.  A thread
	 * that leaves here never announced itself, so it absorbed no
	 * wake-up and has no baton to pass.  Timed calls skip it: their
	 * deadline is read first, below. */
	if (m->spin_ns >= PRESPIN_MIN_NS && timeout_ns == LLT_MPMC_IMPL_FOREVER) {
		for (unsigned i = 0; i < PRESPIN_TRIES; i++) {
			llt_cpu_relax();
			r = attempt(m, arg);
			if (r != 0)
				return r < 0 ? r : 0;
		}
		/* A wait that outlasts the poll often waits for a thread
		 * queued on this very CPU (more threads than CPUs: a
		 * sender preempted by the receiver that now waits for
		 * it).  One yield lets that thread run now rather than
		 * after the spin budget and a park; with nothing else
		 * runnable here it returns at the cost of a system call.
		 * Measured with bench_mpmc's blocking forms, interleaved
		 * with and without (capacity 65536, M items/s): 2p2c
		 * 74-82 against 61-70 with the vCPUs near, 58-67 against
		 * 41-52 far; 4p4c, 8p1c and 1p8c 20-95% faster; 1p1c and
		 * the round trip unchanged; 1:1 at capacity 64 under a
		 * load of 18 no slower.  Only once: yielding every 2 us
		 * all through the spin measured slower (and see YIELD_NS
		 * for what it does under load). */
		sched_yield();
		r = attempt(m, arg);
		if (r != 0)
			return r < 0 ? r : 0;
	}
	/* Relaxed: a statistic; once per call that had to wait. */
	__atomic_fetch_add(recv_side ? &m->empty_waits : &m->full_waits, 1, __ATOMIC_RELAXED);
	uint64_t deadline = deadline_of(timeout_ns);
	uint64_t spin = m->spin_ns < timeout_ns ? m->spin_ns : timeout_ns;
	if (spin) {
		uint64_t t0 = llt_clock_now(), span = llt_clock_from_ns(spin);
		uint64_t now, last_yield = t0, yield_span = llt_clock_from_ns(YIELD_NS);
		uint64_t ncpu = online_cpus();
		/* Relaxed: a count for the heuristic below, ordered with nothing. */
		__atomic_fetch_add(&m->spinners, 1, __ATOMIC_RELAXED);
		do {
			llt_cpu_relax();
			r = attempt(m, arg);
			if (r != 0)
				break;
			now = llt_clock_now();
			/* When at least as many threads spin here as there are
			 * CPUs, the thread we wait for may be queued behind one
			 * of us: let it run.  Fewer spinners leave it a CPU, and
			 * a yield would only hand ours to unrelated processes
			 * for a time slice (measured: 1:1 at capacity 64 took
			 * 100 s instead of 2 under load 18).  Relaxed: a hint. */
			if (now - last_yield >= yield_span) {
				if (__atomic_load_n(&m->spinners, __ATOMIC_RELAXED) >= ncpu)
					sched_yield();
				last_yield = now = llt_clock_now();
			}
		} while (now - t0 < span);
		__atomic_fetch_sub(&m->spinners, 1, __ATOMIC_RELAXED);
		if (r != 0)
			return r < 0 ? r : 0;
	}
	for (;;) {
		uint32_t key = llt_park_prepare_wait(park);
		/* The notifiers of an unfenced channel order their publication
		 * before their load of the waiter count with a compiler barrier
		 * only; this makes every CPU running one of them execute a full
		 * barrier, after our announcement and before our re-check: a
		 * notifier that loaded the count before it had published before
		 * (so the re-check below sees it), one that loads after it sees
		 * us.  If the kernel refuses, nothing orders the two: sleep in
		 * slices of POLL_NS instead, so that a missed wake-up costs a
		 * slice at most. */
		uint64_t until = deadline;
		if (!m->fenced && !heavy_barrier()) {
			uint64_t now = monotonic_ns();
			if (until > now && until - now > POLL_NS)
				until = now + POLL_NS;
		}
		/* After the announcement: either this attempt sees the other
		 * side's progress (or the close), or that side's notify sees
		 * us waiting and bumps the epoch, so commit_wait returns. */
		r = attempt(m, arg);
		if (r != 0) {
			llt_park_cancel_wait(park);
			break;
		}
		if (timeout_ns == 0) {
			llt_park_cancel_wait(park);
			r = -ETIMEDOUT;
			break;
		}
		int w = until == UINT64_MAX ? llt_park_commit_wait(park, key, 0)
					    : llt_park_commit_wait_until(park, key, 0, until);
		if (w == -ETIMEDOUT && until != deadline)
			continue;  /* a polling slice ended, not the caller's time */
		if (w == -ETIMEDOUT) {
			r = attempt(m, arg);
			if (r == 0)
				r = -ETIMEDOUT;
			break;
		}
	}
	pass_baton(m, park, recv_side);
	return r < 0 ? r : 0;
}

int llt_mpmc_impl_send_wait(struct llt_mpmc *m, const void *elem, uint64_t timeout_ns)
{
	return wait_side(m, false, attempt_send, (void *)(uintptr_t)elem, timeout_ns);
}

int llt_mpmc_impl_recv_wait(struct llt_mpmc *m, void *elem, uint64_t timeout_ns)
{
	return wait_side(m, true, attempt_recv, elem, timeout_ns);
}

int llt_mpmc_send_timed(struct llt_mpmc *m, const void *elem, uint64_t timeout_ns)
{
	if (timeout_ns == LLT_MPMC_IMPL_FOREVER)
		timeout_ns--; /* a real deadline, however far */
	return wait_side(m, false, attempt_send, (void *)(uintptr_t)elem, timeout_ns);
}

int llt_mpmc_recv_timed(struct llt_mpmc *m, void *elem, uint64_t timeout_ns)
{
	if (timeout_ns == LLT_MPMC_IMPL_FOREVER)
		timeout_ns--;
	return wait_side(m, true, attempt_recv, elem, timeout_ns);
}

ssize_t llt_mpmc_send_bulk(struct llt_mpmc *m, const void *elems, size_t n)
{
	if (n == 0)
		return push_bulk(m, elems, 0);
	struct bulk b = {(void *)(uintptr_t)elems, n, 0};
	int r = wait_side(m, false, attempt_send_bulk, &b, LLT_MPMC_IMPL_FOREVER);
	return r < 0 ? r : b.done;
}

ssize_t llt_mpmc_recv_bulk(struct llt_mpmc *m, void *elems, size_t n)
{
	if (n == 0)
		return 0;
	struct bulk b = {elems, n, 0};
	int r = wait_side(m, true, attempt_recv_bulk, &b, LLT_MPMC_IMPL_FOREVER);
	return r < 0 ? r : b.done;
}
