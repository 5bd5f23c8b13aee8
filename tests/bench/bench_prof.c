/* bench_prof: what the profiler costs.
 *
 *   - a probe pair (llt_prof_start + llt_prof_end) against the two ordered
 *     clock reads alone (llt_clock_start + llt_clock_end), interleaved in
 *     the same repetition; the goal is pair <= reads + 8 ns.  Bursts of
 *     1000 pairs are timed as a whole and divided (the TSC here advances in
 *     ~10 ns steps), the median burst of each repetition is kept;
 *   - llt_prof_record with ticks given (the recording alone, no clock);
 *   - llt_prof_snapshot of a profiler with 4 probes recorded by 1 thread;
 *   - llt_prof_report and llt_prof_write_svg to /dev/null.
 * 7 repetitions, the first discarded; medians and min-max over the rest.
 * The machine is shared: figures are noisy.  LLT_CLOCK=tsc forces the
 * TSC where the automatic choice falls back to CLOCK_MONOTONIC_RAW. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llt/clock.h>
#include <llt/cpu.h>
#include <llt/prof.h>

#define REPS 7
#define BURSTS 201
#define BURST 1000

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_d);
	return v[n / 2];
}

static volatile uint64_t sink;

static double burst_reads(void)
{
	uint64_t acc = 0, t0 = llt_clock_now();
	for (int i = 0; i < BURST; i++) {
		uint64_t t = llt_clock_start();
		acc += llt_clock_end() - t;
	}
	uint64_t t1 = llt_clock_now();
	sink += acc;
	return (double)llt_clock_to_ns(t1 - t0) / BURST;
}

static double burst_probe(struct llt_prof_probe *p)
{
	uint64_t t0 = llt_clock_now();
	for (int i = 0; i < BURST; i++) {
		uint64_t t = llt_prof_start();
		llt_prof_end(p, t);
	}
	uint64_t t1 = llt_clock_now();
	return (double)llt_clock_to_ns(t1 - t0) / BURST;
}

static double burst_record(struct llt_prof_probe *p)
{
	uint64_t base = llt_clock_now(), t0 = llt_clock_now();
	for (int i = 0; i < BURST; i++)
		llt_prof_record(p, base + (uint64_t)i * 64, base + (uint64_t)i * 64 + 100 + (i & 255), (uint64_t)i);
	uint64_t t1 = llt_clock_now();
	return (double)llt_clock_to_ns(t1 - t0) / BURST;
}

struct row {
	const char *name;
	double v[REPS];
};

static void print_row(const struct row *r, const char *unit)
{
	double v[REPS - 1];
	memcpy(v, r->v + 1, sizeof v);
	double med = median(v, REPS - 1);
	printf("%-44s %10.1f %s  (min %.1f, max %.1f, %d reps)\n", r->name, med, unit, v[0], v[REPS - 2], REPS - 1);
}

static double rowmed(const struct row *r)
{
	double v[REPS - 1];
	memcpy(v, r->v + 1, sizeof v);
	return median(v, REPS - 1);
}

int main(void)
{
	llt_clock_init(LLT_CLOCK_MODE_AUTO);
	int pinned = llt_cpu_pin(0) == 0;
	struct llt_prof *prof;
	struct llt_prof_probe *p, *q[4];
	struct llt_prof_probe_attr a = { .flags = LLT_PROF_OUTLIER_P999 };
	if (llt_prof_create("bench", &prof) || llt_prof_probe_create(prof, "pair", &a, &p))
		return 1;
	char name[16];
	for (int i = 0; i < 4; i++) {
		snprintf(name, sizeof name, "snap%d", i);
		if (llt_prof_probe_create(prof, name, NULL, &q[i]))
			return 1;
	}
	FILE *devnull = fopen("/dev/null", "w");
	if (!devnull)
		return 1;
	struct row reads = { .name = "two clock reads (start+end)" };
	struct row pair = { .name = "probe pair (llt_prof_start+llt_prof_end)" };
	struct row rec = { .name = "llt_prof_record, ticks given (no clock)" };
	struct row snap = { .name = "llt_prof_snapshot, 5 probes x 1 thread" };
	struct row rep = { .name = "llt_prof_report to /dev/null" };
	struct row svg = { .name = "llt_prof_write_svg to /dev/null" };
	for (int r = 0; r < REPS; r++) {
		double a1[BURSTS], a2[BURSTS], a3[BURSTS];
		for (int b = 0; b < BURSTS; b++) {
			a1[b] = burst_reads();
			a2[b] = burst_probe(p);
			a3[b] = burst_record(q[b & 3]);
		}
		reads.v[r] = median(a1, BURSTS);
		pair.v[r] = median(a2, BURSTS);
		rec.v[r] = median(a3, BURSTS);
		double s[21];
		for (int i = 0; i < 21; i++) {
			for (int k = 0; k < 4; k++)
				burst_record(q[k]);
			uint64_t t0 = llt_clock_now();
			llt_prof_snapshot(prof);
			s[i] = (double)llt_clock_to_ns(llt_clock_now() - t0) / 1000.0;
		}
		snap.v[r] = median(s, 21);
		uint64_t t0 = llt_clock_now();
		llt_prof_report(prof, devnull, 100);
		rep.v[r] = (double)llt_clock_to_ns(llt_clock_now() - t0) / 1000.0;
		t0 = llt_clock_now();
		llt_prof_write_svg(prof, devnull);
		svg.v[r] = (double)llt_clock_to_ns(llt_clock_now() - t0) / 1000.0;
	}
	struct llt_clock_info ci;
	llt_clock_info(&ci);
	printf("bench_prof: clock %s, %s; bursts of %d, median of %d bursts per rep; shared machine, noisy\n\n",
	       llt_clock_source_name(ci.source), pinned ? "pinned to CPU 0" : "not pinned", BURST, BURSTS);
	print_row(&reads, "ns");
	print_row(&pair, "ns");
	print_row(&rec, "ns");
	print_row(&snap, "us");
	print_row(&rep, "us");
	print_row(&svg, "us");
	double over = rowmed(&pair) - rowmed(&reads);
	printf("\nprobe pair - clock reads = %.1f ns (goal <= 8 ns: %s); ratio pair/reads = %.2f\n", over,
	       over <= 8 ? "met" : "NOT met", rowmed(&pair) / rowmed(&reads));
	fclose(devnull);
	llt_prof_free(prof);
	return 0;
}
