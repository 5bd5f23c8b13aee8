/* llt/hist: percentiles against an exact reference, merge, coordinated-
 * omission correction, the recorder under concurrent writers, .hgrm
 * output, save/load and corrupt input. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/syscall.h>
#include <llt/cpu.h>
#include <llt/hist.h>

#include "testutil.h"

/* ------------------------------------------------------------ helpers */

static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static uint64_t rng(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15u);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
	return z ^ (z >> 31);
}

static double unif(void)
{
	return ((double)(rng() >> 11) + 0.5) / 9007199254740992.0;
}

static const uint64_t TOP = UINT64_C(1000000000000); /* 1e12: 1 ns .. ~17 min */

enum dist { UNIFORM, EXPONENTIAL, LOGNORMAL, PARETO, NDIST };
static const char *dist_name[] = {"uniform", "exponential", "lognormal", "pareto"};

static uint64_t draw(enum dist d)
{
	double v = 1;
	switch (d) {
	case UNIFORM:
		v = 1 + unif() * 1e6;
		break;
	case EXPONENTIAL:
		v = 1 - 2e4 * log(unif());
		break;
	case LOGNORMAL: {
		double z = sqrt(-2 * log(unif())) * cos(2 * M_PI * unif());
		v = exp(log(1e4) + 1.5 * z);
		break;
	}
	case PARETO:
		v = 1000 / pow(unif(), 1 / 1.1);
		break;
	default:
		break;
	}
	if (v < 1)
		v = 1;
	if (v > (double)TOP)
		v = (double)TOP;
	return (uint64_t)v;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static size_t n_ref(void)
{
	size_t n = (size_t)(1500000 * llt_test_scale());
	return n < 20000 ? 20000 : n;
}

static uint64_t *make_sorted(enum dist d, size_t n)
{
	uint64_t *a = malloc(n * sizeof *a);
	ck_assert_ptr_nonnull(a);
	for (size_t i = 0; i < n; i++)
		a[i] = draw(d);
	qsort(a, n, sizeof *a, cmp_u64);
	return a;
}

/* Counter by counter equality, and the overflow count. */
static void assert_same(const struct llt_hist *a, const struct llt_hist *b)
{
	ck_assert_uint_eq(a->counts_len, b->counts_len);
	ck_assert_uint_eq(a->overflow, b->overflow);
	for (uint32_t i = 0; i < a->counts_len; i++)
		ck_assert_msg(a->counts[i] == b->counts[i], "counter %u: %llu vs %llu", i,
			      (unsigned long long)a->counts[i], (unsigned long long)b->counts[i]);
	for (uint32_t g = 0; g < a->ngroups; g++)
		ck_assert_uint_eq(a->groups[g], b->groups[g]);
}

/* ------------------------------------------------------------ set-up */

START_TEST(bad_inputs)
{
	struct llt_hist h, before;
	memset(&h, 0xA5, sizeof h);
	before = h;
	ck_assert_int_eq(llt_hist_init(&h, 0, 1000, 3), -EINVAL);
	ck_assert_int_eq(llt_hist_init(&h, 501, 1000, 3), -EINVAL);
	ck_assert_int_eq(llt_hist_init(&h, 1000, 1000, 3), -EINVAL);
	ck_assert_int_eq(llt_hist_init(&h, 1, 1000, 0), -EINVAL);
	ck_assert_int_eq(llt_hist_init(&h, 1, 1000, 6), -EINVAL);
	ck_assert_int_eq(llt_hist_init(&h, 1, 1000, -1), -EINVAL);
	ck_assert_int_eq(llt_hist_init(&h, UINT64_C(1) << 60, UINT64_MAX, 5), -EINVAL);
	ck_assert_int_eq(llt_hist_init(NULL, 1, 1000, 3), -EINVAL);
	ck_assert(memcmp(&h, &before, sizeof h) == 0);
	struct llt_hist *p = (struct llt_hist *)&before;
	ck_assert_int_eq(llt_hist_create(0, 10, 3, &p), -EINVAL);
	ck_assert_ptr_eq(p, &before);
	ck_assert_int_eq(llt_hist_create(1, 10, 3, NULL), -EINVAL);
	ck_assert_uint_eq(llt_hist_memsize(1, 1000, 9), 0);
	struct llt_hist_recorder r;
	ck_assert_int_eq(llt_hist_recorder_init(&r, 1, 1000, 7), -EINVAL);
	ck_assert_int_eq(llt_hist_recorder_init(NULL, 1, 1000, 3), -EINVAL);
	/* The widest configurations work. */
	ck_assert_int_eq(llt_hist_init(&h, 1, UINT64_MAX, 2), 0);
	ck_assert(llt_hist_record(&h, UINT64_MAX));
	ck_assert_uint_eq(llt_hist_max(&h), UINT64_MAX);
	ck_assert_uint_eq(llt_hist_overflow(&h), 0);
	llt_hist_destroy(&h);
	ck_assert_int_eq(llt_hist_init(&h, 2, 4, 1), 0);
	llt_hist_destroy(&h);
}
END_TEST

/* HdrHistogram_c needs 264 KiB for 1 ns .. 1 hour at 3 digits. */
START_TEST(footprint)
{
	size_t sz = llt_hist_memsize(1, UINT64_C(3600000000000), 3);
	ck_assert_uint_gt(sz, 0);
	ck_assert_uint_le(sz, 264 * 1024);
	struct llt_hist h;
	ck_assert_int_eq(llt_hist_init(&h, 1, UINT64_C(3600000000000), 3), 0);
	ck_assert_uint_eq(h.sub_count, 2048);
	ck_assert_uint_eq(h.bucket_count, 32);
	ck_assert_uint_ge(h.max_trackable, UINT64_C(3600000000000));
	llt_hist_destroy(&h);
}
END_TEST

START_TEST(overflow_and_low_values)
{
	struct llt_hist h;
	ck_assert_int_eq(llt_hist_init(&h, 1000, 1000000, 3), 0);
	ck_assert_uint_eq(h.unit_mag, 9);
	ck_assert(!llt_hist_record(&h, h.max_trackable + 1));
	ck_assert(!llt_hist_record_n(&h, UINT64_MAX, 4));
	ck_assert(llt_hist_record(&h, h.max_trackable));
	ck_assert(llt_hist_record(&h, 5));   /* below lowest: counted, 512-wide */
	ck_assert(llt_hist_record(&h, 0));
	ck_assert_uint_eq(llt_hist_overflow(&h), 5);
	ck_assert_uint_eq(llt_hist_count(&h), 3);
	ck_assert_uint_eq(llt_hist_min(&h), 0);
	ck_assert_uint_eq(llt_hist_count_at_value(&h, 511), 2);
	ck_assert_uint_eq(llt_hist_max(&h), h.max_trackable);
	/* Saturation instead of wrap-around. */
	llt_hist_record_n(&h, 2000, UINT64_MAX - 1);
	llt_hist_record_n(&h, 2000, 7);
	ck_assert_uint_eq(llt_hist_count_at_value(&h, 2000), UINT64_MAX);
	ck_assert_uint_eq(llt_hist_count(&h), UINT64_MAX);
	llt_hist_reset(&h);
	ck_assert_uint_eq(llt_hist_count(&h), 0);
	ck_assert_uint_eq(llt_hist_overflow(&h), 0);
	ck_assert_uint_eq(llt_hist_value_at_percentile(&h, 50), 0);
	ck_assert_uint_eq(llt_hist_max(&h), 0);
	ck_assert(llt_hist_mean(&h) == 0);
	for (uint32_t i = 0; i < h.counts_len; i++)
		ck_assert_uint_eq(h.counts[i], 0);
	llt_hist_destroy(&h);
}
END_TEST

/* ------------------------------------------------------------ accuracy */

static const double pcts[] = {0, 1, 10, 25, 50, 75, 90, 99, 99.5, 99.9, 99.99, 99.999, 100};

static void check_against(const uint64_t *s, size_t n, int digits)
{
	struct llt_hist h;
	ck_assert_int_eq(llt_hist_init(&h, 1, TOP, digits), 0);
	for (size_t i = 0; i < n; i++)
		llt_hist_record(&h, s[i]);
	ck_assert_uint_eq(llt_hist_count(&h), n);
	double prec = pow(10, -digits);
	for (size_t k = 0; k < sizeof pcts / sizeof pcts[0]; k++) {
		double p = pcts[k];
		uint64_t rank = (uint64_t)(p / 100 * (double)n + 0.5);
		if (rank < 1)
			rank = 1;
		if (rank > n)
			rank = n;
		uint64_t exact = s[rank - 1], got = llt_hist_value_at_percentile(&h, p);
		ck_assert_msg(llt_hist_lowest_equivalent(&h, got) == llt_hist_lowest_equivalent(&h, exact),
			      "digits %d p%g: %llu, exact %llu", digits, p, (unsigned long long)got,
			      (unsigned long long)exact);
		double err = fabs((double)got - (double)exact);
		ck_assert_msg(err <= (double)exact * prec, "digits %d p%g: %llu vs %llu beyond 1e-%d", digits, p,
			      (unsigned long long)got, (unsigned long long)exact, digits);
		/* and back: the percentile of the reported value covers p */
		ck_assert(llt_hist_percentile_at_value(&h, got) >= 100.0 * (double)rank / (double)n - 1e-9);
	}
	ck_assert_uint_eq(llt_hist_min(&h), llt_hist_lowest_equivalent(&h, s[0]));
	ck_assert_uint_eq(llt_hist_max(&h), llt_hist_highest_equivalent(&h, s[n - 1]));
	long double m = 0, q = 0;
	for (size_t i = 0; i < n; i++)
		m += s[i];
	m /= n;
	for (size_t i = 0; i < n; i++)
		q += ((long double)s[i] - m) * ((long double)s[i] - m);
	double sd = (double)sqrtl(q / n), rms = (double)sqrtl(q / n + m * m);
	double delta = 1.0 / (h.sub_count / 2);
	ck_assert_msg(fabs(llt_hist_mean(&h) - (double)m) <= (double)m * delta + 1, "mean %f vs %Lf",
		      llt_hist_mean(&h), m);
	ck_assert_msg(fabs(llt_hist_stddev(&h) - sd) <= rms * delta + 1, "stddev %f vs %f", llt_hist_stddev(&h), sd);
	llt_hist_destroy(&h);
}

START_TEST(percentiles_match_reference)
{
	enum dist d = (enum dist)_i;
	size_t n = n_ref();
	rng_state = 12345 + (uint64_t)_i;
	uint64_t *s = make_sorted(d, n);
	(void)dist_name;
	for (int digits = 1; digits <= 5; digits++)
		check_against(s, n, digits);
	/* A small sample, where every rank is a different value. */
	check_against(s + n / 2, 7, 3);
	free(s);
}
END_TEST

/* ------------------------------------------------------------ merge */

START_TEST(merge_equals_union)
{
	size_t n = n_ref() / 4;
	struct llt_hist a, b, u, narrow;
	ck_assert_int_eq(llt_hist_init(&a, 1, TOP, 3), 0);
	ck_assert_int_eq(llt_hist_init(&b, 1, TOP, 3), 0);
	ck_assert_int_eq(llt_hist_init(&u, 1, TOP, 3), 0);
	ck_assert_int_eq(llt_hist_init(&narrow, 1, 1000000, 2), 0);
	rng_state = 99;
	for (size_t i = 0; i < n; i++) {
		uint64_t x = draw(LOGNORMAL), y = draw(PARETO);
		llt_hist_record(&a, x);
		llt_hist_record(&u, x);
		llt_hist_record(&b, y);
		llt_hist_record(&u, y);
	}
	llt_hist_record(&b, TOP * 2);
	llt_hist_record(&u, TOP * 2);
	ck_assert_int_eq(llt_hist_add(&a, &b), 0);
	assert_same(&a, &u);
	/* Different range and precision: what the target cannot hold goes to
	 * its overflow count; everything else lands where recording would
	 * put the source bucket's lowest value. */
	ck_assert_int_eq(llt_hist_add(&narrow, &u), 0);
	uint64_t in = 0, over = u.overflow;
	struct llt_hist_iter it;
	ck_assert_int_eq(llt_hist_iter_init(&it, &u, LLT_HIST_ITER_RECORDED, 0, 0), 0);
	while (llt_hist_iter_next(&it)) {
		if (it.value_from > narrow.max_trackable)
			over += it.count;
		else
			in += it.count;
	}
	ck_assert_uint_eq(llt_hist_count(&narrow), in);
	ck_assert_uint_eq(llt_hist_overflow(&narrow), over);
	ck_assert_uint_eq(in + over, 2 * n + 1);
	ck_assert_int_eq(llt_hist_add(NULL, &a), -EINVAL);
	ck_assert_int_eq(llt_hist_add(&a, NULL), -EINVAL);
	llt_hist_destroy(&a);
	llt_hist_destroy(&b);
	llt_hist_destroy(&u);
	llt_hist_destroy(&narrow);
}
END_TEST

/* ------------------------------------------------------------ coordinated omission */

START_TEST(corrected_matches_arithmetic)
{
	struct llt_hist h, ref;
	ck_assert_int_eq(llt_hist_init(&h, 1, TOP, 3), 0);
	ck_assert_int_eq(llt_hist_init(&ref, 1, TOP, 3), 0);
	/* 10000 with an interval of 1000: 10000 and 9000, 8000, ..., 1000. */
	llt_hist_record_corrected(&h, 10000, 1000);
	for (uint64_t v = 10000; v >= 1000; v -= 1000)
		llt_hist_record(&ref, v);
	assert_same(&h, &ref);
	ck_assert_uint_eq(llt_hist_count(&h), 10);
	/* No back-fill without an interval or below two intervals. */
	llt_hist_record_corrected(&h, 1999, 1000);
	llt_hist_record(&ref, 1999);
	llt_hist_record_corrected(&h, 5000, 0);
	llt_hist_record(&ref, 5000);
	assert_same(&h, &ref);
	/* A long stall (taken per counter, not per sample): 1e9 - k*7 for
	 * every k with 1e9 - 7k >= 7. */
	uint64_t v = 1000000000, iv = 7;
	llt_hist_record_corrected(&h, v, iv);
	llt_hist_record(&ref, v);
	for (uint64_t m = v - iv; m >= iv; m -= iv)
		llt_hist_record(&ref, m);
	assert_same(&h, &ref);
	/* Terms above the range are counted as overflow, as recording them would. */
	struct llt_hist s, sref;
	ck_assert_int_eq(llt_hist_init(&s, 1, 100000, 2), 0);
	ck_assert_int_eq(llt_hist_init(&sref, 1, 100000, 2), 0);
	llt_hist_record_corrected(&s, 3000000, 3);
	for (uint64_t m = 3000000; m >= 3; m -= 3)
		llt_hist_record(&sref, m);
	assert_same(&s, &sref);
	llt_hist_destroy(&s);
	llt_hist_destroy(&sref);

	/* Post-hoc: values that are exact at 3 digits (< 2048) give the same
	 * as correcting while recording. */
	struct llt_hist raw, post, live;
	ck_assert_int_eq(llt_hist_init(&raw, 1, TOP, 3), 0);
	ck_assert_int_eq(llt_hist_init(&post, 1, TOP, 3), 0);
	ck_assert_int_eq(llt_hist_init(&live, 1, TOP, 3), 0);
	rng_state = 5;
	for (int i = 0; i < 20000; i++) {
		uint64_t x = 1 + rng() % 2047;
		llt_hist_record(&raw, x);
		llt_hist_record_corrected(&live, x, 100);
	}
	ck_assert_int_eq(llt_hist_copy_corrected(&post, &raw, 100), 0);
	assert_same(&post, &live);
	ck_assert_int_eq(llt_hist_copy_corrected(&post, &post, 100), -EINVAL);
	llt_hist_destroy(&raw);
	llt_hist_destroy(&post);
	llt_hist_destroy(&live);
	llt_hist_destroy(&h);
	llt_hist_destroy(&ref);
}
END_TEST

/* ------------------------------------------------------------ iteration */

START_TEST(iterators)
{
	struct llt_hist h;
	struct llt_hist_iter it;
	ck_assert_int_eq(llt_hist_init(&h, 1, TOP, 2), 0);
	ck_assert_int_eq(llt_hist_iter_init(&it, &h, LLT_HIST_ITER_RECORDED, 0, 0), 0);
	ck_assert(!llt_hist_iter_next(&it));
	ck_assert_int_eq(llt_hist_iter_init(&it, &h, LLT_HIST_ITER_PERCENTILE, 5, 0), 0);
	ck_assert(!llt_hist_iter_next(&it));
	rng_state = 77;
	size_t n = 100000;
	for (size_t i = 0; i < n; i++)
		llt_hist_record(&h, draw(EXPONENTIAL));
	/* recorded: increasing, non-zero, summing to the total */
	uint64_t sum = 0, prev = 0;
	int steps = 0;
	ck_assert_int_eq(llt_hist_iter_init(&it, &h, LLT_HIST_ITER_RECORDED, 0, 0), 0);
	while (llt_hist_iter_next(&it)) {
		ck_assert_uint_gt(it.count, 0);
		ck_assert(steps == 0 || it.value_from > prev);
		ck_assert_uint_eq(it.count, llt_hist_count_at_value(&h, it.value));
		ck_assert_uint_eq(llt_hist_lowest_equivalent(&h, it.value), it.value_from);
		prev = it.value;
		sum += it.count;
		ck_assert_uint_eq(sum, it.count_to);
		steps++;
	}
	ck_assert_uint_eq(sum, n);
	ck_assert(fabs(it.percentile - 100) < 1e-9);
	/* all: every counter up to the last recorded one */
	uint64_t all = 0;
	sum = 0;
	ck_assert_int_eq(llt_hist_iter_init(&it, &h, LLT_HIST_ITER_ALL, 0, 0), 0);
	while (llt_hist_iter_next(&it)) {
		sum += it.count;
		all++;
	}
	ck_assert_uint_eq(sum, n);
	ck_assert_uint_eq(it.value, llt_hist_max(&h));
	ck_assert_uint_ge(all, (uint64_t)steps);
	/* linear and log steps: contiguous ranges partitioning the counts */
	for (int mode = LLT_HIST_ITER_LINEAR; mode <= LLT_HIST_ITER_LOG; mode++) {
		ck_assert_int_eq(llt_hist_iter_init(&it, &h, (enum llt_hist_iter_mode)mode, 1000, 2), 0);
		uint64_t next_from = 0;
		sum = 0;
		while (llt_hist_iter_next(&it)) {
			ck_assert_uint_eq(it.value_from, next_from);
			ck_assert_uint_ge(it.value, it.value_from);
			next_from = it.value + 1;
			sum += it.count;
			ck_assert_uint_eq(sum, it.count_to);
		}
		ck_assert_uint_eq(sum, n);
		ck_assert_uint_ge(it.value, llt_hist_lowest_equivalent(&h, llt_hist_max(&h)));
	}
	/* percentile: levels increase, values do not decrease, ends at 100 */
	ck_assert_int_eq(llt_hist_iter_init(&it, &h, LLT_HIST_ITER_PERCENTILE, 5, 0), 0);
	double lvl = -1;
	prev = 0;
	while (llt_hist_iter_next(&it)) {
		ck_assert(it.percentile > lvl);
		ck_assert_uint_ge(it.value, prev);
		lvl = it.percentile;
		prev = it.value;
	}
	ck_assert(lvl == 100.0);
	ck_assert_uint_eq(prev, llt_hist_max(&h));
	ck_assert_int_eq(llt_hist_iter_init(&it, &h, LLT_HIST_ITER_LOG, 10, 1), -EINVAL);
	ck_assert_int_eq(llt_hist_iter_init(&it, &h, LLT_HIST_ITER_PERCENTILE, 0, 0), -EINVAL);
	ck_assert_int_eq(llt_hist_iter_init(&it, &h, (enum llt_hist_iter_mode)9, 1, 1), -EINVAL);
	llt_hist_destroy(&h);
}
END_TEST

/* ------------------------------------------------------------ .hgrm */

START_TEST(hgrm_parses_back)
{
	struct llt_hist h;
	size_t n = 200000;
	ck_assert_int_eq(llt_hist_init(&h, 1, TOP, 3), 0);
	rng_state = 4242;
	uint64_t *s = make_sorted(LOGNORMAL, n);
	for (size_t i = 0; i < n; i++)
		llt_hist_record(&h, s[i]);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(llt_hist_write_hgrm(&h, f, 1000.0, 5), 0);
	fclose(f);
	ck_assert(strncmp(text, "       Value     Percentile TotalCount 1/(1-Percentile)\n\n", 57) == 0);
	char *line = strtok(text + 57, "\n");
	int rows = 0, footer = 0;
	double last_p = -1;
	while (line) {
		if (line[0] == '#') {
			double a, b;
			unsigned long long c;
			if (sscanf(line, "#[Mean    = %lf, StdDeviation   = %lf]", &a, &b) == 2) {
				ck_assert(fabs(a - llt_hist_mean(&h) / 1000) < 1e-3);
				ck_assert(fabs(b - llt_hist_stddev(&h) / 1000) < 1e-3);
				footer++;
			} else if (sscanf(line, "#[Max     = %lf, Total count    = %llu]", &a, &c) == 2) {
				ck_assert(fabs(a - (double)llt_hist_max(&h) / 1000) < 1e-3);
				ck_assert_uint_eq(c, n);
				footer++;
			} else if (sscanf(line, "#[Buckets = %lf, SubBuckets     = %llu]", &a, &c) == 2) {
				ck_assert(a == h.bucket_count && c == h.sub_count);
				footer++;
			}
		} else {
			double v, p, inv;
			unsigned long long c;
			int k = sscanf(line, "%lf %lf %llu %lf", &v, &p, &c, &inv);
			ck_assert_msg(k == 4 || (k == 3 && p == 1.0), "bad row '%s'", line);
			ck_assert(p > last_p);
			last_p = p;
			ck_assert(c >= 1 && c <= n);
			/* The row's value is the top of the sub-bucket holding the
			 * c-th smallest sample, which reaches percentile p. */
			uint64_t want = llt_hist_highest_equivalent(&h, s[c - 1]);
			ck_assert_msg(fabs(v * 1000 - (double)want) < 0.5, "row %d: %f vs %llu", rows, v * 1000,
				      (unsigned long long)want);
			ck_assert(p <= (double)c / (double)n + 1e-12);
			if (c > 1 && p < 1.0)
				ck_assert(s[c - 2] < s[c - 1] || p > 0);
			if (k == 4)
				ck_assert(fabs(inv - 1 / (1 - p)) <= 0.01 + 1e-3 * inv);
			/* and the same percentile answers the same value */
			if (p > 0 && p < 1.0) {
				uint64_t q = llt_hist_value_at_percentile(&h, p * 100);
				ck_assert(llt_hist_lowest_equivalent(&h, q) <= want);
			}
			rows++;
		}
		line = strtok(NULL, "\n");
	}
	ck_assert_int_eq(footer, 3);
	ck_assert_int_gt(rows, 50);
	ck_assert(last_p == 1.0);
	free(text);
	free(s);
	ck_assert_int_eq(llt_hist_write_hgrm(&h, stdout, 0, 5), -EINVAL);
	ck_assert_int_eq(llt_hist_write_hgrm(&h, NULL, 1, 5), -EINVAL);
	llt_hist_destroy(&h);
}
END_TEST

/* ------------------------------------------------------------ save/load */

static struct llt_hist *sample_hist(int digits, size_t n, uint64_t seed)
{
	struct llt_hist *h;
	ck_assert_int_eq(llt_hist_create(3, UINT64_C(10000000000), digits, &h), 0);
	rng_state = seed;
	for (size_t i = 0; i < n; i++)
		llt_hist_record(h, draw((enum dist)(i % NDIST)));
	llt_hist_record_n(h, 12345, UINT64_C(1) << 40);
	llt_hist_record(h, UINT64_MAX);
	h->start_ns = 1234567890123;
	h->end_ns = -5;
	return h;
}

START_TEST(save_load_round_trip)
{
	for (int digits = 1; digits <= 5; digits++) {
		struct llt_hist *h = sample_hist(digits, digits == 5 ? 20000 : 100000, (uint64_t)digits), *g;
		ssize_t n = llt_hist_encode(h, NULL, 0);
		ck_assert_int_gt(n, 68);
		unsigned char *buf = malloc((size_t)n);
		ck_assert_int_eq(llt_hist_encode(h, buf, (size_t)n - 1), n); /* too small: size only */
		ck_assert_int_eq(llt_hist_encode(h, buf, (size_t)n), n);
		size_t used = 0;
		ck_assert_int_eq(llt_hist_decode(buf, (size_t)n, &g, &used), 0);
		ck_assert_uint_eq(used, (size_t)n);
		assert_same(h, g);
		ck_assert_int_eq(g->digits, digits);
		ck_assert_uint_eq(g->lowest, 3);
		ck_assert_int_eq(g->start_ns, h->start_ns);
		ck_assert_int_eq(g->end_ns, h->end_ns);
		llt_hist_free(g);
		free(buf);
		llt_hist_free(h);
	}
	/* An empty histogram, then two records in one file, then EOF. */
	struct llt_hist *e, *h = sample_hist(3, 5000, 9), *g;
	ck_assert_int_eq(llt_hist_create(1, 1000, 2, &e), 0);
	FILE *f = tmpfile();
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(llt_hist_save(e, f), 0);
	ck_assert_int_eq(llt_hist_save(h, f), 0);
	rewind(f);
	ck_assert_int_eq(llt_hist_load(f, &g), 0);
	assert_same(e, g);
	llt_hist_free(g);
	ck_assert_int_eq(llt_hist_load(f, &g), 0);
	assert_same(h, g);
	llt_hist_free(g);
	ck_assert_int_eq(llt_hist_load(f, &g), -ENODATA);
	fclose(f);
	ck_assert_int_eq(llt_hist_load(NULL, &g), -EINVAL);
	ck_assert_int_eq(llt_hist_decode(NULL, 10, &g, NULL), -EINVAL);
	llt_hist_free(e);
	llt_hist_free(h);
}
END_TEST

START_TEST(corrupt_input_rejected)
{
	struct llt_hist *h = sample_hist(2, 3000, 31), *g = NULL;
	ssize_t n = llt_hist_encode(h, NULL, 0);
	unsigned char *buf = malloc((size_t)n), *copy = malloc((size_t)n);
	ck_assert_int_eq(llt_hist_encode(h, buf, (size_t)n), n);
	/* Every truncation. */
	for (ssize_t len = 0; len < n; len++) {
		memcpy(copy, buf, (size_t)len);
		ck_assert_int_eq(llt_hist_decode(copy, (size_t)len, &g, NULL), -EBADMSG);
	}
	/* Truncated files. */
	for (ssize_t len = 1; len < n; len += 1 + len / 8) {
		FILE *f = tmpfile();
		ck_assert_int_eq(fwrite(buf, 1, (size_t)len, f), (size_t)len);
		rewind(f);
		ck_assert_int_eq(llt_hist_load(f, &g), -EBADMSG);
		fclose(f);
	}
	/* Random flips: one to four bytes; a newer version is -ENOTSUP. */
	rng_state = 2024;
	int trials = (int)(20000 * llt_test_scale());
	for (int t = 0; t < trials; t++) {
		memcpy(copy, buf, (size_t)n);
		int flips = 1 + (int)(rng() % 4);
		for (int k = 0; k < flips; k++)
			copy[rng() % (uint64_t)n] ^= (unsigned char)(1 + rng() % 255);
		if (!memcmp(copy, buf, (size_t)n))
			continue;
		int rc = llt_hist_decode(copy, (size_t)n, &g, NULL);
		ck_assert_msg(rc == -EBADMSG || (rc == -ENOTSUP && copy[4] > 1), "trial %d: rc %d", t, rc);
	}
	/* Garbage with a valid magic and version. */
	for (int t = 0; t < trials / 10; t++) {
		size_t len = (size_t)(rng() % 300);
		for (size_t i = 0; i < len; i++)
			copy[i] = (unsigned char)rng();
		if (len >= 5) {
			memcpy(copy, "LLTH\1", 5);
		}
		int rc = llt_hist_decode(copy, len, &g, NULL);
		ck_assert(rc == -EBADMSG);
	}
	free(buf);
	free(copy);
	llt_hist_free(h);
}
END_TEST

/* ------------------------------------------------------------ recorder */

START_TEST(recorder_intervals)
{
	struct llt_hist_recorder r;
	struct llt_hist out;
	ck_assert_int_eq(llt_hist_recorder_init(&r, 1, 1000000, 3), 0);
	ck_assert_int_eq(llt_hist_init(&out, 1, 1000000, 3), 0);
	for (int i = 0; i < 5; i++)
		llt_hist_recorder_record(&r, 100);
	ck_assert_int_eq(llt_hist_recorder_snapshot(&r, &out), 0);
	ck_assert_uint_eq(llt_hist_count(&out), 5);
	ck_assert_int_gt(out.end_ns, 0);
	ck_assert_int_le(out.start_ns, out.end_ns);
	llt_hist_recorder_record_n(&r, 7, 3);
	llt_hist_recorder_record(&r, 5000000);
	llt_hist_recorder_record_corrected(&r, 4000, 1000);
	ck_assert_int_eq(llt_hist_recorder_snapshot(&r, &out), 0);
	ck_assert_uint_eq(llt_hist_count(&out), 7);
	ck_assert_uint_eq(llt_hist_overflow(&out), 1);
	ck_assert_uint_eq(llt_hist_count_at_value(&out, 7), 3);
	ck_assert_int_eq(llt_hist_recorder_snapshot(&r, &out), 0);
	ck_assert_uint_eq(llt_hist_count(&out), 0);
	ck_assert_int_eq(llt_hist_recorder_snapshot(&r, &r.impl_hist[0]), -EINVAL);
	llt_hist_destroy(&out);
	llt_hist_recorder_destroy(&r);
}
END_TEST

/* The recorder's fence protocols: _i = 0 the library's choice (ASYM, with
 * membarrier, where the kernel offers it), 1 the FULL fallback forced on
 * the recorders (TSan builds always use FULL). */
static const char *set_mode(struct llt_hist_recorder *r, int forced_full)
{
	if (forced_full)
		r->impl_mode = LLT_HIST_IMPL_FENCE_FULL;
	return r->impl_mode == LLT_HIST_IMPL_FENCE_ASYM ? "asym (membarrier)" : "full (atomic exchange)";
}

#define WRITERS 3
struct writer_arg {
	struct llt_hist_recorder *r;
	uint64_t n;
	int cpu;
	uint64_t seed;
};

static void *writer(void *p)
{
	struct writer_arg *a = p;
	if (a->cpu >= 0)
		(void)llt_cpu_pin(a->cpu);
	for (uint64_t i = 0; i < a->n; i++) {
		llt_hist_recorder_record(a->r, 1 + (i * 2654435761u) % 100000);
		llt_test_pause_maybe(&a->seed);
	}
	return NULL;
}

/* A snapshot must hold whole records: each counter's sum equals its
 * group's total (a record cut in two by a flip would break it). */
static void assert_consistent(const struct llt_hist *h)
{
	for (uint32_t g = 0; g < h->ngroups; g++) {
		uint64_t sum = 0;
		for (uint32_t i = g << h->half_mag; i < h->counts_len && i < (g + 1) << h->half_mag; i++)
			sum += h->counts[i];
		ck_assert_msg(sum == h->groups[g], "group %u: counters %llu, total %llu", g, (unsigned long long)sum,
			      (unsigned long long)h->groups[g]);
	}
}

START_TEST(recorder_concurrent_exactly_once)
{
	struct llt_hist_recorder r[WRITERS];
	struct writer_arg args[WRITERS];
	pthread_t t[WRITERS];
	struct llt_hist total, snap, ref;
	uint64_t n = (uint64_t)(3000000 * llt_test_scale());
	int ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
	const char *mode = "";
	ck_assert_int_eq(llt_hist_init(&total, 1, 1000000, 3), 0);
	ck_assert_int_eq(llt_hist_init(&snap, 1, 1000000, 3), 0);
	ck_assert_int_eq(llt_hist_init(&ref, 1, 1000000, 3), 0);
	for (uint64_t i = 0; i < n; i++)
		llt_hist_record_n(&ref, 1 + (i * 2654435761u) % 100000, WRITERS);
	for (int w = 0; w < WRITERS; w++) {
		ck_assert_int_eq(llt_hist_recorder_init(&r[w], 1, 1000000, 3), 0);
		mode = set_mode(&r[w], _i);
		args[w] = (struct writer_arg){&r[w], n, ncpu > 1 ? w % ncpu : -1, (uint64_t)w + 1};
		ck_assert_int_eq(pthread_create(&t[w], NULL, writer, &args[w]), 0);
	}
	/* The reader snapshots all recorders while they write. */
	uint64_t snaps = 0, seen = 0;
	for (int round = 0; round < 200000; round++) {
		for (int w = 0; w < WRITERS; w++) {
			ck_assert_int_eq(llt_hist_recorder_snapshot(&r[w], &snap), 0);
			assert_consistent(&snap);
			seen += llt_hist_count(&snap);
			ck_assert_int_eq(llt_hist_add(&total, &snap), 0);
			snaps++;
		}
		if (seen >= n * WRITERS)
			break;
		if (round % 8 == 0)
			sched_yield();
	}
	for (int w = 0; w < WRITERS; w++)
		ck_assert_int_eq(pthread_join(t[w], NULL), 0);
	for (int w = 0; w < WRITERS; w++) {
		ck_assert_int_eq(llt_hist_recorder_snapshot_add(&r[w], &total), 0);
		llt_hist_recorder_destroy(&r[w]);
	}
	ck_assert_uint_eq(llt_hist_count(&total), n * WRITERS);
	assert_same(&total, &ref);
	printf("recorder, %s: %llu records by %d writers, %llu snapshots\n", mode, (unsigned long long)(n * WRITERS),
	       WRITERS, (unsigned long long)snaps);
	llt_hist_destroy(&total);
	llt_hist_destroy(&snap);
	llt_hist_destroy(&ref);
}
END_TEST

/* One writer and the reader on two CPUs, a tiny histogram so that a flip
 * comes every microsecond or so: the race a missing StoreLoad barrier on
 * either side opens (the writer loads the old phase while the reader
 * already reads and clears it) has many chances to show.  Exact per-value
 * counts at the end, whole records in every snapshot. */
static volatile int storm_stop;

static void *storm_writer(void *p)
{
	struct writer_arg *a = p;
	uint64_t i = 0;
	if (a->cpu >= 0)
		(void)llt_cpu_pin(a->cpu);
	/* relaxed: a stop flag; the count is handed over by pthread_join. */
	while (!__atomic_load_n(&storm_stop, __ATOMIC_RELAXED))
		for (int k = 0; k < 64; k++, i++)
			llt_hist_recorder_record(a->r, i % 32);
	a->n = i;
	return NULL;
}

START_TEST(recorder_flip_storm)
{
	struct llt_hist_recorder r;
	struct llt_hist total, snap;
	uint64_t want = (uint64_t)(40000 * llt_test_scale());
	bool two = llt_cpu_is_allowed(0) && llt_cpu_is_allowed(1);
	ck_assert_int_eq(llt_hist_recorder_init(&r, 1, 64, 1), 0);
	ck_assert_int_eq(llt_hist_init(&total, 1, 64, 1), 0);
	ck_assert_int_eq(llt_hist_init(&snap, 1, 64, 1), 0);
	const char *mode = set_mode(&r, _i);
	struct writer_arg a = {&r, 0, two ? 1 : -1, 1};
	pthread_t t;
	storm_stop = 0;
	if (two)
		(void)llt_cpu_pin(0);
	ck_assert_int_eq(pthread_create(&t, NULL, storm_writer, &a), 0);
	uint64_t snaps = 0, nonempty = 0;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		ck_assert_int_eq(llt_hist_recorder_snapshot(&r, &snap), 0);
		assert_consistent(&snap);
		nonempty += llt_hist_count(&snap) != 0;
		ck_assert_int_eq(llt_hist_add(&total, &snap), 0);
		if (++snaps % 256 == 0) {
			clock_gettime(CLOCK_MONOTONIC, &t1);
			if (snaps >= want || t1.tv_sec - t0.tv_sec >= 4)
				break;
		}
	}
	__atomic_store_n(&storm_stop, 1, __ATOMIC_RELAXED);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	if (two)
		(void)llt_cpu_unpin();
	uint64_t n = a.n;
	ck_assert_int_eq(llt_hist_recorder_snapshot_add(&r, &total), 0);
	ck_assert_uint_eq(llt_hist_count(&total), n);
	for (uint64_t v = 0; v < 32; v++)
		ck_assert_msg(llt_hist_count_at_value(&total, v) == n / 32 + (v < n % 32), "value %llu: %llu of %llu",
			      (unsigned long long)v, (unsigned long long)llt_hist_count_at_value(&total, v),
			      (unsigned long long)n);
	printf("recorder flip storm, %s: %llu records, %llu snapshots (%llu non-empty)%s\n", mode,
	       (unsigned long long)n, (unsigned long long)snaps, (unsigned long long)nonempty,
	       two ? ", CPUs 0 and 1" : ", not pinned");
	llt_hist_destroy(&total);
	llt_hist_destroy(&snap);
	llt_hist_recorder_destroy(&r);
}
END_TEST

/* The protocol choice: LLT_HIST_MEMBARRIER=0 keeps the atomic one (and
 * LLT_MEMBARRIER=0 too: tests/check_membarrier.c); by
 * default membarrier is used exactly when the kernel lets this process
 * register for MEMBARRIER_CMD_PRIVATE_EXPEDITED (never under TSan).  In
 * fresh processes: the choice is made once per process. */
static int child_env_full(void)
{
	struct llt_hist_recorder r;
	if (llt_hist_recorder_init(&r, 1, 1000, 2) != 0)
		return 1;
	int rc = r.impl_mode == LLT_HIST_IMPL_FENCE_FULL ? 0 : 2;
	llt_hist_recorder_destroy(&r);
	return rc;
}

static int child_default(void)
{
	struct llt_hist_recorder r;
	bool want = false;
#if defined(__linux__) && defined(SYS_membarrier) && !defined(LLT_HIST_IMPL_TSAN)
	long q = syscall(SYS_membarrier, 0 /* MEMBARRIER_CMD_QUERY */, 0, 0);
	want = q > 0 && (q & (1 << 3)) /* PRIVATE_EXPEDITED */ &&
	       syscall(SYS_membarrier, 1 << 4 /* REGISTER_PRIVATE_EXPEDITED */, 0, 0) == 0;
#endif
	if (llt_hist_recorder_init(&r, 1, 1000, 2) != 0)
		return 1;
	int rc = (r.impl_mode == LLT_HIST_IMPL_FENCE_ASYM) == want ? 0 : 2;
	printf("recorder protocol by default: %s\n", want ? "membarrier" : "atomic");
	llt_hist_recorder_destroy(&r);
	return rc;
}

START_TEST(recorder_protocol_choice)
{
	/* LLT_MEMBARRIER=0 would turn it off for every module: unset. */
	static const char *const off[] = {"LLT_MEMBARRIER", "LLT_HIST_MEMBARRIER=0", NULL};
	static const char *const unset[] = {"LLT_MEMBARRIER", "LLT_HIST_MEMBARRIER", NULL};
	llt_test_in_child("env_full", off);
	llt_test_in_child("default", unset);
}
END_TEST

static const struct llt_test_child children[] = {
	{"env_full", child_env_full},
	{"default", child_default},
	{NULL, NULL},
};

int main(int argc, char **argv)
{
	int r = llt_test_child_main(argc, argv, children);
	if (r >= 0)
		return r;
	Suite *s = suite_create("hist");
	TCase *tc = tcase_create("basic");
	tcase_add_test(tc, bad_inputs);
	tcase_add_test(tc, footprint);
	tcase_add_test(tc, overflow_and_low_values);
	tcase_add_test(tc, iterators);
	suite_add_tcase(s, tc);
	tc = tcase_create("accuracy");
	tcase_add_loop_test(tc, percentiles_match_reference, 0, NDIST);
	tcase_add_test(tc, merge_equals_union);
	tcase_add_test(tc, corrected_matches_arithmetic);
	tcase_add_test(tc, hgrm_parses_back);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	tc = tcase_create("files");
	tcase_add_test(tc, save_load_round_trip);
	tcase_add_test(tc, corrupt_input_rejected);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	tc = tcase_create("recorder");
	tcase_add_test(tc, recorder_intervals);
	tcase_add_test(tc, recorder_protocol_choice);
	tcase_add_loop_test(tc, recorder_concurrent_exactly_once, 0, 2);
	tcase_add_loop_test(tc, recorder_flip_storm, 0, 2);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return llt_test_run(s);
}
