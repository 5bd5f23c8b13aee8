/* llt/threadpool: exactly-once execution from several submitters, to the
 * shared queue and to chosen workers; placement (sched_getcpu inside the
 * workers, thread names, the allowed set respected in a restricted child);
 * idle strategies; backpressure; shutdown (drain, cancel) with queued,
 * running and blocked tasks; a parked pool at rest uses no CPU; bad input. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <llt/cpu.h>
#include <llt/threadpool.h>

#include "sched_attr.h"  /* lib/ */
#include "testutil.h"

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* The CPUs the process may use, ascending (up to 256). */
static int allowed_cpus(int *cpus)
{
	int n = 0;
	for (int c = 0; c < 4096 && n < 256; c++)
		if (llt_cpu_is_allowed(c))
			cpus[n++] = c;
	return n;
}

/* ------------------------------------------------- exactly once, stress */

static _Atomic uint8_t *hits;
static _Atomic uint64_t done_count;

static void hit(void *arg)
{
	atomic_fetch_add_explicit(&hits[(uintptr_t)arg], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&done_count, 1, memory_order_release);
}

struct sub {
	struct llt_threadpool *p;
	uint64_t from, to;
	uint64_t seed;
	int err;
};

static void *submitter(void *arg)
{
	struct sub *s = arg;
	unsigned n = llt_threadpool_size(s->p);
	for (uint64_t i = s->from; i < s->to; i++) {
		uint64_t r = llt_test_rnd(&s->seed);
		int e;
		if (r % 3 == 0)
			e = llt_threadpool_submit_to(s->p, (unsigned)(r >> 8) % n, hit, (void *)(uintptr_t)i);
		else
			e = llt_threadpool_submit(s->p, hit, (void *)(uintptr_t)i);
		if (e)
			s->err = e;
		/* Random pauses, so that workers go to sleep and are woken. */
		if (r % 4096 == 1)
			sleep_ms(1);
		else if (r % 64 == 2)
			for (int k = (int)(r % 500); k; k--)
				llt_cpu_relax();
	}
	return NULL;
}

static void exactly_once(unsigned idle, unsigned workers, size_t qcap)
{
	uint64_t n = (uint64_t)(400000 * llt_test_scale());
	hits = calloc(n, 1);
	atomic_store(&done_count, 0);
	struct llt_threadpool_attr a = {.workers = workers, .idle = idle, .queue_capacity = qcap,
					.spin_ns = idle == LLT_THREADPOOL_IDLE_PARK ? 2000 : 0};
	struct llt_threadpool *p;
	ck_assert_int_eq(llt_threadpool_create(&a, &p), 0);
	struct sub s[2] = {{p, 0, n / 2, 1, 0}, {p, n / 2, n, 2, 0}};
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, submitter, &s[i]), 0);
	for (int i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		ck_assert_int_eq(s[i].err, 0);
	}
	uint64_t t0 = llt_test_mono_ns();
	while (atomic_load_explicit(&done_count, memory_order_acquire) < n) {
		ck_assert_msg(llt_test_mono_ns() - t0 < UINT64_C(20000000000), "no progress: %llu of %llu",
			      (unsigned long long)atomic_load(&done_count), (unsigned long long)n);
		sleep_ms(1);
	}
	for (uint64_t i = 0; i < n; i++)
		ck_assert_msg(hits[i] == 1, "task %llu ran %u times", (unsigned long long)i, hits[i]);
	struct llt_threadpool_stats st;
	llt_threadpool_stats(p, &st);
	ck_assert_uint_eq(st.submitted, n);
	ck_assert_uint_eq(st.executed, n);
	printf("idle %u, %u workers, queue %zu: %llu tasks, full %llu, parks %llu, wakes %llu\n", idle,
	       llt_threadpool_size(p), qcap, (unsigned long long)n, (unsigned long long)st.full,
	       (unsigned long long)st.parks, (unsigned long long)st.wakes);
	ck_assert_int_eq(llt_threadpool_shutdown(p, LLT_THREADPOOL_DRAIN), 0);
	llt_threadpool_free(p);
	free(hits);
}

START_TEST(exactly_once_park)
{
	exactly_once(LLT_THREADPOOL_IDLE_PARK, 2, 0);
	exactly_once(LLT_THREADPOOL_IDLE_PARK, 3, 8); /* oversubscribed, tiny queues */
}
END_TEST

START_TEST(exactly_once_spin_yield)
{
	exactly_once(LLT_THREADPOOL_IDLE_SPIN, 2, 64);
	exactly_once(LLT_THREADPOOL_IDLE_YIELD, 2, 64);
}
END_TEST

/* ------------------------------------------------------------ placement */

#define MAXW 16
static int seen_cpu[MAXW];
static char seen_name[MAXW][16];
static _Atomic int started, stopped;

static void on_start(unsigned i, void *arg)
{
	(void)arg;
	if (i < MAXW) {
		seen_cpu[i] = sched_getcpu();
		pthread_getname_np(pthread_self(), seen_name[i], sizeof seen_name[i]);
	}
	atomic_fetch_add(&started, 1);
}

static void on_stop(unsigned i, void *arg)
{
	(void)i;
	(void)arg;
	atomic_fetch_add(&stopped, 1);
}

static struct llt_threadpool *current_pool;
static _Atomic int current_ok;

static void where_am_i(void *arg)
{
	unsigned i = (unsigned)(uintptr_t)arg;
	int cpu = llt_threadpool_worker_cpu(current_pool, i);
	int cur = llt_threadpool_current(current_pool);
	if (cur == (int)i && (cpu < 0 || sched_getcpu() == cpu))
		atomic_fetch_add(&current_ok, 1);
}

static void check_policy(unsigned placement, const int *cpus, size_t ncpus, unsigned workers)
{
	struct llt_threadpool_attr a = {.workers = workers, .placement = placement, .cpus = cpus,
					.ncpus = ncpus, .on_start = on_start, .on_stop = on_stop,
					.name = "tp-"};
	struct llt_threadpool *p;
	atomic_store(&started, 0);
	atomic_store(&stopped, 0);
	memset(seen_cpu, -1, sizeof seen_cpu);
	ck_assert_int_eq(llt_threadpool_create(&a, &p), 0);
	unsigned n = llt_threadpool_size(p);
	ck_assert_uint_ge(n, 1);
	while (atomic_load(&started) < (int)n)
		sleep_ms(1);
	current_pool = p;
	atomic_store(&current_ok, 0);
	for (unsigned i = 0; i < n; i++)
		ck_assert_int_eq(llt_threadpool_submit_to(p, i, where_am_i, (void *)(uintptr_t)i), 0);
	ck_assert_int_eq(llt_threadpool_shutdown(p, LLT_THREADPOOL_DRAIN), 0);
	ck_assert_int_eq(atomic_load(&current_ok), (int)n);
	ck_assert_int_eq(atomic_load(&stopped), (int)n);
	printf("placement %u:", placement);
	for (unsigned i = 0; i < n && i < MAXW; i++) {
		int want = llt_threadpool_worker_cpu(p, i);
		printf(" %s@%d", seen_name[i], want);
		char exp[16];
		snprintf(exp, sizeof exp, "tp-%u", i);
		ck_assert_str_eq(seen_name[i], exp);
		if (placement == LLT_THREADPOOL_UNPINNED) {
			ck_assert_int_eq(want, -1);
		} else {
			ck_assert_int_ge(want, 0);
			ck_assert(llt_cpu_is_allowed(want));
			ck_assert_int_eq(seen_cpu[i], want);
		}
		if (placement == LLT_THREADPOOL_LIST)
			ck_assert_int_eq(want, cpus[i % ncpus]);
	}
	printf("\n");
	/* Distinct CPUs while there are enough. */
	int nallowed = 0, allowed[256];
	struct llt_cpu_topology *topo;
	ck_assert_int_eq(llt_cpu_topology_create(&topo), 0);
	nallowed = llt_cpu_topology_allowed(topo, allowed, 256);
	if (placement != LLT_THREADPOOL_UNPINNED && placement != LLT_THREADPOOL_LIST)
		for (unsigned i = 0; i < n && (int)i < nallowed; i++)
			for (unsigned j = 0; j < i; j++)
				ck_assert_int_ne(llt_threadpool_worker_cpu(p, i),
						 llt_threadpool_worker_cpu(p, j));
	/* One per physical core: no two workers on SMT siblings. */
	if (placement == LLT_THREADPOOL_PHYSICAL)
		for (unsigned i = 0; i < n; i++) {
			int sib[64];
			int c = llt_threadpool_worker_cpu(p, i);
			int ns = llt_cpu_topology_siblings(topo, c, sib, 64);
			for (unsigned j = 0; j < n; j++)
				for (int k = 0; k < ns && k < 64; k++)
					if (j != i)
						ck_assert_int_ne(llt_threadpool_worker_cpu(p, j), sib[k]);
		}
	llt_cpu_topology_free(topo);
	llt_threadpool_free(p);
}

START_TEST(placement_policies)
{
	int allowed[256];
	int na = allowed_cpus(allowed);
	check_policy(LLT_THREADPOOL_COMPACT, NULL, 0, 0);
	check_policy(LLT_THREADPOOL_SCATTER, NULL, 0, 0);
	check_policy(LLT_THREADPOOL_PHYSICAL, NULL, 0, 0);
	check_policy(LLT_THREADPOOL_UNPINNED, NULL, 0, 2);
	check_policy(LLT_THREADPOOL_COMPACT, NULL, 0, (unsigned)na + 1); /* wraps */
	int rev[2] = {allowed[na - 1], allowed[0]};
	check_policy(LLT_THREADPOOL_LIST, rev, 2, 0);
	check_policy(LLT_THREADPOOL_LIST, rev, 1, 3);
}
END_TEST

/* The allowed set is what the process started with: a child restricted
 * to one CPU (as taskset would) never gets a worker elsewhere, and asking
 * for another CPU is -EINVAL. */
static int child_restricted(void)
{
	int cpu = -1;
	for (int c = 0; c < 4096 && cpu < 0; c++)
		if (llt_cpu_is_allowed(c))
			cpu = c;
	if (cpu < 0)
		return 1;
	for (int c = 0; c < 4096; c++)
		if (c != cpu && llt_cpu_is_allowed(c))
			return 2;
	struct llt_threadpool *p;
	unsigned pol[] = {LLT_THREADPOOL_COMPACT, LLT_THREADPOOL_SCATTER, LLT_THREADPOOL_PHYSICAL};
	for (int k = 0; k < 3; k++) {
		struct llt_threadpool_attr a = {.placement = pol[k]};
		if (llt_threadpool_create(&a, &p) != 0)
			return 3;
		if (llt_threadpool_size(p) != 1 || llt_threadpool_worker_cpu(p, 0) != cpu)
			return 4;
		llt_threadpool_free(p);
	}
	struct llt_threadpool_attr a = {.workers = 2};
	if (llt_threadpool_create(&a, &p) != 0)
		return 5;
	if (llt_threadpool_worker_cpu(p, 1) != cpu)
		return 6;
	llt_threadpool_free(p);
	int other = cpu == 0 ? 1 : 0;
	struct llt_threadpool_attr b = {.placement = LLT_THREADPOOL_LIST, .cpus = &other, .ncpus = 1};
	if (llt_threadpool_create(&b, &p) != -EINVAL)
		return 7;
	struct llt_threadpool_attr c = {.placement = LLT_THREADPOOL_PHYSICAL, .workers = 2};
	if (llt_threadpool_create(&c, &p) != -EINVAL)
		return 8;
	return 0;
}

START_TEST(allowed_set_respected)
{
	int allowed[256];
	if (allowed_cpus(allowed) < 2) {
		printf("one CPU allowed: nothing to restrict\n");
		return;
	}
	fflush(NULL);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(allowed[1], &set);
		if (sched_setaffinity(0, sizeof set, &set) != 0)
			_exit(90);
		llt_test_exec_self("llt-test-child", "--child", "restricted");
		_exit(97);
	}
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	ck_assert_msg(WEXITSTATUS(st) == 0, "restricted child: step %d failed", WEXITSTATUS(st));
}
END_TEST

/* ----------------------------------------------------- blocking and idle */

static _Atomic int gate_open, in_blocker, ran;

static void blocker(void *arg)
{
	(void)arg;
	atomic_fetch_add(&in_blocker, 1);
	while (!atomic_load(&gate_open))
		sleep_ms(1);
	atomic_fetch_add(&ran, 1);
}

static void counter(void *arg)
{
	(void)arg;
	atomic_fetch_add(&ran, 1);
}

struct bsub {
	struct llt_threadpool *p;
	int result;
	_Atomic int done;
};

static void *blocking_submitter(void *arg)
{
	struct bsub *b = arg;
	b->result = llt_threadpool_submit(b->p, counter, NULL);
	atomic_store(&b->done, 1);
	return NULL;
}

START_TEST(backpressure)
{
	struct llt_threadpool_attr a = {.workers = 1, .queue_capacity = 4, .spin_ns = 1000};
	struct llt_threadpool *p;
	ck_assert_int_eq(llt_threadpool_create(&a, &p), 0);
	atomic_store(&gate_open, 0);
	atomic_store(&in_blocker, 0);
	atomic_store(&ran, 0);
	ck_assert_int_eq(llt_threadpool_submit(p, blocker, NULL), 0);
	while (!atomic_load(&in_blocker))
		sleep_ms(1);
	int accepted = 0;
	while (llt_threadpool_try_submit(p, counter, NULL) == 0)
		accepted++;
	ck_assert_int_eq(accepted, 4);
	ck_assert_int_eq(llt_threadpool_try_submit(p, counter, NULL), -EAGAIN);
	struct bsub b = {p, 1, 0};
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, blocking_submitter, &b), 0);
	sleep_ms(30);
	ck_assert_int_eq(atomic_load(&b.done), 0); /* blocked: the queue is full */
	atomic_store(&gate_open, 1);
	pthread_join(t, NULL);
	ck_assert_int_eq(b.result, 0);
	ck_assert_int_eq(llt_threadpool_shutdown(p, LLT_THREADPOOL_DRAIN), 0);
	ck_assert_int_eq(atomic_load(&ran), 6);
	struct llt_threadpool_stats st;
	llt_threadpool_stats(p, &st);
	ck_assert_uint_eq(st.executed, 6);
	ck_assert_uint_ge(st.full, 2);
	llt_threadpool_free(p);
}
END_TEST

struct shut {
	struct llt_threadpool *p;
	unsigned mode;
	int result;
};

static void *shutter(void *arg)
{
	struct shut *s = arg;
	s->result = llt_threadpool_shutdown(s->p, s->mode);
	return NULL;
}

static void shutdown_with_work(unsigned mode)
{
	struct llt_threadpool_attr a = {.workers = 2, .queue_capacity = 256};
	struct llt_threadpool *p;
	ck_assert_int_eq(llt_threadpool_create(&a, &p), 0);
	atomic_store(&gate_open, 0);
	atomic_store(&in_blocker, 0);
	atomic_store(&ran, 0);
	/* Two blocked (running) tasks, one per worker, and 100 queued. */
	ck_assert_int_eq(llt_threadpool_submit_to(p, 0, blocker, NULL), 0);
	ck_assert_int_eq(llt_threadpool_submit_to(p, 1, blocker, NULL), 0);
	while (atomic_load(&in_blocker) < 2)
		sleep_ms(1);
	for (int i = 0; i < 100; i++)
		ck_assert_int_eq(llt_threadpool_submit(p, counter, NULL), 0);
	struct shut s = {p, mode, 12345};
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, shutter, &s), 0);
	/* Once shutdown has begun, submissions are refused. */
	uint64_t t0 = llt_test_mono_ns();
	while (llt_threadpool_try_submit(p, counter, NULL) != -EPIPE) {
		ck_assert(llt_test_mono_ns() - t0 < UINT64_C(5000000000));
		atomic_fetch_sub(&ran, 0);
		sleep_ms(1);
	}
	/* Those that slipped in before the gate closed count as submitted. */
	struct llt_threadpool_stats st;
	llt_threadpool_stats(p, &st);
	uint64_t submitted = st.submitted;
	sleep_ms(20);
	atomic_store(&gate_open, 1);
	pthread_join(t, NULL);
	llt_threadpool_stats(p, &st);
	ck_assert_uint_eq(st.submitted, submitted);
	if (mode == LLT_THREADPOOL_DRAIN) {
		ck_assert_int_eq(s.result, 0);
		ck_assert_uint_eq((uint64_t)atomic_load(&ran), submitted);
	} else {
		ck_assert_int_ge(s.result, 98); /* each worker may take one more */
		ck_assert_uint_eq((uint64_t)atomic_load(&ran) + (uint64_t)s.result, submitted);
		ck_assert_uint_eq(st.cancelled, (uint64_t)s.result);
	}
	ck_assert_uint_eq(st.executed, (uint64_t)atomic_load(&ran));
	ck_assert_int_eq(llt_threadpool_shutdown(p, LLT_THREADPOOL_DRAIN), -EALREADY);
	ck_assert_int_eq(llt_threadpool_submit(p, counter, NULL), -EPIPE);
	llt_threadpool_free(p);
}

START_TEST(shutdown_drain)
{
	shutdown_with_work(LLT_THREADPOOL_DRAIN);
}
END_TEST

START_TEST(shutdown_cancel)
{
	shutdown_with_work(LLT_THREADPOOL_CANCEL);
}
END_TEST

static struct llt_threadpool *self_pool;
static _Atomic int self_result = 1;

static void shutdown_self(void *arg)
{
	(void)arg;
	atomic_store(&self_result, llt_threadpool_shutdown(self_pool, LLT_THREADPOOL_DRAIN));
}

START_TEST(free_in_flight)
{
	/* Free without shutdown, with work queued: it drains. */
	struct llt_threadpool_attr a = {.workers = 2};
	struct llt_threadpool *p;
	ck_assert_int_eq(llt_threadpool_create(&a, &p), 0);
	atomic_store(&ran, 0);
	for (int i = 0; i < 500; i++)
		ck_assert_int_eq(llt_threadpool_submit(p, counter, NULL), 0);
	self_pool = p;
	ck_assert_int_eq(llt_threadpool_submit(p, shutdown_self, NULL), 0);
	llt_threadpool_free(p);
	ck_assert_int_eq(atomic_load(&ran), 500);
	ck_assert_int_eq(atomic_load(&self_result), -EDEADLK);
}
END_TEST

START_TEST(parked_pool_uses_no_cpu)
{
	struct llt_threadpool_attr a = {.workers = 2};
	struct llt_threadpool *p;
	ck_assert_int_eq(llt_threadpool_create(&a, &p), 0);
	atomic_store(&ran, 0);
	ck_assert_int_eq(llt_threadpool_submit(p, counter, NULL), 0);
	sleep_ms(50); /* past the spin budget: both workers park */
	uint64_t c0 = llt_test_process_cpu_ns(), t0 = llt_test_mono_ns();
	sleep_ms(200);
	uint64_t used = llt_test_process_cpu_ns() - c0, wall = llt_test_mono_ns() - t0;
	printf("parked pool: %llu us of CPU in %llu us\n", (unsigned long long)used / 1000,
	       (unsigned long long)wall / 1000);
	ck_assert_uint_lt(used, wall / 50);
	/* And it still wakes up, many times over (no lost wake-up). */
	uint64_t seed = 7;
	for (int i = 1; i <= 200; i++) {
		ck_assert_int_eq(llt_threadpool_submit(p, counter, NULL), 0);
		uint64_t w0 = llt_test_mono_ns();
		while (atomic_load(&ran) < i + 1)
			ck_assert(llt_test_mono_ns() - w0 < UINT64_C(5000000000));
		if (llt_test_rnd(&seed) % 4 == 0)
			sleep_ms(1);
	}
	struct llt_threadpool_stats st;
	llt_threadpool_stats(p, &st);
	printf("200 wake-ups: parks %llu, wakes %llu\n", (unsigned long long)st.parks,
	       (unsigned long long)st.wakes);
	ck_assert_uint_gt(st.parks, 0);
	llt_threadpool_free(p);
}
END_TEST

/* sched_getattr(2) of the calling thread: its EEVDF slice (ns) and nice. */
struct slice_seen {
	_Atomic uint64_t runtime;
	_Atomic int nice;
};

static int get_slice(uint64_t *runtime, int *nice)
{
	struct llt_impl_sched_attr sa;
	memset(&sa, 0, sizeof sa);
	if (syscall(SYS_sched_getattr, 0, &sa, (unsigned)sizeof sa, 0) != 0)
		return -1;
	*runtime = sa.runtime;
	*nice = sa.nice;
	return 0;
}

static void slice_hook(unsigned worker, void *arg)
{
	struct slice_seen *seen = arg;
	uint64_t rt = 0;
	int nice = 99;
	(void)worker;
	if (get_slice(&rt, &nice) == 0) {
		atomic_store(&seen->runtime, rt);
		atomic_store(&seen->nice, nice);
	}
}

static uint64_t pool_slice(unsigned idle, unsigned slice_us, int *nice)
{
	struct slice_seen seen = {0, 99};
	struct llt_threadpool_attr a = {.workers = 1, .idle = idle, .slice_us = slice_us,
					.on_start = slice_hook, .hook_arg = &seen};
	struct llt_threadpool *p;
	ck_assert_int_eq(llt_threadpool_create(&a, &p), 0);
	llt_threadpool_free(p); /* joins: the hook has run */
	*nice = atomic_load(&seen.nice);
	return atomic_load(&seen.runtime);
}

static void *slice_thread(void *arg)
{
	(void)arg;
	uint64_t dflt, rt;
	int nice, n;
	ck_assert_int_eq(get_slice(&dflt, &nice), 0);
	/* The workers inherit this thread's nice value; the slice request
	 * must keep it. */
	ck_assert_int_eq(setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 3), 0);
	ck_assert_int_eq(get_slice(&rt, &nice), 0);
	ck_assert_int_eq(nice, 3);

	rt = pool_slice(LLT_THREADPOOL_IDLE_PARK, 0, &n);
	ck_assert_int_eq(n, 3);
	if (rt == dflt) {
		/* A kernel without per-task slices (before 6.12) reports
		 * the default whatever was asked. */
		printf("time slice: kernel ignores sched_runtime (default %llu ns)\n",
		       (unsigned long long)dflt);
		return NULL;
	}
	printf("time slice: default %llu ns, parking worker %llu ns\n", (unsigned long long)dflt,
	       (unsigned long long)rt);
	ck_assert_uint_eq(rt, LLT_THREADPOOL_SLICE_DEFAULT_US * 1000u);
	ck_assert_uint_eq(pool_slice(LLT_THREADPOOL_IDLE_PARK, 700, &n), 700000u);
	ck_assert_int_eq(n, 3);
	ck_assert_uint_eq(pool_slice(LLT_THREADPOOL_IDLE_SPIN, 0, &n), dflt);
	ck_assert_uint_eq(pool_slice(LLT_THREADPOOL_IDLE_YIELD, 0, &n), dflt);
	ck_assert_uint_eq(pool_slice(LLT_THREADPOOL_IDLE_SPIN, 250, &n), 250000u);
	ck_assert_uint_eq(pool_slice(LLT_THREADPOOL_IDLE_PARK, LLT_THREADPOOL_SLICE_KERNEL, &n),
			  dflt);
	ck_assert_int_eq(n, 3);
	return NULL;
}

START_TEST(time_slice)
{
	/* In a thread of its own: the nice value set here must not leak
	 * into the other tests. */
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, slice_thread, NULL), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
}
END_TEST

START_TEST(bad_input)
{
	struct llt_threadpool *p = (void *)1;
	struct llt_threadpool_attr a;
	ck_assert_int_eq(llt_threadpool_create(NULL, NULL), -EINVAL);
	a = (struct llt_threadpool_attr){.flags = 1};
	ck_assert_int_eq(llt_threadpool_create(&a, &p), -EINVAL);
	a = (struct llt_threadpool_attr){.idle = 3};
	ck_assert_int_eq(llt_threadpool_create(&a, &p), -EINVAL);
	a = (struct llt_threadpool_attr){.placement = 5};
	ck_assert_int_eq(llt_threadpool_create(&a, &p), -EINVAL);
	a = (struct llt_threadpool_attr){.name = "much-too-long"};
	ck_assert_int_eq(llt_threadpool_create(&a, &p), -EINVAL);
	int cpu0 = 0, bad = 1 << 20;
	a = (struct llt_threadpool_attr){.cpus = &cpu0, .ncpus = 1};
	ck_assert_int_eq(llt_threadpool_create(&a, &p), -EINVAL);
	a = (struct llt_threadpool_attr){.placement = LLT_THREADPOOL_LIST};
	ck_assert_int_eq(llt_threadpool_create(&a, &p), -EINVAL);
	a = (struct llt_threadpool_attr){.placement = LLT_THREADPOOL_LIST, .cpus = &bad, .ncpus = 1};
	ck_assert_int_eq(llt_threadpool_create(&a, &p), -EINVAL);
	a = (struct llt_threadpool_attr){.placement = LLT_THREADPOOL_PHYSICAL, .workers = 4097};
	ck_assert_int_eq(llt_threadpool_create(&a, &p), -EINVAL);
	a = (struct llt_threadpool_attr){.queue_capacity = (size_t)1 << 31};
	ck_assert_int_eq(llt_threadpool_create(&a, &p), -EINVAL);
	a = (struct llt_threadpool_attr){.slice_us = 99};
	ck_assert_int_eq(llt_threadpool_create(&a, &p), -EINVAL);
	a = (struct llt_threadpool_attr){.slice_us = 100001};
	ck_assert_int_eq(llt_threadpool_create(&a, &p), -EINVAL);
	ck_assert_ptr_eq(p, (void *)1); /* nothing changed */

	a = (struct llt_threadpool_attr){.workers = 1};
	ck_assert_int_eq(llt_threadpool_create(&a, &p), 0);
	ck_assert_int_eq(llt_threadpool_submit(p, NULL, NULL), -EINVAL);
	ck_assert_int_eq(llt_threadpool_submit(NULL, counter, NULL), -EINVAL);
	ck_assert_int_eq(llt_threadpool_submit_to(p, 1, counter, NULL), -EINVAL);
	ck_assert_int_eq(llt_threadpool_try_submit_to(p, 7, counter, NULL), -EINVAL);
	ck_assert_int_eq(llt_threadpool_worker_cpu(p, 1), -EINVAL);
	ck_assert_int_eq(llt_threadpool_shutdown(p, 2), -EINVAL);
	ck_assert_int_eq(llt_threadpool_current(p), -1);
	ck_assert_uint_eq(llt_threadpool_size(NULL), 0);
	llt_threadpool_free(p);
	llt_threadpool_free(NULL);
}
END_TEST

static const struct llt_test_child children[] = {
	{"restricted", child_restricted},
	{NULL, NULL},
};

int main(int argc, char **argv)
{
	int r = llt_test_child_main(argc, argv, children);
	if (r >= 0)
		return r;
	Suite *s = suite_create("threadpool");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, exactly_once_park);
	tcase_add_test(tc, exactly_once_spin_yield);
	tcase_add_test(tc, placement_policies);
	tcase_add_test(tc, allowed_set_respected);
	tcase_add_test(tc, backpressure);
	tcase_add_test(tc, shutdown_drain);
	tcase_add_test(tc, shutdown_cancel);
	tcase_add_test(tc, free_in_flight);
	tcase_add_test(tc, parked_pool_uses_no_cpu);
	tcase_add_test(tc, time_slice);
	tcase_add_test(tc, bad_input);
	suite_add_tcase(s, tc);
	return llt_test_run(s);
}
