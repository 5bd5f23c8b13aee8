/* llt/threadpool: pinned, named workers with bounded submission queues.
 *
 * Queues.  One shared queue (any worker takes from it) and one queue per
 * worker (llt_threadpool_submit_to), each a bounded Vyukov MPMC array
 * (lib/taskq.h): the stand-in for llt/mpmc.h, which is being written in
 * parallel and can replace it later.  A full queue is backpressure: the
 * blocking submit spins for the spin budget, then parks on the pool's
 * not_full event count until a worker takes something.
 *
 * Sleep and wake-up (LLT_THREADPOOL_IDLE_PARK).  Each worker sleeps on its
 * own event count (llt/park: prepare_wait, re-check, commit_wait or
 * cancel_wait), so a wake-up targets one thread and there is no herd.  The
 * protocol, in the style of Taskflow's notifier and Rayon's sleep module:
 *
 *   worker W going to sleep             submitter S of a shared task
 *   1 store W.asleep = 1 (seq_cst)      a push (seq_cst CAS on the tail)
 *   2 nsleep += 1 (seq_cst)             b full fence
 *   3 prepare_wait(W.park) (+fence)     c load nsleep; 0: done (no syscall)
 *   4 re-check: queues, stop, W.asleep  d find a worker with asleep == 1,
 *   5 commit_wait, or cancel_wait         claim it (CAS 1 -> 0), nsleep -= 1,
 *   6 asleep 1 -> 0: nsleep -= 1          notify_one(its park)
 *
 * The race it closes: S pushes while W is between "queue empty" and the
 * futex wait.  2-4 against a-c is a store-buffering pair: either S's load
 * of nsleep (c) sees W's increment, or W's re-check (4) sees the task.  In
 * the first case S claims some sleeper (W or another, which also
 * re-checks before sleeping), and the park's own prepare/notify pair
 * guarantees that worker either sees the task in its re-check or is woken
 * by the notify.  Because the flag (1) is stored before the count (2),
 * every sleeper S can count is already claimable.  A claimed worker sees
 * asleep == 0 in its re-check and does not sleep.  When nobody sleeps, a
 * submit costs one fence and one load of a read-mostly line: no store and
 * no syscall (oneTBB's rule: wake only when some thread sleeps).
 *
 * Shutdown.  A gate word counts submitters in flight and has a closed bit:
 * shutdown closes it and waits for the count to drain, so after that no
 * task can enter a queue; then it tells the workers to stop (drain: after
 * the queues are empty; cancel: at once) and wakes them, joins them, and
 * counts what cancel left behind. */
#include "internal.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <llt/clock.h>
#include <llt/cpu.h>
#include <llt/park.h>
#include <llt/threadpool.h>

#include "sched_attr.h"
#include "taskq.h"
#include "threadpool_impl.h"

#define GATE_CLOSED (UINT64_C(1) << 63)

enum { RUNNING = 0, STOP_DRAIN = 1, STOP_CANCEL = 2 };

static __thread struct llt_tp_worker *tls_worker __attribute__((tls_model("initial-exec")));

/* ------------------------------------------------------------ placement */

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/* The CPUs of a placement policy, in the order workers take them.
 * Returns how many (>= 1), or -errno. */
int llt_tp_impl_place(const struct llt_threadpool_attr *a, int **out)
{
	struct llt_cpu_topology *topo = NULL;
	int r = llt_cpu_topology_create(&topo);
	if (r < 0)
		return r;
	int n = llt_cpu_topology_count(topo);
	int *allowed = malloc((size_t)n * sizeof *allowed);
	int *res = malloc((size_t)(n + 1) * sizeof *res);
	struct llt_cpu_info *info = malloc((size_t)n * sizeof *info);
	bool *used = calloc((size_t)n, sizeof *used);
	int k = 0;
	r = -ENOMEM;
	if (!allowed || !res || !info || !used)
		goto out;
	int na = llt_cpu_topology_allowed(topo, allowed, (size_t)n);
	for (int i = 0; i < n; i++)
		llt_cpu_topology_info(topo, i, &info[i]);
	r = -ENODEV;
	if (na <= 0)
		goto out;

	switch (a->placement) {
	case LLT_THREADPOOL_UNPINNED:
		res[k++] = -1;
		break;
	case LLT_THREADPOOL_COMPACT:
		/* Ascending; each CPU followed by its allowed SMT siblings,
		 * so a core fills before the next one starts. */
		for (int i = 0; i < na; i++) {
			int c = allowed[i];
			if (used[c])
				continue;
			int sib[64];
			int ns = llt_cpu_topology_siblings(topo, c, sib, 64);
			if (ns <= 0) {
				sib[0] = c;
				ns = 1;
			}
			if (ns > 64)
				ns = 64;
			res[k++] = c;
			used[c] = true;
			for (int j = 0; j < ns; j++)
				if (!used[sib[j]] && info[sib[j]].allowed) {
					res[k++] = sib[j];
					used[sib[j]] = true;
				}
		}
		break;
	case LLT_THREADPOOL_PHYSICAL:
	case LLT_THREADPOOL_SCATTER: {
		/* First the first allowed thread of every core, then (scatter
		 * only) the other threads.  Scatter deals each round over the
		 * groups: LLC if known, else NUMA node, else package. */
		int passes = a->placement == LLT_THREADPOOL_PHYSICAL ? 1 : 2;
		for (int pass = 0; pass < passes; pass++) {
			/* The candidates of this pass, ascending. */
			int *cand = malloc((size_t)na * sizeof *cand);
			if (!cand) {
				r = -ENOMEM;
				goto out;
			}
			int nc = 0;
			for (int i = 0; i < na; i++) {
				int c = allowed[i];
				if (used[c])
					continue;
				bool first = true;
				if (pass == 0) {
					int sib[64];
					int ns = llt_cpu_topology_siblings(topo, c, sib, 64);
					for (int j = 0; j < ns && j < 64; j++)
						if (sib[j] < c && info[sib[j]].allowed)
							first = false;
				}
				if (first)
					cand[nc++] = c;
			}
			if (a->placement == LLT_THREADPOOL_PHYSICAL) {
				for (int i = 0; i < nc; i++)
					res[k++] = cand[i];
				free(cand);
				break;
			}
			/* Group key of each candidate, then deal round-robin. */
			int *key = malloc((size_t)(nc ? nc : 1) * sizeof *key);
			int *keys = malloc((size_t)(nc ? nc : 1) * sizeof *keys);
			bool *taken = calloc((size_t)(nc ? nc : 1), sizeof *taken);
			if (!key || !keys || !taken) {
				free(cand), free(key), free(keys), free(taken);
				r = -ENOMEM;
				goto out;
			}
			for (int i = 0; i < nc; i++) {
				const struct llt_cpu_info *ci = &info[cand[i]];
				key[i] = ci->llc >= 0 ? ci->llc
					 : ci->node >= 0 ? 100000 + ci->node
					 : ci->package >= 0 ? 200000 + ci->package : 0;
				keys[i] = key[i];
			}
			qsort(keys, (size_t)nc, sizeof *keys, cmp_int);
			int ng = 0;
			for (int i = 0; i < nc; i++)
				if (i == 0 || keys[i] != keys[i - 1])
					keys[ng++] = keys[i];
			for (int left = nc; left > 0;)
				for (int g = 0; g < ng; g++)
					for (int i = 0; i < nc; i++)
						if (!taken[i] && key[i] == keys[g]) {
							taken[i] = true;
							res[k++] = cand[i];
							used[cand[i]] = true;
							left--;
							break;
						}
			free(cand), free(key), free(keys), free(taken);
		}
		break;
	}
	case LLT_THREADPOOL_LIST:
		if (!a->cpus || a->ncpus == 0 || a->ncpus > 4096) {
			r = -EINVAL;
			goto out;
		}
		free(res);
		res = malloc(a->ncpus * sizeof *res);
		if (!res) {
			r = -ENOMEM;
			goto out;
		}
		for (size_t i = 0; i < a->ncpus; i++) {
			int c = a->cpus[i];
			/* NOLINTNEXTLINE(clang-analyzer-core.uninitialized.Branch): info[0..n) were all filled by llt_cpu_topology_info above. */
			if (c < 0 || c >= n || !info[c].allowed || !llt_cpu_is_allowed(c)) {
				r = -EINVAL;
				goto out;
			}
			res[k++] = c;
		}
		break;
	default:
		r = -EINVAL;
		goto out;
	}
	r = k;
out:
	llt_cpu_topology_free(topo);
	free(allowed);
	free(info);
	free(used);
	if (r > 0)
		*out = res;
	else
		free(res);
	return r;
}

/* --------------------------------------------------------------- counters */

/* One writer (the worker): a load and a store; relaxed, so
 * llt_threadpool_stats() may read them from any thread. */
static inline void count(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

/* ----------------------------------------------------------------- wakes */

/* Steps a-d of the protocol at the top of this file. */
static void wake_one(struct llt_threadpool *p)
{
	/* b: the submitter's half of the store-buffering pair with 2-4. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	/* Relaxed: ordered by the fence above against the sleeper's
	 * seq_cst increment (and its prepare_wait fence). */
	if (__atomic_load_n(&p->nsleep, __ATOMIC_RELAXED) == 0)
		return;
	unsigned n = p->nworkers;
	unsigned start = __atomic_fetch_add(&p->wake_rr, 1, __ATOMIC_RELAXED);
	for (unsigned i = 0; i < n; i++) {
		struct llt_tp_worker *w = &p->workers[(start + i) % n];
		uint32_t one = 1;
		if (__atomic_load_n(&w->asleep, __ATOMIC_RELAXED) == 1 &&
		    __atomic_compare_exchange_n(&w->asleep, &one, 0, false, __ATOMIC_SEQ_CST,
						__ATOMIC_RELAXED)) {
			__atomic_fetch_sub(&p->nsleep, 1, __ATOMIC_SEQ_CST);
			llt_park_notify_one(&w->park);
			return;
		}
	}
}

static bool worker_has_work(struct llt_tp_worker *w)
{
	return llt_taskq_maybe_nonempty(&w->q) || llt_taskq_maybe_nonempty(&w->pool->shared);
}

/* Steps 1-6 for worker w. */
static void worker_sleep(struct llt_tp_worker *w)
{
	struct llt_threadpool *p = w->pool;
	__atomic_store_n(&w->asleep, 1, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&p->nsleep, 1, __ATOMIC_SEQ_CST);
	uint32_t key = llt_park_prepare_wait(&w->park);
	if (worker_has_work(w) || __atomic_load_n(&p->state, __ATOMIC_SEQ_CST) != RUNNING ||
	    __atomic_load_n(&w->asleep, __ATOMIC_SEQ_CST) == 0)
		llt_park_cancel_wait(&w->park);
	else
		llt_park_commit_wait(&w->park, key, 0);
	/* Not claimed by a submitter: withdraw from the count ourselves. */
	if (__atomic_exchange_n(&w->asleep, 0, __ATOMIC_SEQ_CST) == 1)
		__atomic_fetch_sub(&p->nsleep, 1, __ATOMIC_SEQ_CST);
}

/* ----------------------------------------------------------------- worker */

static bool take(struct llt_tp_worker *w, struct llt_impl_task *t)
{
	return llt_taskq_pop(&w->q, t) || llt_taskq_pop(&w->pool->shared, t);
}

static void run(struct llt_tp_worker *w, struct llt_impl_task *t)
{
	t->fn(t->arg);
	count(&w->executed, 1);
	/* A slot is free: wake blocked submitters (a fence and a load when
	 * none waits). */
	llt_park_notify_all(&w->pool->not_full);
}

/* Ask for a shorter EEVDF time slice (sched_setattr(2) with
 * SCHED_OTHER and sched_runtime, Linux 6.12+; earlier kernels ignore the
 * field).  Why: an unpinned worker woken while the submitter spins may be
 * queued on the submitter's CPU (the kernel keeps it there when the
 * other CPU does not look idle, as a halted vCPU often does not), and
 * then waits for the submitter's slice to run out: 2-4 ms here.  A woken
 * task with a shorter slice preempts at once (the kernel's PREEMPT_SHORT).
 * Fair shares do not change, only how finely they are cut.  Best effort:
 * a kernel or seccomp policy that refuses it leaves the default. */
static void set_slice(unsigned us)
{
#ifdef SYS_sched_setattr
	struct llt_impl_sched_attr sa;
	memset(&sa, 0, sizeof sa);
	sa.size = sizeof sa;
	sa.policy = SCHED_OTHER;
	/* Keep the thread's nice value: SCHED_OTHER's sched_setattr sets it. */
	errno = 0;
	int nice = getpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid));
	if (errno != 0 || sched_getscheduler(0) != SCHED_OTHER)
		return;
	sa.nice = nice;
	sa.runtime = (uint64_t)us * 1000u;
	(void)syscall(SYS_sched_setattr, 0, &sa, 0);
#else
	(void)us;
#endif
}

static void *worker_main(void *arg)
{
	struct llt_tp_worker *w = arg;
	struct llt_threadpool *p = w->pool;
	char name[16];
	snprintf(name, sizeof name, "%s%u", p->name, w->index);
	pthread_setname_np(pthread_self(), name);
	if (w->cpu >= 0)
		w->pin_result = llt_cpu_pin(w->cpu);
	tls_worker = w;
	if (p->slice_us)
		set_slice(p->slice_us);
	if (p->on_start)
		p->on_start(w->index, p->hook_arg);

	uint64_t spin = p->spin_ns == UINT64_MAX ? 0 : llt_clock_from_ns(p->spin_ns);
	struct llt_impl_task t;
	for (;;) {
		/* Acquire: pairs with the release store of the state in
		 * shutdown, after the gate drained. */
		unsigned st = __atomic_load_n(&p->state, __ATOMIC_ACQUIRE);
		if (st == STOP_CANCEL)
			break;
		if (take(w, &t)) {
			run(w, &t);
			continue;
		}
		if (st == STOP_DRAIN) {
			/* No submitter is left (the gate is closed and
			 * drained): empty now means empty for good. */
			if (!worker_has_work(w))
				break;
			continue;
		}
		/* Idle: spin (polling, which costs submitters nothing), then
		 * yield or park. */
		bool found = false;
		uint64_t t0 = llt_clock_now();
		do {
			llt_cpu_relax();
			if (worker_has_work(w) ||
			    __atomic_load_n(&p->state, __ATOMIC_RELAXED) != RUNNING) {
				found = true;
				break;
			}
		} while (p->idle == LLT_THREADPOOL_IDLE_SPIN || llt_clock_now() - t0 < spin);
		if (found)
			continue;
		if (p->idle == LLT_THREADPOOL_IDLE_YIELD)
			sched_yield();
		else
			worker_sleep(w);
	}
	if (p->on_stop)
		p->on_stop(w->index, p->hook_arg);
	tls_worker = NULL;
	return NULL;
}

/* ---------------------------------------------------------------- set-up */

int llt_threadpool_create(const struct llt_threadpool_attr *attr, struct llt_threadpool **out)
{
	struct llt_threadpool_attr a;
	memset(&a, 0, sizeof a);
	if (attr)
		a = *attr;
	if (!out || a.flags || a.reserved || a.idle > LLT_THREADPOOL_IDLE_YIELD ||
	    (a.slice_us && a.slice_us != LLT_THREADPOOL_SLICE_KERNEL &&
	     (a.slice_us < 100 || a.slice_us > 100000)) ||
	    a.placement > LLT_THREADPOOL_UNPINNED || a.workers > 4096 ||
	    a.queue_capacity > ((size_t)1 << 30) || (a.name && strlen(a.name) > 10) ||
	    (a.placement != LLT_THREADPOOL_LIST && (a.cpus || a.ncpus)))
		return -EINVAL;
	int *cpus = NULL;
	int ncpu = llt_tp_impl_place(&a, &cpus);
	if (ncpu < 0)
		return ncpu;
	unsigned nw = a.workers;
	if (nw == 0)
		nw = a.placement == LLT_THREADPOOL_UNPINNED
			     ? (unsigned)llt_impl_cpu_allowed_list(NULL, 0) : (unsigned)ncpu;
	if (nw == 0)
		nw = 1;
	/* One per physical core means at most one per core. */
	if (a.placement == LLT_THREADPOOL_PHYSICAL && nw > (unsigned)ncpu) {
		free(cpus);
		return -EINVAL;
	}
	size_t cap = a.queue_capacity ? a.queue_capacity : LLT_THREADPOOL_QUEUE_DEFAULT;

	struct llt_threadpool *p = NULL;
	if (posix_memalign((void **)&p, LLT_PAD_SIZE, sizeof *p) != 0) {
		free(cpus);
		return -ENOMEM;
	}
	memset(p, 0, sizeof *p);
	if (posix_memalign((void **)&p->workers, LLT_PAD_SIZE, nw * sizeof *p->workers) != 0) {
		free(p);
		free(cpus);
		return -ENOMEM;
	}
	memset(p->workers, 0, nw * sizeof *p->workers);
	p->nworkers = nw;
	p->idle = a.idle;
	/* A spinning or yielding worker is not woken, so it gains nothing
	 * from a short slice, and sharing a CPU it would lose (measured:
	 * more multi-ms outliers of the unpinned spinning wake-up bench). */
	if (a.slice_us == LLT_THREADPOOL_SLICE_KERNEL)
		p->slice_us = 0;
	else if (a.slice_us)
		p->slice_us = a.slice_us;
	else
		p->slice_us = a.idle == LLT_THREADPOOL_IDLE_PARK ? LLT_THREADPOOL_SLICE_DEFAULT_US : 0;
	p->spin_ns = a.spin_ns ? a.spin_ns : LLT_THREADPOOL_SPIN_DEFAULT_NS;
	p->on_start = a.on_start;
	p->on_stop = a.on_stop;
	p->hook_arg = a.hook_arg;
	snprintf(p->name, sizeof p->name, "%s", a.name ? a.name : "llt-w");
	int r = llt_taskq_init(&p->shared, cap);
	llt_park_init(&p->not_full, 0);
	unsigned made = 0;
	for (unsigned i = 0; r == 0 && i < nw; i++) {
		struct llt_tp_worker *w = &p->workers[i];
		w->pool = p;
		w->index = i;
		/* NOLINTNEXTLINE(clang-analyzer-core.DivideZero): llt_tp_impl_place returns a count >= 1 or a negative errno. */
		w->cpu = cpus[i % (unsigned)ncpu];
		llt_park_init(&w->park, 0);
		r = llt_taskq_init(&w->q, cap);
		if (r == 0)
			made++;
	}
	free(cpus);
	unsigned started = 0;
	for (unsigned i = 0; r == 0 && i < nw; i++) {
		r = -pthread_create(&p->workers[i].thread, NULL, worker_main, &p->workers[i]);
		if (r == 0)
			started++;
	}
	if (r != 0) {
		/* Undo: stop what started (no task was submitted yet). */
		__atomic_store_n(&p->state, STOP_CANCEL, __ATOMIC_SEQ_CST);
		for (unsigned i = 0; i < started; i++) {
			llt_park_notify_all(&p->workers[i].park);
			pthread_join(p->workers[i].thread, NULL);
		}
		for (unsigned i = 0; i < made; i++)
			llt_taskq_destroy(&p->workers[i].q);
		llt_taskq_destroy(&p->shared);
		free(p->workers);
		free(p);
		return r;
	}
	*out = p;
	return 0;
}

int llt_threadpool_shutdown(struct llt_threadpool *p, unsigned mode)
{
	if (!p || mode > LLT_THREADPOOL_CANCEL)
		return -EINVAL;
	if (tls_worker && tls_worker->pool == p)
		return -EDEADLK;
	/* One caller performs it; a second one gets -EALREADY. */
	if (__atomic_fetch_or(&p->gate, GATE_CLOSED, __ATOMIC_SEQ_CST) & GATE_CLOSED)
		return -EALREADY;
	/* Wake submitters blocked on a full queue: they see the gate closed
	 * and leave.  Then wait for every submitter in flight. */
	llt_park_notify_all(&p->not_full);
	while ((__atomic_load_n(&p->gate, __ATOMIC_ACQUIRE) & ~GATE_CLOSED) != 0) {
		llt_park_notify_all(&p->not_full);
		sched_yield();
	}
	/* Release: pairs with the workers' acquire load of the state. */
	__atomic_store_n(&p->state, mode == LLT_THREADPOOL_CANCEL ? STOP_CANCEL : STOP_DRAIN,
			 __ATOMIC_SEQ_CST);
	for (unsigned i = 0; i < p->nworkers; i++)
		llt_park_notify_all(&p->workers[i].park);
	for (unsigned i = 0; i < p->nworkers; i++)
		pthread_join(p->workers[i].thread, NULL);
	/* Whatever cancel left behind is dropped and counted. */
	uint64_t dropped = 0;
	struct llt_impl_task t;
	while (llt_taskq_pop(&p->shared, &t))
		dropped++;
	for (unsigned i = 0; i < p->nworkers; i++)
		while (llt_taskq_pop(&p->workers[i].q, &t))
			dropped++;
	__atomic_store_n(&p->cancelled, dropped, __ATOMIC_RELAXED);
	__atomic_store_n(&p->joined, 1, __ATOMIC_RELEASE);
	return dropped > INT32_MAX ? INT32_MAX : (int)dropped;
}

void llt_threadpool_free(struct llt_threadpool *p)
{
	if (!p)
		return;
	if (!__atomic_load_n(&p->joined, __ATOMIC_ACQUIRE))
		llt_threadpool_shutdown(p, LLT_THREADPOOL_DRAIN);
	for (unsigned i = 0; i < p->nworkers; i++) {
		llt_taskq_destroy(&p->workers[i].q);
		llt_park_destroy(&p->workers[i].park);
	}
	llt_taskq_destroy(&p->shared);
	llt_park_destroy(&p->not_full);
	free(p->workers);
	free(p);
}

/* ------------------------------------------------------------ submission */

static int submit(struct llt_threadpool *p, struct llt_tp_worker *target, void (*fn)(void *),
		  void *arg, bool block)
{
	if (!p || !fn)
		return -EINVAL;
	/* Enter the gate (seq_cst RMW: shutdown's fetch_or and this are
	 * ordered; whoever comes second sees the other). */
	if (__atomic_fetch_add(&p->gate, 1, __ATOMIC_SEQ_CST) & GATE_CLOSED) {
		__atomic_fetch_sub(&p->gate, 1, __ATOMIC_RELEASE);
		return -EPIPE;
	}
	struct llt_taskq *q = target ? &target->q : &p->shared;
	struct llt_impl_task t = {fn, arg, 0, 0};
	int r = 0;
	if (!llt_taskq_push(q, &t)) {
		__atomic_fetch_add(&p->full, 1, __ATOMIC_RELAXED);
		r = -EAGAIN;
		if (block) {
			/* Backpressure: spin, then park until a worker frees a
			 * slot (it notifies not_full after every task). */
			uint64_t t0 = llt_clock_now(), span = llt_clock_from_ns(p->spin_ns);
			for (;;) {
				if (llt_taskq_push(q, &t)) {
					r = 0;
					break;
				}
				if (__atomic_load_n(&p->gate, __ATOMIC_ACQUIRE) & GATE_CLOSED) {
					r = -EPIPE;
					break;
				}
				if (llt_clock_now() - t0 < span) {
					llt_cpu_relax();
					continue;
				}
				uint32_t key = llt_park_prepare_wait(&p->not_full);
				if (llt_taskq_push(q, &t)) {
					llt_park_cancel_wait(&p->not_full);
					r = 0;
					break;
				}
				if (__atomic_load_n(&p->gate, __ATOMIC_SEQ_CST) & GATE_CLOSED) {
					llt_park_cancel_wait(&p->not_full);
					r = -EPIPE;
					break;
				}
				llt_park_commit_wait(&p->not_full, key, 0);
			}
		}
	}
	if (r == 0) {
		__atomic_fetch_add(&p->submitted, 1, __ATOMIC_RELAXED);
		if (target)
			/* The target's own park: a fence and a load unless it
			 * sleeps (the park's prepare/notify pair). */
			llt_park_notify_one(&target->park);
		else if (p->idle == LLT_THREADPOOL_IDLE_PARK)
			wake_one(p);
	}
	/* Release: shutdown's acquire load of the gate then sees the push. */
	__atomic_fetch_sub(&p->gate, 1, __ATOMIC_RELEASE);
	return r;
}

int llt_threadpool_submit(struct llt_threadpool *p, void (*fn)(void *), void *arg)
{
	return submit(p, NULL, fn, arg, true);
}

int llt_threadpool_try_submit(struct llt_threadpool *p, void (*fn)(void *), void *arg)
{
	return submit(p, NULL, fn, arg, false);
}

int llt_threadpool_submit_to(struct llt_threadpool *p, unsigned worker, void (*fn)(void *), void *arg)
{
	if (!p || worker >= p->nworkers)
		return -EINVAL;
	return submit(p, &p->workers[worker], fn, arg, true);
}

int llt_threadpool_try_submit_to(struct llt_threadpool *p, unsigned worker, void (*fn)(void *),
				 void *arg)
{
	if (!p || worker >= p->nworkers)
		return -EINVAL;
	return submit(p, &p->workers[worker], fn, arg, false);
}

/* ------------------------------------------------------------ inspection */

unsigned llt_threadpool_size(const struct llt_threadpool *p)
{
	return p ? p->nworkers : 0;
}

int llt_threadpool_worker_cpu(const struct llt_threadpool *p, unsigned worker)
{
	if (!p || worker >= p->nworkers)
		return -EINVAL;
	return p->workers[worker].cpu;
}

int llt_threadpool_current(const struct llt_threadpool *p)
{
	struct llt_tp_worker *w = tls_worker;
	if (!w || (p && w->pool != p))
		return -1;
	return (int)w->index;
}

void llt_threadpool_stats(const struct llt_threadpool *p, struct llt_threadpool_stats *st)
{
	if (!p || !st)
		return;
	memset(st, 0, sizeof *st);
	st->submitted = __atomic_load_n(&p->submitted, __ATOMIC_RELAXED);
	st->cancelled = __atomic_load_n(&p->cancelled, __ATOMIC_RELAXED);
	st->full = __atomic_load_n(&p->full, __ATOMIC_RELAXED);
	for (unsigned i = 0; i < p->nworkers; i++) {
		struct llt_park_stats ps;
		st->executed += __atomic_load_n(&p->workers[i].executed, __ATOMIC_RELAXED);
		llt_park_stats(&p->workers[i].park, &ps);
		st->parks += ps.parks;
		st->wakes += ps.wakes;
	}
}

/* For the scheduler, which runs its workers on a pool. */
struct llt_tp_worker *llt_tp_impl_self(void)
{
	return tls_worker;
}
