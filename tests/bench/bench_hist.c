/* bench_hist: cost of llt/hist operations, against a naive sorted array
 * (append, qsort at query time) and against HdrHistogram_c's percentile
 * method (a walk of the counts from index 0), re-implemented here over
 * the same counts because HdrHistogram_c is not packaged in Debian 12.
 *
 * Every figure is amortised over a burst (the guest's TSC moves in ~10 ns
 * steps, see BENCHMARKING.md), repeated REPS times after one thrown-away
 * repetition; the table gives the median and min-max.  Pinned to CPU 0.
 * The cost of one record is also given as the distribution over many short
 * bursts (median and p99, through llt_hist itself).  The recorder is timed
 * with both of its protocols in the same run (the default, without an
 * atomic when membarrier(2) is available, and the atomic fallback, forced
 * through a private field), and its snapshot both idle and while a writer
 * thread records on CPU 1 (membarrier then sends that CPU an IPI).
 *
 *   make bench-hist            (or: tests/bench/bench_hist [reps])
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pthread.h>

#include <llt/clock.h>
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

/* A writer that records on CPU 1 until told to stop. */
struct busy {
	struct llt_hist_recorder *r;
	const uint64_t *vals;
	uint64_t done;
	int started, stop;
	struct llt_hist batch; /* ns per batch of 256 records: the writer's stalls */
};

static void *busy_writer(void *p)
{
	struct busy *b = p;
	(void)llt_cpu_pin(1);
	/* release/acquire: a start flag; relaxed stop flag */
	__atomic_store_n(&b->started, 1, __ATOMIC_RELEASE);
	uint64_t t0 = llt_clock_now();
	for (uint64_t i = 0; !__atomic_load_n(&b->stop, __ATOMIC_RELAXED); i += 256) {
		for (int k = 0; k < 256; k++)
			llt_hist_recorder_record(b->r, b->vals[(i + (uint64_t)k) % BURST]);
		__atomic_store_n(&b->done, i + 256, __ATOMIC_RELAXED); /* a progress count */
		uint64_t t1 = llt_clock_now();
		llt_hist_record(&b->batch, llt_clock_to_ns(t1 - t0));
		t0 = t1;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc > 1)
		reps = atoi(argv[1]) > 0 ? atoi(argv[1]) : reps;
	llt_clock_init(LLT_CLOCK_MODE_AUTO);
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

	/* one record as a distribution: 20000 bursts of 64 records, each
	 * timed with the TSC, per-record cost in 1/100 ns into an llt_hist */
	{
		struct llt_hist d;
		llt_hist_init(&d, 1, 1000000000, 3);
		llt_hist_reset(&h);
		for (int b = 0; b < 20000; b++) {
			const uint64_t *v = vals + (b * 64) % BURST;
			uint64_t t0 = llt_clock_start();
			for (int i = 0; i < 64; i++)
				llt_hist_record(&h, v[i]);
			uint64_t t1 = llt_clock_end();
			llt_hist_record(&d, llt_clock_to_ns((t1 - t0) * 100) / 64);
		}
		printf("%-26s %-34s %10.2f %10s p99 %-6.2f ns/op  (20000 bursts of 64, incl. 2 clock reads/64)\n",
		       "llt_hist", "record, per burst of 64", llt_hist_value_at_percentile(&d, 50) / 100.0, "",
		       llt_hist_value_at_percentile(&d, 99) / 100.0);
		llt_hist_destroy(&d);
	}

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
	struct llt_hist_recorder rcf;
	llt_hist_recorder_init(&rcf, 1, HIGHEST, 3);
	const char *mode = rc.impl_mode == LLT_HIST_IMPL_FENCE_ASYM ? "membarrier" : "atomic (no membarrier)";
	rcf.impl_mode = LLT_HIST_IMPL_FENCE_FULL; /* private: the fallback, for comparison */
	{
		double *tf = calloc((size_t)reps + 1, sizeof *tf), *ta = calloc((size_t)reps + 1, sizeof *ta);
		for (int r = 0; r <= reps; r++) {
			double t0 = now_ns();
			for (int i = 0; i < BURST; i++)
				llt_hist_recorder_record(&rcf, vals[i]);
			tf[r] = (now_ns() - t0) / BURST;
			t0 = now_ns();
			for (int i = 0; i < BURST; i++)
				llt_hist_recorder_record(&rc, vals[i]);
			ta[r] = (now_ns() - t0) / BURST;
		}
		printf("  (default protocol: %s)\n", mode);
		row("llt_hist_recorder", "record, default protocol", summarise(ta + 1, reps), "ns/op");
		row("llt_hist_recorder", "record, fallback (atomic xchg)", summarise(tf + 1, reps), "ns/op");
		free(tf);
		free(ta);
	}

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
	/* snapshot while a writer records on CPU 1, both protocols: one every
	 * 100 us (the writer fills ~1e4-1e5 values in between), and what the
	 * writer manages meanwhile (membarrier interrupts it with an IPI). */
	for (int full = 0; full < 2; full++) {
		struct llt_hist_recorder *wr = full ? &rcf : &rc;
		struct busy b = {wr, vals, 0, 0, 0, {0}};
		pthread_t th;
		llt_hist_init(&b.batch, 1, 1000000000, 3);
		if (pthread_create(&th, NULL, busy_writer, &b) != 0)
			break;
		while (!__atomic_load_n(&b.started, __ATOMIC_ACQUIRE))
			;
		double w0 = now_ns();
		uint64_t n0 = __atomic_load_n(&b.done, __ATOMIC_RELAXED);
		for (int r = 0; r <= reps; r++) {
			double d[21];
			for (int k = 0; k < 21; k++) {
				double t0 = now_ns();
				while (now_ns() - t0 < 100000)
					;
				t0 = now_ns();
				llt_hist_recorder_snapshot(wr, &out);
				d[k] = now_ns() - t0;
			}
			t[r] = summarise(d, 21).med;
		}
		double rate = (double)(__atomic_load_n(&b.done, __ATOMIC_RELAXED) - n0) / (now_ns() - w0);
		__atomic_store_n(&b.stop, 1, __ATOMIC_RELAXED);
		pthread_join(th, NULL);
		row("llt_hist_recorder", full ? "snapshot/100us, writer on CPU1, fallback" : "snapshot/100us, writer on CPU1, default",
		    summarise(t + 1, reps), "ns/op");
		uint64_t nb = llt_hist_count(&b.batch);
		uint64_t slow = nb - (uint64_t)(llt_hist_percentile_at_value(&b.batch, 2000) / 100 * (double)nb + 0.5);
		printf("%-26s writer meanwhile: %.2f M records/s; batches of 256 records p50 %llu ns, p99.9 %llu ns, "
		       "max %llu ns; %llu batches >= 2 us for %d snapshots (preemption counts too)\n",
		       "", rate * 1000, (unsigned long long)llt_hist_value_at_percentile(&b.batch, 50),
		       (unsigned long long)llt_hist_value_at_percentile(&b.batch, 99.9),
		       (unsigned long long)llt_hist_max(&b.batch), (unsigned long long)slow, 21 * (reps + 1));
		llt_hist_destroy(&b.batch);
	}

	printf("\nGoals (HdrHistogram_c on this machine): record <= 2.6 ns -> %.2f ns (ratio %.2f); "
	       "footprint <= 264 KiB -> %.1f KiB\n",
	       rec.med, rec.med / 2.6, llt_hist_memsize(1, HIGHEST, 3) / 1024.0);
	llt_hist_destroy(&out);
	llt_hist_recorder_destroy(&rc);
	llt_hist_recorder_destroy(&rcf);
	llt_hist_destroy(&h);
	free(arr);
	free(wv);
	free(vals);
	free(t);
	return 0;
}
