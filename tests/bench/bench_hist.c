/* bench_hist: cost of llt/hist operations, against a naive sorted array
 * (append, qsort at query time) and against HdrHistogram_c's percentile
 * method (a walk of the counts from index 0), re-implemented here over
 * the same counts because HdrHistogram_c is not packaged in Debian 12.
 *
 * Every figure is amortised over a burst (the guest's TSC moves in ~10 ns
 * steps, see BENCHMARKING.md), repeated REPS times after one thrown-away
 * repetition; the table gives the median and min-max.  Pinned to CPU 0.
 *
 *   make bench-hist            (or: tests/bench/bench_hist [reps])
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <llt/cpu.h>
#include <llt/hist.h>

#define HIGHEST UINT64_C(3600000000000) /* 1 ns .. 1 hour */
#define BURST 65536
#define FILL 1000000

static int reps = 11;

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static uint64_t rng_state = 0x1234567;
static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15u);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
	return z ^ (z >> 31);
}
static double unif(void)
{
	return ((double)(rng() >> 11) + 0.5) / 9007199254740992.0;
}
/* Latency-like: lognormal around 20 us with a heavy tail. */
static uint64_t lat(void)
{
	double z = sqrt(-2 * log(unif())) * cos(2 * M_PI * unif());
	double v = exp(log(2e4) + 1.2 * z);
	return v < 1 ? 1 : v > 3e12 ? 3000000000000u : (uint64_t)v;
}
/* Uniform over the whole 1 ns .. 1 h range, log-spread. */
static uint64_t wide(void)
{
	return (uint64_t)exp(unif() * log(3e12)) + 1;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}
static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

struct stat3 {
	double med, min, max;
};

static struct stat3 summarise(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_dbl);
	return (struct stat3){v[n / 2], v[0], v[n - 1]};
}

static void row(const char *impl, const char *what, struct stat3 s, const char *unit)
{
	printf("%-26s %-34s %10.2f %10.2f-%-10.2f %s  (%d reps)\n", impl, what, s.med, s.min, s.max, unit, reps);
}

static volatile uint64_t sink;

/* HdrHistogram_c's hdr_value_at_percentile: walk the counts from 0. */
static uint64_t hdr_style_percentile(const struct llt_hist *h, double p)
{
	uint64_t total = llt_hist_count(h);
	uint64_t want = (uint64_t)(p / 100 * (double)total + 0.5), sum = 0;
	if (want < 1)
		want = 1;
	for (uint32_t i = 0; i < h->counts_len; i++) {
		sum += h->counts[i];
		if (sum >= want)
			return i; /* the value is O(1) from the index */
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1)
		reps = atoi(argv[1]) > 0 ? atoi(argv[1]) : reps;
	if (llt_cpu_pin(0) < 0)
		fprintf(stderr, "note: could not pin to CPU 0\n");
	double *t = calloc((size_t)reps + 1, sizeof *t);
	uint64_t *vals = malloc(BURST * sizeof *vals);
	for (int i = 0; i < BURST; i++)
		vals[i] = lat();

	printf("llt/hist benchmark: range 1..%llu, 3 significant digits, bursts of %d, CPU 0\n",
	       (unsigned long long)HIGHEST, BURST);
	printf("footprint: llt_hist_memsize(1, 3.6e12, 3) = %zu bytes (%.1f KiB); HdrHistogram_c: 270336 B counts "
	       "+ its struct (264 KiB)\n\n",
	       llt_hist_memsize(1, HIGHEST, 3), llt_hist_memsize(1, HIGHEST, 3) / 1024.0);
	printf("%-26s %-34s %10s %21s\n", "implementation", "operation", "median", "min-max");

	/* --- record */
	struct llt_hist h;
	llt_hist_init(&h, 1, HIGHEST, 3);
	for (int r = 0; r <= reps; r++) {
		llt_hist_reset(&h);
		double t0 = now_ns();
		for (int i = 0; i < BURST; i++)
			llt_hist_record(&h, vals[i]);
		t[r] = (now_ns() - t0) / BURST;
	}
	struct stat3 rec = summarise(t + 1, reps);
	row("llt_hist", "record (lognormal values)", rec, "ns/op");

	uint64_t *wv = malloc(BURST * sizeof *wv);
	for (int i = 0; i < BURST; i++)
		wv[i] = wide();
	for (int r = 0; r <= reps; r++) {
		llt_hist_reset(&h);
		double t0 = now_ns();
		for (int i = 0; i < BURST; i++)
			llt_hist_record(&h, wv[i]);
		t[r] = (now_ns() - t0) / BURST;
	}
	row("llt_hist", "record (log-uniform 1..3.6e12)", summarise(t + 1, reps), "ns/op");

	uint64_t *arr = malloc(FILL * sizeof *arr);
	for (int r = 0; r <= reps; r++) {
		double t0 = now_ns();
		for (int i = 0; i < BURST; i++)
			arr[i] = vals[i];
		t[r] = (now_ns() - t0) / BURST;
		sink += arr[rng() % BURST];
	}
	row("naive array", "record (append)", summarise(t + 1, reps), "ns/op");

	/* --- recorder record, no reader */
	struct llt_hist_recorder rc;
	llt_hist_recorder_init(&rc, 1, HIGHEST, 3);
	for (int r = 0; r <= reps; r++) {
		double t0 = now_ns();
		for (int i = 0; i < BURST; i++)
			llt_hist_recorder_record(&rc, vals[i]);
		t[r] = (now_ns() - t0) / BURST;
	}
	row("llt_hist_recorder", "record (enter/record/exit)", summarise(t + 1, reps), "ns/op");

	/* --- percentile queries on 1e6 values */
	const double ps[] = {50, 99, 99.99, 100};
	for (int dist = 0; dist < 2; dist++) {
		llt_hist_reset(&h);
		for (int i = 0; i < FILL; i++) {
			uint64_t v = dist ? wide() : lat();
			llt_hist_record(&h, v);
			arr[i] = v;
		}
		for (size_t k = 0; k < sizeof ps / sizeof ps[0]; k++) {
			char what[64];
			int q = 2000;
			snprintf(what, sizeof what, "p%g, %s", ps[k], dist ? "log-uniform" : "lognormal");
			for (int r = 0; r <= reps; r++) {
				double t0 = now_ns();
				for (int i = 0; i < q; i++)
					sink += llt_hist_value_at_percentile(&h, ps[k]);
				t[r] = (now_ns() - t0) / q;
			}
			struct stat3 ours = summarise(t + 1, reps);
			row("llt_hist", what, ours, "ns/query");
			for (int r = 0; r <= reps; r++) {
				double t0 = now_ns();
				for (int i = 0; i < q / 10; i++)
					sink += hdr_style_percentile(&h, ps[k]);
				t[r] = (now_ns() - t0) / (q / 10);
			}
			struct stat3 hs = summarise(t + 1, reps);
			row("HdrHistogram_c method", what, hs, "ns/query");
			printf("%-26s %-34s %10.3f\n", "  ratio llt/hdr-walk", what, ours.med / hs.med);
		}
	}
	/* naive: sort a copy at query time (3 reps: it is slow) */
	{
		uint64_t *cp = malloc(FILL * sizeof *cp);
		int nr = reps < 3 ? reps : 3;
		for (int r = 0; r <= nr; r++) {
			double t0 = now_ns();
			memcpy(cp, arr, FILL * sizeof *cp);
			qsort(cp, FILL, sizeof *cp, cmp_u64);
			sink += cp[(size_t)(0.99 * FILL)];
			t[r] = (now_ns() - t0);
		}
		int save = reps;
		reps = nr;
		row("naive array", "p99 (copy + qsort of 1e6)", summarise(t + 1, nr), "ns/query");
		reps = save;
		free(cp);
	}

	/* --- snapshot of a recorder holding 1e4 values of lognormal spread */
	struct llt_hist out;
	llt_hist_init(&out, 1, HIGHEST, 3);
	for (int r = 0; r <= reps; r++) {
		for (int i = 0; i < 10000; i++)
			llt_hist_recorder_record(&rc, vals[i]);
		double t0 = now_ns();
		llt_hist_recorder_snapshot(&rc, &out);
		t[r] = now_ns() - t0;
	}
	row("llt_hist_recorder", "snapshot (1e4 values, lognormal)", summarise(t + 1, reps), "ns/op");
	for (int r = 0; r <= reps; r++) {
		double t0 = now_ns();
		llt_hist_recorder_snapshot(&rc, &out);
		t[r] = now_ns() - t0;
	}
	row("llt_hist_recorder", "snapshot (empty interval)", summarise(t + 1, reps), "ns/op");

	printf("\nGoals (HdrHistogram_c on this machine): record <= 2.6 ns -> %.2f ns (ratio %.2f); "
	       "footprint <= 264 KiB -> %.1f KiB\n",
	       rec.med, rec.med / 2.6, llt_hist_memsize(1, HIGHEST, 3) / 1024.0);
	llt_hist_destroy(&out);
	llt_hist_recorder_destroy(&rc);
	llt_hist_destroy(&h);
	free(arr);
	free(wv);
	free(vals);
	free(t);
	return 0;
}
