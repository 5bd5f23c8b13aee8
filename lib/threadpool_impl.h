/* Private: the thread pool's structures, shared with lib/sched.c, which
 * runs its workers on a pool.  Never installed. */
#ifndef LLT_THREADPOOL_IMPL_H
#define LLT_THREADPOOL_IMPL_H

#include <pthread.h>

#include <llt/park.h>
#include <llt/threadpool.h>

#include "taskq.h"

struct llt_threadpool;

struct llt_tp_worker {
	struct llt_park park;          /* this worker sleeps here (own padded block) */
	LLT_PADDED uint32_t asleep;    /* 1: counted in nsleep and claimable by a waker */
	uint32_t index;
	int cpu;                       /* placement, -1 unpinned */
	int pin_result;                /* llt_cpu_pin's result in the worker */
	struct llt_threadpool *pool;
	pthread_t thread;
	LLT_PADDED uint64_t executed;  /* written by the worker only */
	struct llt_taskq q;            /* llt_threadpool_submit_to */
};

struct llt_threadpool {
	LLT_PADDED uint64_t gate;      /* submitters in flight | GATE_CLOSED */
	uint64_t submitted;            /* submitters' counters, on the gate's line */
	uint64_t full;
	LLT_PADDED uint32_t nsleep;    /* workers with asleep == 1 */
	uint32_t wake_rr;
	LLT_PADDED uint32_t state;     /* RUNNING, STOP_DRAIN, STOP_CANCEL */
	uint32_t joined;
	uint64_t cancelled;
	/* Read-only after create. */
	LLT_PADDED unsigned nworkers;
	unsigned idle;
	unsigned slice_us;      /* 0: leave the kernel's */
	uint64_t spin_ns;
	void (*on_start)(unsigned, void *);
	void (*on_stop)(unsigned, void *);
	void *hook_arg;
	char name[12];
	struct llt_tp_worker *workers;
	struct llt_park not_full;      /* blocked submitters */
	struct llt_taskq shared;
};

int llt_tp_impl_place(const struct llt_threadpool_attr *a, int **out);
struct llt_tp_worker *llt_tp_impl_self(void);

#endif
