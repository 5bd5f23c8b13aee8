/* llt/hist.h: an HDR (high dynamic range) latency histogram.
 *
 * The bucket scheme is Gil Tene's HdrHistogram (http://hdrhistogram.org,
 * and Michael Barker's HdrHistogram_c): values are split into buckets by
 * power of two, each bucket into 2^h linear sub-buckets, so that every
 * value is kept within 10^-digits of itself.  Recording is a
 * count-leading-zeros, two shifts and two increments, inline, with no
 * allocation, lock or atomic.
 *
 * A struct llt_hist_recorder pairs two histograms with Gil Tene's
 * WriterReaderPhaser, so that one writer thread records with no lock while
 * a reader takes interval snapshots.
 *
 * See llt_hist_init(3), llt_hist_record(3), llt_hist_value_at_percentile(3),
 * llt_hist_iter_init(3), llt_hist_add(3), llt_hist_recorder_init(3),
 * llt_hist_write_hgrm(3), llt_hist_encode(3) and llt-hist(5). */
#ifndef LLT_HIST_H
#define LLT_HIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <llt/common.h>

LLT_BEGIN_DECLS

/* Significant decimal digits accepted by llt_hist_init(). */
#define LLT_HIST_DIGITS_MIN 1
#define LLT_HIST_DIGITS_MAX 5

/* A histogram.  The fields are readable (configuration and the overflow
 * count); change them only through the functions.  The first cache line
 * holds everything llt_hist_record() reads. */
struct llt_hist {
	/* Read by the recording path. */
	uint64_t *counts;       /* counts_len counters, one per sub-bucket */
	uint64_t *groups;       /* ngroups totals, one per 2^half_mag counters */
	uint64_t sub_mask;      /* (2^(half_mag+1) - 1) << unit_mag */
	uint64_t idx_bias;      /* unit_mag << half_mag */
	uint32_t counts_len;    /* counters in use: index of highest, + 1 */
	uint32_t ngroups;       /* (counts_len - 1) / 2^half_mag + 1 */
	uint32_t shift_base;    /* 63 - half_mag */
	uint32_t half_mag;      /* log2 of the sub-buckets in each half bucket */
	uint64_t overflow;      /* values above max_value(): counted, not binned */
	uint64_t reserved0;
	/* Configuration. */
	uint64_t lowest;        /* lowest discernible value, as given */
	uint64_t highest;       /* highest trackable value, as given */
	uint64_t max_trackable; /* largest value counted in range (>= highest) */
	uint32_t digits;        /* significant decimal digits, 1..5 */
	uint32_t unit_mag;      /* floor(log2(lowest)) */
	uint32_t sub_count;     /* sub-buckets per bucket: 2^(half_mag+1) */
	uint32_t bucket_count;  /* HdrHistogram buckets covering [0, highest] */
	/* Free to set: saved and loaded with the histogram, set by the
	 * recorder's snapshots (CLOCK_REALTIME, ns), 0 when unknown. */
	int64_t start_ns;
	int64_t end_ns;
	uint32_t flags;         /* private */
	uint32_t reserved1;
	void *mem;              /* private: the allocation counts/groups live in */
};

/* Set-up. */
LLT_API int llt_hist_init(struct llt_hist *h, uint64_t lowest, uint64_t highest, int digits);
LLT_API void llt_hist_destroy(struct llt_hist *h);
LLT_API int llt_hist_create(uint64_t lowest, uint64_t highest, int digits, struct llt_hist **out);
LLT_API void llt_hist_free(struct llt_hist *h);
LLT_API size_t llt_hist_memsize(uint64_t lowest, uint64_t highest, int digits);
LLT_API void llt_hist_reset(struct llt_hist *h);

/* Recording (inline; out-of-line helpers below). */
/* bool llt_hist_record(struct llt_hist *h, uint64_t value);
 * bool llt_hist_record_n(struct llt_hist *h, uint64_t value, uint64_t n);
 * bool llt_hist_record_corrected(struct llt_hist *h, uint64_t value, uint64_t expected_interval); */

/* Queries. */
LLT_API uint64_t llt_hist_count(const struct llt_hist *h);
LLT_API uint64_t llt_hist_overflow(const struct llt_hist *h);
LLT_API uint64_t llt_hist_min(const struct llt_hist *h);
LLT_API uint64_t llt_hist_max(const struct llt_hist *h);
LLT_API double llt_hist_mean(const struct llt_hist *h);
LLT_API double llt_hist_stddev(const struct llt_hist *h);
LLT_API uint64_t llt_hist_value_at_percentile(const struct llt_hist *h, double percentile);
LLT_API double llt_hist_percentile_at_value(const struct llt_hist *h, uint64_t value);
LLT_API uint64_t llt_hist_count_at_value(const struct llt_hist *h, uint64_t value);
LLT_API uint64_t llt_hist_lowest_equivalent(const struct llt_hist *h, uint64_t value);
LLT_API uint64_t llt_hist_highest_equivalent(const struct llt_hist *h, uint64_t value);

/* Combining. */
LLT_API int llt_hist_add(struct llt_hist *dst, const struct llt_hist *src);
LLT_API int llt_hist_add_corrected(struct llt_hist *dst, const struct llt_hist *src, uint64_t expected_interval);
LLT_API int llt_hist_copy_corrected(struct llt_hist *dst, const struct llt_hist *src, uint64_t expected_interval);

/* Iteration. */
enum llt_hist_iter_mode {
	LLT_HIST_ITER_ALL = 0,        /* every sub-bucket from 0 to the last recorded one */
	LLT_HIST_ITER_RECORDED = 1,   /* sub-buckets with a non-zero count */
	LLT_HIST_ITER_PERCENTILE = 2, /* percentile levels, ticks per half distance (HdrHistogram) */
	LLT_HIST_ITER_LINEAR = 3,     /* value steps of a fixed width */
	LLT_HIST_ITER_LOG = 4,        /* value steps growing by a factor */
};

/* One step of an iteration: the sub-buckets in (previous value, value]. */
struct llt_hist_iter {
	uint64_t value;          /* highest value of this step (the step's upper bound) */
	uint64_t value_from;     /* lowest value of the last sub-bucket visited */
	uint64_t count;          /* count added by this step */
	uint64_t count_to;       /* count at or below value, cumulative */
	double percentile;       /* PERCENTILE: the level reached; others: 100*count_to/total */
	/* Private. */
	const struct llt_hist *impl_h;
	uint64_t impl_total;
	uint64_t impl_next_value;
	double impl_a;
	double impl_b;
	double impl_level;
	int64_t impl_idx;
	uint32_t impl_mode;
	uint32_t impl_ticks;
	uint32_t impl_done;
	uint32_t impl_reserved;
};

LLT_API int llt_hist_iter_init(struct llt_hist_iter *it, const struct llt_hist *h, enum llt_hist_iter_mode mode,
			      double a, double b);
LLT_API bool llt_hist_iter_next(struct llt_hist_iter *it);

/* Output and files. */
LLT_API int llt_hist_write_hgrm(const struct llt_hist *h, FILE *f, double value_scale, int ticks_per_half_distance);
LLT_API ssize_t llt_hist_encode(const struct llt_hist *h, void *buf, size_t size);
LLT_API int llt_hist_decode(const void *buf, size_t len, struct llt_hist **out, size_t *used);
LLT_API int llt_hist_save(const struct llt_hist *h, FILE *f);
LLT_API int llt_hist_load(FILE *f, struct llt_hist **out);

/* A single-writer interval recorder (Gil Tene's WriterReaderPhaser, in a
 * single-writer form): the writer thread records into the active histogram
 * of the pair; a reader's snapshot flips the pair, waits for a record in
 * flight on the old one to finish, and takes what it holds.  The writer's
 * critical section needs no atomic read-modify-write when the kernel
 * offers membarrier(2) (see llt/bits/hist_impl.h and lib/hist.c). */
struct llt_hist_recorder {
	/* Written by the writer on every record (impl_seq) and by the
	 * reader's flip (impl_phase); one line, read by both. */
	LLT_PADDED uint64_t impl_seq;   /* writer's section count: odd inside a record */
	uint32_t impl_phase;            /* histogram of the pair the writer records into */
	uint32_t impl_mode;             /* LLT_HIST_IMPL_FENCE_*: fixed at init */
	uint64_t impl_reserved0;
	/* Read by the writer, written by the reader at set-up only. */
	struct llt_hist impl_hist[2];
	/* The reader side. */
	LLT_PADDED uint32_t impl_lock;
	uint32_t impl_reserved;
	int64_t impl_last_ns;
};

/* Private: the recorder's writer/reader fence protocols (impl_mode). */
#define LLT_HIST_IMPL_FENCE_FULL 0u /* writer: atomic exchange; reader: seq_cst store and load */
#define LLT_HIST_IMPL_FENCE_ASYM 1u /* writer: plain stores; reader: membarrier(2) */

LLT_API int llt_hist_recorder_init(struct llt_hist_recorder *r, uint64_t lowest, uint64_t highest, int digits);
LLT_API void llt_hist_recorder_destroy(struct llt_hist_recorder *r);
LLT_API int llt_hist_recorder_snapshot(struct llt_hist_recorder *r, struct llt_hist *out);
LLT_API int llt_hist_recorder_snapshot_add(struct llt_hist_recorder *r, struct llt_hist *out);
/* bool llt_hist_recorder_record(struct llt_hist_recorder *r, uint64_t value);
 * bool llt_hist_recorder_record_n(struct llt_hist_recorder *r, uint64_t value, uint64_t n);
 * bool llt_hist_recorder_record_corrected(struct llt_hist_recorder *r, uint64_t value, uint64_t expected_interval); */

/* Private: used by the inline functions, not part of the API. */
LLT_API bool llt_hist_impl_record_slow(struct llt_hist *h, uint64_t value, uint64_t n);
LLT_API void llt_hist_impl_backfill(struct llt_hist *h, uint64_t value, uint64_t n, uint64_t expected_interval);

LLT_END_DECLS

#define LLT_HIST_H_INSIDE
#include <llt/bits/hist_impl.h>
#undef LLT_HIST_H_INSIDE

#endif /* LLT_HIST_H */
