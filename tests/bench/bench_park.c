/* bench_park: what llt/park costs.
 *
 *  1. notify with nobody waiting, amortised over a burst (ns per call),
 *     next to the bare release store it follows;
 *  2. wake-up latency of a waiter pinned to CPU 1 by a notifier pinned to
 *     CPU 0, from just before the publication to the waiter's return
 *     (p50/p99/max), for a parked waiter (spin 0), for a spinning waiter
 *     (spin budget 1 ms), and for the floor: a bare futex hand-off;
 *  3. the notifier's cost of a notify that wakes a sleeper (the syscall);
 *  4. streaming: a notifier on CPU 0 publishes and notifies in a tight
 *     loop while a waiter on CPU 1 parks (spin 0) whenever it has caught
 *     up and works 20 us after each wake-up: wake syscalls per park, and
 *     the notifier's mean cost per notify.
 * Each latency row is the median over REPS repetitions of ROUNDS rounds
 * (the first repetition is thrown away).  Usage: bench_park [rounds] */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <llt/clock.h>
#include <llt/cpu.h>
#include <llt/park.h>
#include "bench_pct.h"

#define REPS 6
#define GAP_NS 50000ull   /* between events: one message every 50 us */

static int rounds = 2000;

static uint64_t ld(const uint64_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static void st(uint64_t *p, uint64_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void busy_ns(uint64_t ns)
{
	uint64_t t0 = llt_clock_now(), n = llt_clock_from_ns(ns);
	while (llt_clock_now() - t0 < n)
		llt_cpu_relax();
}

/* ------------------------------------------------------------ shared state */

enum mode { PARK, FUTEX };

static struct {
	struct llt_park park;
	LLT_PADDED uint64_t seq;      /* published value: round number */
	uint32_t fword;               /* bare futex word */
	LLT_PADDED uint64_t t_pub;    /* clock at publication */
	uint64_t t_wake;              /* clock at the waiter's return */
	uint64_t acked;
	enum mode mode;
	uint64_t spin_ns;
} g;

static void *waiter(void *arg)
{
	(void)arg;
	llt_cpu_pin(1);
	for (uint64_t r = 1; r <= (uint64_t)rounds; r++) {
		if (g.mode == PARK) {
			while (ld(&g.seq) < r) {
				uint32_t key = llt_park_prepare_wait(&g.park);
				if (ld(&g.seq) >= r) {
					llt_park_cancel_wait(&g.park);
					break;
				}
				llt_park_commit_wait(&g.park, key, g.spin_ns);
			}
		} else {
			while (__atomic_load_n(&g.fword, __ATOMIC_ACQUIRE) != (uint32_t)r)
				syscall(SYS_futex, &g.fword, FUTEX_WAIT_PRIVATE,
					(uint32_t)(r - 1), NULL, NULL, 0);
		}
		g.t_wake = llt_clock_now();
		st(&g.acked, r);
	}
	return NULL;
}

struct lat { uint64_t p50, p99, max, notify_p50; };

static struct lat run(enum mode mode, uint64_t spin_ns)
{
	uint64_t *lat = calloc((size_t)rounds, sizeof(*lat));
	uint64_t *cost = calloc((size_t)rounds, sizeof(*cost));
	pthread_t t;
	struct lat out;

	memset(&g, 0, sizeof(g));
	llt_park_init(&g.park, 0);
	g.mode = mode;
	g.spin_ns = spin_ns;
	pthread_create(&t, NULL, waiter, NULL);
	for (uint64_t r = 1; r <= (uint64_t)rounds; r++) {
		uint64_t t0, t1;
		busy_ns(GAP_NS);  /* the waiter gives up spinning and parks */
		t0 = llt_clock_now();
		if (mode == PARK) {
			st(&g.seq, r);
			llt_park_notify_one(&g.park);
		} else {
			__atomic_store_n(&g.fword, (uint32_t)r, __ATOMIC_RELEASE);
			syscall(SYS_futex, &g.fword, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
		}
		t1 = llt_clock_now();
		while (ld(&g.acked) < r)
			llt_cpu_relax();
		lat[r - 1] = llt_clock_to_ns(g.t_wake - t0);
		cost[r - 1] = llt_clock_to_ns(t1 - t0);
	}
	pthread_join(t, NULL);
	struct bench_pct pl = bench_pct_ns(lat, (size_t)rounds);
	struct bench_pct pc = bench_pct_ns(cost, (size_t)rounds);
	out.p50 = (uint64_t)pl.p50;
	out.p99 = (uint64_t)pl.p99;
	out.max = (uint64_t)pl.max;
	out.notify_p50 = (uint64_t)pc.p50;
	free(lat);
	free(cost);
	return out;
}

static uint64_t median(uint64_t *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_u64);
	return v[n / 2];
}

static void row(const char *name, enum mode mode, uint64_t spin_ns)
{
	uint64_t p50[REPS], p99[REPS], mx[REPS], nc[REPS];
	struct lat l;

	(void)run(mode, spin_ns);  /* warm-up, discarded */
	for (int i = 0; i < REPS; i++) {
		l = run(mode, spin_ns);
		p50[i] = l.p50;
		p99[i] = l.p99;
		mx[i] = l.max;
		nc[i] = l.notify_p50;
	}
	uint64_t m50 = median(p50, REPS), m99 = median(p99, REPS);
	uint64_t mmx = median(mx, REPS), mnc = median(nc, REPS);
	printf("%-28s %9llu %9llu %9llu %12llu   (p50 min-max %llu-%llu)\n", name,
	       (unsigned long long)m50, (unsigned long long)m99,
	       (unsigned long long)mmx, (unsigned long long)mnc,
	       (unsigned long long)p50[0], (unsigned long long)p50[REPS - 1]);
}

/* Amortised notify cost with nobody waiting. */
static void notify_cost(void)
{
	enum { N = 10000000 };
	static struct llt_park park;
	static uint64_t data;
	double store[REPS], notify[REPS];

	llt_park_init(&park, 0);
	for (int rep = 0; rep < REPS; rep++) {
		uint64_t t0 = llt_clock_now();
		for (uint64_t i = 0; i < N; i++)
			st(&data, i);
		uint64_t t1 = llt_clock_now();
		for (uint64_t i = 0; i < N; i++) {
			st(&data, i);
			llt_park_notify_one(&park);
		}
		uint64_t t2 = llt_clock_now();
		store[rep] = (double)llt_clock_to_ns(t1 - t0) / N;
		notify[rep] = (double)llt_clock_to_ns(t2 - t1) / N;
	}
	for (int i = 1; i < REPS; i++)
		for (int j = i; j > 0 && notify[j] < notify[j - 1]; j--) {
			double x = notify[j]; notify[j] = notify[j - 1]; notify[j - 1] = x;
			x = store[j]; store[j] = store[j - 1]; store[j - 1] = x;
		}
	struct llt_park_stats s;
	llt_park_stats(&park, &s);
	printf("notify, nobody waiting: store alone %.2f ns, store + notify_one %.2f ns "
	       "(median of %d x %d; wake syscalls %llu)\n",
	       store[REPS / 2], notify[REPS / 2], REPS, N, (unsigned long long)s.wakes);
}

/* Streaming: one notify per item, a waiter that parks now and then. */
#define STREAM_NS 300000000ull
#define STREAM_WORK_NS 20000ull

static void *stream_waiter(void *arg)
{
	(void)arg;
	llt_cpu_pin(1);
	while (!ld(&g.acked)) {
		uint64_t seen = ld(&g.seq);
		uint32_t key = llt_park_prepare_wait(&g.park);
		if (ld(&g.seq) != seen || ld(&g.acked))
			llt_park_cancel_wait(&g.park);
		else
			llt_park_commit_wait(&g.park, key, 0);
		busy_ns(STREAM_WORK_NS);
	}
	return NULL;
}

static void streaming(void)
{
	double per_park[REPS], cost[REPS];
	uint64_t parks[REPS], wakes[REPS];

	for (int rep = 0; rep < REPS; rep++) {
		struct llt_park_stats s;
		pthread_t t;
		uint64_t n = 0, t0, t1;

		memset(&g, 0, sizeof(g));
		llt_park_init(&g.park, 0);
		pthread_create(&t, NULL, stream_waiter, NULL);
		t0 = llt_clock_now();
		do {
			for (int i = 0; i < 1024; i++) {
				st(&g.seq, ++n);
				llt_park_notify_one(&g.park);
			}
			t1 = llt_clock_now();
		} while (llt_clock_to_ns(t1 - t0) < STREAM_NS);
		st(&g.acked, 1);
		llt_park_notify_all(&g.park);
		pthread_join(t, NULL);
		llt_park_stats(&g.park, &s);
		parks[rep] = s.parks;
		wakes[rep] = s.wakes;
		per_park[rep] = s.parks ? (double)s.wakes / (double)s.parks : 0;
		cost[rep] = (double)llt_clock_to_ns(t1 - t0) / (double)n;
	}
	/* Sort the rows by wakes per park, report the median row. */
	for (int i = 1; i < REPS; i++)
		for (int j = i; j > 0 && per_park[j] < per_park[j - 1]; j--) {
			double x = per_park[j]; per_park[j] = per_park[j - 1]; per_park[j - 1] = x;
			x = cost[j]; cost[j] = cost[j - 1]; cost[j - 1] = x;
			uint64_t y = parks[j]; parks[j] = parks[j - 1]; parks[j - 1] = y;
			y = wakes[j]; wakes[j] = wakes[j - 1]; wakes[j - 1] = y;
		}
	printf("\nstreaming, notify_one per item for %llu ms, waiter parks (spin 0) and works %llu us per wake-up:\n"
	       "  parks %llu, wake syscalls %llu, %.2f wake syscalls per park (min-max %.2f-%.2f), "
	       "notifier %.1f ns per item (median of %d)\n",
	       STREAM_NS / 1000000, STREAM_WORK_NS / 1000,
	       (unsigned long long)parks[REPS / 2], (unsigned long long)wakes[REPS / 2],
	       per_park[REPS / 2], per_park[0], per_park[REPS - 1], cost[REPS / 2], REPS);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		rounds = atoi(argv[1]);
	if (rounds < 100)
		rounds = 100;
	llt_clock_init(LLT_CLOCK_MODE_AUTO);
	if (llt_cpu_pin(0) != 0)
		fprintf(stderr, "warning: could not pin to CPU 0\n");
	notify_cost();
	printf("\nwake-up latency, notifier on CPU 0, waiter on CPU 1, one event every %llu us, %d rounds x %d reps (median):\n",
	       GAP_NS / 1000, rounds, REPS);
	printf("%-28s %9s %9s %9s %12s\n", "", "p50 ns", "p99 ns", "max ns", "notify p50");
	row("bare futex hand-off (floor)", FUTEX, 0);
	row("llt_park, spin 0 (parked)", PARK, 0);
	row("llt_park, spin 1 ms", PARK, 1000000);
	streaming();
	return 0;
}
