/* bench_clock: what each way of reading the time costs, in one run.
 *
 * Built and run by `make bench`, never by `make check`; a timing here is
 * never an assertion.  Method (BENCHMARKING.md):
 *   - the thread is pinned to one CPU;
 *   - the TSC of a virtual machine may advance in coarse steps and an
 *     ordered timing pair costs ~20 ns by itself, so each figure is a
 *     burst of BURST calls timed with llt_clock_start()/llt_clock_end()
 *     and divided (amortised cost, timer overhead spread over the burst);
 *   - REPS repetitions after a discarded warm-up, implementations
 *     interleaved round-robin within each repetition so that noise falls
 *     on all of them alike, and each repetition starts at a different one;
 *   - median and min-max over the repetitions.
 * Two views: throughput (independent calls, results summed into a
 * volatile sink) and a dependent chain (each result feeds the next call),
 * which is closer to latency. */
#include "config.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <llt/clock.h>
#include <llt/cpu.h>
#include <llt/version.h>

#define BURST 1000u
#define REPS 31

#if defined(__x86_64__) || defined(__i386__)
#  define HAVE_X86 1
#else
#  define HAVE_X86 0
#endif

static volatile uint64_t sink;
/* An opaque zero: results ANDed with it feed the next call without the
 * compiler being able to drop the dependency. */
static volatile uint64_t opaque_zero;

/* ------------------------------------------------------------ the readers */

static inline uint64_t ts_ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec;
}

static inline uint64_t cg(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return ts_ns(&ts);
}

#if HAVE_X86
/* dep is a false input: it orders the asm after the previous result for
 * the compiler; the CPU may still start rdtsc early (it reads no register). */
static inline uint64_t raw_rdtsc(uint64_t dep)
{
	uint32_t lo, hi;
	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi) : "r"(dep));
	return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t raw_lfence_rdtsc(uint64_t dep)
{
	uint32_t lo, hi;
	__asm__ __volatile__("lfence\n\trdtsc" : "=a"(lo), "=d"(hi) : "r"(dep) : "memory");
	return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t raw_rdtscp(uint64_t dep)
{
	uint32_t lo, hi, aux;
	__asm__ __volatile__("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux) : "r"(dep));
	(void)aux;
	return ((uint64_t)hi << 32) | lo;
}
#endif

/* For each reader, two bursts: thr_X sums independent reads, lat_X makes
 * each read wait for the previous one's result (through opaque_zero). */
#define READER(name, expr)                                               \
	static __attribute__((noinline)) uint64_t thr_##name(unsigned n) \
	{                                                                \
		uint64_t acc = 0, dep = 0;                               \
		(void)dep;                                               \
		for (unsigned i = 0; i < n; i++)                         \
			acc += (expr);                                   \
		return acc;                                              \
	}                                                                \
	static __attribute__((noinline)) uint64_t lat_##name(unsigned n) \
	{                                                                \
		uint64_t z = opaque_zero, dep = 0, acc = 0;              \
		for (unsigned i = 0; i < n; i++) {                       \
			uint64_t v = (expr);                             \
			acc += v;                                        \
			dep = v & z;                                     \
		}                                                        \
		return acc + dep;                                        \
	}

READER(now, llt_clock_now() + dep)
#if HAVE_X86
READER(rdtsc, raw_rdtsc(dep))
READER(lfence_rdtsc, raw_lfence_rdtsc(dep))
READER(rdtscp, raw_rdtscp(dep))
#endif
READER(start, llt_clock_start() + dep)
READER(end, llt_clock_end() + dep)
READER(to_ns, llt_clock_to_ns(llt_clock_now() + dep))
READER(cg_mono, cg(CLOCK_MONOTONIC + (clockid_t)dep))
READER(cg_raw, cg(CLOCK_MONOTONIC_RAW + (clockid_t)dep))
READER(cg_real, cg(CLOCK_REALTIME + (clockid_t)dep))
READER(cg_coarse, cg(CLOCK_MONOTONIC_COARSE + (clockid_t)dep))

struct row {
	const char *name;
	uint64_t (*thr)(unsigned n);
	uint64_t (*lat)(unsigned n);
	bool available;
	double ns[2][REPS];     /* [throughput, chain][rep] ns per call */
	double ticks[2][REPS];  /* the same in counter ticks */
};

#define ROW(label, name) {label, thr_##name, lat_##name, true, {{0}}, {{0}}}
static struct row rows[] = {
	ROW("llt_clock_now", now),
#if HAVE_X86
	ROW("rdtsc (inline asm)", rdtsc),
	ROW("lfence;rdtsc", lfence_rdtsc),
	ROW("rdtscp", rdtscp),
#endif
	ROW("llt_clock_start", start),
	ROW("llt_clock_end", end),
	ROW("llt_clock_to_ns(now)", to_ns),
	ROW("clock_gettime(MONOTONIC)", cg_mono),
	ROW("clock_gettime(MONOTONIC_RAW)", cg_raw),
	ROW("clock_gettime(REALTIME)", cg_real),
	ROW("clock_gettime(MONOTONIC_COARSE)", cg_coarse),
};
#define NROWS (sizeof rows / sizeof rows[0])

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Sorts v; returns the median. */
static double median(double *v, size_t n)
{
	qsort(v, n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static struct row *find(const char *name)
{
	for (size_t k = 0; k < NROWS; k++)
		if (rows[k].available && !strcmp(rows[k].name, name))
			return &rows[k];
	return NULL;
}

static void run(int view)
{
	for (int rep = -1; rep < REPS; rep++) { /* rep -1: warm-up, discarded */
		for (size_t j = 0; j < NROWS; j++) {
			struct row *r = &rows[(j + (size_t)(rep + 1)) % NROWS];
			if (!r->available)
				continue;
			uint64_t (*fn)(unsigned) = view ? r->lat : r->thr;
			uint64_t t0 = llt_clock_start();
			uint64_t acc = fn(BURST);
			uint64_t t1 = llt_clock_end();
			sink += acc;
			if (rep >= 0) {
				r->ticks[view][rep] = (double)(t1 - t0) / BURST;
				r->ns[view][rep] = (double)llt_clock_to_ns(t1 - t0) / BURST;
			}
		}
	}
}

static void table(int view, bool counter)
{
	struct row *base = find("rdtsc (inline asm)");
	double base_ns = 0;
	if (base) {
		double tmp[REPS];
		memcpy(tmp, base->ns[view], sizeof tmp);
		base_ns = median(tmp, REPS);
	}
	printf("%-32s %9s %17s %9s %9s\n", "implementation", "ns/call", "min-max", "ticks", "/rdtsc");
	for (size_t k = 0; k < NROWS; k++) {
		struct row *r = &rows[k];
		if (!r->available) {
			printf("%-32s %9s\n", r->name, "n/a");
			continue;
		}
		double ns[REPS], ticks[REPS];
		memcpy(ns, r->ns[view], sizeof ns);
		memcpy(ticks, r->ticks[view], sizeof ticks);
		double med = median(ns, REPS), tmed = median(ticks, REPS);
		char range[40], tk[16], ratio[16];
		snprintf(range, sizeof range, "%.2f-%.2f", ns[0], ns[REPS - 1]);
		if (counter)
			snprintf(tk, sizeof tk, "%.1f", tmed);
		else
			snprintf(tk, sizeof tk, "-");
		if (base_ns > 0)
			snprintf(ratio, sizeof ratio, "%.2fx", med / base_ns);
		else
			snprintf(ratio, sizeof ratio, "-");
		printf("%-32s %9.2f %17s %9s %9s\n", r->name, med, range, tk, ratio);
	}
}

static double med_of(const char *name, int view)
{
	struct row *r = find(name);
	if (!r)
		return 0;
	double tmp[REPS];
	memcpy(tmp, r->ns[view], sizeof tmp);
	return median(tmp, REPS);
}

int main(void)
{
#if !defined(__OPTIMIZE__)
	fprintf(stderr, "bench_clock: warning: built without optimisation; figures are not representative\n");
#endif
	int cpu = llt_cpu_current();
	int e = cpu >= 0 ? llt_cpu_pin(cpu) : cpu;
	if (e != 0)
		fprintf(stderr, "bench_clock: warning: could not pin to a CPU (%d); figures may include migrations\n", e);

	llt_clock_init(LLT_CLOCK_MODE_AUTO);
	struct llt_clock_info info;
	llt_clock_info(&info);
	bool counter = info.source == LLT_CLOCK_SOURCE_TSC || info.source == LLT_CLOCK_SOURCE_CNTVCT;
#if HAVE_X86
	if (!llt_cpu_has(LLT_CPU_RDTSCP))
		for (size_t k = 0; k < NROWS; k++)
			if (!strcmp(rows[k].name, "rdtscp"))
				rows[k].available = false;
#endif
	double load[1] = {-1};
	FILE *f = fopen("/proc/loadavg", "re");
	if (f) {
		if (fscanf(f, "%lf", &load[0]) != 1)
			load[0] = -1;
		fclose(f);
	}

	printf("bench_clock (libllt %s): source %s, %.0f Hz (%s), kernel clocksource %s, pinned to CPU %d%s, load %.2f\n",
	       llt_version(), llt_clock_source_name(info.source), info.hz, info.reason,
	       info.kernel_clocksource[0] ? info.kernel_clocksource : "unknown", cpu,
	       e == 0 ? "" : " (pin failed)", load[0]);
	printf("method: bursts of %u calls timed with llt_clock_start/llt_clock_end, %d reps after a warm-up,\n"
	       "        implementations interleaved round-robin; median and min-max per call (amortised)\n",
	       BURST, REPS);

	run(0);
	run(1);

	printf("\nthroughput (independent calls)\n");
	table(0, counter);
	printf("\ndependent chain (each result feeds the next call; rdtsc reads no register, so the CPU\n"
	       "may still overlap bare rdtsc reads: the chain binds the compiler, not the pipeline)\n");
	table(1, counter);

	double now = med_of("llt_clock_now", 0), rdtsc = med_of("rdtsc (inline asm)", 0);
	double mono = med_of("clock_gettime(MONOTONIC)", 0);
	printf("\n");
	if (rdtsc > 0)
		printf("llt_clock_now / rdtsc = %.2fx (goal <= 1.10)\n", now / rdtsc);
	else
		printf("llt_clock_now / rdtsc = n/a (no x86 TSC)\n");
	printf("llt_clock_now / clock_gettime(MONOTONIC) = %.2fx (goal <= 0.50)\n", now / mono);
	return 0;
}
