/* llt/hist: HDR histogram, interval recorder, .hgrm output, save/load.
 *
 * Bucket scheme: Gil Tene's HdrHistogram (http://hdrhistogram.org) as
 * HdrHistogram_c lays it out.  With m = ceil(log2(2 * 10^digits)) and
 * half_mag = m - 1, a bucket holds 2^m linear sub-buckets, bucket 0 all of
 * them and every later bucket only its upper half (the lower half would
 * repeat the bucket before at a coarser step), so counter index i holds
 *   group g = i >> half_mag,
 *   lowest value (g == 0) i << unit_mag,
 *                (g >= 1) ((i & (2^half_mag - 1)) | 2^half_mag) << (g - 1 + unit_mag),
 *   width 2^(max(g, 1) - 1 + unit_mag),
 * and the relative width of a sub-bucket is below 2^-half_mag <= 10^-digits.
 *
 * Besides the counters we keep one total per group of 2^half_mag counters
 * (the groups are the half buckets: two for bucket 0, one for each later
 * bucket), incremented with the counter.  count() sums the groups, and a
 * percentile query finds its group by the totals and walks at most one
 * group's counters, eight at a time, from whichever end is nearer.
 *
 * The writer-reader phaser of the recorder is Gil Tene's WriterReaderPhaser
 * (HdrHistogram's org.HdrHistogram.WriterReaderPhaser and
 * SingleWriterRecorder) reduced to a single writer, with the asymmetric
 * fence of userspace RCU / folly (membarrier(2)) on the reader's side;
 * see the comments in llt/bits/hist_impl.h and above llt_hist_impl_flip(). */
#include "internal.h"
#include "hist_int.h"
#include "membarrier.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <llt/hist.h>

#define HIST_FLAG_OWNS_STRUCT 1u

/* ------------------------------------------------------------ bucket math */

struct hist_cfg {
	uint64_t lowest, highest, sub_mask, idx_bias, max_trackable;
	uint32_t digits, unit_mag, half_mag, sub_count, shift_base;
	uint32_t counts_len, ngroups, bucket_count;
};

static uint64_t cfg_index(const struct hist_cfg *c, uint64_t v)
{
	uint32_t s = c->shift_base - (uint32_t)__builtin_clzll(v | c->sub_mask);
	return ((uint64_t)s << c->half_mag) + (v >> s) - c->idx_bias;
}

static uint64_t idx_lowest(const struct llt_hist *h, uint64_t i)
{
	uint64_t g = i >> h->half_mag;
	if (g == 0)
		return i << h->unit_mag;
	uint64_t half = UINT64_C(1) << h->half_mag;
	return ((i & (half - 1)) | half) << (g - 1 + h->unit_mag);
}

static uint64_t idx_width(const struct llt_hist *h, uint64_t i)
{
	uint64_t g = i >> h->half_mag;
	return UINT64_C(1) << ((g ? g - 1 : 0) + h->unit_mag);
}

/* lowest + width - 1 cannot wrap: the sum is at most 2^64 - 1. */
static uint64_t idx_highest(const struct llt_hist *h, uint64_t i)
{
	return idx_lowest(h, i) + (idx_width(h, i) - 1);
}

static int hist_config(uint64_t lowest, uint64_t highest, int digits, struct hist_cfg *c)
{
	if (lowest < 1 || digits < LLT_HIST_DIGITS_MIN || digits > LLT_HIST_DIGITS_MAX || lowest > highest / 2)
		return -EINVAL;
	uint64_t single = 2;
	for (int d = 0; d < digits; d++)
		single *= 10;
	uint32_t m = 0;
	while ((UINT64_C(1) << m) < single)
		m++;
	memset(c, 0, sizeof *c);
	c->lowest = lowest;
	c->highest = highest;
	c->digits = (uint32_t)digits;
	c->half_mag = m - 1;
	c->sub_count = UINT32_C(1) << m;
	c->unit_mag = 63u - (uint32_t)__builtin_clzll(lowest);
	if (c->unit_mag + m > 64)
		return -EINVAL;
	c->sub_mask = ((UINT64_C(1) << m) - 1) << c->unit_mag;
	c->idx_bias = (uint64_t)c->unit_mag << c->half_mag;
	c->shift_base = 63u - c->half_mag;
	uint64_t last = cfg_index(c, highest);
	if (last >= UINT32_MAX / 2)
		return -EINVAL;
	c->counts_len = (uint32_t)last + 1;
	c->ngroups = (uint32_t)(last >> c->half_mag) + 1;
	/* HdrHistogram's bucket count, for the .hgrm footer. */
	uint64_t trackable = c->sub_mask;
	uint32_t buckets = 1;
	while (trackable < highest) {
		if (trackable > UINT64_MAX / 2) {
			buckets++;
			break;
		}
		trackable <<= 1;
		buckets++;
	}
	c->bucket_count = buckets;
	return 0;
}

static size_t cfg_payload(const struct hist_cfg *c)
{
	return ((size_t)c->counts_len + c->ngroups) * sizeof(uint64_t);
}

size_t llt_hist_memsize(uint64_t lowest, uint64_t highest, int digits)
{
	struct hist_cfg c;
	if (hist_config(lowest, highest, digits, &c) < 0)
		return 0;
	return sizeof(struct llt_hist) + cfg_payload(&c);
}

int llt_hist_init(struct llt_hist *h, uint64_t lowest, uint64_t highest, int digits)
{
	struct hist_cfg c;
	if (!h)
		return -EINVAL;
	int rc = hist_config(lowest, highest, digits, &c);
	if (rc < 0)
		return rc;
	size_t bytes = cfg_payload(&c);
	size_t rounded = (bytes + 63) & ~(size_t)63;
	void *mem = aligned_alloc(64, rounded);
	if (!mem)
		return -ENOMEM;
	/* Touch every page now, so the first records do not fault. */
	memset(mem, 0, rounded);
	memset(h, 0, sizeof *h);
	h->groups = (uint64_t *)mem;
	h->counts = h->groups + c.ngroups;
	h->sub_mask = c.sub_mask;
	h->idx_bias = c.idx_bias;
	h->counts_len = c.counts_len;
	h->ngroups = c.ngroups;
	h->shift_base = c.shift_base;
	h->half_mag = c.half_mag;
	h->lowest = lowest;
	h->highest = highest;
	h->digits = c.digits;
	h->unit_mag = c.unit_mag;
	h->sub_count = c.sub_count;
	h->bucket_count = c.bucket_count;
	h->max_trackable = idx_highest(h, c.counts_len - 1);
	h->mem = mem;
	return 0;
}

void llt_hist_destroy(struct llt_hist *h)
{
	if (!h)
		return;
	free(h->mem);
	h->mem = NULL;
	h->counts = h->groups = NULL;
	h->counts_len = h->ngroups = 0;
}

int llt_hist_create(uint64_t lowest, uint64_t highest, int digits, struct llt_hist **out)
{
	if (!out)
		return -EINVAL;
	struct llt_hist *h = malloc(sizeof *h);
	if (!h)
		return -ENOMEM;
	int rc = llt_hist_init(h, lowest, highest, digits);
	if (rc < 0) {
		free(h);
		return rc;
	}
	h->flags |= HIST_FLAG_OWNS_STRUCT;
	*out = h;
	return 0;
}

void llt_hist_free(struct llt_hist *h)
{
	if (!h)
		return;
	llt_hist_destroy(h);
	free(h);
}

/* Only the groups that hold something are cleared. */
void llt_hist_reset(struct llt_hist *h)
{
	if (!h || !h->counts)
		return;
	size_t half = (size_t)1 << h->half_mag;
	for (uint32_t g = 0; g < h->ngroups; g++) {
		if (!h->groups[g])
			continue;
		size_t lo = (size_t)g << h->half_mag;
		size_t n = lo + half <= h->counts_len ? half : h->counts_len - lo;
		memset(h->counts + lo, 0, n * sizeof(uint64_t));
		h->groups[g] = 0;
	}
	h->overflow = 0;
	h->start_ns = h->end_ns = 0;
}

/* ------------------------------------------------------------ recording */

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	uint64_t r;
	return __builtin_add_overflow(a, b, &r) ? UINT64_MAX : r;
}

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
	uint64_t r;
	return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}

bool llt_hist_impl_record_slow(struct llt_hist *h, uint64_t value, uint64_t n)
{
	(void)value;
	h->overflow = sat_add(h->overflow, n);
	return false;
}

static void add_at(struct llt_hist *h, uint64_t i, uint64_t n)
{
	h->counts[i] = sat_add(h->counts[i], n);
	h->groups[i >> h->half_mag] = sat_add(h->groups[i >> h->half_mag], n);
}

/* The missed samples value - k*iv, k = 1..K, K = value/iv - 1, are
 * r + j*iv for j = 1..K with r = value % iv.  Short runs are recorded one
 * by one; long ones a counter at a time, by counting the terms that fall
 * in each sub-bucket, so a huge value/interval ratio costs at most one
 * step per counter. */
void llt_hist_impl_backfill(struct llt_hist *h, uint64_t value, uint64_t n, uint64_t iv)
{
	if (iv == 0 || value / 2 < iv || n == 0)
		return;
	uint64_t K = value / iv - 1, r = value % iv;
	if (K <= 16) {
		for (uint64_t k = 1; k <= K; k++)
			llt_hist_record_n(h, value - k * iv, n);
		return;
	}
	uint64_t j = 1;
	while (j <= K) {
		uint64_t m = r + j * iv;
		uint64_t i = llt_hist_impl_index(h, m);
		if (i >= h->counts_len) {
			h->overflow = sat_add(h->overflow, sat_mul(n, K - j + 1));
			return;
		}
		uint64_t hi = idx_highest(h, i);
		uint64_t jhi = (hi - r) / iv;
		if (jhi > K)
			jhi = K;
		add_at(h, i, sat_mul(n, jhi - j + 1));
		j = jhi + 1;
	}
}

/* ------------------------------------------------------------ queries */

uint64_t llt_hist_count(const struct llt_hist *h)
{
	uint64_t t = 0;
	if (!h)
		return 0;
	for (uint32_t g = 0; g < h->ngroups; g++)
		t = sat_add(t, h->groups[g]);
	return t;
}

uint64_t llt_hist_overflow(const struct llt_hist *h)
{
	return h ? h->overflow : 0;
}

static size_t group_end(const struct llt_hist *h, uint32_t g)
{
	size_t e = ((size_t)g + 1) << h->half_mag;
	return e < h->counts_len ? e : h->counts_len;
}

/* First / last counter that is not zero; -1 when empty. */
static int64_t first_nonzero(const struct llt_hist *h, int64_t after)
{
	uint64_t i = (uint64_t)(after + 1);
	while (i < h->counts_len) {
		uint32_t g = (uint32_t)(i >> h->half_mag);
		size_t e = group_end(h, g);
		if (h->groups[g]) {
			for (; i < e; i++)
				if (h->counts[i])
					return (int64_t)i;
		}
		i = e;
	}
	return -1;
}

static int64_t last_nonzero(const struct llt_hist *h)
{
	for (int64_t g = (int64_t)h->ngroups - 1; g >= 0; g--) {
		if (!h->groups[g])
			continue;
		for (int64_t i = (int64_t)group_end(h, (uint32_t)g) - 1; i >= (g << h->half_mag); i--)
			if (h->counts[i])
				return i;
	}
	return -1;
}

uint64_t llt_hist_min(const struct llt_hist *h)
{
	if (!h || !h->counts)
		return 0;
	int64_t i = first_nonzero(h, -1);
	return i < 0 ? 0 : idx_lowest(h, (uint64_t)i);
}

uint64_t llt_hist_max(const struct llt_hist *h)
{
	if (!h || !h->counts)
		return 0;
	int64_t i = last_nonzero(h);
	return i < 0 ? 0 : idx_highest(h, (uint64_t)i);
}

/* Mean and deviation over the middle of each sub-bucket, as HdrHistogram
 * computes them; long double keeps 2^64-scale sums exact enough. */
static void moments(const struct llt_hist *h, long double *mean, long double *var)
{
	long double n = 0, s = 0, s2 = 0;
	*mean = *var = 0;
	for (int64_t i = first_nonzero(h, -1); i >= 0; i = first_nonzero(h, i)) {
		long double c = (long double)h->counts[i];
		long double v = (long double)idx_lowest(h, (uint64_t)i) + (long double)(idx_width(h, (uint64_t)i) >> 1);
		n += c;
		s += c * v;
	}
	if (n == 0)
		return;
	*mean = s / n;
	for (int64_t i = first_nonzero(h, -1); i >= 0; i = first_nonzero(h, i)) {
		long double c = (long double)h->counts[i];
		long double v = (long double)idx_lowest(h, (uint64_t)i) + (long double)(idx_width(h, (uint64_t)i) >> 1);
		s2 += c * (v - *mean) * (v - *mean);
	}
	*var = s2 / n;
}

double llt_hist_mean(const struct llt_hist *h)
{
	long double m, v;
	if (!h || !h->counts)
		return 0;
	moments(h, &m, &v);
	return (double)m;
}

double llt_hist_stddev(const struct llt_hist *h)
{
	long double m, v;
	if (!h || !h->counts)
		return 0;
	moments(h, &m, &v);
	return (double)sqrtl(v);
}

/* The counter holding the rank-th smallest value (1 <= rank <= total). */
static uint64_t index_of_rank(const struct llt_hist *h, uint64_t rank, uint64_t total)
{
	const uint64_t *c = h->counts;
	if (rank <= total - total / 2) {
		uint64_t need = rank;
		uint32_t g = 0;
		for (; g + 1 < h->ngroups && h->groups[g] < need; g++)
			need -= h->groups[g];
		size_t i = (size_t)g << h->half_mag, e = group_end(h, g);
		for (; i + 8 <= e; i += 8) {
			uint64_t s = c[i] + c[i + 1] + c[i + 2] + c[i + 3] + c[i + 4] + c[i + 5] + c[i + 6] + c[i + 7];
			if (s >= need)
				break;
			need -= s;
		}
		for (; i < e; i++) {
			if (c[i] >= need)
				return i;
			need -= c[i];
		}
		return e - 1;
	}
	/* From the top: the rank-th smallest is the (total-rank+1)-th largest. */
	uint64_t need = total - rank + 1;
	uint32_t g = h->ngroups - 1;
	for (; g > 0 && h->groups[g] < need; g--)
		need -= h->groups[g];
	size_t lo = (size_t)g << h->half_mag, e = group_end(h, g);
	for (; e >= lo + 8; e -= 8) {
		uint64_t s = c[e - 1] + c[e - 2] + c[e - 3] + c[e - 4] + c[e - 5] + c[e - 6] + c[e - 7] + c[e - 8];
		if (s >= need)
			break;
		need -= s;
	}
	for (; e > lo; e--) {
		if (c[e - 1] >= need)
			return e - 1;
		need -= c[e - 1];
	}
	return lo;
}

uint64_t llt_hist_value_at_percentile(const struct llt_hist *h, double percentile)
{
	if (!h || !h->counts)
		return 0;
	uint64_t total = llt_hist_count(h);
	if (total == 0)
		return 0;
	double p = percentile > 0 ? (percentile < 100 ? percentile : 100) : 0;
	double want = p / 100 * (double)total + 0.5;
	uint64_t rank = want >= (double)total ? total : (uint64_t)want;
	if (rank < 1)
		rank = 1;
	uint64_t i = index_of_rank(h, rank, total);
	return p == 0 ? idx_lowest(h, i) : idx_highest(h, i);
}

double llt_hist_percentile_at_value(const struct llt_hist *h, uint64_t value)
{
	if (!h || !h->counts)
		return 0;
	uint64_t total = llt_hist_count(h);
	if (total == 0)
		return 0;
	uint64_t i = llt_hist_impl_index(h, value);
	if (i >= h->counts_len)
		return 100.0;
	uint32_t gi = (uint32_t)(i >> h->half_mag);
	uint64_t below = 0;
	for (uint32_t g = 0; g < gi; g++)
		below = sat_add(below, h->groups[g]);
	for (uint64_t k = (uint64_t)gi << h->half_mag; k <= i; k++)
		below = sat_add(below, h->counts[k]);
	return 100.0 * (double)below / (double)total;
}

uint64_t llt_hist_count_at_value(const struct llt_hist *h, uint64_t value)
{
	if (!h || !h->counts)
		return 0;
	uint64_t i = llt_hist_impl_index(h, value);
	return i < h->counts_len ? h->counts[i] : 0;
}

uint64_t llt_hist_lowest_equivalent(const struct llt_hist *h, uint64_t value)
{
	uint32_t s = h->shift_base - (uint32_t)__builtin_clzll(value | h->sub_mask);
	return (value >> s) << s;
}

uint64_t llt_hist_highest_equivalent(const struct llt_hist *h, uint64_t value)
{
	uint32_t s = h->shift_base - (uint32_t)__builtin_clzll(value | h->sub_mask);
	return ((value >> s) << s) + ((UINT64_C(1) << s) - 1);
}

/* ------------------------------------------------------------ combining */

static bool same_layout(const struct llt_hist *a, const struct llt_hist *b)
{
	return a->unit_mag == b->unit_mag && a->half_mag == b->half_mag && a->counts_len == b->counts_len;
}

static void merge_times(struct llt_hist *dst, const struct llt_hist *src)
{
	if (src->start_ns && (!dst->start_ns || src->start_ns < dst->start_ns))
		dst->start_ns = src->start_ns;
	if (src->end_ns > dst->end_ns)
		dst->end_ns = src->end_ns;
}

int llt_hist_add(struct llt_hist *dst, const struct llt_hist *src)
{
	if (!dst || !src || !dst->counts || !src->counts)
		return -EINVAL;
	if (same_layout(dst, src)) {
		size_t half = (size_t)1 << src->half_mag;
		for (uint32_t g = 0; g < src->ngroups; g++) {
			uint64_t t = src->groups[g];
			if (!t)
				continue;
			size_t lo = (size_t)g << src->half_mag;
			size_t e = lo + half <= src->counts_len ? lo + half : src->counts_len;
			for (size_t i = lo; i < e; i++)
				dst->counts[i] = sat_add(dst->counts[i], src->counts[i]);
			dst->groups[g] = sat_add(dst->groups[g], t);
		}
	} else {
		for (int64_t i = first_nonzero(src, -1); i >= 0; i = first_nonzero(src, i))
			llt_hist_record_n(dst, idx_lowest(src, (uint64_t)i), src->counts[i]);
	}
	dst->overflow = sat_add(dst->overflow, src->overflow);
	merge_times(dst, src);
	return 0;
}

int llt_hist_add_corrected(struct llt_hist *dst, const struct llt_hist *src, uint64_t expected_interval)
{
	if (!dst || !src || dst == src || !dst->counts || !src->counts)
		return -EINVAL;
	for (int64_t i = first_nonzero(src, -1); i >= 0; i = first_nonzero(src, i)) {
		uint64_t v = idx_lowest(src, (uint64_t)i), n = src->counts[i];
		llt_hist_record_n(dst, v, n);
		llt_hist_impl_backfill(dst, v, n, expected_interval);
	}
	dst->overflow = sat_add(dst->overflow, src->overflow);
	merge_times(dst, src);
	return 0;
}

int llt_hist_copy_corrected(struct llt_hist *dst, const struct llt_hist *src, uint64_t expected_interval)
{
	if (!dst || !src || dst == src || !dst->counts || !src->counts)
		return -EINVAL;
	llt_hist_reset(dst);
	return llt_hist_add_corrected(dst, src, expected_interval);
}

/* ------------------------------------------------------------ iteration */

static void iter_fill(struct llt_hist_iter *it, uint64_t i)
{
	const struct llt_hist *h = it->impl_h;
	it->value_from = idx_lowest(h, i);
	it->value = idx_highest(h, i);
}

int llt_hist_iter_init(struct llt_hist_iter *it, const struct llt_hist *h, enum llt_hist_iter_mode mode, double a,
		       double b)
{
	if (!it || !h || !h->counts)
		return -EINVAL;
	switch (mode) {
	case LLT_HIST_ITER_ALL:
	case LLT_HIST_ITER_RECORDED:
		break;
	case LLT_HIST_ITER_PERCENTILE:
		if (!(a >= 1 && a <= 1e6))
			return -EINVAL;
		break;
	case LLT_HIST_ITER_LINEAR:
		if (!(a >= 1 && a < 1.8e19))
			return -EINVAL;
		break;
	case LLT_HIST_ITER_LOG:
		if (!(a >= 1 && a < 1.8e19 && b > 1 && b < 1e6))
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	memset(it, 0, sizeof *it);
	it->impl_h = h;
	it->impl_total = llt_hist_count(h);
	it->impl_idx = -1;
	it->impl_mode = (uint32_t)mode;
	it->impl_a = a;
	it->impl_b = b;
	it->impl_ticks = mode == LLT_HIST_ITER_PERCENTILE ? (uint32_t)a : 0;
	it->impl_level = mode == LLT_HIST_ITER_PERCENTILE ? 0.0 : a;
	return 0;
}

static double pct_of(const struct llt_hist_iter *it)
{
	return it->impl_total ? 100.0 * (double)it->count_to / (double)it->impl_total : 0.0;
}

/* Percentile steps exactly as HdrHistogram's percentile iterator: a step is
 * reported at the first recorded sub-bucket whose cumulative percentile
 * reaches the level, and the level then advances by 100 / (ticks * 2^k)
 * where 2^k is the half-distance to 100% the level is in.  A final step
 * reports 100% at the last recorded sub-bucket. */
static bool iter_percentile(struct llt_hist_iter *it)
{
	const struct llt_hist *h = it->impl_h;
	if (it->impl_done || it->impl_total == 0)
		return false;
	for (;;) {
		/* Past the last recorded sub-bucket: only the 100% step is left. */
		if (it->impl_idx >= 0 && it->count_to >= it->impl_total && it->impl_next_value != 0 &&
		    it->impl_next_value >= it->impl_total) {
			it->impl_done = 1;
			it->percentile = 100.0;
			it->count = 0;
			iter_fill(it, (uint64_t)it->impl_idx);
			return true;
		}
		if (it->impl_idx >= 0) {
			double cur = pct_of(it);
			if (it->impl_level <= cur) {
				it->percentile = it->impl_level;
				it->count = it->count_to - it->impl_next_value;
				it->impl_next_value = it->count_to;
				iter_fill(it, (uint64_t)it->impl_idx);
				double lg = log(100.0 / (100.0 - it->impl_level)) / log(2.0);
				if (!(lg < 60)) {
					it->impl_level = INFINITY;
				} else {
					double half_distance = pow(2.0, (double)((int64_t)lg + 1));
					double ticks = (double)it->impl_ticks * half_distance;
					it->impl_level += 100.0 / ticks;
				}
				return true;
			}
		}
		int64_t n = first_nonzero(h, it->impl_idx);
		if (n < 0 || it->count_to >= it->impl_total) {
			it->impl_done = 1;
			if (it->impl_idx < 0)
				return false;
			it->percentile = 100.0;
			it->count = it->count_to - it->impl_next_value;
			iter_fill(it, (uint64_t)it->impl_idx);
			return true;
		}
		it->impl_idx = n;
		it->count_to += h->counts[n];
	}
}

/* Value steps: (previous upper bound, upper bound], a sub-bucket belongs
 * to the step its lowest value falls in. */
static bool iter_values(struct llt_hist_iter *it)
{
	const struct llt_hist *h = it->impl_h;
	if (it->impl_done || it->impl_total == 0)
		return false;
	double lvl = it->impl_level;
	uint64_t upper = lvl >= 1.8446744073709552e19 ? UINT64_MAX : (uint64_t)ceil(lvl) - 1;
	uint64_t from = it->impl_next_value;
	it->count = 0;
	for (;;) {
		int64_t n = first_nonzero(h, it->impl_idx);
		if (n < 0 || idx_lowest(h, (uint64_t)n) > upper)
			break;
		it->impl_idx = n;
		it->count += h->counts[n];
		it->count_to += h->counts[n];
	}
	it->value_from = from;
	it->value = upper;
	it->percentile = pct_of(it);
	if (it->count_to >= it->impl_total || upper == UINT64_MAX)
		it->impl_done = 1;
	it->impl_next_value = upper + 1;
	if (it->impl_mode == LLT_HIST_ITER_LINEAR)
		it->impl_level = lvl + it->impl_a;
	else
		it->impl_level = lvl * it->impl_b;
	return true;
}

bool llt_hist_iter_next(struct llt_hist_iter *it)
{
	if (!it || !it->impl_h)
		return false;
	const struct llt_hist *h = it->impl_h;
	switch (it->impl_mode) {
	case LLT_HIST_ITER_ALL: {
		if (it->count_to >= it->impl_total || (uint64_t)(it->impl_idx + 1) >= h->counts_len)
			return false;
		uint64_t i = (uint64_t)++it->impl_idx;
		it->count = h->counts[i];
		it->count_to += it->count;
		iter_fill(it, i);
		it->percentile = pct_of(it);
		return true;
	}
	case LLT_HIST_ITER_RECORDED: {
		int64_t n = first_nonzero(h, it->impl_idx);
		if (n < 0)
			return false;
		it->impl_idx = n;
		it->count = h->counts[n];
		it->count_to += it->count;
		iter_fill(it, (uint64_t)n);
		it->percentile = pct_of(it);
		return true;
	}
	case LLT_HIST_ITER_PERCENTILE:
		return iter_percentile(it);
	default:
		return iter_values(it);
	}
}

/* ------------------------------------------------------------ .hgrm */

/* HdrHistogram's percentile distribution (outputPercentileDistribution in
 * Java, hdr_percentiles_print in C): the Java column layout, which the
 * plotters at hdrhistogram.github.io read. */
int llt_hist_write_hgrm(const struct llt_hist *h, FILE *f, double value_scale, int ticks_per_half_distance)
{
	struct llt_hist_iter it;
	if (!h || !f || !h->counts || !(value_scale > 0) || ticks_per_half_distance < 1)
		return -EINVAL;
	int d = (int)h->digits;
	if (llt_hist_iter_init(&it, h, LLT_HIST_ITER_PERCENTILE, ticks_per_half_distance, 0) < 0)
		return -EINVAL;
	if (fprintf(f, "%12s %14s %10s %14s\n\n", "Value", "Percentile", "TotalCount", "1/(1-Percentile)") < 0)
		return -EIO;
	while (llt_hist_iter_next(&it)) {
		double v = (double)it.value / value_scale, p = it.percentile / 100.0;
		int rc;
		if (it.percentile < 100.0)
			rc = fprintf(f, "%12.*f %2.12f %10" PRIu64 " %14.2f\n", d, v, p, it.count_to, 1.0 / (1.0 - p));
		else
			rc = fprintf(f, "%12.*f %2.12f %10" PRIu64 "\n", d, v, p, it.count_to);
		if (rc < 0)
			return -EIO;
	}
	uint64_t total = llt_hist_count(h);
	if (fprintf(f, "#[Mean    = %12.*f, StdDeviation   = %12.*f]\n", d, llt_hist_mean(h) / value_scale, d,
		    llt_hist_stddev(h) / value_scale) < 0 ||
	    fprintf(f, "#[Max     = %12.*f, Total count    = %12" PRIu64 "]\n", d,
		    (double)llt_hist_max(h) / value_scale, total) < 0 ||
	    fprintf(f, "#[Buckets = %12" PRIu32 ", SubBuckets     = %12" PRIu32 "]\n", h->bucket_count,
		    h->sub_count) < 0)
		return -EIO;
	return 0;
}

/* ------------------------------------------------------------ save/load */

/* The format is in llt-hist(5).  All integers little-endian. */
#define LLTH_HEADER 64
#define LLTH_VERSION 1
#define LLTH_MAX_PAYLOAD (UINT32_C(1) << 30)

static uint32_t crc_table[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
	for (uint32_t n = 0; n < 256; n++) {
		uint32_t c = n;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		crc_table[n] = c;
	}
}

/* CRC-32 (IEEE 802.3, as zlib's crc32). */
static uint32_t crc32_buf(const unsigned char *p, size_t n)
{
	pthread_once(&crc_once, crc_init);
	uint32_t c = 0xFFFFFFFFu;
	while (n--)
		c = crc_table[(c ^ *p++) & 0xFF] ^ (c >> 8);
	return c ^ 0xFFFFFFFFu;
}

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get32(const unsigned char *p)
{
	uint32_t v = 0;
	for (int i = 3; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static size_t leb_len(uint64_t v)
{
	size_t n = 1;
	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static size_t leb_put(unsigned char *p, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		p[n++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (unsigned char)v;
	return n;
}

/* Returns bytes read, 0 on a malformed or truncated varint. */
static size_t leb_get(const unsigned char *p, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	for (size_t n = 0; n < len && n < 10; n++) {
		uint64_t b = p[n] & 0x7F;
		if (n == 9 && (p[n] & 0xFE))
			return 0;
		v |= b << (7 * n);
		if (!(p[n] & 0x80)) {
			*out = v;
			return n + 1;
		}
	}
	return 0;
}

/* Payload: one token per run.  A counter that is not zero is its count as
 * LEB128; a run of zero counters is a 0 byte followed by the run length as
 * LEB128.  Trailing zeros are left out.  write == NULL only measures. */
static size_t encode_counts(const struct llt_hist *h, unsigned char *out)
{
	size_t n = 0;
	uint64_t zeros = 0;
	int64_t last = last_nonzero(h);
	for (int64_t i = 0; i <= last; i++) {
		uint64_t c = h->counts[i];
		if (c == 0) {
			/* skip whole empty groups quickly */
			uint32_t g = (uint32_t)((uint64_t)i >> h->half_mag);
			if (!h->groups[g] && ((uint64_t)i & (((uint64_t)1 << h->half_mag) - 1)) == 0) {
				size_t e = group_end(h, g);
				zeros += e - (size_t)i;
				i = (int64_t)e - 1;
				continue;
			}
			zeros++;
			continue;
		}
		if (zeros) {
			if (out) {
				out[n] = 0;
				leb_put(out + n + 1, zeros);
			}
			n += 1 + leb_len(zeros);
			zeros = 0;
		}
		if (out)
			leb_put(out + n, c);
		n += leb_len(c);
	}
	return n;
}

ssize_t llt_hist_encode(const struct llt_hist *h, void *buf, size_t size)
{
	if (!h || !h->counts || (!buf && size))
		return -EINVAL;
	size_t payload = encode_counts(h, NULL);
	if (payload > LLTH_MAX_PAYLOAD)
		return -E2BIG;
	size_t total = LLTH_HEADER + payload + 4;
	if (!buf || size < total)
		return (ssize_t)total;
	unsigned char *p = buf;
	memset(p, 0, LLTH_HEADER);
	memcpy(p, "LLTH", 4);
	p[4] = LLTH_VERSION;
	p[5] = (unsigned char)h->digits;
	p[6] = LLTH_HEADER;
	p[7] = 0;
	put64(p + 8, h->lowest);
	put64(p + 16, h->highest);
	put64(p + 24, llt_hist_count(h));
	put64(p + 32, h->overflow);
	put64(p + 40, (uint64_t)h->start_ns);
	put64(p + 48, (uint64_t)h->end_ns);
	put32(p + 56, h->counts_len);
	put32(p + 60, (uint32_t)payload);
	encode_counts(h, p + LLTH_HEADER);
	put32(p + LLTH_HEADER + payload, crc32_buf(p, LLTH_HEADER + payload));
	return (ssize_t)total;
}

int llt_hist_decode(const void *buf, size_t len, struct llt_hist **out, size_t *used)
{
	if (!buf || !out)
		return -EINVAL;
	const unsigned char *p = buf;
	if (len < LLTH_HEADER + 4 || memcmp(p, "LLTH", 4) != 0)
		return -EBADMSG;
	if (p[4] != LLTH_VERSION)
		return p[4] > LLTH_VERSION ? -ENOTSUP : -EBADMSG;
	if (p[6] != LLTH_HEADER || p[7] != 0)
		return -EBADMSG;
	uint32_t payload = get32(p + 60);
	if (payload > LLTH_MAX_PAYLOAD || payload > len - LLTH_HEADER - 4)
		return -EBADMSG;
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION /* lets the fuzzer past the CRC */
	if (crc32_buf(p, LLTH_HEADER + payload) != get32(p + LLTH_HEADER + payload))
		return -EBADMSG;
#endif
	struct hist_cfg c;
	if (hist_config(get64(p + 8), get64(p + 16), p[5], &c) < 0 || c.counts_len != get32(p + 56))
		return -EBADMSG;
	struct llt_hist *h;
	int rc = llt_hist_create(c.lowest, c.highest, (int)c.digits, &h);
	if (rc < 0)
		return rc == -EINVAL ? -EBADMSG : rc;
	const unsigned char *q = p + LLTH_HEADER, *end = q + payload;
	uint64_t i = 0, sum = 0;
	while (q < end) {
		uint64_t v;
		size_t k = leb_get(q, (size_t)(end - q), &v);
		if (!k)
			goto bad;
		q += k;
		if (v == 0) {
			k = leb_get(q, (size_t)(end - q), &v);
			if (!k || v == 0 || v > h->counts_len - i)
				goto bad;
			q += k;
			i += v;
			continue;
		}
		if (i >= h->counts_len)
			goto bad;
		add_at(h, i, v);
		sum = sat_add(sum, v);
		i++;
	}
	if (sum != get64(p + 24))
		goto bad;
	h->overflow = get64(p + 32);
	h->start_ns = (int64_t)get64(p + 40);
	h->end_ns = (int64_t)get64(p + 48);
	*out = h;
	if (used)
		*used = LLTH_HEADER + (size_t)payload + 4;
	return 0;
bad:
	llt_hist_free(h);
	return -EBADMSG;
}

int llt_hist_save(const struct llt_hist *h, FILE *f)
{
	if (!h || !f || !h->counts)
		return -EINVAL;
	ssize_t n = llt_hist_encode(h, NULL, 0);
	if (n < 0)
		return (int)n;
	unsigned char *buf = malloc((size_t)n);
	if (!buf)
		return -ENOMEM;
	int rc = 0;
	if (llt_hist_encode(h, buf, (size_t)n) != n || fwrite(buf, 1, (size_t)n, f) != (size_t)n)
		rc = -EIO;
	free(buf);
	return rc;
}

int llt_hist_load(FILE *f, struct llt_hist **out)
{
	unsigned char hdr[LLTH_HEADER];
	if (!f || !out)
		return -EINVAL;
	size_t got = fread(hdr, 1, sizeof hdr, f);
	if (got == 0)
		return ferror(f) ? -EIO : -ENODATA;
	if (got < sizeof hdr)
		return ferror(f) ? -EIO : -EBADMSG;
	if (memcmp(hdr, "LLTH", 4) != 0)
		return -EBADMSG;
	uint32_t payload = get32(hdr + 60);
	if (payload > LLTH_MAX_PAYLOAD)
		return -EBADMSG;
	size_t total = LLTH_HEADER + (size_t)payload + 4;
	unsigned char *buf = malloc(total);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, hdr, sizeof hdr);
	int rc;
	if (fread(buf + LLTH_HEADER, 1, total - LLTH_HEADER, f) != total - LLTH_HEADER)
		rc = ferror(f) ? -EIO : -EBADMSG;
	else
		rc = llt_hist_decode(buf, total, out, NULL);
	free(buf);
	return rc;
}

/* ------------------------------------------------------------ fences */

static pthread_once_t fence_once = PTHREAD_ONCE_INIT;
static uint32_t fence_mode_g = LLT_HIST_IMPL_FENCE_FULL;

/* ASYM when lib/membarrier.c says the process may use membarrier(2)
 * (configure found it, the kernel offers MEMBARRIER_CMD_PRIVATE_EXPEDITED
 * and registration succeeded, LLT_MEMBARRIER is not 0);
 * LLT_HIST_MEMBARRIER=0 in the environment keeps the FULL protocol for
 * the recorders alone, for users who would rather pay ~6 ns per record
 * than have snapshots send an IPI to the CPUs that run writer threads
 * (isolated cores; the trade-off: llt(7), ENVIRONMENT).  A library built
 * with ThreadSanitizer always uses FULL: TSan does not know what
 * membarrier orders (the helper says no there too). */
static void fence_decide(void)
{
#if !defined(LLT_HIST_IMPL_TSAN)
	const char *e = secure_getenv("LLT_HIST_MEMBARRIER");
	if (e && strcmp(e, "0") == 0)
		return;
	if (llt_membarrier_available())
		fence_mode_g = LLT_HIST_IMPL_FENCE_ASYM;
#endif
}

uint32_t llt_hist_impl_fence_mode(void)
{
	pthread_once(&fence_once, fence_decide);
	return fence_mode_g;
}

void llt_hist_impl_fence_heavy(uint32_t mode)
{
	/* ASYM only after llt_membarrier_available() said yes; the helper
	 * retries and falls back when the call fails. */
	if (mode == LLT_HIST_IMPL_FENCE_ASYM)
		llt_membarrier_heavy();
}

/* ------------------------------------------------------------ recorder */

static int64_t realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int llt_hist_recorder_init(struct llt_hist_recorder *r, uint64_t lowest, uint64_t highest, int digits)
{
	if (!r)
		return -EINVAL;
	struct llt_hist a, b;
	int rc = llt_hist_init(&a, lowest, highest, digits);
	if (rc < 0)
		return rc;
	rc = llt_hist_init(&b, lowest, highest, digits);
	if (rc < 0) {
		llt_hist_destroy(&a);
		return rc;
	}
	uint32_t mode = llt_hist_impl_fence_mode();
	memset(r, 0, sizeof *r);
	r->impl_hist[0] = a;
	r->impl_hist[1] = b;
	r->impl_seq = 0;
	r->impl_phase = 0;
	r->impl_mode = mode;
	r->impl_last_ns = realtime_ns();
	/* Published to the writer by whatever hands it the recorder. */
	return 0;
}

void llt_hist_recorder_destroy(struct llt_hist_recorder *r)
{
	if (!r)
		return;
	llt_hist_destroy(&r->impl_hist[0]);
	llt_hist_destroy(&r->impl_hist[1]);
}

static void reader_lock(struct llt_hist_recorder *r)
{
	/* acquire pairs with the release in reader_unlock. */
	for (unsigned spins = 0; __atomic_exchange_n(&r->impl_lock, 1, __ATOMIC_ACQUIRE); spins++)
		if (spins > 64)
			sched_yield();
}

static void reader_unlock(struct llt_hist_recorder *r)
{
	__atomic_store_n(&r->impl_lock, 0, __ATOMIC_RELEASE);
}

/* The reader's side of the phaser.  A snapshot is
 *   flip:  phase = !old                      (seq_cst store)
 *   heavy: membarrier in ASYM mode, nothing in FULL mode
 *   wait:  v = seq (seq_cst load); if v is odd, wait until seq != v (acquire)
 *   then read and clear hist[old], which nobody else touches until the
 *   next flip.
 * The writer (llt/bits/hist_impl.h): s = seq + 1 (odd); store it (FULL:
 * seq_cst exchange; ASYM: release store + compiler barrier); p = phase
 * (seq_cst load); count into hist[p]; seq = s + 1 (even, release).
 *
 * Claim: every record that counts into hist[old] has finished, and its
 * counts are visible to the reader, when the wait ends; every record that
 * starts after that counts into hist[!old].  So each record lands in
 * exactly one interval: none lost, none counted twice.
 *
 * Step 1: a record that loads the old phase has its odd store visible to
 * the reader's first load of seq (the load returns it or a later value;
 * seq only grows, so "later" means larger).
 *   FULL: the writer's exchange and phase load and the reader's store and
 *     load are all seq_cst, so they lie in one total order S.  If the
 *     record's exchange precedes the reader's load in S, the load returns
 *     it or a later value.  Otherwise the reader's store of the phase
 *     (sequenced before its load) precedes the exchange, hence the
 *     record's phase load, in S, and that load returns the new phase.
 *   ASYM: membarrier returns only after every thread of the process has
 *     executed a full memory barrier (an IPI if it is running, the
 *     scheduler's barrier when it is switched in), at some point B of the
 *     writer's program, ordered after the reader's store of the phase
 *     (the syscall starts with smp_mb()) and before the reader's load of
 *     seq (it ends with one).  An odd store before B is visible to the
 *     load; a phase load after B returns the new phase; a record whose
 *     odd store precedes B and whose phase load follows it is both.
 * Step 2: the records that load the old phase are a prefix of the
 * writer's records (once a load returns the new phase, later loads by the
 * same thread do too: read-read coherence; the next flip comes after this
 * snapshot).  Let j be the last of them, with odd value o; by step 1 the
 * reader's first load returns v >= o.
 *   - v even: v >= o + 1, record j's release store of its end: it has
 *     ended, and the reader's acquire of v (or of any later value, all
 *     written by release stores of the same thread, sequenced after j's
 *     end) makes every count of records up to j visible;
 *   - v odd and v == o: record j is in flight; the reader waits until seq
 *     changes, i.e. reads j's end or later: same as above;
 *   - v odd and v > o: j has ended (its end, o + 1, is <= v); the reader
 *     waits for record v, which counts into the new histogram: harmless.
 * Records after j count into hist[!old] by j's definition.
 * The wait is bounded by one record (the writer is not blocked by the
 * reader).  Clearing hist[old] with plain stores is safe: the next record
 * into it follows the next flip, whose seq_cst store the writer's phase
 * load reads (synchronises with), so it sees the cleared counts. */
unsigned llt_hist_impl_flip(struct llt_hist_recorder *r)
{
	reader_lock(r);
	/* relaxed: only the reader, which holds the lock, writes the phase. */
	unsigned old = __atomic_load_n(&r->impl_phase, __ATOMIC_RELAXED);
	/* seq_cst: Dekker's store (see above); its release half publishes
	 * the cleared histogram to the writer's phase load. */
	__atomic_store_n(&r->impl_phase, !old, __ATOMIC_SEQ_CST);
	return old;
}

void llt_hist_impl_wait(struct llt_hist_recorder *r)
{
	/* seq_cst: Dekker's load (FULL); acquire half pairs with the
	 * writer's release stores of seq. */
	uint64_t v = __atomic_load_n(&r->impl_seq, __ATOMIC_SEQ_CST);
	if (!(v & 1))
		return;
	/* acquire pairs with the writer's release store at the end of the
	 * record in flight. */
	for (unsigned spins = 0; __atomic_load_n(&r->impl_seq, __ATOMIC_ACQUIRE) == v; spins++) {
		if (spins > 256)
			sched_yield();
	}
}

int llt_hist_impl_collect(struct llt_hist_recorder *r, unsigned old, struct llt_hist *out)
{
	struct llt_hist *h = &r->impl_hist[old];
	int64_t now = realtime_ns();
	int rc = 0;
	h->start_ns = r->impl_last_ns;
	h->end_ns = now;
	r->impl_last_ns = now;
	if (out)
		rc = llt_hist_add(out, h);
	llt_hist_reset(h);
	reader_unlock(r);
	return rc;
}

int llt_hist_recorder_snapshot_add(struct llt_hist_recorder *r, struct llt_hist *out)
{
	if (!r || !out || !out->counts || out == &r->impl_hist[0] || out == &r->impl_hist[1])
		return -EINVAL;
	unsigned old = llt_hist_impl_flip(r);
	llt_hist_impl_fence_heavy(r->impl_mode);
	llt_hist_impl_wait(r);
	return llt_hist_impl_collect(r, old, out);
}

int llt_hist_recorder_snapshot(struct llt_hist_recorder *r, struct llt_hist *out)
{
	if (!r || !out || !out->counts || out == &r->impl_hist[0] || out == &r->impl_hist[1])
		return -EINVAL;
	llt_hist_reset(out);
	return llt_hist_recorder_snapshot_add(r, out);
}
