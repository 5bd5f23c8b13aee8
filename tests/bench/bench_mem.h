/* Shared helpers of the memory benchmarks: burst timing, repetitions,
 * medians, pinning.  Not installed. */
#ifndef LLT_BENCH_MEM_H
#define LLT_BENCH_MEM_H

#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llt/clock.h>
#include "bench_pct.h"

#define BM_REPS 11               /* the first is discarded */
#define BM_KEEP (BM_REPS - 1)

/* Keep the compiler from dropping a malloc/free pair or a store. */
#define BM_ESCAPE(p) __asm__ __volatile__("" : : "r"(p) : "memory")
/* After each put: without it the compiler may fold a put and the next get
 * (both inline) into nothing: the pool's head goes back to where it was,
 * and the loop times no pool work at all.  This happened to boost::pool's
 * random pattern (and partly its LIFO one) before this barrier. */
#define BM_CLOBBER() __asm__ __volatile__("" : : : "memory")

/* A timed loop in its own function starting on a 64-byte boundary, so
 * every implementation's loop gets the same code placement: at well
 * under a nanosecond per pair the loops are front-end bound, and where
 * the compiler happened to put a loop inside main() moved results by
 * 1.5x with the same instructions. */
#define BM_LOOP __attribute__((noinline, aligned(64)))

static inline void bm_pin(int cpu)
{
	cpu_set_t s;
	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	pthread_setaffinity_np(pthread_self(), sizeof s, &s);
}

static int bm_cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

struct bm_result {
	double med, min, max;   /* ns per operation (amortised over a burst) */
};

static inline struct bm_result bm_summarise(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, bm_cmp_d);
	struct bm_result r = { v[n / 2], v[0], v[n - 1] };
	return r;
}

static inline double bm_ns(uint64_t t0, uint64_t t1)
{
	return (double)llt_clock_to_ns(t1 - t0);
}

/* Per-operation percentiles, each sample including the timer (~20 ns). */
struct bm_pct {
	double p50, p99, p999, max;
};

static inline struct bm_pct bm_percentiles(double *v, size_t n)
{
	struct bench_pct h = bench_pct_d(v, n);
	struct bm_pct p = { h.p50, h.p99, h.p999, h.max };
	return p;
}

static inline void bm_header(const char *what)
{
	printf("\n%s\n", what);
	printf("%-32s %-22s %9s %19s %5s\n", "implementation", "pattern", "median", "min-max", "reps");
}

static inline void bm_row(const char *impl, const char *pattern, struct bm_result r)
{
	char mm[40];
	snprintf(mm, sizeof mm, "%.2f-%.2f", r.min, r.max);
	printf("%-32s %-22s %9.2f %19s %5d\n", impl, pattern, r.med, mm, BM_KEEP);
}

#endif
