/* llt/prof.h: a latency profiler.
 *
 * Named probes time regions of code with the TSC (llt_clock_start(3) and
 * llt_clock_end(3)) and record the durations, in nanoseconds, into HDR
 * histograms (<llt/hist.h>): one llt_hist_recorder per thread and probe,
 * so the recording path takes no lock and shares no cache line with
 * another thread.  A reporter thread calls llt_prof_snapshot() now and
 * then; it walks the registry of per-thread recorders, takes an interval
 * from each without stopping the writers (Gil Tene's WriterReaderPhaser,
 * as HdrHistogram's Recorder), and folds it into the probe's totals.
 *
 * Besides counts, each probe keeps per interval its K worst samples
 * (exemplars: TSC timestamp, thread id, a user tag), captures a backtrace
 * (libunwind's unw_backtrace) of samples above a threshold into a bounded
 * per-thread buffer, and warns of coordinated omission when gaps between
 * samples far exceed the interval the user expects.  Reports: a text
 * table with bars (llt_prof_report), HdrHistogram's .hgrm through
 * llt_hist_write_hgrm(3), an SVG percentile chart and an SVG time x
 * latency heatmap.  See llt_prof_create(3), llt_prof_start(3),
 * llt_prof_snapshot(3) and llt_prof_report(3). */
#ifndef LLT_PROF_H
#define LLT_PROF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <llt/common.h>
#include <llt/clock.h>
#include <llt/hist.h>

LLT_BEGIN_DECLS

/* Limits. */
#define LLT_PROF_NAME_MAX 48        /* bytes of a probe name, NUL included */
#define LLT_PROF_EXEMPLARS_MAX 16   /* largest K of struct llt_prof_probe_attr */
#define LLT_PROF_STACK_DEPTH 16     /* return addresses kept per outlier */

/* Flags of struct llt_prof_probe_attr. */
#define LLT_PROF_OUTLIER_P999 0x1u  /* threshold = the probe's p99.9, recomputed at each snapshot */

/* Options of llt_prof_probe_create(); NULL or zero fields mean defaults. */
struct llt_prof_probe_attr {
	uint64_t lowest_ns;            /* histogram range: default 1 ns */
	uint64_t highest_ns;           /* ... default 10 s */
	int digits;                    /* significant digits, default 3 */
	unsigned flags;                /* LLT_PROF_OUTLIER_P999 */
	uint64_t outlier_ns;           /* capture a backtrace above this; 0: none (or p99.9 by flag) */
	uint64_t expected_interval_ns; /* samples should come this often; 0: no coordinated-omission check */
	unsigned exemplars;            /* K worst samples kept per interval; default 4, max 16 */
	unsigned outliers;             /* backtraces buffered per thread per interval; default 32 */
	uint64_t reserved[4];          /* must be 0 */
};

/* One of the worst samples of an interval. */
struct llt_prof_exemplar {
	uint64_t ns;        /* its latency */
	uint64_t tsc;       /* llt_clock ticks at the start of the region */
	uint64_t tag;       /* the caller's tag (llt_prof_end_tag), 0 if none */
	int64_t realtime_ns;/* the start as CLOCK_REALTIME ns (llt_clock_to_realtime_ns) */
	uint32_t tid;       /* kernel thread id of the recording thread */
	uint32_t interval;  /* the snapshot it came from, counted from 1 */
};

/* A distinct outlier backtrace and the samples that took it. */
struct llt_prof_stack {
	uint64_t count;     /* outliers with this stack */
	uint64_t min_ns;    /* their smallest, largest and total latency */
	uint64_t max_ns;
	uint64_t sum_ns;
	uint32_t depth;     /* return addresses in ip[] */
	uint32_t reserved;
	void *ip[LLT_PROF_STACK_DEPTH]; /* innermost first: ip[0] is where the region ended */
};

/* What llt_prof_probe_info() reports (as of the last snapshot). */
struct llt_prof_info {
	char name[LLT_PROF_NAME_MAX];
	uint64_t count;             /* samples recorded */
	uint64_t interval_count;    /* samples in the last interval */
	uint64_t intervals;         /* snapshots taken */
	uint64_t threads;           /* threads that recorded */
	uint64_t outlier_ns;        /* threshold in use, 0 if none */
	uint64_t outliers;          /* samples above it */
	uint64_t outliers_dropped;  /* ... whose backtrace did not fit the buffer */
	uint64_t stacks;            /* distinct outlier stacks kept */
	uint64_t expected_interval_ns;
	uint64_t stalls;            /* gaps of at least twice the expected interval */
	uint64_t missed;            /* samples those gaps should have held */
	uint64_t max_gap_ns;        /* longest of those gaps */
	uint64_t dropped;           /* samples lost: no memory for a thread's recorder */
	const struct llt_hist *hist;          /* every sample since creation or reset */
	const struct llt_hist *last_interval; /* the last snapshot's interval */
};

struct llt_prof;
struct llt_prof_probe;

/* Set-up and queries. */
LLT_API int llt_prof_create(const char *title, struct llt_prof **out);
LLT_API void llt_prof_free(struct llt_prof *prof);
LLT_API int llt_prof_probe_create(struct llt_prof *prof, const char *name, const struct llt_prof_probe_attr *attr,
				  struct llt_prof_probe **out);
LLT_API int llt_prof_reset(struct llt_prof *prof);
LLT_API bool llt_prof_backtraces_enabled(void);
LLT_API int llt_prof_snapshot(struct llt_prof *prof);
LLT_API const struct llt_hist *llt_prof_probe_hist(const struct llt_prof_probe *probe);
LLT_API int llt_prof_probe_info(const struct llt_prof_probe *probe, struct llt_prof_info *info);
/* Flags of llt_prof_probe_exemplars(). */
#define LLT_PROF_LAST_INTERVAL 0x1u /* the last interval's K worst, not the worst since reset */
LLT_API ssize_t llt_prof_probe_exemplars(const struct llt_prof_probe *probe, unsigned flags,
					 struct llt_prof_exemplar *out, size_t n);
LLT_API ssize_t llt_prof_probe_stacks(const struct llt_prof_probe *probe, struct llt_prof_stack *out, size_t n);
LLT_API int llt_prof_symbol(const void *ip, char *buf, size_t size);

/* Output. */
LLT_API int llt_prof_report(struct llt_prof *prof, FILE *f, int width);
LLT_API int llt_prof_write_svg(struct llt_prof *prof, FILE *f);
LLT_API int llt_prof_svg_percentiles(FILE *f, const char *title, const struct llt_hist *const *hists,
				     const char *const *names, size_t n);
LLT_API int llt_prof_write_heatmap(const struct llt_prof_probe *probe, FILE *f);

/* Recording (inline):
 * uint64_t llt_prof_start(void);
 * void llt_prof_end(struct llt_prof_probe *probe, uint64_t start);
 * void llt_prof_end_tag(struct llt_prof_probe *probe, uint64_t start, uint64_t tag);
 * void llt_prof_record(struct llt_prof_probe *probe, uint64_t start, uint64_t end, uint64_t tag); */

/* Private: read by the inline functions, not part of the API. */

/* What one thread records for one probe in one phase of its recorder:
 * written by that thread inside the phase, read and cleared by the
 * reporter after the phase is flipped out (see llt_hist_recorder_init(3)). */
struct llt_prof_impl_phase {
	uint64_t slow_ns;       /* take the out-of-line path above this */
	uint64_t thr_ns;        /* outlier threshold, UINT64_MAX for none; set by the reporter */
	uint32_t nex;           /* exemplars held */
	uint32_t nout;          /* outliers held */
	uint64_t outliers;      /* outliers seen, held or not */
	uint64_t stalls;        /* gaps >= 2 expected intervals */
	uint64_t missed;        /* sum over those of gap / interval - 1 */
	uint64_t max_gap;       /* ticks */
	struct llt_prof_exemplar ex[LLT_PROF_EXEMPLARS_MAX];
	struct llt_prof_stack *out; /* outliers[] of the probe's attr, one sample each */
};

/* One thread's recorder for one probe, owned by the probe. */
struct llt_prof_impl_slot {
	struct llt_hist_recorder rec;
	LLT_PADDED uint64_t last_start;  /* writer only: start of the previous sample */
	uint64_t gap_ticks;              /* 2 expected intervals in ticks, UINT64_MAX for none */
	uint64_t interval_ticks;         /* expected interval in ticks, 0 for none */
	uint32_t tid;
	uint32_t kex;                    /* exemplars to keep (K) */
	uint32_t kout;                   /* outlier buffer size */
	uint32_t alive;                  /* the owning thread has not exited (registry lock) */
	struct llt_prof_impl_phase phase[2];
	struct llt_prof_impl_slot *next; /* the probe's list (registry lock) */
};

/* Per-thread table: slot of each probe, indexed by the probe's id. */
struct llt_prof_impl_tls {
	uint32_t n;
	uint32_t reserved;
	struct llt_prof_impl_slot **slots;
};

/* The head of a probe: its id selects the thread's slot. */
struct llt_prof_probe {
	uint32_t impl_id;
	uint32_t impl_reserved;
};

/* The slots of the first LLT_PROF_IMPL_FAST probe ids, one load away
 * (128 bytes of static TLS); later ids go through the table. */
#define LLT_PROF_IMPL_FAST 16
LLT_API extern __thread struct llt_prof_impl_slot *llt_prof_impl_fast[LLT_PROF_IMPL_FAST]
	__attribute__((tls_model("initial-exec")));
LLT_API extern __thread struct llt_prof_impl_tls *llt_prof_impl_tls_p __attribute__((tls_model("initial-exec")));
LLT_API struct llt_prof_impl_slot *llt_prof_impl_slot_slow(struct llt_prof_probe *probe);
LLT_API void llt_prof_impl_slow(struct llt_prof_impl_slot *s, struct llt_prof_impl_phase *ph, uint64_t ns,
				uint64_t start, uint64_t gap, uint64_t tag);

LLT_END_DECLS

#define LLT_PROF_H_INSIDE
#include <llt/bits/prof_impl.h>
#undef LLT_PROF_H_INSIDE

#endif /* LLT_PROF_H */
