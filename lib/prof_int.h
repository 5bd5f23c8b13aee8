/* Private to lib/prof.c and lib/prof_report.c: the profiler's reporter-side
 * state.  Never installed. */
#ifndef LLT_PROF_INT_H
#define LLT_PROF_INT_H

#include <pthread.h>
#include <llt/prof.h>

/* Heatmap rows: 4 per octave of nanoseconds, row b holds
 * [2^(b/4), 2^((b+1)/4)); 160 rows reach 2^40 ns (18 minutes). */
#define PROF_HM_ROWS_PER_OCTAVE 4
#define PROF_HM_ROWS 160
#define PROF_HM_COLS 240         /* columns kept; older ones merge pairwise */
#define PROF_STACKS 64           /* distinct outlier stacks kept per probe */

struct prof_col {
	int64_t start_ns;        /* CLOCK_REALTIME */
	int64_t end_ns;
	uint64_t count;
	uint64_t max;
	uint32_t rows[PROF_HM_ROWS];
};

struct prof_probe {
	struct llt_prof_probe head;          /* first: the public handle */
	struct llt_prof *prof;
	struct prof_probe *next;             /* the profiler's list, creation order */
	char name[LLT_PROF_NAME_MAX];
	struct llt_prof_probe_attr attr;
	struct llt_prof_impl_slot *slots;    /* every thread that recorded */
	uint64_t threads;
	uint64_t dropped;                    /* atomic: samples without a recorder */
	uint64_t thr_ns;                     /* outlier threshold in use, UINT64_MAX none */
	struct llt_hist total;
	struct llt_hist interval;
	uint64_t intervals;
	/* exemplars: the last interval's K worst and the worst since reset */
	struct llt_prof_exemplar ex_last[LLT_PROF_EXEMPLARS_MAX];
	struct llt_prof_exemplar ex_all[LLT_PROF_EXEMPLARS_MAX];
	uint32_t nex_last, nex_all;
	/* outliers */
	uint64_t outliers, outliers_dropped, stacks_other;
	struct llt_prof_stack *stacks;       /* PROF_STACKS */
	uint32_t nstacks;
	/* coordinated omission */
	uint64_t stalls, missed, max_gap_ns;
	/* heatmap */
	struct prof_col *cols;               /* PROF_HM_COLS, allocated at the first snapshot */
	uint32_t ncols, col_span, col_fill;  /* snapshots per column, in the last column */
};

struct llt_prof {
	char title[128];
	struct prof_probe *probes, **tail;
	uint32_t nprobes;
	uint64_t intervals;
	int64_t created_ns, last_ns;         /* CLOCK_REALTIME */
};

/* The registry lock: probes, slots, threads, and every reporter-side
 * field above.  Writers take it only on a thread's first sample of a
 * probe. */
extern pthread_mutex_t llt_prof_impl_lock;

int64_t llt_prof_impl_realtime(void);
uint32_t llt_prof_impl_row(uint64_t ns);
double llt_prof_impl_row_low(uint32_t row);
int llt_prof_impl_snapshot_locked(struct llt_prof *prof);
void llt_prof_impl_sort_stacks(struct prof_probe *p);

#endif
