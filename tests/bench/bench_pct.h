/* Latency percentiles for the benchmarks, through llt/hist.
 *
 * Every benchmark reports its latency distributions through the project's
 * own HDR histogram (issue #5), so a figure in a bench table and a figure
 * from llt_prof(3) mean the same thing: the value at the percentile within
 * 3 significant digits (HdrHistogram's "equivalent value").  C and C++.
 */
#ifndef LLT_BENCH_PCT_H
#define LLT_BENCH_PCT_H

#include <stddef.h>
#include <stdint.h>

#include <llt/clock.h>
#include <llt/hist.h>

struct bench_pct {
	double p50, p99, p999, max;
};

/* One hour in ns: above it a sample is counted as overflow, and the
 * reported max is the hour (a run that long is broken anyway). */
#define BENCH_PCT_HIGHEST UINT64_C(3600000000000)

/* scale: each value is recorded as value * scale, and the results are
 * divided by it again (bench_pct_d keeps 1/100 ns). */
static inline struct bench_pct bench_pct_fill(struct llt_hist *h, double scale)
{
	struct bench_pct p = { 0, 0, 0, 0 };
	if (llt_hist_count(h) == 0)
		return p;
	p.p50 = (double)llt_hist_value_at_percentile(h, 50.0) / scale;
	p.p99 = (double)llt_hist_value_at_percentile(h, 99.0) / scale;
	p.p999 = (double)llt_hist_value_at_percentile(h, 99.9) / scale;
	p.max = llt_hist_overflow(h) ? (double)BENCH_PCT_HIGHEST / scale
				     : (double)llt_hist_max(h) / scale;
	return p;
}

/* How bench_pct_of() reads sample i: uint64_t ns, uint64_t llt_clock
 * ticks, or double ns (per-operation averages of short bursts, recorded
 * in 1/100 ns). */
enum bench_pct_unit { BENCH_PCT_NS, BENCH_PCT_TICKS, BENCH_PCT_FRAC_NS };

static inline struct bench_pct bench_pct_of(const void *v, size_t n, enum bench_pct_unit u)
{
	const uint64_t *iv = (const uint64_t *)v;
	const double *dv = (const double *)v;
	struct llt_hist *h;
	struct bench_pct p = { 0, 0, 0, 0 };
	if (llt_hist_create(1, BENCH_PCT_HIGHEST, 3, &h) != 0)
		return p;
	for (size_t i = 0; i < n; i++) {
		uint64_t x;
		if (u == BENCH_PCT_NS)
			x = iv[i];
		else if (u == BENCH_PCT_TICKS)
			x = llt_clock_to_ns(iv[i]);
		else
			x = dv[i] > 0 ? (uint64_t)(dv[i] * 100.0 + 0.5) : 0;
		llt_hist_record(h, x);
	}
	p = bench_pct_fill(h, u == BENCH_PCT_FRAC_NS ? 100.0 : 1.0);
	llt_hist_free(h);
	return p;
}

static inline struct bench_pct bench_pct_ns(const uint64_t *v, size_t n)
{
	return bench_pct_of(v, n, BENCH_PCT_NS);
}

static inline struct bench_pct bench_pct_ticks(const uint64_t *v, size_t n)
{
	return bench_pct_of(v, n, BENCH_PCT_TICKS);
}

static inline struct bench_pct bench_pct_d(const double *v, size_t n)
{
	return bench_pct_of(v, n, BENCH_PCT_FRAC_NS);
}

#endif
