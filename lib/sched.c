/* llt/sched: work-stealing fork-join scheduler on a thread pool.
 *
 * Each worker runs one long task on its pool worker: the loop below.  It
 * pops its own Chase-Lev deque (lib/sched_deque.h) at the bottom, and when
 * that is empty steals from the top of random victims (per-worker
 * xorshift), then polls the injector (external submissions, a bounded
 * MPMC queue: lib/taskq.h).
 *
 * Groups and helping waits.  A group counts its unfinished tasks in two
 * places.  Tasks that its owner (the worker that initialised it) spawns
 * and later runs itself, popped back from its own deque, never touch
 * shared memory: the owner counts them in the plain field `local` (+1 at
 * the spawn, -1 when it runs one), like the "fast clone" of Cilk-5
 * (Frigo, Leiserson and Randall, PLDI 1998), where a join whose child was
 * never stolen costs no synchronisation.  Everything else goes through
 * the atomic word `state`: the signed shared count in the high 40 bits,
 * the waiter's identity in the low 24 (0 none, worker i + 1, or
 * EXTERNAL).  A task the owner spawned but a thief ran is decremented
 * there (the shared count may go below zero); spawns by other threads
 * are incremented and decremented there.  So at any moment the tasks
 * pending are local + shared count, and only the owner can compute that;
 * hence a group a worker initialised can be waited for only by that
 * worker (llt_sched_wait returns -EPERM otherwise), which is what
 * fork-join code does: the task that spawns is the task that waits, and
 * tasks do not migrate.  In fib(30) on one worker this took the CPU cost of
 * a spawn and its join from 24 to 14 ns: two lock-prefixed RMWs fewer.
 *
 * A worker that waits runs other tasks meanwhile (its own deque first,
 * whose bottom is usually the child it just spawned, then steals), as
 * Taskflow's corun and TBB's wait do; only after a spin budget without
 * finding anything does it register in the word and park: one CAS moves
 * `local` into the shared count and sets the waiter, so from then on the
 * shared count alone is what is pending.  The completer's fetch_sub
 * returns the old word, so it learns who to wake without touching the
 * group again (the group may be gone the moment the count is zero), and
 * wakes that worker's own event count, which lives as long as the
 * scheduler.
 *
 * Sleep and wake-up.  Each worker sleeps on its own event count
 * (llt/park), so a wake-up goes to one thread: no thundering herd.
 *
 *   worker W going to sleep              a pusher P (spawn, inject, split)
 *   1 store W.asleep = 1 (seq_cst)       a push (release store of bottom,
 *   2 nsleep += 1 (seq_cst)                or seq_cst CAS of the injector)
 *   3 prepare_wait(W.park) (+fence),     b full fence (or, with the
 *     then the heavy barrier               membarrier, a compiler barrier)
 *   4 re-check every deque, the          c load nsleep; 0: done, no syscall
 *     injector, the stop flag, its       d claim a sleeper (CAS asleep
 *     group, W.asleep                      1 -> 0), nsleep -= 1,
 *   5 commit_wait, or cancel_wait          notify_one(its park)
 *   6 asleep 1 -> 0 ? nsleep -= 1
 *
 * The race this closes is the lost wake-up: P pushes just after W's last
 * scan found nothing and just before W sleeps.  2-4 against a-c is the
 * store-buffering (Dekker) pattern: with fences on both sides, either P's
 * load of nsleep sees W's increment or W's re-check sees the task.  In
 * the first case P claims a sleeper, and llt/park's own prepare/notify
 * pair makes that sleeper either see the task or be woken.  The flag is
 * stored before the count, so any sleeper P counts is claimable, and a
 * claimed worker sees asleep == 0 in its re-check and stays up.  A pusher
 * wakes only on the empty-to-non-empty transition of its deque (oneTBB's
 * advertise_new_work), and with nobody asleep that costs a load (and
 * the fence of step b, see below): no store, no syscall.  A thief that steals from a deque that still
 * holds work wakes one more sleeper, so work spreads one wake-up at a
 * time (Tokio's "the last searcher to find work wakes the next").  At
 * most half the workers spin searching at once (Tokio's idle.rs); the
 * others go straight to the park protocol.
 *
 * Spawns are frequent and sleeps rare, so where Linux has
 * membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) the fence is asymmetric:
 * step b is only a compiler barrier, and the sleeper, between 3 and 4,
 * makes every running thread of the process execute a full barrier (an
 * IPI); a pusher interrupted before its store of bottom loads nsleep after
 * the barrier and sees the increment, one interrupted after it has its
 * store drained, which the re-check then sees; a pusher not running was
 * switched out, which is a full barrier too.  This is folly's
 * asymmetricLightBarrier/asymmetricHeavyBarrier and membarrier(2)'s own
 * example; it makes the pusher's check a plain load, and costs the
 * sleeper a system call it pays only after its spin budget, and every
 * other running thread of the process an interrupt.  The call lives in
 * lib/membarrier.c (shared with llt/park and llt/hist); the measured cost,
 * and the switches LLT_MEMBARRIER=0 and LLT_SCHED_MEMBARRIER=0 that keep
 * the symmetric fences: llt(7), ENVIRONMENT.
 *
 * parallel_for splits lazily (Tzannes, Caragea, Barua and Vishkin,
 * "Lazy binary-splitting", PPoPP 2010): a worker runs its range chunk by
 * chunk and, between chunks, splits off the upper half as a task only
 * when its own deque is empty, that is when no thief could find work on
 * it.  No shared per-iteration counter is touched.  Without a grain from
 * the caller, chunks are sized by time (run_range_timed). */
#include "internal.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include <llt/clock.h>
#include <llt/cpu.h>
#include <llt/park.h>
#include <llt/sched.h>
#include <llt/threadpool.h>

#include "membarrier.h"
#include "sched_deque.h"
#include "taskq.h"
#include "threadpool_impl.h"

#define WAITER_BITS 24
#define WAITER_MASK ((UINT64_C(1) << WAITER_BITS) - 1)
#define ONE (UINT64_C(1) << WAITER_BITS)        /* one task in the shared count */
#define EXTERNAL WAITER_MASK
#define LOCAL_TASK ((uintptr_t)1)                /* task.a: counted in group->local */

/* The signed shared count of a state word (GCC's >> is arithmetic). */
static inline int64_t shared_count(uint64_t st)
{
	return (int64_t)st >> WAITER_BITS;
}

struct sched_worker {
	struct llt_dq dq;
	struct llt_park park;
	LLT_PADDED uint32_t asleep;
	/* Owner-written from here on. */
	LLT_PADDED struct llt_sched *s;
	unsigned index;
	uint64_t rng;
	uint64_t spawned, executed, steals, splits;
};

struct llt_sched {
	LLT_PADDED uint32_t nsleep;
	uint32_t wake_rr;
	LLT_PADDED uint32_t nsearching;
	LLT_PADDED uint32_t stop;
	uint32_t started;
	LLT_PADDED uint64_t injected;
	/* Read-only after create. */
	LLT_PADDED unsigned n;
	uint64_t spin;            /* ticks */
	uint64_t spin_ns;
	bool asym;                /* membarrier: the pushers' side of the fence is free */
	uint64_t chunk_ticks;     /* LLT_SCHED_CHUNK_NS */
	struct llt_threadpool *pool;
	struct sched_worker *w;
	struct llt_park ext_park;   /* external waiters of groups */
	struct llt_park inj_not_full;
	struct llt_taskq inj;
};

static __thread struct sched_worker *tls_sw __attribute__((tls_model("initial-exec")));

static inline void count(uint64_t *c, uint64_t n)
{
	/* One writer; relaxed, read by llt_sched_stats(). */
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

static inline uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* ------------------------------------------------------------ wake-ups */

/* Step d: claim one sleeper and wake it. */
static LLT_COLD void wake_claim(struct llt_sched *s)
{
	unsigned n = s->n;
	unsigned start = __atomic_fetch_add(&s->wake_rr, 1, __ATOMIC_RELAXED);
	for (unsigned i = 0; i < n; i++) {
		struct sched_worker *w = &s->w[(start + i) % n];
		uint32_t one = 1;
		if (__atomic_load_n(&w->asleep, __ATOMIC_RELAXED) == 1 &&
		    __atomic_compare_exchange_n(&w->asleep, &one, 0, false, __ATOMIC_SEQ_CST,
						__ATOMIC_RELAXED)) {
			__atomic_fetch_sub(&s->nsleep, 1, __ATOMIC_SEQ_CST);
			llt_park_notify_one(&w->park);
			return;
		}
	}
}

/* The sleeper's half of the fence (see the top of the file): with asym,
 * membarrier(2) through lib/membarrier.c (which retries and falls back if
 * the call ever fails), else the full fence of the symmetric protocol. */
static void heavy_barrier(struct llt_sched *s)
{
	if (s->asym)
		llt_membarrier_heavy();
	else
		LLT_DQ_FENCE();
}

/* Steps b-d of the protocol above. */
static void wake_one(struct llt_sched *s)
{
	/* b: a compiler barrier where the sleeper's membarrier stands in for
	 * the fence, else a full fence. */
	if (LLT_LIKELY(s->asym))
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
	else
		LLT_DQ_FENCE();
	/* Relaxed: ordered by the fence (or the sleeper's membarrier)
	 * against the sleeper's seq_cst increment. */
	if (LLT_LIKELY(__atomic_load_n(&s->nsleep, __ATOMIC_RELAXED) == 0))
		return;
	wake_claim(s);
}

/* Wake worker i specifically (a group it waits for is complete). */
static void wake_worker(struct llt_sched *s, unsigned i)
{
	struct sched_worker *w = &s->w[i];
	uint32_t one = 1;
	if (__atomic_compare_exchange_n(&w->asleep, &one, 0, false, __ATOMIC_SEQ_CST,
					__ATOMIC_RELAXED))
		__atomic_fetch_sub(&s->nsleep, 1, __ATOMIC_SEQ_CST);
	llt_park_notify_one(&w->park);
}

/* ---------------------------------------------------------------- groups */

static inline void group_done(struct llt_sched *s, struct llt_sched_group *g)
{
	/* seq_cst (release at least): publishes the task's effects to the
	 * waiter's acquire load of the count; and it is totally ordered with
	 * the waiter's registering CAS on the same word. */
	uint64_t old = __atomic_fetch_sub(&g->state, ONE, __ATOMIC_SEQ_CST);
	/* The shared count reaches zero with a waiter registered (the
	 * waiter moved its local count in when it registered; the count is
	 * below zero only before that, with nobody to wake). */
	if (LLT_UNLIKELY(shared_count(old) == 1 && (old & WAITER_MASK) != 0)) {
		/* g may be gone from here on: only s is used. */
		uint64_t who = old & WAITER_MASK;
		if (who == EXTERNAL)
			llt_park_notify_all(&s->ext_park);
		else
			wake_worker(s, (unsigned)(who - 1));
	}
}

/* A task of group a (task.a: the group, LOCAL_TASK if its owner counted
 * it locally) has finished on worker w. */
static inline void task_done(struct sched_worker *w, uintptr_t a)
{
	struct llt_sched_group *g = (struct llt_sched_group *)(a & ~LOCAL_TASK);
	/* g->owner is a plain field: written by group_init before the spawn
	 * that published this task (the push's release store). */
	if ((a & LOCAL_TASK) && g->owner == w) {
		/* Spawned and run by the owner: nobody else counts it. */
		g->local--;
		return;
	}
	group_done(w->s, g);
}

/* The tasks of g not finished yet, as seen by w (the owner, or any
 * thread if the group has no owner, when local is always 0). */
static inline int64_t group_pending(const struct sched_worker *w, const struct llt_sched_group *g)
{
	/* Acquire: pairs with the release half of group_done's fetch_sub,
	 * so the waiter sees every finished task's effects. */
	int64_t n = shared_count(__atomic_load_n(&g->state, __ATOMIC_ACQUIRE));
	if (g->owner == (const void *)w)
		n += g->local;
	return n;
}

/* Register `who` (worker index + 1, or EXTERNAL) as g's waiter, moving w's
 * local count into the shared count in the same CAS; returns the tasks
 * still pending (0: complete, do not sleep).  seq_cst: totally ordered
 * with the completers' fetch_sub on the same word, so exactly one of them
 * sees the count drop to zero with the waiter set. */
static int64_t group_register(const struct sched_worker *w, struct llt_sched_group *g, uint64_t who)
{
	int64_t local = g->owner == (const void *)w ? g->local : 0;
	uint64_t st = __atomic_load_n(&g->state, __ATOMIC_RELAXED), nst;
	do {
		nst = ((st + ((uint64_t)local << WAITER_BITS)) & ~WAITER_MASK) | who;
	} while (!__atomic_compare_exchange_n(&g->state, &st, nst, true, __ATOMIC_SEQ_CST,
					      __ATOMIC_RELAXED));
	if (local)
		g->local = 0;
	LLT_ASSERT(shared_count(nst) >= 0);
	return shared_count(nst);
}

/* ------------------------------------------------------------------ tasks */

struct loop {
	void (*body)(size_t, size_t, void *);
	void *ctx;
	size_t grain;             /* the smallest range split; the chunk if fixed */
	uint64_t chunk_ticks;     /* 0: fixed chunks of grain; else the time a chunk aims at */
	struct llt_sched_group g;
};

static void range_entry(void *arg)
{
	(void)arg; /* a marker: run_task recognises it */
}

static void run_range(struct sched_worker *w, struct loop *L, size_t lo, size_t hi);
static void run_range_timed(struct sched_worker *w, struct loop *L, size_t lo, size_t hi,
			    bool can_split);

static inline void run_task(struct sched_worker *w, struct llt_impl_task *t)
{
	struct llt_sched *s = w->s;
	if (t->fn == range_entry) {
		struct loop *L = t->arg;
		run_range(w, L, (size_t)t->a, (size_t)t->b);
		count(&w->executed, 1);
		group_done(s, &L->g);
		return;
	}
	t->fn(t->arg);
	count(&w->executed, 1);
	if (t->a)
		task_done(w, t->a);
}

static inline __attribute__((always_inline)) int push_local(struct sched_worker *w,
							   const struct llt_impl_task *t)
{
	int r = llt_dq_push(&w->dq, t);
	if (LLT_UNLIKELY(r < 0))
		return r;
	count(&w->spawned, 1);
	if (r)
		wake_one(w->s);
	return 0;
}


/* Others may be hungry: push [mid, hi) for a thief and keep [lo, mid).
 * False when the deque is full (the caller stops splitting). */
static bool offer_upper_half(struct sched_worker *w, struct loop *L, size_t lo, size_t *hi)
{
	size_t mid = lo + (*hi - lo) / 2;
	struct llt_impl_task t = {range_entry, L, mid, *hi};
	/* Relaxed: the push's release store publishes it. */
	__atomic_fetch_add(&L->g.state, ONE, __ATOMIC_RELAXED);
	if (push_local(w, &t) == 0) {
		count(&w->splits, 1);
		*hi = mid;
		return true;
	}
	__atomic_fetch_sub(&L->g.state, ONE, __ATOMIC_RELAXED);
	return false;
}
static void run_range(struct sched_worker *w, struct loop *L, size_t lo, size_t hi)
{
	size_t grain = L->grain;
	bool can_split = w->s->n > 1;
	if (L->chunk_ticks) {
		run_range_timed(w, L, lo, hi, can_split);
		return;
	}
	while (lo < hi) {
		if (can_split && hi - lo > grain && llt_dq_looks_empty(&w->dq)) {
			if (offer_upper_half(w, L, lo, &hi))
				continue;
			can_split = false;
		}
		size_t e = hi - lo > grain ? lo + grain : hi;
		L->body(lo, e, L->ctx);
		lo = e;
	}
}

/* The automatic grain: chunks sized by time, not by count.  A fixed
 * count fails when iterations differ in cost: in a loop whose first 10%
 * cost 100x the rest, a count that keeps the light chunks cheap to check
 * makes the heavy ones hundreds of microseconds long, and a thief that
 * just emptied this deque waits that long for the next split (it happens
 * at every halving, a dozen times per loop).  So the chunk starts at one
 * iteration and doubles while a chunk takes less than half the target,
 * halves when it takes more than twice: between two checks for hungry
 * thieves pass about chunk_ticks, whatever the iterations cost, for one
 * clock read per chunk (rdtsc where there is one). */
static void run_range_timed(struct sched_worker *w, struct loop *L, size_t lo, size_t hi,
			    bool can_split)
{
	uint64_t target = L->chunk_ticks;
	size_t chunk = 1;
	uint64_t t0 = llt_clock_now();
	while (lo < hi) {
		if (can_split && hi - lo > 1 && llt_dq_looks_empty(&w->dq)) {
			if (offer_upper_half(w, L, lo, &hi))
				continue;
			can_split = false;
		}
		size_t e = hi - lo > chunk ? lo + chunk : hi;
		L->body(lo, e, L->ctx);
		lo = e;
		uint64_t t1 = llt_clock_now(), dt = t1 - t0;
		t0 = t1;
		if (dt < target / 2 && chunk < ((size_t)1 << 40))
			chunk *= 2;
		else if (dt > target * 2 && chunk > 1)
			chunk /= 2;
	}
}

/* ------------------------------------------------------------ the worker */

static bool steal_any(struct sched_worker *w, struct llt_impl_task *t)
{
	struct llt_sched *s = w->s;
	unsigned n = s->n;
	if (n > 1) {
		unsigned start = (unsigned)(xorshift(&w->rng) % n);
		for (unsigned i = 0; i < n; i++) {
			unsigned v = (start + i) % n;
			if (v == w->index)
				continue;
			struct llt_dq *dq = &s->w[v].dq;
			if (llt_dq_steal(dq, t) > 0) {
				count(&w->steals, 1);
				/* More left there: let one more sleeper look. */
				if (llt_dq_maybe_nonempty(dq))
					wake_one(s);
				return true;
			}
		}
	}
	if (llt_taskq_pop(&s->inj, t)) {
		llt_park_notify_all(&s->inj_not_full);
		if (llt_taskq_maybe_nonempty(&s->inj))
			wake_one(s);
		return true;
	}
	return false;
}

static bool anything_anywhere(struct llt_sched *s)
{
	for (unsigned i = 0; i < s->n; i++)
		if (llt_dq_maybe_nonempty(&s->w[i].dq))
			return true;
	return llt_taskq_maybe_nonempty(&s->inj);
}

/* Steps 1-6 of the protocol; g: the group this worker waits for. */
static void worker_sleep(struct sched_worker *w, struct llt_sched_group *g)
{
	struct llt_sched *s = w->s;
	__atomic_store_n(&w->asleep, 1, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&s->nsleep, 1, __ATOMIC_SEQ_CST);
	uint32_t key = llt_park_prepare_wait(&w->park);
	/* The pushers' fence, paid here (see the top of the file). */
	heavy_barrier(s);
	/* g's local count was moved into the shared one by group_register
	 * just before: the shared count is all that is pending. */
	bool stay = __atomic_load_n(&w->asleep, __ATOMIC_SEQ_CST) == 0 ||
		    __atomic_load_n(&s->stop, __ATOMIC_SEQ_CST) != 0 ||
		    (g && shared_count(__atomic_load_n(&g->state, __ATOMIC_SEQ_CST)) <= 0) ||
		    anything_anywhere(s);
	if (stay)
		llt_park_cancel_wait(&w->park);
	else
		llt_park_commit_wait(&w->park, key, 0);
	if (__atomic_exchange_n(&w->asleep, 0, __ATOMIC_SEQ_CST) == 1)
		__atomic_fetch_sub(&s->nsleep, 1, __ATOMIC_SEQ_CST);
}

/* Run tasks until g is complete (g != NULL: a helping wait) or until the
 * scheduler stops and nothing is left (g == NULL: the worker's loop). */
static void work_until(struct sched_worker *w, struct llt_sched_group *g)
{
	struct llt_sched *s = w->s;
	struct llt_impl_task t;
	for (;;) {
		if (g && group_pending(w, g) == 0)
			return;
		if (llt_dq_take(&w->dq, &t) || steal_any(w, &t)) {
			run_task(w, &t);
			continue;
		}
		if (!g && __atomic_load_n(&s->stop, __ATOMIC_ACQUIRE) && !anything_anywhere(s))
			return;
		/* Search for a while.  A helping waiter always does (it is
		 * not idle: its group is running elsewhere); idle workers
		 * only while fewer than half of them search. */
		bool got = false, searching = false;
		if (!g) {
			unsigned ns = __atomic_load_n(&s->nsearching, __ATOMIC_RELAXED);
			if (2 * ns < s->n) {
				__atomic_fetch_add(&s->nsearching, 1, __ATOMIC_RELAXED);
				searching = true;
			}
		}
		if (g || searching) {
			uint64_t t0 = llt_clock_now();
			do {
				llt_cpu_relax();
				if (g && group_pending(w, g) == 0)
					break;
				if (steal_any(w, &t)) {
					got = true;
					break;
				}
				if (!g && __atomic_load_n(&s->stop, __ATOMIC_RELAXED))
					break;
			} while (llt_clock_now() - t0 < s->spin);
		}
		if (searching)
			__atomic_fetch_sub(&s->nsearching, 1, __ATOMIC_RELAXED);
		if (got) {
			run_task(w, &t);
			continue;
		}
		if (g) {
			/* Register as the group's waiter (again after each
			 * wake-up: the local count may have moved), then
			 * sleep. */
			if (group_register(w, g, w->index + 1) == 0)
				continue;
		} else if (__atomic_load_n(&s->stop, __ATOMIC_RELAXED)) {
			continue;
		}
		worker_sleep(w, g);
	}
}

static void worker_main(void *arg)
{
	struct llt_sched *s = arg;
	struct llt_tp_worker *tw = llt_tp_impl_self();
	struct sched_worker *w = &s->w[tw->index];
	tls_sw = w;
	work_until(w, NULL);
	tls_sw = NULL;
}

/* ---------------------------------------------------------------- set-up */

int llt_sched_create(const struct llt_sched_attr *attr, struct llt_sched **out)
{
	struct llt_sched_attr a;
	memset(&a, 0, sizeof a);
	if (attr)
		a = *attr;
	if (!out || a.flags || a.reserved || a.pool.idle || a.pool.queue_capacity ||
	    a.injector_capacity > ((size_t)1 << 30) || a.deque_capacity > ((size_t)1 << 28))
		return -EINVAL;
	struct llt_sched *s = NULL;
	if (posix_memalign((void **)&s, LLT_PAD_SIZE, sizeof *s) != 0)
		return -ENOMEM;
	memset(s, 0, sizeof *s);
	s->spin_ns = a.spin_ns ? a.spin_ns : LLT_SCHED_SPIN_DEFAULT_NS;
	s->spin = s->spin_ns == UINT64_MAX ? 0 : llt_clock_from_ns(s->spin_ns);
	s->chunk_ticks = llt_clock_from_ns(LLT_SCHED_CHUNK_NS);
	if (s->chunk_ticks < 2)
		s->chunk_ticks = 2;
	/* Asymmetric when lib/membarrier.c allows it (membarrier registered,
	 * not a TSan build, LLT_MEMBARRIER not 0) and LLT_SCHED_MEMBARRIER
	 * is not 0; otherwise (old kernel, seccomp, opted out) the pushers
	 * keep their fence.  The trade-off: llt(7), ENVIRONMENT. */
	const char *env = secure_getenv("LLT_SCHED_MEMBARRIER");
	s->asym = !(env && strcmp(env, "0") == 0) && llt_membarrier_available();
	/* The pool's workers each run one long task (the loop), so the
	 * pool's own idle strategy never matters: spin keeps it simple. */
	struct llt_threadpool_attr pa = a.pool;
	pa.idle = LLT_THREADPOOL_IDLE_SPIN;
	pa.queue_capacity = 2;
	/* ...but the workers do park (worker_sleep): the slice of a parking
	 * pool. */
	if (!pa.slice_us)
		pa.slice_us = LLT_THREADPOOL_SLICE_DEFAULT_US;
	int r = llt_threadpool_create(&pa, &s->pool);
	if (r < 0) {
		free(s);
		return r;
	}
	unsigned n = llt_threadpool_size(s->pool);
	s->n = n;
	r = llt_taskq_init(&s->inj, a.injector_capacity ? a.injector_capacity
						     : LLT_SCHED_INJECTOR_DEFAULT);
	if (r == 0 && posix_memalign((void **)&s->w, LLT_PAD_SIZE, n * sizeof *s->w) != 0)
		r = -ENOMEM;
	unsigned made = 0;
	if (r == 0) {
		memset(s->w, 0, n * sizeof *s->w);
		for (; made < n; made++) {
			struct sched_worker *w = &s->w[made];
			r = llt_dq_init(&w->dq, a.deque_capacity ? a.deque_capacity
								 : LLT_SCHED_DEQUE_DEFAULT);
			if (r < 0)
				break;
			llt_park_init(&w->park, 0);
			w->s = s;
			w->index = made;
			w->rng = UINT64_C(0x9e3779b97f4a7c15) * (made + 1) | 1;
		}
	}
	llt_park_init(&s->ext_park, 0);
	llt_park_init(&s->inj_not_full, 0);
	for (unsigned i = 0; r == 0 && i < n; i++)
		r = llt_threadpool_submit_to(s->pool, i, worker_main, s);
	if (r < 0) {
		__atomic_store_n(&s->stop, 1, __ATOMIC_SEQ_CST);
		llt_threadpool_free(s->pool);
		for (unsigned i = 0; i < made; i++)
			llt_dq_destroy(&s->w[i].dq);
		free(s->w);
		llt_taskq_destroy(&s->inj);
		free(s);
		return r;
	}
	*out = s;
	return 0;
}

void llt_sched_free(struct llt_sched *s)
{
	if (!s)
		return;
	/* Drain: every queued task runs; the workers leave when nothing is
	 * left anywhere. */
	__atomic_store_n(&s->stop, 1, __ATOMIC_SEQ_CST);
	for (unsigned i = 0; i < s->n; i++)
		wake_worker(s, i);
	llt_threadpool_free(s->pool);
	for (unsigned i = 0; i < s->n; i++) {
		llt_dq_destroy(&s->w[i].dq);
		llt_park_destroy(&s->w[i].park);
	}
	llt_park_destroy(&s->ext_park);
	llt_park_destroy(&s->inj_not_full);
	llt_taskq_destroy(&s->inj);
	free(s->w);
	free(s);
}

unsigned llt_sched_size(const struct llt_sched *s)
{
	return s ? s->n : 0;
}

int llt_sched_current(const struct llt_sched *s)
{
	struct sched_worker *w = tls_sw;
	if (!w || (s && w->s != s))
		return -1;
	return (int)w->index;
}

struct llt_threadpool *llt_sched_pool(struct llt_sched *s)
{
	return s ? s->pool : NULL;
}

void llt_sched_stats(const struct llt_sched *s, struct llt_sched_stats *st)
{
	if (!s || !st)
		return;
	memset(st, 0, sizeof *st);
	st->injected = __atomic_load_n(&s->injected, __ATOMIC_RELAXED);
	for (unsigned i = 0; i < s->n; i++) {
		const struct sched_worker *w = &s->w[i];
		struct llt_park_stats ps;
		st->spawned += __atomic_load_n(&w->spawned, __ATOMIC_RELAXED);
		st->executed += __atomic_load_n(&w->executed, __ATOMIC_RELAXED);
		st->steals += __atomic_load_n(&w->steals, __ATOMIC_RELAXED);
		st->splits += __atomic_load_n(&w->splits, __ATOMIC_RELAXED);
		llt_park_stats(&w->park, &ps);
		st->parks += ps.parks;
		st->wakes += ps.wakes;
	}
}

/* ------------------------------------------------------------- fork-join */

int llt_sched_group_init(struct llt_sched_group *g, struct llt_sched *s)
{
	if (!g || !s)
		return -EINVAL;
	struct sched_worker *w = tls_sw;
	g->sched = s;
	g->state = 0;
	/* Owned by the worker that initialises it: its spawns into the
	 * group are counted in g->local, which only it touches. */
	g->owner = (w && w->s == s) ? w : NULL;
	g->local = 0;
	return 0;
}

/* From outside: through the injector, blocking while it is full. */
static int inject(struct llt_sched *s, const struct llt_impl_task *t)
{
	if (__atomic_load_n(&s->stop, __ATOMIC_RELAXED))
		return -EPIPE;
	if (!llt_taskq_push(&s->inj, t)) {
		uint64_t t0 = llt_clock_now(), span = llt_clock_from_ns(LLT_SCHED_SPIN_DEFAULT_NS);
		for (;;) {
			if (llt_taskq_push(&s->inj, t))
				break;
			if (llt_clock_now() - t0 < span) {
				llt_cpu_relax();
				continue;
			}
			uint32_t key = llt_park_prepare_wait(&s->inj_not_full);
			if (llt_taskq_push(&s->inj, t)) {
				llt_park_cancel_wait(&s->inj_not_full);
				break;
			}
			llt_park_commit_wait(&s->inj_not_full, key, 0);
		}
	}
	__atomic_fetch_add(&s->injected, 1, __ATOMIC_RELAXED);
	wake_one(s);
	return 0;
}

int llt_sched_spawn(struct llt_sched_group *g, void (*fn)(void *), void *arg)
{
	if (LLT_UNLIKELY(!g || !fn || !g->sched))
		return -EINVAL;
	struct llt_sched *s = g->sched;
	struct sched_worker *w = tls_sw;
	struct llt_impl_task t = {fn, arg, (uintptr_t)g, 0};
	int r;
	if (LLT_LIKELY(w && w->s == s)) {
		if (LLT_LIKELY(g->owner == w)) {
			/* The owner: a plain count, no atomic RMW. */
			t.a |= LOCAL_TASK;
			g->local++;
			r = push_local(w, &t);
			if (LLT_UNLIKELY(r < 0))
				g->local--;
			return r;
		}
		/* Relaxed: the push's release store of bottom publishes the
		 * increment before any thief can run the task and decrement
		 * it. */
		__atomic_fetch_add(&g->state, ONE, __ATOMIC_RELAXED);
		r = push_local(w, &t);
	} else {
		/* Relaxed: published by the injector's release of the cell. */
		__atomic_fetch_add(&g->state, ONE, __ATOMIC_RELAXED);
		r = inject(s, &t);
	}
	if (LLT_UNLIKELY(r < 0))
		__atomic_fetch_sub(&g->state, ONE, __ATOMIC_RELAXED);
	return r;
}

int llt_sched_submit(struct llt_sched *s, void (*fn)(void *), void *arg)
{
	if (!s || !fn)
		return -EINVAL;
	struct llt_impl_task t = {fn, arg, 0, 0};
	struct sched_worker *w = tls_sw;
	return (w && w->s == s) ? push_local(w, &t) : inject(s, &t);
}

int llt_sched_wait(struct llt_sched_group *g)
{
	if (LLT_UNLIKELY(!g || !g->sched))
		return -EINVAL;
	struct llt_sched *s = g->sched;
	struct sched_worker *w = tls_sw;
	if (w && w->s != s)
		w = NULL;
	/* Only the owner knows its local count. */
	if (LLT_UNLIKELY(g->owner && g->owner != w))
		return -EPERM;
	if (group_pending(w, g) != 0) {
		if (w) {
			/* The common case first: the bottom of the own deque
			 * is the group's last task (the child just spawned);
			 * run it without the search loop's set-up. */
			struct llt_impl_task t;
			while (llt_dq_take(&w->dq, &t)) {
				run_task(w, &t);
				if (group_pending(w, g) == 0)
					goto done;
			}
			work_until(w, g);
		} else {
			/* Outside: spin, then park on the external event
			 * count; the completer sees EXTERNAL in the word. */
			uint64_t t0 = llt_clock_now();
			while (group_pending(NULL, g) != 0 && llt_clock_now() - t0 < s->spin)
				llt_cpu_relax();
			while (group_pending(NULL, g) != 0) {
				uint32_t key = llt_park_prepare_wait(&s->ext_park);
				if (group_register(NULL, g, EXTERNAL) == 0)
					llt_park_cancel_wait(&s->ext_park);
				else
					llt_park_commit_wait(&s->ext_park, key, 0);
			}
		}
	}
done:
	/* Complete: nobody else touches the word now; forget the waiter so
	 * the group can be reused.  Relaxed: only this thread uses it. */
	__atomic_store_n(&g->state, 0, __ATOMIC_RELAXED);
	g->local = 0;
	return 0;
}

int llt_sched_parallel_for(struct llt_sched *s, size_t begin, size_t end, size_t grain,
			   void (*body)(size_t lo, size_t hi, void *ctx), void *ctx)
{
	if (!s || !body || begin > end)
		return -EINVAL;
	if (begin == end)
		return 0;
	/* grain 0: chunks of about LLT_SCHED_CHUNK_NS each (run_range_timed). */
	uint64_t chunk_ticks = 0;
	if (grain == 0) {
		grain = 1;
		chunk_ticks = s->chunk_ticks;
	}
	/* No owner: ranges are counted in the shared count (splits are
	 * rare, and any worker may run and split a range). */
	struct loop L = {body, ctx, grain, chunk_ticks, {s, 0, NULL, 0}};
	struct sched_worker *w = tls_sw;
	if (w && w->s == s) {
		__atomic_store_n(&L.g.state, ONE, __ATOMIC_RELAXED);
		run_range(w, &L, begin, end);
		group_done(s, &L.g);
		return llt_sched_wait(&L.g);
	}
	struct llt_impl_task t = {range_entry, &L, begin, end};
	__atomic_store_n(&L.g.state, ONE, __ATOMIC_RELAXED);
	int r = inject(s, &t);
	if (r < 0)
		return r;
	return llt_sched_wait(&L.g);
}
