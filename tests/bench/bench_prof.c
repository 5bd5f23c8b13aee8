/* bench_prof: what the profiler costs.
 *
 *   - a probe pair (llt_prof_start + llt_prof_end) against the two ordered
 *     clock reads alone (llt_clock_start + llt_clock_end), interleaved in
 *     the same repetition; the goal is pair <= reads + 8 ns.  Bursts of
 *     1000 pairs are timed as a whole and divided (the TSC here advances in
 *     ~10 ns steps), the median burst of each repetition is kept.  The
 *     pair is timed twice: with the recorder's default protocol (writer
 *     without an atomic when membarrier(2) is available) and with the
 *     fallback (an atomic exchange per record) forced on a second probe's
 *     recorder, so that what the membarrier protocol saves is measured in
 *     the same run;
 *   - llt_prof_record with ticks given (the recording alone, no clock);
 *   - llt_prof_snapshot of a profiler with 4 probes recorded by 1 thread;
 *   - llt_prof_report and llt_prof_write_svg to /dev/null.
 * The bursts of a repetition go into an llt_hist (in 1/100 ns, 3 digits),
 * whose p50 is the repetition's figure (its p99 is printed beside it);
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

/* Force the fallback protocol on this thread's recorder of probe p (a
 * private field: only a benchmark does this).  The thread must have
 * recorded p once. */
static int force_full(struct llt_prof_probe *p)
{
	if (p->impl_id >= LLT_PROF_IMPL_FAST || !llt_prof_impl_fast[p->impl_id])
		return -1;
	llt_prof_impl_fast[p->impl_id]->rec.impl_mode = LLT_HIST_IMPL_FENCE_FULL;
	return 0;
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
	double v[REPS];   /* per rep: p50 of the bursts (or the one figure) */
	double v99[REPS]; /* per rep: p99 of the bursts, 0 if none */
};

/* The bursts of one repetition, through llt/hist (1/100 ns units). */
static void from_hist(struct row *row, int r, struct llt_hist *h)
{
	row->v[r] = (double)llt_hist_value_at_percentile(h, 50) / 100.0;
	row->v99[r] = (double)llt_hist_value_at_percentile(h, 99) / 100.0;
	llt_hist_reset(h);
}

static void print_row(const struct row *r, const char *unit)
{
	double v[REPS - 1], w[REPS - 1];
	memcpy(v, r->v + 1, sizeof v);
	memcpy(w, r->v99 + 1, sizeof w);
	double med = median(v, REPS - 1), med99 = median(w, REPS - 1);
	printf("%-44s %10.1f %s  (min %.1f, max %.1f, %d reps)", r->name, med, unit, v[0], v[REPS - 2], REPS - 1);
	if (med99 > 0)
		printf("  p99 of bursts %.1f", med99);
	printf("\n");
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
	struct llt_prof_probe *p, *pf, *q[4];
	struct llt_prof_probe_attr a = { .flags = LLT_PROF_OUTLIER_P999 };
	if (llt_prof_create("bench", &prof) || llt_prof_probe_create(prof, "pair", &a, &p) ||
	    llt_prof_probe_create(prof, "pair-full", &a, &pf))
		return 1;
	llt_prof_end(p, llt_prof_start());
	llt_prof_end(pf, llt_prof_start());
	const char *mode = p->impl_id < LLT_PROF_IMPL_FAST && llt_prof_impl_fast[p->impl_id] &&
				   llt_prof_impl_fast[p->impl_id]->rec.impl_mode == LLT_HIST_IMPL_FENCE_ASYM
			       ? "membarrier, no atomic"
			       : "atomic exchange: membarrier unavailable or LLT_HIST_MEMBARRIER=0";
	if (force_full(pf))
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
	struct row pairf = { .name = "probe pair, fallback (atomic exchange)" };
	struct row rec = { .name = "llt_prof_record, ticks given (no clock)" };
	struct row snap = { .name = "llt_prof_snapshot, 6 probes x 1 thread" };
	struct row rep = { .name = "llt_prof_report to /dev/null" };
	struct row svg = { .name = "llt_prof_write_svg to /dev/null" };
	struct llt_hist h1, h2, h3, h4;
	if (llt_hist_init(&h1, 1, 100000000, 3) || llt_hist_init(&h2, 1, 100000000, 3) ||
	    llt_hist_init(&h3, 1, 100000000, 3) || llt_hist_init(&h4, 1, 100000000, 3))
		return 1;
#define CENTI(x) llt_hist_record(&(x), (uint64_t)(100 * (x##_ns) + 0.5))
	for (int r = 0; r < REPS; r++) {
		for (int b = 0; b < BURSTS; b++) {
			double h1_ns = burst_reads(), h2_ns, h4_ns;
			if (b & 1) {
				h4_ns = burst_probe(pf);
				h2_ns = burst_probe(p);
			} else {
				h2_ns = burst_probe(p);
				h4_ns = burst_probe(pf);
			}
			double h3_ns = burst_record(q[b & 3]);
			CENTI(h1);
			CENTI(h2);
			CENTI(h3);
			CENTI(h4);
		}
		from_hist(&reads, r, &h1);
		from_hist(&pair, r, &h2);
		from_hist(&rec, r, &h3);
		from_hist(&pairf, r, &h4);
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
	printf("bench_prof: clock %s, %s; bursts of %d, median of %d bursts per rep; shared machine, noisy\n",
	       llt_clock_source_name(ci.source), pinned ? "pinned to CPU 0" : "not pinned", BURST, BURSTS);
	printf("recorder protocol: %s\n\n", mode);
	print_row(&reads, "ns");
	print_row(&pair, "ns");
	print_row(&pairf, "ns");
	print_row(&rec, "ns");
	print_row(&snap, "us");
	print_row(&rep, "us");
	print_row(&svg, "us");
	double over = rowmed(&pair) - rowmed(&reads);
	printf("\nprobe pair - clock reads = %.1f ns (goal <= 8 ns: %s); ratio pair/reads = %.2f\n", over,
	       over <= 8 ? "met" : "NOT met", rowmed(&pair) / rowmed(&reads));
	printf("fallback pair - clock reads = %.1f ns; the membarrier protocol saves %.1f ns per pair\n",
	       rowmed(&pairf) - rowmed(&reads), rowmed(&pairf) - rowmed(&pair));
	fclose(devnull);
	llt_hist_destroy(&h1);
	llt_hist_destroy(&h2);
	llt_hist_destroy(&h3);
	llt_hist_destroy(&h4);
	llt_prof_free(prof);
	return 0;
}
