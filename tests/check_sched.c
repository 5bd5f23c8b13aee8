/* llt/sched: the Chase-Lev deque under owner/thief races (exactly once,
 * with growth), fib and other fork-join trees with 1, 2 and 4 workers,
 * stealing counted, parallel_for visits every index once, spawns from
 * outside and inside, groups owned by a worker (local counts, stolen
 * tasks, spawns from other workers, parked waits, -EPERM for others),
 * placement, sleep/wake without lost wake-ups, drain at free, bad input. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <llt/cpu.h>
#include <llt/sched.h>
#include <llt/threadpool.h>

#include "../lib/sched_deque.h"
#include "testutil.h"

static void sleep_us(unsigned us)
{
	struct timespec ts = {us / 1000000, (long)(us % 1000000) * 1000L};
	nanosleep(&ts, NULL);
}

/* ----------------------------------------------------------- the deque */

struct dqrun {
	struct llt_dq dq;
	uint64_t n;
	_Atomic uint8_t *seen;
	_Atomic int owner_done;
	_Atomic uint64_t taken;
	uint64_t bad;
};

static void dq_record(struct dqrun *r, const struct llt_impl_task *t)
{
	uint64_t v = (uint64_t)(uintptr_t)t->arg;
	/* The four words travel together. */
	if (v >= r->n || t->a != v * 3 || t->b != ~v || (uintptr_t)t->fn != v + 1)
		r->bad++;
	else
		atomic_fetch_add_explicit(&r->seen[v], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&r->taken, 1, memory_order_relaxed);
}

struct thief {
	struct dqrun *r;
	uint64_t got, bad;
	pthread_t t;
};

static void *thief_main(void *arg)
{
	struct thief *th = arg;
	struct dqrun *r = th->r;
	struct llt_impl_task t;
	for (;;) {
		int s = llt_dq_steal(&r->dq, &t);
		if (s > 0) {
			uint64_t v = (uint64_t)(uintptr_t)t.arg;
			if (v >= r->n || t.a != v * 3 || t.b != ~v || (uintptr_t)t.fn != v + 1)
				th->bad++;
			else
				atomic_fetch_add_explicit(&r->seen[v], 1, memory_order_relaxed);
			th->got++;
		} else if (s == 0 && atomic_load(&r->owner_done)) {
			if (llt_dq_steal(&r->dq, &t) == 0)
				break;
			/* A late one: put it back through the same path. */
			uint64_t v = (uint64_t)(uintptr_t)t.arg;
			atomic_fetch_add_explicit(&r->seen[v], 1, memory_order_relaxed);
			th->got++;
		} else {
			llt_cpu_relax();
		}
	}
	return NULL;
}

START_TEST(deque_owner_thief_races)
{
	struct dqrun r;
	memset(&r, 0, sizeof r);
	r.n = (uint64_t)(2000000 * llt_test_scale());
	r.seen = calloc(r.n, 1);
	ck_assert_int_eq(llt_dq_init(&r.dq, 16), 0); /* small: it must grow */
	struct thief th[2] = {{&r, 0, 0, 0}, {&r, 0, 0, 0}};
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_create(&th[i].t, NULL, thief_main, &th[i]), 0);
	uint64_t seed = 99, owner_got = 0;
	struct llt_impl_task t;
	for (uint64_t v = 0; v < r.n;) {
		uint64_t x = llt_test_rnd(&seed);
		/* Bursts of pushes, then pops: depth varies from 0 to ~1000. */
		unsigned k = (unsigned)(x % 64);
		for (unsigned j = 0; j < k && v < r.n; j++, v++) {
			struct llt_impl_task p = {(void (*)(void *))(uintptr_t)(v + 1), (void *)(uintptr_t)v,
						  (uintptr_t)(v * 3), (uintptr_t)~v};
			ck_assert_int_ge(llt_dq_push(&r.dq, &p), 0);
		}
		unsigned m = (unsigned)((x >> 8) % 60);
		for (unsigned j = 0; j < m; j++)
			if (llt_dq_take(&r.dq, &t)) {
				dq_record(&r, &t);
				owner_got++;
			}
	}
	while (llt_dq_take(&r.dq, &t)) {
		dq_record(&r, &t);
		owner_got++;
	}
	atomic_store(&r.owner_done, 1);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i].t, NULL);
	ck_assert_uint_eq(r.bad + th[0].bad + th[1].bad, 0);
	for (uint64_t v = 0; v < r.n; v++)
		ck_assert_msg(r.seen[v] == 1, "element %llu taken %u times", (unsigned long long)v,
			      r.seen[v]);
	ck_assert_uint_eq(owner_got + th[0].got + th[1].got, r.n);
	printf("deque: %llu elements, owner %llu, thieves %llu + %llu, final size %lld\n",
	       (unsigned long long)r.n, (unsigned long long)owner_got, (unsigned long long)th[0].got,
	       (unsigned long long)th[1].got, (long long)r.dq.array->size);
	ck_assert_int_gt(r.dq.array->size, 16);
	llt_dq_destroy(&r.dq);
	free(r.seen);
}
END_TEST

/* The last element: owner take against one thief, many times. */
START_TEST(deque_last_element)
{
	struct dqrun r;
	memset(&r, 0, sizeof r);
	ck_assert_int_eq(llt_dq_init(&r.dq, 16), 0);
	/* The thief must win the race at least once, or the test proves
	 * nothing; under qemu-user or on a loaded machine it may not run
	 * during the first rounds, so go on (up to 64x the rounds, 10 s) until
	 * it has.  After each round the deque is empty again, so the thief
	 * has won a round exactly when the owner took fewer than were pushed. */
	uint64_t base = (uint64_t)(200000 * llt_test_scale()), total = 0;
	r.n = base * 64;                /* the thief checks values against it */
	/* Under qemu-user the thief's steal is hundreds of emulated
	 * instructions: widen the owner's window to match. */
	uint64_t window = llt_test_qemu() ? 50 : 1;
	r.seen = calloc(r.n, 1);
	struct thief th = {&r, 0, 0, 0};
	ck_assert_int_eq(pthread_create(&th.t, NULL, thief_main, &th), 0);
	struct llt_impl_task t;
	uint64_t owner_got = 0, t0 = llt_test_mono_ns();
	for (uint64_t v = 0; v < base || (owner_got == v && v < r.n &&
					  llt_test_mono_ns() - t0 < 10000000000u); v++) {
		total = v + 1;
		struct llt_impl_task p = {(void (*)(void *))(uintptr_t)(v + 1), (void *)(uintptr_t)v,
					  (uintptr_t)(v * 3), (uintptr_t)~v};
		llt_dq_push(&r.dq, &p);
		/* Give the thief a window of random length. */
		for (uint64_t k = v * 2654435761u % 97 * window; k; k--)
			llt_cpu_relax();
		if (llt_dq_take(&r.dq, &t)) {
			dq_record(&r, &t);
			owner_got++;
		}
	}
	atomic_store(&r.owner_done, 1);
	pthread_join(th.t, NULL);
	ck_assert_uint_eq(r.bad + th.bad, 0);
	for (uint64_t v = 0; v < total; v++)
		ck_assert_uint_eq(r.seen[v], 1);
	for (uint64_t v = total; v < r.n; v++)
		ck_assert_uint_eq(r.seen[v], 0);
	ck_assert_uint_eq(owner_got + th.got, total);
	ck_assert_uint_gt(th.got, 0); /* the race was really run */
	printf("last element: owner %llu, thief %llu\n", (unsigned long long)owner_got,
	       (unsigned long long)th.got);
	llt_dq_destroy(&r.dq);
	free(r.seen);
}
END_TEST

/* --------------------------------------------------------------- fib */

static struct llt_sched *S;

struct fib {
	int n;
	long r;
};

static void fib_task(void *p)
{
	struct fib *f = p;
	if (f->n < 2) {
		f->r = f->n;
		return;
	}
	struct fib a = {f->n - 1, 0}, b = {f->n - 2, 0};
	struct llt_sched_group g;
	llt_sched_group_init(&g, S);
	llt_sched_spawn(&g, fib_task, &a);
	fib_task(&b);
	llt_sched_wait(&g);
	f->r = a.r + b.r;
}

/* A wider tree: k children per node, each adds its leaves to a total. */
static _Atomic long tree_leaves;

struct tree {
	int depth, width;
};

static void tree_task(void *p)
{
	struct tree *t = p;
	if (t->depth == 0) {
		atomic_fetch_add_explicit(&tree_leaves, 1, memory_order_relaxed);
		return;
	}
	struct tree kids[8];
	struct llt_sched_group g;
	llt_sched_group_init(&g, S);
	for (int i = 0; i < t->width; i++) {
		kids[i] = (struct tree){t->depth - 1, t->width};
		ck_assert_int_eq(llt_sched_spawn(&g, tree_task, &kids[i]), 0);
	}
	llt_sched_wait(&g);
}

static void fib_with(unsigned workers)
{
	struct llt_sched_attr a = {.pool = {.workers = workers}};
	ck_assert_int_eq(llt_sched_create(&a, &S), 0);
	ck_assert_uint_eq(llt_sched_size(S), workers);
	/* From outside: the root goes through the injector. */
	struct fib f = {25, 0};
	struct llt_sched_group g;
	llt_sched_group_init(&g, S);
	ck_assert_int_eq(llt_sched_spawn(&g, fib_task, &f), 0);
	ck_assert_int_eq(llt_sched_wait(&g), 0);
	ck_assert_int_eq(f.r, 75025);
	/* Reuse the group, a few roots at once. */
	struct fib fs[4] = {{20, 0}, {21, 0}, {22, 0}, {1, 0}};
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(llt_sched_spawn(&g, fib_task, &fs[i]), 0);
	ck_assert_int_eq(llt_sched_wait(&g), 0);
	ck_assert_int_eq(fs[0].r + fs[1].r + fs[2].r + fs[3].r, 6765 + 10946 + 17711 + 1);
	atomic_store(&tree_leaves, 0);
	struct tree t = {6, 6};
	ck_assert_int_eq(llt_sched_spawn(&g, tree_task, &t), 0);
	llt_sched_wait(&g);
	ck_assert_int_eq(atomic_load(&tree_leaves), 46656);
	struct llt_sched_stats st;
	llt_sched_stats(S, &st);
	printf("%u workers: spawned %llu, injected %llu, executed %llu, steals %llu, parks %llu, wakes %llu\n",
	       workers, (unsigned long long)st.spawned, (unsigned long long)st.injected,
	       (unsigned long long)st.executed, (unsigned long long)st.steals,
	       (unsigned long long)st.parks, (unsigned long long)st.wakes);
	ck_assert_uint_eq(st.executed, st.spawned + st.injected);
	if (workers > 1) {
		/* Stealing really happens.  On a loaded 2-CPU machine (make -j2
		 * check runs another suite beside this one, under ASan 3x
		 * slower) the second worker may not get a CPU while the work
		 * above lasts, so go on giving it work, up to 10 s: a thief
		 * that is never woken or never finds the owner's tasks (a lost
		 * wake-up, a broken steal) still fails. */
		uint64_t t0 = llt_test_mono_ns();
		unsigned extra = 0;
		while (st.steals == 0 && llt_test_mono_ns() - t0 < 10000000000u) {
			struct fib more = {22, 0};
			ck_assert_int_eq(llt_sched_spawn(&g, fib_task, &more), 0);
			ck_assert_int_eq(llt_sched_wait(&g), 0);
			ck_assert_int_eq(more.r, 17711);
			llt_sched_stats(S, &st);
			extra++;
		}
		if (extra)
			printf("%u workers: first steal after %u more fib(22) rounds\n", workers, extra);
		ck_assert_uint_gt(st.steals, 0);
	} else
		ck_assert_uint_eq(st.steals, 0);
	llt_sched_free(S);
	S = NULL;
}

START_TEST(fib_1)
{
	fib_with(1);
}
END_TEST

START_TEST(fib_2)
{
	fib_with(2);
}
END_TEST

START_TEST(fib_4)
{
	fib_with(4);
}
END_TEST

/* --------------------------------------------------------- parallel_for */

static _Atomic uint8_t *visits;

static void visit(size_t lo, size_t hi, void *ctx)
{
	(void)ctx;
	for (size_t i = lo; i < hi; i++)
		atomic_fetch_add_explicit(&visits[i], 1, memory_order_relaxed);
}

struct nested {
	size_t base, n, grain;
};

static void nested_for(void *p)
{
	struct nested *ns = p;
	llt_sched_parallel_for(S, ns->base, ns->base + ns->n, ns->grain, visit, NULL);
}

START_TEST(parallel_for_exactly_once)
{
	size_t n = (size_t)(1000000 * llt_test_scale());
	visits = calloc(n + 100, 1);
	struct llt_sched_attr a = {.pool = {.workers = 2}};
	ck_assert_int_eq(llt_sched_create(&a, &S), 0);
	size_t grains[] = {0, 1, 7, 1000, n * 2};
	uint8_t want = 0;
	for (size_t k = 0; k < sizeof grains / sizeof grains[0]; k++) {
		ck_assert_int_eq(llt_sched_parallel_for(S, 3, n, grains[k], visit, NULL), 0);
		want++;
		for (size_t i = 0; i < n + 100; i++)
			ck_assert_msg(visits[i] == (i >= 3 && i < n ? want : 0),
				      "grain %zu: index %zu visited %u times", grains[k], i, visits[i]);
	}
	/* Nested: parallel_for inside tasks, from inside the scheduler. */
	memset((void *)visits, 0, n + 100);
	struct nested ns[4];
	struct llt_sched_group g;
	llt_sched_group_init(&g, S);
	for (int i = 0; i < 4; i++) {
		ns[i] = (struct nested){(size_t)i * (n / 4), n / 4, (size_t)i * 3};
		ck_assert_int_eq(llt_sched_spawn(&g, nested_for, &ns[i]), 0);
	}
	llt_sched_wait(&g);
	for (size_t i = 0; i < 4 * (n / 4); i++)
		ck_assert_uint_eq(visits[i], 1);
	ck_assert_int_eq(llt_sched_parallel_for(S, 5, 5, 0, visit, NULL), 0);
	struct llt_sched_stats st;
	llt_sched_stats(S, &st);
	printf("parallel_for: splits %llu, steals %llu\n", (unsigned long long)st.splits,
	       (unsigned long long)st.steals);
	ck_assert_uint_gt(st.splits, 0);
	llt_sched_free(S);
	S = NULL;
	free(visits);
}
END_TEST

/* -------------------------------------------- spawns from outside/inside */

static _Atomic long sum;

static void add_one(void *arg)
{
	atomic_fetch_add_explicit(&sum, (long)(uintptr_t)arg, memory_order_relaxed);
}

struct fan {
	struct llt_sched_group *g;
	int k;
};

/* Spawns k children into the group it belongs to. */
static void fan_out(void *p)
{
	struct fan *f = p;
	for (int i = 0; i < f->k; i++)
		llt_sched_spawn(f->g, add_one, (void *)(uintptr_t)1);
}

struct ext {
	int n;
	struct fan fan;
	uint64_t seed;
};

static void *external(void *p)
{
	struct ext *e = p;
	struct llt_sched_group g;
	llt_sched_group_init(&g, S);
	e->fan.g = &g;
	for (int i = 0; i < e->n; i++) {
		llt_sched_spawn(&g, add_one, (void *)(uintptr_t)1);
		if (i % 100 == 0)
			llt_sched_spawn(&g, fan_out, &e->fan);
		if (llt_test_rnd(&e->seed) % 512 == 0)
			sleep_us(200); /* let the workers go to sleep */
		if (i % 1000 == 999)
			llt_sched_wait(&g); /* wait often, from outside */
	}
	llt_sched_wait(&g);
	return NULL;
}

START_TEST(spawn_outside_inside)
{
	struct llt_sched_attr a = {.pool = {.workers = 2}, .spin_ns = 5000, .injector_capacity = 64};
	ck_assert_int_eq(llt_sched_create(&a, &S), 0);
	atomic_store(&sum, 0);
	int n = (int)(100000 * llt_test_scale());
	struct ext e[2] = {{n, {NULL, 10}, 1}, {n, {NULL, 10}, 2}};
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, external, &e[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	long want = 2L * (n + ((n + 99) / 100) * 10);
	ck_assert_int_eq(atomic_load(&sum), want);
	struct llt_sched_stats st;
	llt_sched_stats(S, &st);
	printf("outside/inside: injected %llu, spawned %llu, parks %llu, wakes %llu\n",
	       (unsigned long long)st.injected, (unsigned long long)st.spawned,
	       (unsigned long long)st.parks, (unsigned long long)st.wakes);
	/* Detached submissions, drained by free. */
	atomic_store(&sum, 0);
	for (int i = 0; i < 1000; i++)
		ck_assert_int_eq(llt_sched_submit(S, add_one, (void *)(uintptr_t)2), 0);
	llt_sched_free(S);
	S = NULL;
	ck_assert_int_eq(atomic_load(&sum), 2000);
}
END_TEST

/* --------------------------------------------- groups owned by a worker */

/* A worker that initialises a group counts its own spawns locally and the
 * others' in the shared word; stolen local tasks drive the shared count
 * below zero until the owner's wait moves its local count in.  Trees of
 * tasks that spawn into their root's group from whichever worker runs
 * them, some of them slow (so that the owner's helping wait parks), must
 * all have finished when the wait returns, round after round. */
static struct llt_sched_group *owned_g;
static _Atomic long owned_done;
static _Atomic long owned_bad, owned_rounds;

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= UINT64_C(0xff51afd7ed558ccd);
	x ^= x >> 33;
	return x;
}

static void owned_child(void *p)
{
	uint64_t arg = (uint64_t)(uintptr_t)p;
	unsigned depth = (unsigned)(arg >> 32);
	uint64_t r = mix(arg);
	if (r % 16 == 0)
		sleep_us((unsigned)(r >> 8) % 200);
	else if (r % 4 == 0)
		for (volatile unsigned k = 0; k < (unsigned)(r >> 8) % 5000; k++)
			;
	if (depth > 0)
		for (uint64_t i = 0; i < 2; i++)
			if (llt_sched_spawn(owned_g, owned_child,
					    (void *)(uintptr_t)(((uint64_t)(depth - 1) << 32) |
								(uint32_t)mix(arg + i + 1))) != 0)
				atomic_fetch_add(&owned_bad, 1);
	atomic_fetch_add_explicit(&owned_done, 1, memory_order_release);
}

static struct llt_sched_group owned_group;

static void owned_root(void *p)
{
	int rounds = *(int *)p;
	struct llt_sched_group *gp = &owned_group;
	llt_sched_group_init(gp, S);
	owned_g = gp;
	for (int r = 0; r < rounds; r++) {
		atomic_store(&owned_done, 0);
		int k = 1 + r % 8;
		unsigned depth = (unsigned)(r % 4);
		for (int i = 0; i < k; i++)
			if (llt_sched_spawn(gp, owned_child,
					    (void *)(uintptr_t)(((uint64_t)depth << 32) |
								(uint32_t)mix((uint64_t)r * 8 + (uint64_t)i))) != 0)
				atomic_fetch_add(&owned_bad, 1);
		if (llt_sched_wait(gp) != 0)
			atomic_fetch_add(&owned_bad, 1);
		/* Every task of the round has finished: k trees of
		 * 2^(depth+1) - 1 tasks. */
		if (atomic_load_explicit(&owned_done, memory_order_acquire) !=
		    (long)k * ((2L << depth) - 1))
			atomic_fetch_add(&owned_bad, 1);
		atomic_fetch_add(&owned_rounds, 1);
	}
}

static struct llt_sched_group left_behind;

static void init_and_leave(void *p)
{
	(void)p;
	llt_sched_group_init(&left_behind, S);
}

START_TEST(owned_groups)
{
	struct llt_sched_attr a = {.pool = {.workers = 4}, .spin_ns = 2000};
	ck_assert_int_eq(llt_sched_create(&a, &S), 0);
	int rounds = (int)(3000 * llt_test_scale()) + 8;
	struct llt_sched_group g;
	llt_sched_group_init(&g, S);
	ck_assert_int_eq(llt_sched_spawn(&g, owned_root, &rounds), 0);
	ck_assert_int_eq(llt_sched_wait(&g), 0);
	ck_assert_int_eq(atomic_load(&owned_rounds), rounds);
	ck_assert_int_eq(atomic_load(&owned_bad), 0);
	struct llt_sched_stats st;
	llt_sched_stats(S, &st);
	printf("owned groups: %d rounds, spawned %llu, steals %llu, parks %llu\n", rounds,
	       (unsigned long long)st.spawned, (unsigned long long)st.steals,
	       (unsigned long long)st.parks);
	ck_assert_uint_gt(st.steals, 0);
	/* Only the owner may wait for a group a worker initialised. */
	ck_assert_int_eq(llt_sched_spawn(&g, init_and_leave, NULL), 0);
	ck_assert_int_eq(llt_sched_wait(&g), 0);
	ck_assert_int_eq(llt_sched_wait(&left_behind), -EPERM);
	llt_sched_free(S);
	S = NULL;
}
END_TEST

/* ------------------------------------------------- placement and sleep */

static _Atomic int placed_ok, placed_n;

static void where(void *arg)
{
	(void)arg;
	int i = llt_sched_current(S);
	int want = llt_threadpool_worker_cpu(llt_sched_pool(S), (unsigned)i);
	if (i >= 0 && want >= 0 && sched_getcpu() == want)
		atomic_fetch_add(&placed_ok, 1);
	atomic_fetch_add(&placed_n, 1);
	for (volatile int k = 0; k < 20000; k++)
		;
}

START_TEST(placement_and_idle)
{
	struct llt_sched_attr a = {.pool = {.workers = 2, .placement = LLT_THREADPOOL_SCATTER},
				   .spin_ns = 10000};
	ck_assert_int_eq(llt_sched_create(&a, &S), 0);
	ck_assert_int_eq(llt_sched_current(S), -1);
	struct llt_sched_group g;
	llt_sched_group_init(&g, S);
	for (int i = 0; i < 200; i++)
		llt_sched_spawn(&g, where, NULL);
	llt_sched_wait(&g);
	ck_assert_int_eq(atomic_load(&placed_n), 200);
	ck_assert_int_eq(atomic_load(&placed_ok), 200);
	/* At rest a scheduler sleeps. */
	sleep_us(50000);
	uint64_t c0 = llt_test_process_cpu_ns(), t0 = llt_test_mono_ns();
	sleep_us(200000);
	uint64_t used = llt_test_process_cpu_ns() - c0, wall = llt_test_mono_ns() - t0;
	printf("idle scheduler: %llu us of CPU in %llu us\n", (unsigned long long)used / 1000,
	       (unsigned long long)wall / 1000);
	ck_assert_uint_lt(used, wall / 50);
	/* Wake it up many times, at random moments: nothing is lost. */
	uint64_t seed = 5;
	atomic_store(&sum, 0);
	for (int i = 1; i <= 300; i++) {
		llt_sched_spawn(&g, add_one, (void *)(uintptr_t)1);
		llt_sched_wait(&g);
		ck_assert_int_eq(atomic_load(&sum), i);
		unsigned r = (unsigned)(llt_test_rnd(&seed) % 40);
		if (r < 10)
			sleep_us(r * 3);
	}
	llt_sched_free(S);
	S = NULL;
}
END_TEST

START_TEST(bad_input)
{
	struct llt_sched *s = (void *)1;
	struct llt_sched_attr a = {.flags = 1};
	ck_assert_int_eq(llt_sched_create(NULL, NULL), -EINVAL);
	ck_assert_int_eq(llt_sched_create(&a, &s), -EINVAL);
	a = (struct llt_sched_attr){.pool = {.idle = LLT_THREADPOOL_IDLE_YIELD}};
	ck_assert_int_eq(llt_sched_create(&a, &s), -EINVAL);
	a = (struct llt_sched_attr){.pool = {.placement = 9}};
	ck_assert_int_eq(llt_sched_create(&a, &s), -EINVAL);
	a = (struct llt_sched_attr){.injector_capacity = (size_t)1 << 31};
	ck_assert_int_eq(llt_sched_create(&a, &s), -EINVAL);
	ck_assert_ptr_eq(s, (void *)1);
	a = (struct llt_sched_attr){.pool = {.workers = 1}};
	ck_assert_int_eq(llt_sched_create(&a, &s), 0);
	struct llt_sched_group g;
	ck_assert_int_eq(llt_sched_group_init(NULL, s), -EINVAL);
	ck_assert_int_eq(llt_sched_group_init(&g, NULL), -EINVAL);
	ck_assert_int_eq(llt_sched_group_init(&g, s), 0);
	ck_assert_int_eq(llt_sched_spawn(NULL, add_one, NULL), -EINVAL);
	ck_assert_int_eq(llt_sched_spawn(&g, NULL, NULL), -EINVAL);
	ck_assert_int_eq(llt_sched_wait(NULL), -EINVAL);
	ck_assert_int_eq(llt_sched_wait(&g), 0); /* empty group */
	ck_assert_int_eq(llt_sched_submit(NULL, add_one, NULL), -EINVAL);
	ck_assert_int_eq(llt_sched_parallel_for(s, 5, 4, 0, visit, NULL), -EINVAL);
	ck_assert_int_eq(llt_sched_parallel_for(s, 0, 4, 0, NULL, NULL), -EINVAL);
	ck_assert_int_eq(llt_sched_parallel_for(NULL, 0, 4, 0, visit, NULL), -EINVAL);
	ck_assert_uint_eq(llt_sched_size(NULL), 0);
	llt_sched_free(s);
	llt_sched_free(NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sched");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, deque_owner_thief_races);
	tcase_add_test(tc, deque_last_element);
	tcase_add_test(tc, fib_1);
	tcase_add_test(tc, fib_2);
	tcase_add_test(tc, fib_4);
	tcase_add_test(tc, parallel_for_exactly_once);
	tcase_add_test(tc, spawn_outside_inside);
	tcase_add_test(tc, owned_groups);
	tcase_add_test(tc, placement_and_idle);
	tcase_add_test(tc, bad_input);
	suite_add_tcase(s, tc);
	return llt_test_run(s);
}
